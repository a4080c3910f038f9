-- hewer.schedule_cancel(schedule_id) -> boolean
--
-- Cancels a scheduled run that has not started: true if it was removed,
-- false if it had already started (cancel the run itself with run_cancel).
--
-- Locks: the row. Errors: HW047 no such scheduled run in this tenant.
CREATE OR REPLACE FUNCTION hewer.schedule_cancel(p_schedule_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_run uuid;
BEGIN
    SELECT s.run_id INTO v_run FROM hewer.scheduled_runs s
    WHERE s.id = p_schedule_id AND s.tenant_id = hewer.current_tenant() FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scheduled run % does not exist', coalesce(p_schedule_id::text, 'NULL')
            USING ERRCODE = 'HW047', HINT = 'Use the id hewer.run_schedule returned.';
    END IF;
    IF v_run IS NOT NULL THEN
        RETURN false;
    END IF;
    DELETE FROM hewer.scheduled_runs s WHERE s.id = p_schedule_id;
    RETURN true;
END
$$;
