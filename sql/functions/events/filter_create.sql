-- hewer.filter_create(workflow, expression, scope?, now?) -> filter_id
--
-- Adds an event filter to a workflow at runtime: a CEL expression over key,
-- payload and metadata (e.g. payload.total > 100 && key == 'order.created').
-- Once a workflow has filters, only events for which one of them is true
-- start its runs (one run per true filter); a filter with a scope only sees
-- events pushed with that scope. No worker or dispatcher is redeployed: the
-- router reads filters with every batch.
--
-- The expression gets a first check here (quotes and brackets); the router
-- compiles it with celpy and records a parse error in hewer.filters.error
-- (see hewer.filter_list). The Python client and `hewer filters create`
-- compile it first and reject bad CEL with the parser's message.
--
-- Locks: inserts only. Errors: HW003 unknown workflow, HW042 bad
-- expression, HW007 bad scope.
CREATE OR REPLACE FUNCTION hewer.filter_create(
    p_workflow text, p_expression text, p_scope text DEFAULT NULL, p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_workflow uuid := hewer._workflow_id(p_workflow);
    v_problem text := hewer._cel_precheck(p_expression);
    v_id uuid;
BEGIN
    PERFORM hewer._require_now('filter_create', p_now);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'filter for workflow "%": invalid CEL expression %: %', p_workflow,
            coalesce(quote_literal(p_expression), 'NULL'), v_problem
            USING ERRCODE = 'HW042',
                  HINT = 'Write a CEL expression over key, payload and metadata, e.g. payload.total > 100.';
    END IF;
    IF length(p_scope) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'filter for workflow "%": scope must be 1 to 255 characters, got %', p_workflow,
            quote_literal(p_scope)
            USING ERRCODE = 'HW007', HINT = 'Pass NULL to see events of every scope.';
    END IF;
    PERFORM hewer._tenant_cap('filter_create', hewer.current_tenant(), 'filters', 1);
    INSERT INTO hewer.filters (tenant_id, workflow_id, scope, expression, created_at, updated_at)
    VALUES (hewer.current_tenant(), v_workflow, p_scope, p_expression, p_now, p_now)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;
