-- hewer._task_fail_apply(task_ids[], errors[], retryable[], kind, now)
--
-- Applies failures to tasks that the caller has locked (with their runs,
-- runs first) and checked to be current. For each task:
--   - cancel requested, or its run already finished: the task is cancelled;
--   - retryable and attempts left: back to 'queued' with ready_at =
--     now + min(backoff_max, backoff_base * factor^(attempt-1) * (1 +/- jitter)),
--     and pushed on the ready queue (event 'retrying');
--   - otherwise: 'failed'; its run fails, and the run's other unfinished
--     tasks are stopped (hewer._run_cancel_tasks).
-- kind names the cause in the task events ('failed', 'execution_timeout',
-- 'worker_lost', 'schedule_timeout'). Shared by task_fail and reap.
CREATE OR REPLACE FUNCTION hewer._task_fail_apply(
    p_task_ids uuid[], p_errors jsonb[], p_retryable boolean[], p_kind text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_retry uuid[];
    v_failed_runs uuid[];
BEGIN
    WITH req AS (
        SELECT u.id, u.err, u.retryable
        FROM unnest(p_task_ids, p_errors, p_retryable) AS u(id, err, retryable)
    ), plan AS MATERIALIZED (
        SELECT t.id, t.tenant_id, t.run_id, t.attempt, t.worker_id, q.err,
               CASE WHEN t.cancel_requested OR r.status NOT IN ('queued', 'running') THEN 'cancelled'
                    WHEN q.retryable AND t.attempt < t.max_attempts THEN 'queued'
                    ELSE 'failed' END::hewer.task_status AS next,
               make_interval(secs => least(
                   extract(epoch FROM s.backoff_max),
                   extract(epoch FROM s.backoff_base) * power(s.backoff_factor, greatest(t.attempt - 1, 0))
                   * (1 + s.backoff_jitter * (2 * random() - 1)))) AS delay
        FROM req q
        JOIN hewer.tasks t ON t.id = q.id
        JOIN hewer.runs r ON r.id = t.run_id
        JOIN hewer.steps s ON s.version_id = r.version_id AND s.name = t.step
    ), updated AS (
        UPDATE hewer.tasks t
        SET status = p.next,
            error = p.err,
            timeout_at = NULL,
            queued_at = CASE WHEN p.next = 'queued' THEN p_now + p.delay ELSE t.queued_at END,
            worker_id = CASE WHEN p.next = 'queued' THEN NULL ELSE t.worker_id END,
            finished_at = CASE WHEN p.next = 'queued' THEN NULL ELSE p_now END
        FROM plan p
        WHERE t.id = p.id
        RETURNING t.id, t.run_id, t.status, t.queued_at
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, data, created_at)
        SELECT p.tenant_id, hewer.uuidv7(), p.id, p.run_id, p.attempt,
               CASE WHEN p.next = 'queued' THEN 'retrying'
                    WHEN p.next = 'cancelled' THEN 'cancelled'
                    ELSE p_kind END,
               p.next, p.worker_id,
               jsonb_build_object('error', p.err, 'cause', p_kind)
                   || CASE WHEN p.next = 'queued'
                           THEN jsonb_build_object('retry_at', p_now + p.delay,
                                                   'delay_seconds', extract(epoch FROM p.delay))
                           ELSE '{}'::jsonb END,
               p_now
        FROM plan p
    )
    SELECT array_agg(u.id) FILTER (WHERE u.status = 'queued'),
           array_agg(DISTINCT u.run_id) FILTER (WHERE u.status = 'failed')
    INTO v_retry, v_failed_runs
    FROM updated u;

    PERFORM hewer._queue_push(v_retry, p_now);

    IF v_failed_runs IS NOT NULL THEN
        WITH failed AS (
            UPDATE hewer.runs r
            SET status = 'failed', finished_at = p_now,
                error = (SELECT jsonb_build_object('step', t.step, 'task_id', t.id, 'attempt', t.attempt,
                                                   'error', t.error)
                         FROM hewer.tasks t
                         WHERE t.id = ANY (p_task_ids) AND t.run_id = r.id AND t.status = 'failed'
                         ORDER BY t.id LIMIT 1)
            WHERE r.id = ANY (v_failed_runs) AND r.status IN ('queued', 'running')
            RETURNING r.id
        )
        SELECT array_agg(f.id) INTO v_failed_runs FROM failed f;
        IF v_failed_runs IS NOT NULL THEN
            PERFORM hewer._run_cancel_tasks(v_failed_runs, 'cancelled', p_now);
            PERFORM hewer._notify_runs_done(v_failed_runs);
        END IF;
    END IF;
    -- Whatever the outcome, the tasks no longer hold their semaphores, nor
    -- the failed runs theirs: released in one call, so in one id order.
    PERFORM hewer._holds_release(p_task_ids, v_failed_runs);
END
$$;
