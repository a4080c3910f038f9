-- hewer.waits_expire(now?, limit?, max_failures?, backoff?) -> (task_id, outcome)
--
-- The ticker's pass over durable waits whose deadline has come (across
-- tenants), oldest first:
--   * a sleep is over: the task is queued (outcome 'slept');
--   * an event wait timed out with on_timeout 'fail': the task fails for
--     good (task event 'wait_timeout') and so does its run (outcome 'failed');
--   * with on_timeout 'skip': the step is skipped: it succeeds with output
--     {"skipped": "wait_timeout"} without ever reaching a worker, and its
--     children go on (outcome 'skipped').
-- One bad wait never stops the others: a run or task another session holds
-- locked is skipped this pass (SKIP LOCKED); the waits are ended in one
-- subtransaction, and when that fails, one by one, and a wait that fails
-- alone is recorded with hewer.item_failed (retried with backoff, then
-- quarantined; held waits are skipped meanwhile).
-- Locks: runs, then tasks (id order), as task_complete and task_fail do.
-- NOTIFY: hewer_ready / hewer_run_done through the functions it calls.
-- Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.waits_expire(
    p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000,
    p_max_failures integer DEFAULT 5, p_backoff interval DEFAULT '5 seconds')
RETURNS TABLE (task_id uuid, outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tasks uuid[];
    v_runs uuid[];
    v_tenants uuid[];
    v_kinds text[];
    v_timeouts text[];
    v_locked uuid[];
    v_due uuid[];
    v_done uuid[] := '{}'::uuid[];
    v_sleep uuid[];
    v_fail uuid[];
    v_skip uuid[];
    v_state text;
    v_message text;
BEGIN
    PERFORM hewer._require_now('waits_expire', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'waits_expire: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    SELECT array_agg(w.task_id ORDER BY w.deadline, w.task_id), array_agg(w.run_id ORDER BY w.deadline, w.task_id),
           array_agg(w.tenant_id ORDER BY w.deadline, w.task_id), array_agg(w.kind ORDER BY w.deadline, w.task_id),
           array_agg(w.on_timeout ORDER BY w.deadline, w.task_id)
    INTO v_tasks, v_runs, v_tenants, v_kinds, v_timeouts
    FROM (SELECT w.* FROM hewer.task_waits w
          WHERE w.status = 'waiting' AND w.deadline <= p_now
            AND NOT hewer._item_held('wait', w.task_id::text, p_now)
          ORDER BY w.deadline LIMIT p_limit) w;
    IF v_tasks IS NULL THEN
        RETURN;
    END IF;
    -- Runs first, then tasks, in id order: the lock order of the API. Rows
    -- another session holds are left to a later pass.
    v_runs := ARRAY(SELECT r.id FROM hewer.runs r WHERE r.id = ANY (v_runs) ORDER BY r.id FOR UPDATE SKIP LOCKED);
    v_locked := ARRAY(SELECT t.id FROM hewer.tasks t WHERE t.id = ANY (v_tasks) AND t.run_id = ANY (v_runs)
                      ORDER BY t.id FOR UPDATE SKIP LOCKED);
    -- Tasks no longer waiting (their run was cancelled meanwhile) just end their wait.
    UPDATE hewer.task_waits w SET status = 'cancelled', resolved_at = p_now
    FROM hewer.tasks t
    WHERE w.task_id = t.id AND t.id = ANY (v_locked) AND t.status <> 'waiting' AND w.status = 'waiting';
    v_due := ARRAY(SELECT t.id FROM hewer.tasks t WHERE t.id = ANY (v_locked) AND t.status = 'waiting');

    SELECT array_agg(u.id ORDER BY u.id) FILTER (WHERE u.kind = 'sleep'),
           array_agg(u.id ORDER BY u.id) FILTER (WHERE u.kind = 'event' AND u.on_timeout = 'fail'),
           array_agg(u.id ORDER BY u.id) FILTER (WHERE u.kind = 'event' AND u.on_timeout = 'skip')
    INTO v_sleep, v_fail, v_skip
    FROM unnest(v_tasks, v_kinds, v_timeouts) AS u(id, kind, on_timeout)
    WHERE u.id = ANY (v_due);
    BEGIN
        PERFORM hewer._waits_expire_apply(v_sleep, v_fail, v_skip, p_now);
        v_done := v_due;
    EXCEPTION WHEN OTHERS THEN
        -- One by one, so that only a bad wait waits.
        FOR v_i IN 1 .. cardinality(v_tasks) LOOP
            CONTINUE WHEN NOT v_tasks[v_i] = ANY (v_due);
            BEGIN
                PERFORM hewer._waits_expire_apply(
                    CASE WHEN v_kinds[v_i] = 'sleep' THEN ARRAY[v_tasks[v_i]] END,
                    CASE WHEN v_kinds[v_i] = 'event' AND v_timeouts[v_i] = 'fail' THEN ARRAY[v_tasks[v_i]] END,
                    CASE WHEN v_kinds[v_i] = 'event' AND v_timeouts[v_i] = 'skip' THEN ARRAY[v_tasks[v_i]] END,
                    p_now);
                v_done := v_done || v_tasks[v_i];
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                PERFORM hewer.item_failed('wait', v_tasks[v_i]::text, v_tenants[v_i],
                                          v_state || ': ' || v_message, p_max_failures, p_backoff,
                                          p_now => p_now);
            END;
        END LOOP;
    END;
    PERFORM hewer.item_succeeded('wait', ARRAY(SELECT x::text FROM unnest(v_done) AS x));

    RETURN QUERY
    SELECT u.id, CASE WHEN u.kind = 'sleep' THEN 'slept'
                      WHEN u.on_timeout = 'fail' THEN 'failed' ELSE 'skipped' END
    FROM unnest(v_tasks, v_kinds, v_timeouts) AS u(id, kind, on_timeout)
    WHERE u.id = ANY (v_done) ORDER BY u.id;
END
$$;

-- hewer._waits_expire_apply(sleep, fail, skip, now): ends these expired
-- waits (the caller holds their runs and tasks, all still waiting).
CREATE OR REPLACE FUNCTION hewer._waits_expire_apply(
    p_sleep uuid[], p_fail uuid[], p_skip uuid[], p_now timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    IF p_sleep IS NOT NULL THEN
        PERFORM hewer._wait_release(p_sleep, array_fill(NULL::uuid, ARRAY[cardinality(p_sleep)]), p_now);
    END IF;
    IF p_fail IS NOT NULL OR p_skip IS NOT NULL THEN
        UPDATE hewer.task_waits w SET status = 'timed_out', resolved_at = p_now
        WHERE w.task_id = ANY (coalesce(p_fail, '{}') || coalesce(p_skip, '{}'));
    END IF;
    IF p_fail IS NOT NULL THEN
        PERFORM hewer._task_fail_apply(
            p_fail,
            array_fill(jsonb_build_object('type', 'wait_timeout',
                                          'message', 'the step''s event wait timed out'),
                       ARRAY[cardinality(p_fail)]),
            array_fill(false, ARRAY[cardinality(p_fail)]),
            'wait_timeout', p_now);
    END IF;
    IF p_skip IS NOT NULL THEN
        -- Through task_complete, so that children and the run move on exactly
        -- as after any success: the task is first marked running, attempt 1,
        -- with no worker.
        WITH marked AS (
            UPDATE hewer.tasks t SET status = 'running', attempt = 1, started_at = p_now
            WHERE t.id = ANY (p_skip)
            RETURNING t.tenant_id, t.id, t.run_id
        )
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, data, created_at)
        SELECT m.tenant_id, hewer.uuidv7(), m.id, m.run_id, 1, 'wait_timeout', 'running',
               '{"outcome": "skipped"}', p_now
        FROM marked m;
        PERFORM 1 FROM hewer.task_complete(
            p_skip, array_fill(1, ARRAY[cardinality(p_skip)]),
            array_fill('{"skipped": "wait_timeout"}'::jsonb, ARRAY[cardinality(p_skip)]),
            p_strict => true, p_now => p_now);
    END IF;

END
$$;
