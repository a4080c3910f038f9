-- hewer.task_complete(task_ids[], attempts[], outputs[], strict?, now?, worker_ids?)
--   -> (ord, task_id, attempt, accepted, reason)
--
-- A worker reports tasks done with their outputs (any JSON, NULL allowed).
-- In the same transaction: each child whose parents have now all succeeded
-- is queued (NOTIFY hewer_ready once), and a run whose last task succeeded
-- succeeds (NOTIFY hewer_run_done once). A task whose run was cancelled or
-- failed meanwhile still records its output; its run does not change.
-- Fenced by (task_id, attempt), and by the reporting worker when worker_ids
-- (one per task) is given: a report for a task held by another worker is
-- rejected (reason not_owner). Fenced, see hewer._task_fence.
-- Locks: runs, then tasks, then children (each in id order), then the
-- semaphores the tasks and finished runs held (released, id order).
-- Errors: HW007 bad arrays; strict: HW005, HW006, HW007.
CREATE OR REPLACE FUNCTION hewer.task_complete(
    p_task_ids uuid[], p_attempts integer[], p_outputs jsonb[],
    p_strict boolean DEFAULT true, p_now timestamptz DEFAULT now(),
    p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, task_id uuid, attempt integer, accepted boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_fence record;
    v_ready uuid[];
    v_done uuid[];
    v_sems bigint[];
BEGIN
    PERFORM hewer._require_now('task_complete', p_now);
    PERFORM hewer._batch_len('task_complete', p_task_ids,
                             ARRAY[cardinality(p_attempts), cardinality(p_outputs)]);
    SELECT array_agg(f.ord ORDER BY f.ord) AS ords, array_agg(f.task_id ORDER BY f.ord) AS ids,
           array_agg(f.attempt ORDER BY f.ord) AS attempts, array_agg(f.ok ORDER BY f.ord) AS oks,
           array_agg(f.reason ORDER BY f.ord) AS reasons
    INTO v_fence
    FROM hewer._task_fence('task_complete', p_task_ids, p_attempts, p_strict, true, p_worker_ids) f;

    WITH done AS (
        -- The semaphores the task held are released below (read before the
        -- update: RETURNING gives new values).
        UPDATE hewer.tasks t
        SET status = 'succeeded', output = o.output, finished_at = p_now, timeout_at = NULL,
            holds = NULL
        FROM (SELECT u.id, u.output, h.holds AS old_holds
              FROM unnest(p_task_ids, p_outputs, v_fence.oks) AS u(id, output, ok)
              JOIN hewer.tasks h ON h.id = u.id
              WHERE u.ok) o
        WHERE t.id = o.id
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt, t.worker_id, t.child_ids, o.old_holds
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT d.tenant_id, hewer.uuidv7(), d.id, d.run_id, d.attempt, 'succeeded', 'succeeded',
               d.worker_id, p_now
        FROM done d
    ), live AS (
        -- Only runs still in progress move on; their locks are held.
        SELECT d.* FROM done d JOIN hewer.runs r ON r.id = d.run_id
        WHERE r.status IN ('queued', 'running')
    ), decrements AS (
        SELECT c.id, count(*) AS n
        FROM live d CROSS JOIN LATERAL unnest(d.child_ids) AS c(id)
        GROUP BY c.id
    ), children AS (
        UPDATE hewer.tasks t
        SET parents_left = t.parents_left - d.n,
            status = CASE WHEN t.parents_left = d.n THEN 'queued' ELSE t.status END,
            queued_at = CASE WHEN t.parents_left = d.n THEN p_now END
        FROM (SELECT * FROM decrements ORDER BY id) d
        WHERE t.id = d.id AND t.status = 'pending'
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt, t.status
    ), children_logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, created_at)
        SELECT c.tenant_id, hewer.uuidv7(), c.id, c.run_id, c.attempt, 'queued', 'queued', p_now
        FROM children c WHERE c.status = 'queued'
    ), finished AS (
        UPDATE hewer.runs r
        SET tasks_left = r.tasks_left - l.n,
            status = (CASE WHEN r.tasks_left = l.n THEN 'succeeded' ELSE 'running' END)::hewer.run_status,
            started_at = coalesce(r.started_at, p_now),
            finished_at = CASE WHEN r.tasks_left = l.n THEN p_now END
        FROM (SELECT run_id, count(*) AS n FROM live GROUP BY run_id) l
        WHERE r.id = l.run_id
        RETURNING r.id, r.status
    )
    SELECT (SELECT array_agg(c.id) FROM children c WHERE c.status = 'queued'),
           (SELECT array_agg(f.id) FROM finished f WHERE f.status = 'succeeded'),
           (SELECT array_agg(h.id) FROM done d, unnest(d.old_holds) AS h(id))
    INTO v_ready, v_done, v_sems;

    PERFORM hewer._sems_release(v_sems, v_done);

    PERFORM hewer._queue_push(v_ready, p_now);
    PERFORM hewer._notify_runs_done(v_done);

    RETURN QUERY
    SELECT u.ord, u.id, u.att, u.ok, u.reason
    FROM unnest(v_fence.ords, v_fence.ids, v_fence.attempts, v_fence.oks, v_fence.reasons)
         AS u(ord, id, att, ok, reason);
END
$$;
