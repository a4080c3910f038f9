-- hewer.cron_list(workflow?) -> (cron_id, workflow, name, expression, input, catch_up, source,
--                               next_at, last_tick_at, last_run_id, error)
--
-- The cron triggers of the current tenant, with their next and last ticks.
-- Locks: none. Errors: HW003 unknown workflow.
CREATE OR REPLACE FUNCTION hewer.cron_list(p_workflow text DEFAULT NULL)
RETURNS TABLE (cron_id uuid, workflow text, name text, expression text, input jsonb, catch_up text,
               source text, next_at timestamptz, last_tick_at timestamptz, last_run_id uuid,
               error text)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    v_workflow uuid;
BEGIN
    IF p_workflow IS NOT NULL THEN
        v_workflow := hewer._workflow_id(p_workflow);
    END IF;
    RETURN QUERY
    SELECT c.id, w.name, c.name, c.expression, c.input, c.catch_up, c.source, c.next_at,
           t.tick_at, t.run_id, c.error
    FROM hewer.crons c
    JOIN hewer.workflows w ON w.id = c.workflow_id
    LEFT JOIN LATERAL (SELECT k.tick_at, k.run_id FROM hewer.cron_ticks k
                       WHERE k.cron_id = c.id ORDER BY k.tick_at DESC LIMIT 1) t ON true
    WHERE c.tenant_id = hewer.current_tenant() AND (v_workflow IS NULL OR c.workflow_id = v_workflow)
    ORDER BY w.name, c.name;
END
$$;
