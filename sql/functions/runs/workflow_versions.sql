-- hewer.workflow_versions(name) -> one row per version of a workflow, oldest first
--
-- is_current marks the version new runs bind to; steps counts its steps;
-- active_runs counts its queued and running runs (those still finishing on
-- it). Read-only, no locks. Errors: HW003 unknown workflow.
CREATE OR REPLACE FUNCTION hewer.workflow_versions(p_name text)
RETURNS TABLE (version integer, version_id uuid, is_current boolean, checksum text, steps integer,
               active_runs bigint, created_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    v_workflow uuid := hewer._workflow_id(p_name);
BEGIN
    RETURN QUERY
    SELECT v.version, v.id, v.id = w.current_version_id, v.checksum,
           (SELECT count(*)::integer FROM hewer.steps s WHERE s.version_id = v.id),
           (SELECT count(*) FROM hewer.runs r
            WHERE r.tenant_id = w.tenant_id AND r.status IN ('queued', 'running') AND r.version_id = v.id),
           v.created_at
    FROM hewer.workflows w JOIN hewer.workflow_versions v ON v.workflow_id = w.id
    WHERE w.id = v_workflow
    ORDER BY v.version;
END
$$;
