-- hewer.task_cancellations(worker_ids[]) -> (worker_id, task_id, attempt)
--
-- The tasks held by these workers whose cancel was requested: what a
-- dispatcher sends down its workers' streams after a hewer_cancel
-- notification (or on its poll). Read-only, no locks.
CREATE OR REPLACE FUNCTION hewer.task_cancellations(p_worker_ids uuid[])
RETURNS TABLE (worker_id uuid, task_id uuid, attempt integer)
LANGUAGE sql STABLE
AS $$
    SELECT t.worker_id, t.id, t.attempt
    FROM hewer.tasks t
    WHERE t.worker_id = ANY (p_worker_ids) AND t.status IN ('assigned', 'running')
      AND t.cancel_requested AND t.tenant_id = hewer.current_tenant()
    ORDER BY t.worker_id, t.id
$$;
