-- hewer.filter_list(workflow?) -> (filter_id, workflow, scope, expression, version, error, updated_at)
--
-- The filters of the current tenant (of one workflow, or all), with the
-- parse error the router found, if any.
--
-- Locks: none. Errors: HW003 unknown workflow.
CREATE OR REPLACE FUNCTION hewer.filter_list(p_workflow text DEFAULT NULL)
RETURNS TABLE (filter_id uuid, workflow text, scope text, expression text, version integer,
               error text, updated_at timestamptz)
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
    SELECT f.id, w.name, f.scope, f.expression, f.version, f.error, f.updated_at
    FROM hewer.filters f JOIN hewer.workflows w ON w.id = f.workflow_id
    WHERE f.tenant_id = hewer.current_tenant() AND (v_workflow IS NULL OR f.workflow_id = v_workflow)
    ORDER BY w.name, f.id;
END
$$;

-- hewer._filter_error(filter_id, version, error)
--
-- The router records that a filter's expression does not compile, unless the
-- filter changed since it read it. Locks: the filter row.
CREATE OR REPLACE FUNCTION hewer._filter_error(p_filter_id uuid, p_version integer, p_error text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE hewer.filters SET error = p_error WHERE id = p_filter_id AND version = p_version;
$$;
