-- hewer.task_history(task_ids[]) -> the task events of these tasks, oldest
-- first: every transition with its attempt, worker and data (errors, retry
-- times). This is the retry history. Read-only, no locks.
CREATE OR REPLACE FUNCTION hewer.task_history(p_task_ids uuid[])
RETURNS TABLE (task_id uuid, attempt integer, kind text, status hewer.task_status, worker_id uuid,
               data jsonb, created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT e.task_id, e.attempt, e.kind, e.status, e.worker_id, e.data, e.created_at
    FROM hewer.task_events e
    WHERE e.task_id = ANY (p_task_ids) AND e.tenant_id = hewer.current_tenant()
    ORDER BY e.task_id, e.id
$$;
