-- hewer.event_matches(event_ids[]) -> (event_id, key, scope, workflow, filter_id, filter_version,
--                                      run_id, error, created_at)
--
-- What the router decided for these events of the current tenant: a row per
-- run started and per filter that failed to evaluate (error). Events with no
-- row were not routed yet or matched nothing.
--
-- Locks: none. Errors: HW007 NULL array.
CREATE OR REPLACE FUNCTION hewer.event_matches(p_event_ids uuid[])
RETURNS TABLE (event_id uuid, key text, scope text, workflow text, filter_id uuid,
               filter_version integer, run_id uuid, error text, created_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_event_ids IS NULL THEN
        RAISE EXCEPTION 'event_matches: event_ids is NULL' USING ERRCODE = 'HW007';
    END IF;
    RETURN QUERY
    SELECT e.id, e.key, e.scope, w.name, nullif(m.filter_id, '00000000-0000-0000-0000-000000000000'),
           m.filter_version, m.run_id, m.error, m.created_at
    FROM hewer.events e
    JOIN hewer.event_matches m ON m.event_id = e.id
    JOIN hewer.workflows w ON w.id = m.workflow_id
    WHERE e.id = ANY (p_event_ids) AND e.tenant_id = hewer.current_tenant()
    ORDER BY e.id, w.name, m.filter_id;
END
$$;
