-- hewer.cron_create(workflow, name, expression, input?, catch_up?, now?) -> cron_id
--
-- Creates (or replaces, by workflow and name) a cron trigger at runtime: a
-- run of the workflow with this input at every tick of the expression (5
-- fields, minute hour day month weekday, in UTC; croniter syntax). The
-- dispatcher's leader fires each tick exactly once (hewer.cron_ticks).
-- catch_up says what happens to ticks missed while no dispatcher ran:
-- 'skip' (default) fires none of them, 'once' fires one run for them all.
-- Replacing a cron restarts its schedule from now.
--
-- Locks: the cron row. Errors: HW003 unknown workflow, HW044 bad name,
-- expression or catch_up, HW004 input not a JSON object.
CREATE OR REPLACE FUNCTION hewer.cron_create(
    p_workflow text, p_name text, p_expression text, p_input jsonb DEFAULT '{}',
    p_catch_up text DEFAULT 'skip', p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_workflow uuid := hewer._workflow_id(p_workflow);
    v_id uuid;
BEGIN
    PERFORM hewer._require_now('cron_create', p_now);
    IF p_name IS NULL OR NOT hewer._valid_name(p_name) THEN
        RAISE EXCEPTION 'cron for workflow "%": invalid name %', p_workflow, coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW044',
                  HINT = 'A name is 1 to 128 characters: letters, digits and _ - . : (not starting with - . :).';
    END IF;
    IF p_expression IS NULL OR NOT hewer._cron_valid(p_expression) THEN
        RAISE EXCEPTION 'cron "%" of workflow "%": % is not a cron expression', p_name, p_workflow,
            coalesce(quote_literal(p_expression), 'NULL')
            USING ERRCODE = 'HW044',
                  HINT = 'Use 5 fields, minute hour day month weekday (UTC), e.g. ''*/5 * * * *''.';
    END IF;
    IF p_catch_up IS NULL OR p_catch_up NOT IN ('skip', 'once') THEN
        RAISE EXCEPTION 'cron "%" of workflow "%": catch_up must be ''skip'' or ''once'', got %', p_name, p_workflow,
            coalesce(quote_literal(p_catch_up), 'NULL')
            USING ERRCODE = 'HW044';
    END IF;
    IF p_input IS NULL OR jsonb_typeof(p_input) <> 'object' THEN
        RAISE EXCEPTION 'cron "%" of workflow "%": input must be a JSON object, got %', p_name, p_workflow,
            coalesce(jsonb_typeof(p_input), 'NULL')
            USING ERRCODE = 'HW004', HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
    END IF;
    PERFORM hewer._check_payloads('cron_create', 'input', ARRAY[p_input]);
    PERFORM hewer._check_cron('cron_create', hewer.current_tenant(), p_name, p_expression);
    IF NOT EXISTS (SELECT 1 FROM hewer.crons c WHERE c.workflow_id = v_workflow AND c.name = p_name) THEN
        PERFORM hewer._tenant_cap('cron_create', hewer.current_tenant(), 'crons', 1);
    END IF;
    INSERT INTO hewer.crons (tenant_id, workflow_id, name, expression, input, catch_up, source, created_at)
    VALUES (hewer.current_tenant(), v_workflow, p_name, p_expression, p_input, p_catch_up, 'api', p_now)
    ON CONFLICT (workflow_id, name) DO UPDATE
    SET expression = excluded.expression, input = excluded.input, catch_up = excluded.catch_up,
        source = 'api', next_at = NULL, error = NULL, created_at = excluded.created_at
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;
