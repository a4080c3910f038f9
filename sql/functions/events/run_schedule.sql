-- hewer.run_schedule(workflow, input, run_at, now?) -> schedule_id
--
-- Schedules one run of the workflow to start at run_at (a time in the past
-- starts at the next tick). The dispatcher's leader starts due runs with
-- hewer.schedule_fire, each exactly once. Cancel with hewer.schedule_cancel.
--
-- Locks: inserts only. Errors: HW003 unknown workflow, HW004 input not a
-- JSON object, HW047 run_at NULL.
CREATE OR REPLACE FUNCTION hewer.run_schedule(
    p_workflow text, p_input jsonb, p_run_at timestamptz, p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_workflow uuid := hewer._workflow_id(p_workflow);
    v_id uuid;
BEGIN
    PERFORM hewer._require_now('run_schedule', p_now);
    IF p_input IS NULL OR jsonb_typeof(p_input) <> 'object' THEN
        RAISE EXCEPTION 'run_schedule: input for workflow "%" must be a JSON object, got %', p_workflow,
            coalesce(jsonb_typeof(p_input), 'NULL')
            USING ERRCODE = 'HW004', HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
    END IF;
    IF p_run_at IS NULL OR NOT isfinite(p_run_at) THEN
        RAISE EXCEPTION 'run_schedule: run_at for workflow "%" must be a finite time, got %', p_workflow,
            coalesce(p_run_at::text, 'NULL')
            USING ERRCODE = 'HW047', HINT = 'Pass a timestamptz, e.g. now() + interval ''1 hour''.';
    END IF;
    PERFORM hewer._check_payloads('run_schedule', 'input', ARRAY[p_input]);
    PERFORM hewer._tenant_cap('run_schedule', hewer.current_tenant(), 'pending schedules', 1);
    INSERT INTO hewer.scheduled_runs (tenant_id, workflow_id, input, run_at, created_at)
    VALUES (hewer.current_tenant(), v_workflow, p_input, p_run_at, p_now)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;
