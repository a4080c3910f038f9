-- hewer.cron_delete(workflow, name) -> boolean
--
-- Removes a cron trigger (made at runtime or from the spec; a spec cron
-- comes back when a new version of the workflow is registered with it).
--
-- Locks: the cron row. Errors: HW003 unknown workflow, HW045 unknown cron.
CREATE OR REPLACE FUNCTION hewer.cron_delete(p_workflow text, p_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_workflow uuid := hewer._workflow_id(p_workflow);
BEGIN
    DELETE FROM hewer.crons c WHERE c.workflow_id = v_workflow AND c.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow "%" has no cron named %', p_workflow, coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW045', HINT = 'List crons with hewer.cron_list() or `hewer cron list`.';
    END IF;
    RETURN true;
END
$$;
