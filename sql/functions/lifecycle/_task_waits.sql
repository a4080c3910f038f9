-- Durable waits: the private helpers that move tasks in and out of 'waiting'.
-- See docs/events.md#durable-waits and docs/states.md.

-- hewer._wait_divert(task_ids[], now)
--
-- Called by hewer._queue_push before it queues tasks: a task about to be
-- queued for its first attempt whose step has a wait, and that has not
-- waited yet, goes to 'waiting' instead, with a hewer.task_waits row (the
-- deadline is now + the sleep, or now + the event wait's timeout). Retries
-- (attempt > 0) and tasks whose wait is over are queued as usual.
-- Locks: the tasks (already locked by the caller). NOTIFY: none.
CREATE OR REPLACE FUNCTION hewer._wait_divert(p_task_ids uuid[], p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    WITH due AS (
        SELECT t.tenant_id, t.id, t.run_id, w.kind, w.event_key, w.expression, w.duration, w.on_timeout
        FROM hewer.tasks t
        JOIN hewer.runs r ON r.id = t.run_id
        JOIN hewer.step_waits w ON w.version_id = r.version_id AND w.step = t.step
        WHERE t.id = ANY (p_task_ids) AND t.status = 'queued' AND t.attempt = 0
          AND NOT EXISTS (SELECT 1 FROM hewer.task_waits x WHERE x.task_id = t.id)
    ), waits AS (
        INSERT INTO hewer.task_waits (tenant_id, task_id, run_id, kind, event_key, expression, deadline,
                                      on_timeout, status, created_at)
        SELECT d.tenant_id, d.id, d.run_id, d.kind, d.event_key, d.expression, p_now + d.duration,
               d.on_timeout, 'waiting', p_now
        FROM due d
    ), moved AS (
        UPDATE hewer.tasks t SET status = 'waiting', queued_at = NULL
        FROM due d WHERE t.id = d.id
        RETURNING t.tenant_id, t.id, t.run_id
    )
    INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, data, created_at)
    SELECT m.tenant_id, hewer.uuidv7(), m.id, m.run_id, 0, 'waiting', 'waiting',
           jsonb_build_object('kind', d.kind, 'event', d.event_key, 'match', d.expression,
                              'deadline', p_now + d.duration),
           p_now
    FROM moved m JOIN due d ON d.id = m.id;
$$;

-- hewer._wait_release(task_ids[], event_ids[], now) -> tasks released
--
-- Ends the waits of these tasks (event_ids: the event that satisfied each,
-- or NULL for a sleep) and queues the tasks that are still waiting. A task
-- no longer waiting (released by someone else, or its run was cancelled)
-- is left alone, so releasing twice is harmless.
-- Locks: the tasks' runs (FOR UPDATE, id order), then the tasks.
-- NOTIFY: hewer_ready via _queue_push.
CREATE OR REPLACE FUNCTION hewer._wait_release(p_task_ids uuid[], p_event_ids uuid[], p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_ids uuid[];
BEGIN
    PERFORM 1 FROM hewer.runs r
    WHERE r.id IN (SELECT t.run_id FROM hewer.tasks t WHERE t.id = ANY (p_task_ids))
    ORDER BY r.id FOR UPDATE;
    WITH req AS (
        SELECT DISTINCT ON (u.id) u.id, u.ev FROM unnest(p_task_ids, p_event_ids) AS u(id, ev) ORDER BY u.id
    ), ended AS (
        UPDATE hewer.task_waits w SET status = 'satisfied', event_id = q.ev, resolved_at = p_now
        FROM req q WHERE w.task_id = q.id AND w.status = 'waiting'
        RETURNING w.task_id, w.event_id
    ), moved AS (
        UPDATE hewer.tasks t SET status = 'queued', queued_at = p_now
        FROM ended e WHERE t.id = e.task_id AND t.status = 'waiting'
        RETURNING t.tenant_id, t.id, t.run_id, e.event_id
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, data, created_at)
        SELECT m.tenant_id, hewer.uuidv7(), m.id, m.run_id, 0, 'wait_satisfied', 'queued',
               CASE WHEN m.event_id IS NOT NULL THEN jsonb_build_object('event_id', m.event_id) END, p_now
        FROM moved m
    )
    SELECT array_agg(m.id ORDER BY m.id) INTO v_ids FROM moved m;
    PERFORM hewer._queue_push(v_ids, p_now);
    RETURN coalesce(cardinality(v_ids), 0);
END
$$;
