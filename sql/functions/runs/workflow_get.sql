-- hewer.workflow_get(name, version?) -> the workflow and one version's spec
--
-- version NULL: the current version. Read-only, no locks.
-- Errors: HW003 unknown workflow, HW081 unknown version.
CREATE OR REPLACE FUNCTION hewer.workflow_get(p_name text, p_version integer DEFAULT NULL)
RETURNS TABLE (workflow_id uuid, name text, version integer, version_id uuid, is_current boolean,
               current_version integer, checksum text, spec jsonb, created_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    v_workflow uuid := hewer._workflow_id(p_name);
BEGIN
    RETURN QUERY
    SELECT w.id, w.name, v.version, v.id, v.id = w.current_version_id, cv.version, v.checksum, v.spec,
           v.created_at
    FROM hewer.workflows w
    JOIN hewer.workflow_versions cv ON cv.id = w.current_version_id
    JOIN hewer.workflow_versions v ON v.workflow_id = w.id
         AND v.version = coalesce(p_version, cv.version)
    WHERE w.id = v_workflow;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow "%" has no version %', p_name, p_version
            USING ERRCODE = 'HW081',
                  HINT = format('Its versions are %s (hewer.workflow_versions(%L)).',
                                (SELECT string_agg(v.version::text, ', ' ORDER BY v.version)
                                 FROM hewer.workflow_versions v WHERE v.workflow_id = v_workflow),
                                p_name);
    END IF;
END
$$;
