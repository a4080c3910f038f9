-- hewer.waits_expire(now?, limit?) -> (task_id, outcome)
--
-- The ticker's pass over durable waits whose deadline has come (across
-- tenants), oldest first:
--   * a sleep is over: the task is queued (outcome 'slept');
--   * an event wait timed out with on_timeout 'fail': the task fails for
--     good (task event 'wait_timeout') and so does its run (outcome 'failed');
--   * with on_timeout 'skip': the step is skipped: it succeeds with output
--     {"skipped": "wait_timeout"} without ever reaching a worker, and its
--     children go on (outcome 'skipped').
-- Locks: runs, then tasks (id order), as task_complete and task_fail do.
-- NOTIFY: hewer_ready / hewer_run_done through the functions it calls.
-- Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.waits_expire(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_sleep uuid[];
    v_fail uuid[];
    v_skip uuid[];
    v_id uuid;
BEGIN
    PERFORM hewer._require_now('waits_expire', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'waits_expire: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS _hewer_expired (task_id uuid, run_id uuid, kind text, on_timeout text)
        ON COMMIT DROP;
    TRUNCATE _hewer_expired;
    INSERT INTO _hewer_expired
    SELECT w.task_id, w.run_id, w.kind, w.on_timeout FROM hewer.task_waits w
    WHERE w.status = 'waiting' AND w.deadline <= p_now
    ORDER BY w.deadline LIMIT p_limit;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Runs first, then tasks, in id order: the lock order of the API.
    PERFORM 1 FROM hewer.runs r WHERE r.id IN (SELECT e.run_id FROM _hewer_expired e) ORDER BY r.id FOR UPDATE;
    PERFORM 1 FROM hewer.tasks t WHERE t.id IN (SELECT e.task_id FROM _hewer_expired e) ORDER BY t.id FOR UPDATE;
    -- Tasks no longer waiting (their run was cancelled meanwhile) just end their wait.
    UPDATE hewer.task_waits w SET status = 'cancelled', resolved_at = p_now
    FROM _hewer_expired e JOIN hewer.tasks t ON t.id = e.task_id
    WHERE w.task_id = e.task_id AND t.status <> 'waiting';
    DELETE FROM _hewer_expired e USING hewer.tasks t WHERE t.id = e.task_id AND t.status <> 'waiting';

    SELECT array_agg(e.task_id ORDER BY e.task_id) FILTER (WHERE e.kind = 'sleep'),
           array_agg(e.task_id ORDER BY e.task_id) FILTER (WHERE e.kind = 'event' AND e.on_timeout = 'fail'),
           array_agg(e.task_id ORDER BY e.task_id) FILTER (WHERE e.kind = 'event' AND e.on_timeout = 'skip')
    INTO v_sleep, v_fail, v_skip
    FROM _hewer_expired e;

    IF v_sleep IS NOT NULL THEN
        PERFORM hewer._wait_release(v_sleep, array_fill(NULL::uuid, ARRAY[cardinality(v_sleep)]), p_now);
    END IF;
    IF v_fail IS NOT NULL OR v_skip IS NOT NULL THEN
        UPDATE hewer.task_waits w SET status = 'timed_out', resolved_at = p_now
        WHERE w.task_id = ANY (coalesce(v_fail, '{}') || coalesce(v_skip, '{}'));
    END IF;
    IF v_fail IS NOT NULL THEN
        PERFORM hewer._task_fail_apply(
            v_fail,
            array_fill(jsonb_build_object('type', 'wait_timeout',
                                          'message', 'the step''s event wait timed out'),
                       ARRAY[cardinality(v_fail)]),
            array_fill(false, ARRAY[cardinality(v_fail)]),
            'wait_timeout', p_now);
    END IF;
    IF v_skip IS NOT NULL THEN
        -- Through task_complete, so that children and the run move on exactly
        -- as after any success: the task is first marked running, attempt 1,
        -- with no worker.
        WITH marked AS (
            UPDATE hewer.tasks t SET status = 'running', attempt = 1, started_at = p_now
            WHERE t.id = ANY (v_skip)
            RETURNING t.tenant_id, t.id, t.run_id
        )
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, data, created_at)
        SELECT m.tenant_id, hewer.uuidv7(), m.id, m.run_id, 1, 'wait_timeout', 'running',
               '{"outcome": "skipped"}', p_now
        FROM marked m;
        PERFORM 1 FROM hewer.task_complete(
            v_skip, array_fill(1, ARRAY[cardinality(v_skip)]),
            array_fill('{"skipped": "wait_timeout"}'::jsonb, ARRAY[cardinality(v_skip)]),
            p_strict => true, p_now => p_now);
    END IF;

    RETURN QUERY
    SELECT e.task_id, CASE WHEN e.kind = 'sleep' THEN 'slept'
                           WHEN e.on_timeout = 'fail' THEN 'failed' ELSE 'skipped' END
    FROM _hewer_expired e ORDER BY e.task_id;
END
$$;
