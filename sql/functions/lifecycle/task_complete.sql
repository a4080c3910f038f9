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
-- A task still 'assigned' (its worker sent no start report: workers may skip
-- it for a task that ends quickly) is recorded as started when it was
-- assigned: started_at = assigned_at, and a 'started' event before its
-- 'succeeded' one.
-- Locks: runs, then tasks, then children (each in id order), then the
-- semaphores the tasks and finished runs held (released, id order).
-- An output over hewer._payload_limit('output') (4 MiB by default) is HW010 in
-- strict mode; otherwise that report is refused (reason payload_too_large) and
-- its task fails, not retryable, with an error of type output_too_large.
-- Errors: HW007 bad arrays; strict: HW005, HW006, HW007, HW010.
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
    v_limit bigint := hewer._payload_limit('output');
    v_big uuid[];
    v_big_errors jsonb[];
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

    IF EXISTS (SELECT FROM unnest(p_outputs) AS o(v) WHERE pg_column_size(o.v) > v_limit) THEN
        IF p_strict THEN
            PERFORM hewer._check_payloads('task_complete', 'output', p_outputs);
        END IF;
        SELECT array_agg(u.ok AND NOT u.big ORDER BY u.i),
               array_agg(CASE WHEN u.ok AND u.big THEN 'payload_too_large' ELSE u.reason END ORDER BY u.i),
               array_agg(u.id) FILTER (WHERE u.ok AND u.big),
               array_agg(jsonb_build_object(
                   'type', 'output_too_large',
                   'message', format('the output is %s bytes, over the limit of %s bytes (hewer.max_payload_bytes): '
                                     'store large results elsewhere and return a reference', u.size, v_limit)))
                   FILTER (WHERE u.ok AND u.big)
        INTO v_fence.oks, v_fence.reasons, v_big, v_big_errors
        FROM (SELECT o.*, pg_column_size(o.output) AS size, pg_column_size(o.output) > v_limit AS big
              FROM unnest(p_task_ids, p_outputs, v_fence.oks, v_fence.reasons)
                   WITH ORDINALITY AS o(id, output, ok, reason, i)) u;
        IF v_big IS NOT NULL THEN
            PERFORM hewer._task_fail_apply(v_big, v_big_errors,
                                           array_fill(false, ARRAY[cardinality(v_big)]), 'failed', p_now);
        END IF;
    END IF;

    WITH done AS (
        -- The semaphores the task held are released below (read before the
        -- update: RETURNING gives new values).
        UPDATE hewer.tasks t
        SET status = 'succeeded', output = o.output, finished_at = p_now, timeout_at = NULL,
            holds = NULL, started_at = coalesce(t.started_at, t.assigned_at, p_now)
        FROM (SELECT u.id, u.output, h.holds AS old_holds, h.status = 'assigned' AS unstarted
              FROM unnest(p_task_ids, p_outputs, v_fence.oks) AS u(id, output, ok)
              JOIN hewer.tasks h ON h.id = u.id
              WHERE u.ok) o
        WHERE t.id = o.id
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt, t.worker_id, t.child_ids, o.old_holds,
                  o.unstarted, t.started_at
    ), logged AS (
        -- One clock reading per task: its 'started' event (when it had none)
        -- sorts before its 'succeeded' one (ids 1 microsecond apart).
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT d.tenant_id, e.id, d.id, d.run_id, d.attempt, e.kind, e.status, d.worker_id, e.at
        FROM done d
        CROSS JOIN LATERAL (SELECT clock_timestamp() AS ts) c
        CROSS JOIN LATERAL (VALUES
            (hewer.uuidv7(c.ts), 'started', 'running'::hewer.task_status, d.started_at),
            (hewer.uuidv7(c.ts + interval '1 microsecond'), 'succeeded', 'succeeded', p_now)
        ) AS e(id, kind, status, at)
        WHERE e.kind = 'succeeded' OR d.unstarted
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
