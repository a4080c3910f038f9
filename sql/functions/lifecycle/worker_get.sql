-- hewer.worker_get(worker_ids[]) -> one row per worker found
--
-- What a dispatcher needs when a worker opens its stream: the worker's
-- actions and slots, its status (only an 'active' worker is given tasks; a
-- 'dead' one must register again) and the tasks it holds right now
-- (assigned or running, from tasks_worker_idx), so that a worker which
-- reconnects is not given more tasks than it has free slots.
-- Read-only, no locks. Workers of other tenants are not returned.
CREATE OR REPLACE FUNCTION hewer.worker_get(p_worker_ids uuid[])
RETURNS TABLE (worker_id uuid, name text, actions text[], slots integer, labels jsonb,
               sdk_version text, status text, registered_at timestamptz,
               last_heartbeat_at timestamptz, held_task_ids uuid[])
LANGUAGE sql STABLE
AS $$
    SELECT w.id, w.name, w.actions, w.slots, w.labels, w.sdk_version, w.status, w.registered_at,
           w.last_heartbeat_at,
           ARRAY(SELECT t.id FROM hewer.tasks t
                 WHERE t.worker_id = w.id AND t.status IN ('assigned', 'running')
                 ORDER BY t.id)
    FROM unnest(p_worker_ids) WITH ORDINALITY AS u(id, i)
    JOIN hewer.workers w ON w.id = u.id AND w.tenant_id = hewer.current_tenant()
    ORDER BY u.i
$$;
