-- hewer.workflow_rollback(name, version, now?)
--   -> (workflow_id, version_id, version, previous_version)
--
-- Makes an existing version of a workflow current again (any version: an
-- older one to roll back, a newer one to roll forward). New runs, event
-- filters' runs and cron ticks bind to it from then on; runs in flight
-- finish on the version they started with. The workflow's cron triggers are
-- synced to that version's spec. Re-registering a spec that already exists
-- (a worker restarting with the newer code) does not change the current
-- version, so a rollback sticks until the next new spec or rollback.
--
-- Locks: the workflow row (FOR UPDATE), as workflow_register does.
-- Errors: HW003 unknown workflow, HW081 unknown version (names the versions
-- there are).
CREATE OR REPLACE FUNCTION hewer.workflow_rollback(p_name text, p_version integer, p_now timestamptz DEFAULT now())
RETURNS TABLE (workflow_id uuid, version_id uuid, version integer, previous_version integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_workflow uuid;
    v_previous integer;
    v_target hewer.workflow_versions;
BEGIN
    PERFORM hewer._require_now('workflow_rollback', p_now);
    SELECT w.id, cv.version INTO v_workflow, v_previous
    FROM hewer.workflows w LEFT JOIN hewer.workflow_versions cv ON cv.id = w.current_version_id
    WHERE w.tenant_id = hewer.current_tenant() AND w.name = p_name AND w.current_version_id IS NOT NULL
    FOR UPDATE OF w;
    IF v_workflow IS NULL THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW003',
                  HINT = 'Register it first with hewer.workflow_register(name, spec); names are case-sensitive.';
    END IF;
    SELECT * INTO v_target FROM hewer.workflow_versions v
    WHERE v.workflow_id = v_workflow AND v.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow "%" has no version %', p_name, coalesce(p_version::text, 'NULL')
            USING ERRCODE = 'HW081',
                  HINT = format('Its versions are %s (hewer.workflow_versions(%L)).',
                                (SELECT string_agg(v.version::text, ', ' ORDER BY v.version)
                                 FROM hewer.workflow_versions v WHERE v.workflow_id = v_workflow),
                                p_name);
    END IF;
    UPDATE hewer.workflows w SET current_version_id = v_target.id WHERE w.id = v_workflow;
    PERFORM hewer._spec_crons_sync(v_workflow, v_target.spec, p_now);
    RETURN QUERY SELECT v_workflow, v_target.id, v_target.version, v_previous;
END
$$;
