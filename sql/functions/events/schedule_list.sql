-- hewer.schedule_list(workflow?, pending_only?) -> the tenant's scheduled runs, soonest first
--
-- Runs made by run_schedule: the workflow, input and time, and the run once
-- it started (run_id NULL until then). p_pending_only (the default) leaves
-- out those that started. At most 10000 rows.
--
-- Read-only, no locks. Errors: none (an unknown workflow lists nothing).
CREATE OR REPLACE FUNCTION hewer.schedule_list(p_workflow text DEFAULT NULL, p_pending_only boolean DEFAULT true)
RETURNS TABLE (schedule_id uuid, workflow text, input jsonb, run_at timestamptz, run_id uuid,
               created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, w.name, s.input, s.run_at, s.run_id, s.created_at
    FROM hewer.scheduled_runs s
    JOIN hewer.workflows w ON w.id = s.workflow_id AND w.tenant_id = s.tenant_id
    WHERE s.tenant_id = hewer.current_tenant()
      AND (p_workflow IS NULL OR w.name = p_workflow)
      AND (NOT coalesce(p_pending_only, true) OR s.run_id IS NULL)
    ORDER BY s.run_at, s.id
    LIMIT 10000
$$;
