-- hewer._spec_labels(value, where, field, preferred) (private)
--
-- Checks a step's worker_labels ({"name": "value"}) or, with preferred,
-- preferred_labels ({"name": {"value": "...", "weight": 1..100}}); returns
-- the canonical form (weights filled in), NULL when absent. HW001 otherwise.
CREATE OR REPLACE FUNCTION hewer._spec_labels(
    p_value jsonb, p_where text, p_field text, p_preferred boolean)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_key text;
    v_item jsonb;
    v_value jsonb;
    v_weight jsonb;
    v_out jsonb := '{}'::jsonb;
    v_shape constant text := CASE WHEN p_preferred
        THEN '{"model": {"value": "llama-3-70b", "weight": 10}}' ELSE '{"gpu": "a100"}' END;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_value) <> 'object' OR p_value = '{}'::jsonb
       OR (SELECT count(*) FROM jsonb_object_keys(p_value)) > 20 THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be an object of 1 to 20 labels, got %',
            p_where, p_field, left(p_value::text, 200)
            USING ERRCODE = 'HW001', HINT = 'E.g. "' || p_field || '": ' || v_shape || '.';
    END IF;
    FOR v_key, v_item IN SELECT e.key, e.value FROM jsonb_each(p_value) AS e LOOP
        IF NOT hewer._valid_name(v_key) THEN
            RAISE EXCEPTION 'invalid workflow spec: %: "%" has an invalid label name %',
                p_where, p_field, quote_literal(left(v_key, 200))
                USING ERRCODE = 'HW001',
                      HINT = 'A label name is 1 to 128 characters: letters, digits and _ - . :';
        END IF;
        v_value := CASE WHEN p_preferred AND jsonb_typeof(v_item) = 'object' THEN v_item -> 'value'
                        WHEN p_preferred THEN NULL ELSE v_item END;
        v_weight := CASE WHEN p_preferred AND jsonb_typeof(v_item) = 'object'
                         THEN coalesce(v_item -> 'weight', '1') END;
        IF p_preferred AND (jsonb_typeof(v_item) IS DISTINCT FROM 'object'
                            OR EXISTS (SELECT 1 FROM jsonb_object_keys(v_item) AS k
                                       WHERE k NOT IN ('value', 'weight'))) THEN
            RAISE EXCEPTION 'invalid workflow spec: %: "%" label "%" must be {"value": ..., "weight": ...}, got %',
                p_where, p_field, v_key, left(v_item::text, 200)
                USING ERRCODE = 'HW001', HINT = 'E.g. "' || p_field || '": ' || v_shape || '.';
        END IF;
        IF jsonb_typeof(v_value) IS DISTINCT FROM 'string'
           OR length(v_value #>> '{}') NOT BETWEEN 1 AND 256 THEN
            RAISE EXCEPTION 'invalid workflow spec: %: "%" label "%" must have text of 1 to 256 characters as its value, got %',
                p_where, p_field, v_key, left(coalesce(v_value::text, 'nothing'), 200)
                USING ERRCODE = 'HW001', HINT = 'E.g. "' || p_field || '": ' || v_shape || '.';
        END IF;
        IF p_preferred AND (jsonb_typeof(v_weight) <> 'number' OR v_weight::numeric <> trunc(v_weight::numeric)
                            OR v_weight::numeric NOT BETWEEN 1 AND 100) THEN
            RAISE EXCEPTION 'invalid workflow spec: %: "%" label "%" has weight %, not an integer from 1 to 100',
                p_where, p_field, v_key, left(v_weight::text, 50)
                USING ERRCODE = 'HW001', HINT = 'Weigh a preference from 1 (a little) to 100 (a lot); 1 if left out.';
        END IF;
        v_out := v_out || jsonb_build_object(v_key,
            CASE WHEN p_preferred THEN jsonb_build_object('value', v_value, 'weight', v_weight::numeric::integer)
                 ELSE v_value END);
    END LOOP;
    RETURN v_out;
END
$$;
