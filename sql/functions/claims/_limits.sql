-- Private helpers for concurrency limits: semaphore rows and releasing holds.
--
-- Lock order, shared by every function that touches these rows: runs ->
-- queue rows -> tasks -> semaphores (id order) -> rate buckets (name, key
-- order). A claim takes queue rows with SKIP LOCKED, then semaphores and
-- buckets, and never waits for a task or run lock (it skips locked runs), so
-- it cannot close a cycle with the writers that hold runs and tasks and then
-- release semaphores.

-- Semaphore ids for keys of one limit (scope, owner), made on first use;
-- one id per key, in order. Takes no row locks on existing semaphores.
CREATE OR REPLACE FUNCTION hewer._semaphores(p_tenant uuid, p_scope text, p_owner text, p_keys text[])
RETURNS bigint[]
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO hewer.semaphores (tenant_id, scope, owner, key)
    SELECT DISTINCT p_tenant, p_scope, p_owner, k FROM unnest(p_keys) AS u(k)
    WHERE NOT EXISTS (SELECT 1 FROM hewer.semaphores s
                      WHERE s.tenant_id = p_tenant AND s.scope = p_scope AND s.owner = p_owner AND s.key = u.k)
    ORDER BY 4
    ON CONFLICT DO NOTHING;
    RETURN ARRAY(
        SELECT s.id FROM unnest(p_keys) WITH ORDINALITY AS u(k, i)
        JOIN hewer.semaphores s ON s.tenant_id = p_tenant AND s.scope = p_scope AND s.owner = p_owner AND s.key = u.k
        ORDER BY u.i);
END
$$;

-- Release what tasks that left assigned/running, and runs that finished,
-- hold: their task semaphores (tasks.holds) and their runs' workflow
-- semaphore (hewer.run_holds). The caller holds the runs and tasks.
CREATE OR REPLACE FUNCTION hewer._holds_release(p_task_ids uuid[], p_run_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_sems bigint[] := '{}'::bigint[];
BEGIN
    IF coalesce(cardinality(p_task_ids), 0) > 0 THEN
        WITH released AS (
            UPDATE hewer.tasks t SET holds = NULL
            FROM (SELECT t2.id, t2.holds FROM hewer.tasks t2
                  WHERE t2.id = ANY (p_task_ids) AND t2.holds IS NOT NULL) o
            WHERE t.id = o.id
            RETURNING o.holds
        )
        SELECT coalesce(array_agg(h.id), '{}') INTO v_sems FROM released r, unnest(r.holds) AS h(id);
    END IF;
    PERFORM hewer._sems_release(v_sems, p_run_ids);
END
$$;

-- Release semaphores already taken off their tasks (one element per hold),
-- and the workflow semaphores of finished runs: decrements in id order, then
-- NOTIFY hewer_ready (actions null: any) once per tenant.
CREATE OR REPLACE FUNCTION hewer._sems_release(p_sems bigint[], p_run_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_sems bigint[] := coalesce(p_sems, '{}');
BEGIN
    IF coalesce(cardinality(p_run_ids), 0) > 0 THEN
        WITH released AS (
            DELETE FROM hewer.run_holds h WHERE h.run_id = ANY (p_run_ids) RETURNING h.sem_id
        )
        SELECT v_sems || coalesce(array_agg(r.sem_id), '{}') INTO v_sems FROM released r;
    END IF;
    IF cardinality(v_sems) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM hewer.semaphores s WHERE s.id = ANY (v_sems) ORDER BY s.id FOR NO KEY UPDATE;
    UPDATE hewer.semaphores s SET running = greatest(s.running - d.n, 0)
    FROM (SELECT u.id, count(*) AS n FROM unnest(v_sems) AS u(id) GROUP BY u.id) d
    WHERE s.id = d.id;
    -- Work that waited on these limits may run now, on any worker: wake
    -- every dispatcher's claimers of the tenant (one NOTIFY per call).
    PERFORM pg_notify('hewer_ready', json_build_object('tenant', hewer.notify_tag(t.tenant_id::text),
                                                       'tags', NULL)::text)
    FROM (SELECT DISTINCT s.tenant_id FROM hewer.semaphores s WHERE s.id = ANY (v_sems)) t;
END
$$;

-- Cancel active runs (any order given; locked in id order) with an error
-- saying why: their pending and queued tasks are cancelled, running ones are
-- asked to stop, their holds are released. NOTIFY hewer_run_done once.
CREATE OR REPLACE FUNCTION hewer._runs_cancel(p_run_ids uuid[], p_error jsonb, p_now timestamptz)
RETURNS uuid[]
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_cancelled uuid[];
BEGIN
    PERFORM 1 FROM hewer.runs r WHERE r.id = ANY (p_run_ids) ORDER BY r.id FOR UPDATE;
    WITH c AS (
        UPDATE hewer.runs r SET status = 'cancelled', finished_at = p_now, error = coalesce(p_error, r.error)
        WHERE r.id = ANY (p_run_ids) AND r.status IN ('queued', 'running')
        RETURNING r.id
    )
    SELECT array_agg(c.id) INTO v_cancelled FROM c;
    IF v_cancelled IS NOT NULL THEN
        PERFORM hewer._run_cancel_tasks(v_cancelled, 'cancelled', p_now);
        PERFORM hewer._holds_release(NULL, v_cancelled);
        PERFORM hewer._notify_runs_done(v_cancelled);
    END IF;
    RETURN coalesce(v_cancelled, '{}');
END
$$;
