-- hewer.run_cancel(run_ids[], now?) -> (run_id, cancelled, status)
--
-- Cancels runs that are queued or running: their pending and queued tasks
-- are cancelled at once; assigned and running tasks get cancel_requested and
-- their dispatchers are told on channel hewer_cancel, so the workers can
-- stop them: a failure report ends such a task as cancelled (never retried),
-- a completion still records its output as succeeded, and the reaper cancels
-- it when its lease runs out. The run stays cancelled either way. A run already finished is left
-- as it is (cancelled = false). NOTIFY hewer_run_done once.
-- Locks: runs (id order), then queue rows, then tasks, then the semaphores
-- the runs held (released).
-- Errors: HW009 unknown run, HW007 NULL array.
CREATE OR REPLACE FUNCTION hewer.run_cancel(p_run_ids uuid[], p_now timestamptz DEFAULT now())
RETURNS TABLE (run_id uuid, cancelled boolean, status hewer.run_status)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_missing uuid;
    v_cancelled uuid[];
BEGIN
    PERFORM hewer._require_now('run_cancel', p_now);
    PERFORM hewer._batch_len('run_cancel', p_run_ids, '{}');
    PERFORM 1 FROM hewer.runs r
    WHERE r.id = ANY (p_run_ids) AND r.tenant_id = v_tenant
    ORDER BY r.id FOR UPDATE;
    SELECT u.id INTO v_missing FROM unnest(p_run_ids) AS u(id)
    WHERE NOT EXISTS (SELECT 1 FROM hewer.runs r WHERE r.id = u.id AND r.tenant_id = v_tenant)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'run_cancel: run % does not exist', coalesce(v_missing::text, 'NULL')
            USING ERRCODE = 'HW009', HINT = 'Check the run id; runs are visible only to their tenant.';
    END IF;

    v_cancelled := nullif(hewer._runs_cancel(p_run_ids, NULL, p_now), '{}');

    RETURN QUERY
    SELECT r.id, r.id = ANY (coalesce(v_cancelled, '{}')), r.status
    FROM unnest(p_run_ids) WITH ORDINALITY AS u(id, i) JOIN hewer.runs r ON r.id = u.id
    ORDER BY u.i;
END
$$;
