-- hewer.filter_update(filter_id, expression, now?) -> version
--
-- Replaces a filter's expression at runtime and returns its new version: the
-- router recompiles it for the next event it routes (events already routed
-- keep their decisions). Clears a parse error the router recorded.
--
-- Locks: the filter row. Errors: HW043 unknown filter, HW042 bad expression.
CREATE OR REPLACE FUNCTION hewer.filter_update(
    p_filter_id uuid, p_expression text, p_now timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_problem text := hewer._cel_precheck(p_expression);
    v_version integer;
BEGIN
    PERFORM hewer._require_now('filter_update', p_now);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'filter %: invalid CEL expression %: %', p_filter_id,
            coalesce(quote_literal(p_expression), 'NULL'), v_problem
            USING ERRCODE = 'HW042',
                  HINT = 'Write a CEL expression over key, payload and metadata, e.g. payload.total > 100.';
    END IF;
    UPDATE hewer.filters f
    SET expression = p_expression, version = f.version + 1, error = NULL, updated_at = p_now
    WHERE f.id = p_filter_id AND f.tenant_id = hewer.current_tenant()
    RETURNING f.version INTO v_version;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'filter % does not exist', coalesce(p_filter_id::text, 'NULL')
            USING ERRCODE = 'HW043', HINT = 'List filters with hewer.filter_list() or `hewer filters list`.';
    END IF;
    RETURN v_version;
END
$$;
