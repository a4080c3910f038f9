-- hewer._run_cancel_tasks(run_ids[], kind, now) -> number of tasks touched
--
-- Stops the unfinished tasks of runs that have just become terminal:
-- pending, waiting and queued tasks are cancelled at once (their queue rows deleted
-- first, the lock order claims rely on); assigned and running tasks get
-- cancel_requested, and their workers' dispatchers are told on channel
-- hewer_cancel ({"workers": [...]}, or null = ask hewer.task_cancellations).
-- The caller holds the runs' locks. Then the runs' unfinished child runs are
-- cancelled too (hewer._run_children_cancel, recursively).
CREATE OR REPLACE FUNCTION hewer._run_cancel_tasks(p_run_ids uuid[], p_kind text, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_cancelled integer;
    v_workers uuid[];
    v_payload text;
BEGIN
    DELETE FROM hewer.queue q
    WHERE q.task_id IN (SELECT t.id FROM hewer.tasks t
                        WHERE t.run_id = ANY (p_run_ids) AND t.status = 'queued');
    WITH cancelled AS (
        UPDATE hewer.tasks t SET status = 'cancelled', finished_at = p_now
        WHERE t.run_id = ANY (p_run_ids) AND t.status IN ('pending', 'waiting', 'queued')
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, created_at)
        SELECT c.tenant_id, hewer.uuidv7(), c.id, c.run_id, c.attempt, p_kind, 'cancelled', p_now
        FROM cancelled c
    )
    SELECT count(*) INTO v_cancelled FROM cancelled;

    WITH flagged AS (
        UPDATE hewer.tasks t SET cancel_requested = true
        WHERE t.run_id = ANY (p_run_ids) AND t.status IN ('assigned', 'running') AND NOT t.cancel_requested
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt, t.status, t.worker_id
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT f.tenant_id, hewer.uuidv7(), f.id, f.run_id, f.attempt, 'cancel_requested', f.status,
               f.worker_id, p_now
        FROM flagged f
    )
    SELECT array_agg(DISTINCT f.worker_id) INTO v_workers FROM flagged f;

    IF v_workers IS NOT NULL THEN
        v_payload := json_build_object(
            'workers', ARRAY(SELECT hewer.notify_tag(w::text) FROM unnest(v_workers) AS w))::text;
        IF octet_length(v_payload) > 7000 THEN
            v_payload := json_build_object('workers', NULL)::text;
        END IF;
        PERFORM pg_notify('hewer_cancel', v_payload);
    END IF;
    PERFORM hewer._run_children_cancel(p_run_ids, p_now);
    RETURN v_cancelled + coalesce(cardinality(v_workers), 0);
END
$$;
