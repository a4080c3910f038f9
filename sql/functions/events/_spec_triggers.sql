-- hewer._spec_triggers_check(workflow name, spec)
--
-- Checks the trigger fields of a workflow spec (called by workflow_register):
--   "on_events": ["order.*", ...]   up to 100 event key patterns;
--   "cron": ["*/5 * * * *" | {"expression", "input"?, "catch_up"?: "skip"|"once"}, ...]
--            up to 100 cron triggers (UTC).
-- Raises HW001 naming the field and the bad value. Locks: none.
CREATE OR REPLACE FUNCTION hewer._spec_triggers_check(p_name text, p_spec jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_item jsonb;
    v_key text;
BEGIN
    IF p_spec ? 'on_events' THEN
        IF jsonb_typeof(p_spec -> 'on_events') <> 'array' OR jsonb_array_length(p_spec -> 'on_events') > 100 THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": "on_events" must be an array of at most 100 key patterns, got %',
                p_name, p_spec -> 'on_events'
                USING ERRCODE = 'HW001', HINT = 'For example "on_events": ["order.created", "payment.*"].';
        END IF;
        FOR v_item IN SELECT e FROM jsonb_array_elements(p_spec -> 'on_events') AS a(e) LOOP
            IF jsonb_typeof(v_item) <> 'string' OR NOT hewer._event_pattern_valid(v_item #>> '{}') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": "on_events" has an invalid key pattern %', p_name, v_item
                    USING ERRCODE = 'HW001',
                          HINT = 'A pattern is 1 to 255 characters: letters, digits and _ . : / -, with * for any run of characters.';
            END IF;
        END LOOP;
    END IF;
    IF p_spec ? 'cron' THEN
        IF jsonb_typeof(p_spec -> 'cron') <> 'array' OR jsonb_array_length(p_spec -> 'cron') > 100 THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": "cron" must be an array of at most 100 cron triggers, got %',
                p_name, p_spec -> 'cron'
                USING ERRCODE = 'HW001', HINT = 'For example "cron": ["*/5 * * * *"].';
        END IF;
        FOR v_item IN SELECT e FROM jsonb_array_elements(p_spec -> 'cron') AS a(e) LOOP
            IF jsonb_typeof(v_item) = 'string' THEN
                v_item := jsonb_build_object('expression', v_item);
            END IF;
            IF jsonb_typeof(v_item) <> 'object' THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": a cron trigger must be a string or an object, got %', p_name, v_item
                    USING ERRCODE = 'HW001';
            END IF;
            FOR v_key IN SELECT jsonb_object_keys(v_item) LOOP
                IF v_key NOT IN ('expression', 'input', 'catch_up') THEN
                    RAISE EXCEPTION 'invalid workflow spec for "%": cron trigger % has an unknown field "%"', p_name, v_item, v_key
                        USING ERRCODE = 'HW001', HINT = 'Known fields: expression, input, catch_up.';
                END IF;
            END LOOP;
            IF jsonb_typeof(v_item -> 'expression') IS DISTINCT FROM 'string'
               OR NOT hewer._cron_valid(v_item ->> 'expression') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": % is not a cron expression', p_name,
                    coalesce(v_item -> 'expression', 'null')
                    USING ERRCODE = 'HW001',
                          HINT = 'Use 5 fields, minute hour day month weekday (UTC), e.g. "*/5 * * * *".';
            END IF;
            IF jsonb_typeof(coalesce(v_item -> 'input', '{}')) <> 'object' THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": the input of cron % must be a JSON object', p_name,
                    v_item -> 'expression'
                    USING ERRCODE = 'HW001';
            END IF;
            IF coalesce(v_item ->> 'catch_up', 'skip') NOT IN ('skip', 'once') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": catch_up of cron % must be "skip" or "once", got %', p_name,
                    v_item -> 'expression', v_item -> 'catch_up'
                    USING ERRCODE = 'HW001';
            END IF;
        END LOOP;
        IF (SELECT count(DISTINCT coalesce(e ->> 'expression', e #>> '{}')) <> count(*)
            FROM jsonb_array_elements(p_spec -> 'cron') AS a(e)) THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": "cron" lists an expression twice', p_name
                USING ERRCODE = 'HW001';
        END IF;
    END IF;
END
$$;

-- hewer._spec_crons(spec) -> (name, expression, input, catch_up)
--
-- The crons a spec declares, as rows: what hewer._spec_crons_sync makes the
-- workflow's 'spec' crons. (A set-returning function rather than a session
-- temp table: definer code uses no object a caller's session could create.)
CREATE OR REPLACE FUNCTION hewer._spec_crons(p_spec jsonb)
RETURNS TABLE (name text, expression text, input jsonb, catch_up text)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT 'spec:' || x.expr, x.expr, coalesce(x.c -> 'input', '{}'::jsonb),
           coalesce(x.c ->> 'catch_up', 'skip')
    FROM (SELECT a.e AS c, coalesce(a.e ->> 'expression', a.e #>> '{}') AS expr
          FROM pg_catalog.jsonb_array_elements(coalesce(p_spec -> 'cron', '[]'::jsonb)) AS a(e)) x
$$;

-- hewer._spec_crons_sync(workflow_id, spec, now)
--
-- Makes the workflow's 'spec' crons those of this spec (called when a new
-- version becomes current). A cron whose expression, input and catch-up are
-- unchanged keeps its schedule; crons made at runtime are left alone.
-- Locks: the workflow's cron rows.
CREATE OR REPLACE FUNCTION hewer._spec_crons_sync(p_workflow_id uuid, p_spec jsonb, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_tenant uuid := (SELECT w.tenant_id FROM hewer.workflows w WHERE w.id = p_workflow_id);
    v_cron record;
BEGIN
    FOR v_cron IN SELECT * FROM hewer._spec_crons(p_spec) LOOP
        PERFORM hewer._check_cron('workflow_register', v_tenant, v_cron.name, v_cron.expression);
    END LOOP;
    DELETE FROM hewer.crons c
    WHERE c.workflow_id = p_workflow_id AND c.source = 'spec'
      AND NOT EXISTS (SELECT 1 FROM hewer._spec_crons(p_spec) s
                      WHERE s.name = c.name AND s.input = c.input AND s.catch_up = c.catch_up);
    INSERT INTO hewer.crons (tenant_id, workflow_id, name, expression, input, catch_up, source, created_at)
    SELECT w.tenant_id, p_workflow_id, s.name, s.expression, s.input, s.catch_up, 'spec', p_now
    FROM hewer._spec_crons(p_spec) s CROSS JOIN hewer.workflows w
    WHERE w.id = p_workflow_id
    ON CONFLICT (workflow_id, name) DO NOTHING;
    PERFORM hewer._tenant_cap('workflow_register', v_tenant, 'crons', 0);
END
$$;
