-- hewer._task_fence_rows(task_ids[], attempts[], tenant, worker_ids[]): one row
-- per report, locking the tasks (FOR UPDATE, in id order). Used by _task_fence.
CREATE OR REPLACE FUNCTION hewer._task_fence_rows(
    p_task_ids uuid[], p_attempts integer[], p_tenant uuid, p_worker_ids uuid[])
RETURNS TABLE (ord integer, task_id uuid, attempt integer, run_id uuid, ok boolean, reason text,
               current_attempt integer, status hewer.task_status)
LANGUAGE sql VOLATILE
AS $$
    WITH req AS (
        SELECT u.task_id, u.attempt, u.worker_id, u.i::integer AS ord,
               -- The same (task, attempt) twice in one call is a duplicate. Reports of one
               -- task for different attempts are judged each on its own: only the current
               -- attempt's can pass, so a stale report never masks a current one.
               row_number() OVER (PARTITION BY u.task_id, u.attempt ORDER BY u.i) AS nth
        FROM unnest(p_task_ids, p_attempts,
                    coalesce(p_worker_ids, array_fill(NULL::uuid, ARRAY[cardinality(p_task_ids)])))
             WITH ORDINALITY AS u(task_id, attempt, worker_id, i)
    ), locked AS (
        SELECT t.id, t.run_id, t.attempt, t.status, t.worker_id
        FROM hewer.tasks t
        WHERE t.id = ANY (p_task_ids) AND t.tenant_id = p_tenant
        ORDER BY t.id
        FOR UPDATE
    )
    SELECT q.ord, q.task_id, q.attempt, l.run_id,
           coalesce(l.id IS NOT NULL AND q.nth = 1 AND l.attempt = q.attempt
                    AND l.status IN ('assigned', 'running')
                    AND (q.worker_id IS NULL OR q.worker_id = l.worker_id), false),
           CASE WHEN l.id IS NULL THEN 'unknown_task'
                WHEN q.nth > 1 THEN 'duplicate'
                WHEN l.attempt IS DISTINCT FROM q.attempt OR l.status NOT IN ('assigned', 'running') THEN 'stale_attempt'
                WHEN q.worker_id IS NOT NULL AND q.worker_id IS DISTINCT FROM l.worker_id THEN 'not_owner'
           END,
           l.attempt, l.status
    FROM req q LEFT JOIN locked l ON l.id = q.task_id
$$;

-- hewer._task_fence(function, task_ids[], attempts[], strict, lock_runs, worker_ids[])
--   -> (ord, task_id, attempt, run_id, ok, reason)
--
-- The fencing step shared by every worker report. Locks, in this order (the
-- order every writer in Hewer follows): the reports' runs when lock_runs,
-- then their tasks, each in id order. A report is ok when its task exists in
-- this tenant, its attempt is the task's current one, the task is still
-- assigned or running, and (when worker_ids is given) it is assigned to the
-- reporting worker. reason: unknown_task | stale_attempt | duplicate | not_owner.
--
-- strict: the first report that is not ok raises HW005 (unknown task) or
-- HW006 (stale attempt, or held by another worker) or HW007 (duplicate), so the caller's whole batch
-- changes nothing. Non-strict callers (the dispatcher) get a row per report.
CREATE OR REPLACE FUNCTION hewer._task_fence(
    p_function text, p_task_ids uuid[], p_attempts integer[], p_strict boolean, p_lock_runs boolean,
    p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, task_id uuid, attempt integer, run_id uuid, ok boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_bad record;
BEGIN
    PERFORM hewer._batch_len(p_function, p_task_ids,
        ARRAY[cardinality(p_attempts), coalesce(cardinality(p_worker_ids), cardinality(p_task_ids))]);
    IF p_strict IS NULL THEN
        RAISE EXCEPTION '%: p_strict is NULL', p_function USING ERRCODE = 'HW007';
    END IF;
    IF p_lock_runs THEN
        PERFORM 1 FROM hewer.runs r
        WHERE r.id IN (SELECT t.run_id FROM hewer.tasks t
                       WHERE t.id = ANY (p_task_ids) AND t.tenant_id = v_tenant)
        ORDER BY r.id
        FOR UPDATE OF r;
    END IF;

    IF p_strict THEN
        SELECT * INTO v_bad FROM hewer._task_fence_rows(p_task_ids, p_attempts, v_tenant, p_worker_ids) f
        WHERE NOT f.ok ORDER BY f.ord LIMIT 1;
        IF FOUND THEN
            IF v_bad.reason = 'unknown_task' THEN
                RAISE EXCEPTION '%: task % does not exist', p_function, v_bad.task_id
                    USING ERRCODE = 'HW005', HINT = 'Check the task id; tasks are visible only to their tenant.';
            ELSIF v_bad.reason = 'not_owner' THEN
                RAISE EXCEPTION '%: task % attempt % is assigned to another worker; the report was rejected',
                    p_function, v_bad.task_id, v_bad.attempt
                    USING ERRCODE = 'HW006',
                          HINT = 'A worker reports only the tasks it was assigned.';
            ELSIF v_bad.reason = 'duplicate' THEN
                RAISE EXCEPTION '%: attempt % of task % is reported twice in one call', p_function, v_bad.attempt, v_bad.task_id
                    USING ERRCODE = 'HW007', HINT = 'Report each task once per call.';
            END IF;
            RAISE EXCEPTION '%: attempt % of task % is not current (the task is at attempt %, status %); the report was rejected',
                p_function, coalesce(v_bad.attempt::text, 'NULL'), v_bad.task_id,
                v_bad.current_attempt, v_bad.status
                USING ERRCODE = 'HW006',
                      HINT = 'Report only the attempt you were assigned, while it is assigned or running.';
        END IF;
    END IF;
    RETURN QUERY SELECT f.ord, f.task_id, f.attempt, f.run_id, f.ok, f.reason
    FROM hewer._task_fence_rows(p_task_ids, p_attempts, v_tenant, p_worker_ids) f ORDER BY f.ord;
END
$$;
