-- hewer.reap(now?, worker_timeout?, limit?, worker_retention?, disconnect_grace?)
--   -> (task_id, attempt, cause, outcome)
--
-- One pass of the reaper, for every tenant:
--   1. workers silent for longer than worker_timeout become 'dead', and so do
--      workers whose stream a dispatcher saw break (hewer.worker_disconnect)
--      more than disconnect_grace (6 seconds by default) ago, with no
--      heartbeat since;
--   2. assigned/running tasks whose lease expired (cause execution_timeout)
--      or whose worker is dead or stopped (cause worker_lost) fail as
--      retryable: they are retried while attempts remain (a task whose
--      cancel was requested is cancelled instead);
--   3. queued tasks that waited past their schedule timeout fail for good
--      (cause schedule_timeout), failing their run;
--   4. dead and stopped workers silent for longer than worker_retention (1 day
--      by default) that hold no task are deleted (at most `limit`), so that
--      worker churn does not grow hewer.workers without bound. The task
--      history keeps their ids; a worker that comes back registers anew.
-- outcome is the task's status afterwards. At most `limit` tasks per cause.
-- Safe to run from several processes at once: candidates are re-checked
-- under the runs' and tasks' locks (taken in that order), queue rows are
-- taken with SKIP LOCKED, so a task is reaped once and a report that raced
-- ahead wins. Time is injectable through now.
-- It never waits for a row lock: workers, runs and tasks are all taken with
-- SKIP LOCKED, so a session that holds one of them (e.g. a tenant's
-- transaction left open after a heartbeat) only defers that row to a later
-- pass, and every other tenant's rows are reaped meanwhile.
CREATE OR REPLACE FUNCTION hewer.reap(
    p_now timestamptz DEFAULT now(), p_worker_timeout interval DEFAULT '30 seconds',
    p_limit integer DEFAULT 1000, p_worker_retention interval DEFAULT '1 day',
    p_disconnect_grace interval DEFAULT '6 seconds')
RETURNS TABLE (task_id uuid, attempt integer, cause text, outcome hewer.task_status)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_ids uuid[];
    v_runs uuid[];
    v_attempts integer[];
    v_causes text[];
    v_cause text;
BEGIN
    PERFORM hewer._require_now('reap', p_now);
    IF p_worker_timeout IS NULL OR p_worker_timeout <= interval '0'
       OR p_limit IS NULL OR p_limit < 1
       OR p_worker_retention IS NULL OR p_worker_retention <= interval '0'
       OR p_disconnect_grace IS NULL OR p_disconnect_grace <= interval '0' THEN
        RAISE EXCEPTION 'reap: a positive worker_timeout, limit, worker_retention and disconnect_grace are required'
            USING ERRCODE = 'HW007';
    END IF;

    -- 4. (first: it never touches a worker that step 1 is about to declare dead)
    DELETE FROM hewer.workers w
    WHERE w.id IN (
        SELECT o.id FROM hewer.workers o
        WHERE o.status IN ('dead', 'stopped') AND o.last_heartbeat_at < p_now - p_worker_retention
          AND NOT EXISTS (SELECT FROM hewer.tasks t
                          WHERE t.worker_id = o.id AND t.status IN ('assigned', 'running'))
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED);

    UPDATE hewer.workers w SET status = 'dead'
    WHERE w.id IN (
        SELECT o.id FROM hewer.workers o
        WHERE o.status IN ('active', 'draining')
          AND (o.last_heartbeat_at < p_now - p_worker_timeout
               OR (o.disconnected_at < p_now - p_disconnect_grace
                   AND o.last_heartbeat_at <= o.disconnected_at))
        FOR UPDATE SKIP LOCKED);

    -- 2. Leases: find candidates without locks, then lock runs and tasks in
    -- order and keep those still expired at the same attempt.
    SELECT array_agg(c.id), array_agg(c.attempt), array_agg(c.cause)
    INTO v_ids, v_attempts, v_causes
    FROM (
        (SELECT t.id, t.attempt, 'execution_timeout' AS cause
         FROM hewer.tasks t
         WHERE t.status IN ('assigned', 'running') AND t.timeout_at < p_now
         LIMIT p_limit)
        UNION
        (SELECT t.id, t.attempt, 'worker_lost'
         FROM hewer.workers w JOIN hewer.tasks t ON t.worker_id = w.id
         WHERE w.status IN ('dead', 'stopped') AND t.status IN ('assigned', 'running')
           AND t.timeout_at >= p_now
         LIMIT p_limit)
    ) c;
    IF v_ids IS NOT NULL THEN
        v_runs := ARRAY(SELECT r.id FROM hewer.runs r
                        WHERE r.id IN (SELECT t.run_id FROM hewer.tasks t WHERE t.id = ANY (v_ids))
                        ORDER BY r.id FOR UPDATE OF r SKIP LOCKED);
        SELECT array_agg(t.id ORDER BY t.id), array_agg(t.attempt ORDER BY t.id),
               array_agg(c.cause ORDER BY t.id)
        INTO v_ids, v_attempts, v_causes
        FROM (SELECT t.* FROM hewer.tasks t WHERE t.id = ANY (v_ids) AND t.run_id = ANY (v_runs)
              ORDER BY t.id FOR UPDATE SKIP LOCKED) t
        JOIN unnest(v_ids, v_attempts, v_causes) AS c(id, attempt, cause)
          ON c.id = t.id AND c.attempt = t.attempt
        LEFT JOIN hewer.workers w ON w.id = t.worker_id
        -- Re-checked under the lock: a heartbeat or re-registration that
        -- committed since the candidates were read wins.
        WHERE t.status IN ('assigned', 'running')
          AND CASE c.cause WHEN 'execution_timeout' THEN t.timeout_at < p_now
                           ELSE w.status IN ('dead', 'stopped') END;
    END IF;
    IF v_ids IS NOT NULL THEN
        FOR v_cause IN SELECT DISTINCT c FROM unnest(v_causes) AS u(c) ORDER BY 1 LOOP
            PERFORM hewer._task_fail_apply(
                array_agg(u.id),
                array_agg(jsonb_build_object(
                    'type', v_cause,
                    'message', CASE v_cause WHEN 'execution_timeout' THEN 'the task''s lease expired (execution timeout)'
                                            ELSE 'the worker holding the task stopped or stopped heartbeating' END)),
                array_agg(true), v_cause, p_now)
            FROM unnest(v_ids, v_causes) AS u(id, c) WHERE u.c = v_cause;
        END LOOP;
        RETURN QUERY
        SELECT u.id, u.att, u.cause, t.status
        FROM unnest(v_ids, v_attempts, v_causes) AS u(id, att, cause) JOIN hewer.tasks t ON t.id = u.id;
    END IF;

    -- 3. Schedule timeouts: take the queue rows (SKIP LOCKED: a claimer
    -- holding one wins), with the runs locked first.
    SELECT array_agg(q.task_id) INTO v_ids
    FROM (SELECT q.task_id FROM hewer.queue q WHERE q.schedule_timeout_at < p_now
          ORDER BY q.schedule_timeout_at LIMIT p_limit) q;
    IF v_ids IS NOT NULL THEN
        v_runs := ARRAY(SELECT r.id FROM hewer.runs r
                        WHERE r.id IN (SELECT t.run_id FROM hewer.tasks t WHERE t.id = ANY (v_ids))
                        ORDER BY r.id FOR UPDATE OF r SKIP LOCKED);
        v_ids := ARRAY(SELECT t.id FROM hewer.tasks t
                       WHERE t.id = ANY (v_ids) AND t.run_id = ANY (v_runs)
                       ORDER BY t.id FOR UPDATE SKIP LOCKED);
        WITH taken AS (
            DELETE FROM hewer.queue q
            WHERE q.id IN (SELECT q2.id FROM hewer.queue q2
                           WHERE q2.task_id = ANY (v_ids) AND q2.schedule_timeout_at < p_now
                           FOR UPDATE SKIP LOCKED)
            RETURNING q.task_id
        )
        SELECT array_agg(t.id ORDER BY t.id), array_agg(t.attempt ORDER BY t.id)
        INTO v_ids, v_attempts
        FROM (SELECT t.* FROM hewer.tasks t WHERE t.id IN (SELECT k.task_id FROM taken k)
              ORDER BY t.id) t
        WHERE t.status = 'queued';
        IF v_ids IS NOT NULL THEN
            PERFORM hewer._task_fail_apply(
                v_ids,
                array_fill(jsonb_build_object('type', 'schedule_timeout',
                                              'message', 'the task waited in the queue past its schedule timeout'),
                           ARRAY[cardinality(v_ids)]),
                array_fill(false, ARRAY[cardinality(v_ids)]),
                'schedule_timeout', p_now);
            RETURN QUERY
            SELECT u.id, u.att, 'schedule_timeout'::text, t.status
            FROM unnest(v_ids, v_attempts) AS u(id, att) JOIN hewer.tasks t ON t.id = u.id;
        END IF;
    END IF;
END
$$;
