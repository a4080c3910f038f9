-- hewer.run_children(run_ids[]) -> (parent_run_id, run_id, workflow, status,
--   child_key, additional_metadata, parent_task_id, created_at, finished_at)
--
-- The child runs spawned by these runs (hewer.run_spawn), oldest first per
-- parent. child_key is the key the child was spawned with (NULL: none).
-- Read-only, no locks; runs of other tenants are not returned.
CREATE OR REPLACE FUNCTION hewer.run_children(p_run_ids uuid[])
RETURNS TABLE (parent_run_id uuid, run_id uuid, workflow text, status hewer.run_status,
               child_key text, additional_metadata jsonb, parent_task_id uuid,
               created_at timestamptz, finished_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT c.parent_run_id, c.id, w.name, c.status,
           CASE WHEN c.idempotency_key LIKE 'hewer.child:%'
                THEN substr(c.idempotency_key, length('hewer.child:' || c.parent_run_id || ':') + 1) END,
           c.additional_metadata, c.parent_task_id, c.created_at, c.finished_at
    FROM hewer.runs c
    JOIN hewer.workflows w ON w.id = c.workflow_id
    WHERE c.parent_run_id = ANY (p_run_ids) AND c.tenant_id = hewer.current_tenant()
    ORDER BY c.parent_run_id, c.id
$$;
