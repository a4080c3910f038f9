-- hewer.run_events(run_id, after?) -> (event_id, task_id, step, attempt, kind, status,
--                                      worker_id, data, created_at)
--
-- The task events of one run, oldest first (event id order): what a watcher
-- streams. after: an event id, exclusive; NULL = from the first event. The
-- run's tasks come from tasks_run_idx (bounded to the partitions from the
-- run's own time on, like run_get), each task's events from
-- task_events_task_idx (task_id, id). Event ids are UUIDv7 made when the
-- event row is written, and a transaction that commits late can add an event
-- whose id sorts before one already read: a watcher that must not miss any
-- re-reads a little behind its cursor and skips the ids it has seen.
-- Read-only, no locks. Runs of other tenants (or unknown runs) return nothing.
CREATE OR REPLACE FUNCTION hewer.run_events(p_run_id uuid, p_after uuid DEFAULT NULL)
RETURNS TABLE (event_id uuid, task_id uuid, step text, attempt integer, kind text,
               status hewer.task_status, worker_id uuid, data jsonb, created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT e.id, e.task_id, t.step, e.attempt, e.kind, e.status, e.worker_id, e.data, e.created_at
    FROM hewer.tasks t
    CROSS JOIN LATERAL (
        SELECT e.id, e.task_id, e.attempt, e.kind, e.status, e.worker_id, e.data, e.created_at
        FROM hewer.task_events e
        WHERE e.task_id = t.id AND (p_after IS NULL OR e.id > p_after)
    ) e
    WHERE t.run_id = p_run_id AND t.id >= hewer.uuid_floor(hewer.uuid_time(p_run_id))
      AND t.tenant_id = hewer.current_tenant()
    ORDER BY e.id
$$;
