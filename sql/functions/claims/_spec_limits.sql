-- Parsing of the limits in a workflow spec, shared by workflow_register.
--
-- hewer._spec_concurrency(value, where, level) -> (key, key_sql, max, strategy)
--   {"key"?: CEL, "max": integer >= 1, "strategy"?: ...}; level 'workflow'
--   allows GROUP_ROUND_ROBIN (default), CANCEL_IN_PROGRESS and CANCEL_NEWEST,
--   level 'step' GROUP_ROUND_ROBIN only. No key: one key for all.
-- hewer._spec_rate_limits(value, where) -> normalized jsonb array
--   [{"limit": name, "units"?: 1..1000000, "key"?: CEL}] -> each with
--   key_sql added; the limit must exist (hewer.rate_limit_set).
-- hewer._spec_key(source, where, field) -> compiled SQL (HW020 naming where).
-- Locks: none. Errors: HW001 malformed, HW020 unsupported CEL, HW022 a bad
-- limit value, HW023 unknown rate limit.

CREATE OR REPLACE FUNCTION hewer._spec_key(p_src jsonb, p_where text, p_field text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_msg text;
    v_hint text;
BEGIN
    IF jsonb_typeof(p_src) IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be a CEL expression in a string, got %',
            p_where, p_field, coalesce(p_src::text, 'NULL')
            USING ERRCODE = 'HW020', HINT = 'E.g. "input.user_id" or "input.org + '':'' + input.model".';
    END IF;
    RETURN hewer._cel_compile(p_src #>> '{}');
EXCEPTION WHEN SQLSTATE 'HW020' THEN
    GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    IF v_msg LIKE 'invalid workflow spec:%' THEN
        RAISE EXCEPTION '%', v_msg USING ERRCODE = 'HW020', HINT = v_hint;
    END IF;
    RAISE EXCEPTION 'invalid workflow spec: %: "%" %: %', p_where, p_field, p_src, v_msg
        USING ERRCODE = 'HW020', HINT = v_hint;
END
$$;

CREATE OR REPLACE FUNCTION hewer._spec_concurrency(
    p_value jsonb, p_where text, p_level text,
    OUT key text, OUT key_sql text, OUT max integer, OUT strategy text)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_field text;
    v_allowed text[] := CASE p_level WHEN 'workflow'
                             THEN ARRAY['GROUP_ROUND_ROBIN', 'CANCEL_IN_PROGRESS', 'CANCEL_NEWEST']
                             ELSE ARRAY['GROUP_ROUND_ROBIN'] END;
BEGIN
    IF p_value IS NULL OR p_value = 'null'::jsonb THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_value) <> 'object' THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "concurrency" must be an object, got %', p_where, p_value
            USING ERRCODE = 'HW001', HINT = 'E.g. {"key": "input.user_id", "max": 2}.';
    END IF;
    FOR v_field IN SELECT jsonb_object_keys(p_value) LOOP
        IF v_field NOT IN ('key', 'max', 'strategy') THEN
            RAISE EXCEPTION 'invalid workflow spec: %: unknown concurrency field "%"', p_where, v_field
                USING ERRCODE = 'HW001', HINT = 'Known fields: key, max, strategy.';
        END IF;
    END LOOP;
    IF jsonb_typeof(p_value -> 'max') IS DISTINCT FROM 'number'
       OR (p_value ->> 'max')::numeric <> trunc((p_value ->> 'max')::numeric)
       OR (p_value ->> 'max')::numeric NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'invalid workflow spec: %: concurrency "max" must be an integer from 1 to 1000000, got %',
            p_where, coalesce((p_value -> 'max')::text, 'nothing')
            USING ERRCODE = 'HW022', HINT = 'Give the number of runs (or tasks) allowed at once per key, e.g. "max": 2.';
    END IF;
    max := (p_value ->> 'max')::integer;
    strategy := coalesce(p_value ->> 'strategy', 'GROUP_ROUND_ROBIN');
    IF jsonb_typeof(coalesce(p_value -> 'strategy', '""')) <> 'string' OR NOT (strategy = ANY (v_allowed)) THEN
        RAISE EXCEPTION 'invalid workflow spec: %: concurrency strategy % is not one of %',
            p_where, p_value -> 'strategy', array_to_string(v_allowed, ', ')
            USING ERRCODE = 'HW022',
                  HINT = CASE p_level WHEN 'step'
                              THEN 'The cancel strategies apply to whole runs: put them on the workflow''s concurrency.'
                              ELSE 'Pick one of the strategies listed.' END;
    END IF;
    IF p_value ? 'key' THEN
        key := p_value ->> 'key';
        key_sql := hewer._spec_key(p_value -> 'key', p_where, 'concurrency.key');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._spec_rate_limits(p_value jsonb, p_where text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_item jsonb;
    v_field text;
    v_out jsonb := '[]'::jsonb;
    v_units numeric;
    v_i integer := 0;
BEGIN
    IF p_value IS NULL OR p_value = 'null'::jsonb THEN
        RETURN '[]'::jsonb;
    END IF;
    IF jsonb_typeof(p_value) <> 'array' OR jsonb_array_length(p_value) > 16 THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "rate_limits" must be an array of at most 16 limits, got %',
            p_where, p_value
            USING ERRCODE = 'HW001', HINT = 'E.g. [{"limit": "openai-rpm", "units": 1}].';
    END IF;
    FOR v_item IN SELECT e FROM jsonb_array_elements(p_value) AS a(e) LOOP
        v_i := v_i + 1;
        IF jsonb_typeof(v_item) <> 'object' THEN
            RAISE EXCEPTION 'invalid workflow spec: %: rate limit #% must be an object, got %', p_where, v_i, v_item
                USING ERRCODE = 'HW001', HINT = 'E.g. {"limit": "openai-rpm", "units": 1}.';
        END IF;
        FOR v_field IN SELECT jsonb_object_keys(v_item) LOOP
            IF v_field NOT IN ('limit', 'units', 'key') THEN
                RAISE EXCEPTION 'invalid workflow spec: %: unknown rate limit field "%"', p_where, v_field
                    USING ERRCODE = 'HW001', HINT = 'Known fields: limit, units, key.';
            END IF;
        END LOOP;
        IF jsonb_typeof(v_item -> 'limit') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'invalid workflow spec: %: rate limit #% needs "limit": the name of a rate limit',
                p_where, v_i
                USING ERRCODE = 'HW001', HINT = 'Create one with hewer.rate_limit_set(name, rate, period) or `hewer ratelimits set`.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM hewer.rate_limits l
                       WHERE l.tenant_id = hewer.current_tenant() AND l.name = v_item ->> 'limit') THEN
            RAISE EXCEPTION 'invalid workflow spec: %: rate limit "%" does not exist', p_where, v_item ->> 'limit'
                USING ERRCODE = 'HW023',
                      HINT = 'Create it first: SELECT hewer.rate_limit_set(''' || (v_item ->> 'limit')
                             || ''', 10, ''1 second''); or `hewer ratelimits set`.';
        END IF;
        v_units := CASE WHEN jsonb_typeof(v_item -> 'units') = 'number' THEN (v_item ->> 'units')::numeric END;
        IF v_item ? 'units' AND (v_units IS NULL OR v_units <> trunc(v_units) OR v_units NOT BETWEEN 1 AND 1000000) THEN
            RAISE EXCEPTION 'invalid workflow spec: %: rate limit "%": "units" must be an integer from 1 to 1000000, got %',
                p_where, v_item ->> 'limit', v_item -> 'units'
                USING ERRCODE = 'HW022', HINT = 'units is how many tokens one task spends; the default is 1.';
        END IF;
        v_out := v_out || jsonb_build_array(
            jsonb_build_object('limit', v_item ->> 'limit', 'units', coalesce(v_units, 1)::integer)
            || CASE WHEN v_item ? 'key'
                    THEN jsonb_build_object('key', v_item -> 'key',
                                            'key_sql', hewer._spec_key(v_item -> 'key', p_where, 'rate_limits.key'))
                    ELSE '{}'::jsonb END);
    END LOOP;
    RETURN v_out;
END
$$;
