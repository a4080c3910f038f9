-- hewer._spec_waits_check(workflow name, spec)
--
-- Checks the "wait" field of the spec's steps (called by workflow_register):
--   {"event": "<key pattern>", "match"?: "<CEL over payload, input, key,
--    metadata>", "timeout"?: duration (default 1 day), "on_timeout"?:
--    "fail" | "skip"}
--   {"sleep": duration}
-- Raises HW001 naming the step and the field. Locks: none.
CREATE OR REPLACE FUNCTION hewer._spec_waits_check(p_name text, p_spec jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_step jsonb;
    v_wait jsonb;
    v_where text;
    v_key text;
    v_problem text;
BEGIN
    FOR v_step IN SELECT e FROM jsonb_array_elements(p_spec -> 'steps') AS a(e) WHERE e ? 'wait' LOOP
        v_wait := v_step -> 'wait';
        v_where := 'step "' || (v_step ->> 'name') || '"';
        IF jsonb_typeof(v_wait) <> 'object' OR (v_wait ? 'event') = (v_wait ? 'sleep') THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: "wait" must be an object with either "event" or "sleep", got %',
                p_name, v_where, v_wait
                USING ERRCODE = 'HW001',
                      HINT = 'E.g. {"event": "payment.settled", "match": "payload.order_id == input.order_id", "timeout": "1h"} or {"sleep": "10m"}.';
        END IF;
        FOR v_key IN SELECT jsonb_object_keys(v_wait) LOOP
            IF v_key NOT IN ('event', 'match', 'timeout', 'on_timeout', 'sleep')
               OR (v_wait ? 'sleep' AND v_key <> 'sleep') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: "wait" has an unknown field "%"', p_name, v_where, v_key
                    USING ERRCODE = 'HW001',
                          HINT = 'An event wait has event, match, timeout, on_timeout; a sleep has sleep only.';
            END IF;
        END LOOP;
        IF v_wait ? 'sleep' THEN
            PERFORM hewer._spec_duration(v_wait -> 'sleep', NULL, v_where, 'wait.sleep', '0', '30 days');
            CONTINUE;
        END IF;
        IF jsonb_typeof(v_wait -> 'event') <> 'string' OR NOT hewer._event_pattern_valid(v_wait ->> 'event') THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: wait.event must be an event key pattern, got %',
                p_name, v_where, v_wait -> 'event'
                USING ERRCODE = 'HW001',
                      HINT = 'Letters, digits and _ . : / -, with * for any run of characters, e.g. "payment.settled".';
        END IF;
        IF v_wait ? 'match' THEN
            v_problem := CASE WHEN jsonb_typeof(v_wait -> 'match') <> 'string' THEN 'it must be a string'
                              ELSE hewer._cel_precheck(v_wait ->> 'match') END;
            IF v_problem IS NOT NULL THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: wait.match %: %', p_name, v_where,
                    v_wait -> 'match', v_problem
                    USING ERRCODE = 'HW001',
                          HINT = 'A CEL expression over payload, input, key and metadata, e.g. payload.order_id == input.order_id.';
            END IF;
        END IF;
        PERFORM hewer._spec_duration(v_wait -> 'timeout', '1 day', v_where, 'wait.timeout', '1 second', '30 days');
        IF coalesce(v_wait ->> 'on_timeout', 'fail') NOT IN ('fail', 'skip') THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: wait.on_timeout must be "fail" or "skip", got %',
                p_name, v_where, v_wait -> 'on_timeout'
                USING ERRCODE = 'HW001';
        END IF;
    END LOOP;
END
$$;

-- hewer._spec_waits_insert(version_id, spec)
--
-- Writes the checked waits of a new version's steps into hewer.step_waits.
-- Locks: inserts only.
CREATE OR REPLACE FUNCTION hewer._spec_waits_insert(p_version_id uuid, p_spec jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO hewer.step_waits (tenant_id, version_id, step, kind, event_key, expression, duration, on_timeout)
    SELECT v.tenant_id, p_version_id, e ->> 'name',
           CASE WHEN e -> 'wait' ? 'sleep' THEN 'sleep' ELSE 'event' END,
           e #>> '{wait,event}', e #>> '{wait,match}',
           CASE WHEN e -> 'wait' ? 'sleep'
                THEN hewer._spec_duration(e #> '{wait,sleep}', NULL, '', 'wait.sleep', '0', '30 days')
                ELSE hewer._spec_duration(e #> '{wait,timeout}', '1 day', '', 'wait.timeout', '1 second', '30 days')
           END,
           coalesce(e #>> '{wait,on_timeout}', 'fail')
    FROM hewer.workflow_versions v
    CROSS JOIN jsonb_array_elements(p_spec -> 'steps') AS a(e)
    WHERE v.id = p_version_id AND e ? 'wait';
$$;
