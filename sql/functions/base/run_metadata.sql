-- hewer._check_metadata(function, metadata[]): raises HW090 unless every
-- element is NULL (= none) or a JSON object whose values are strings,
-- numbers or booleans (key/value tags), within hewer.max_payload_bytes.
-- Used by run_trigger and run_spawn before anything is written.
CREATE OR REPLACE FUNCTION hewer._check_metadata(p_function text, p_metadata jsonb[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_bad record;
BEGIN
    IF p_metadata IS NULL THEN
        RETURN;
    END IF;
    SELECT u.i, u.m INTO v_bad
    FROM unnest(p_metadata) WITH ORDINALITY AS u(m, i)
    WHERE u.m IS NOT NULL
      AND (jsonb_typeof(u.m) <> 'object'
           OR EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(u.m) = 'object' THEN u.m END) AS e(k, v)
                      WHERE jsonb_typeof(e.v) NOT IN ('string', 'number', 'boolean')))
    ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: metadata #% must be a JSON object of string, number or boolean values, got %',
            p_function, v_bad.i, left(v_bad.m::text, 200)
            USING ERRCODE = 'HW090',
                  HINT = 'Pass key/value tags, e.g. {"customer": "acme", "batch": 7}; nested objects, arrays and null are not tags.';
    END IF;
    PERFORM hewer._check_payloads(p_function, 'metadata', p_metadata);
END
$$;
