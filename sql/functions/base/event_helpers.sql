-- Private helpers for events, filters, crons and schedules. Nothing here takes
-- locks or notifies.
--
-- Error codes (documented in docs/sql-api.md):
--   HW040 invalid_event_key   an event key or key pattern is malformed
--   HW041 invalid_event       a payload or metadata is not a JSON object, or too large
--   HW042 invalid_filter      a filter expression is empty, too long or not well formed
--   HW043 unknown_filter      no such filter in this tenant
--   HW044 invalid_cron        a cron expression, name or catch-up policy is malformed
--   HW045 unknown_cron        no such cron in this tenant
--   HW046 immutable_event     an event row was updated
--   HW047 invalid_schedule    a scheduled run's time is missing, or no such scheduled run

-- An event key: 1 to 255 characters, letters, digits and _ . : / - (not
-- starting with . : / -), e.g. 'order.created'.
CREATE OR REPLACE FUNCTION hewer._event_key_valid(p_key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p_key ~ '^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,254}$'
$$;

-- A key pattern: a key in which * stands for any run of characters (dots
-- included): 'order.*', '*.created', '*'.
CREATE OR REPLACE FUNCTION hewer._event_pattern_valid(p_pattern text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p_pattern ~ '^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,254}$'
$$;

-- Does the key match the pattern? Patterns are turned into LIKE patterns,
-- with _ (a LIKE wildcard, but a plain character in keys) escaped.
CREATE OR REPLACE FUNCTION hewer._event_key_matches(p_pattern text, p_key text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p_key LIKE replace(replace(p_pattern, '_', '\_'), '*', '%')
$$;

-- A first check of a CEL expression that needs no CEL parser: not empty, at
-- most 4096 characters, quotes closed, brackets balanced, and no
-- comprehension (all, exists, exists_one, map, filter) inside another, whose
-- cost no bound holds (the router also evaluates under a time budget). Returns NULL when
-- it passes, else what is wrong. The router compiles every filter with celpy
-- and records a full parse error in hewer.filters.error; the Python client
-- and the CLI compile before they call SQL, so they reject bad CEL at once.
CREATE OR REPLACE FUNCTION hewer._cel_precheck(p_expression text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_stack text := '';
    v_quote text := NULL;
    v_ch text;
    v_i integer := 0;
    v_n integer;
BEGIN
    IF p_expression IS NULL OR btrim(p_expression) = '' THEN
        RETURN 'the expression is empty';
    END IF;
    v_n := length(p_expression);
    IF v_n > 4096 THEN
        RETURN format('the expression has %s characters, at most 4096 are allowed', v_n);
    END IF;
    WHILE v_i < v_n LOOP
        v_i := v_i + 1;
        v_ch := substr(p_expression, v_i, 1);
        IF v_quote IS NOT NULL THEN
            IF v_ch = '\' THEN
                v_i := v_i + 1;
            ELSIF v_ch = v_quote THEN
                v_quote := NULL;
            END IF;
        ELSIF v_ch IN ('"', '''') THEN
            v_quote := v_ch;
        ELSIF v_ch = '(' AND right(substr(p_expression, 1, v_i - 1), 24)
                              ~ '\.\s*(all|exists|exists_one|map|filter)\s*$' THEN
            -- A comprehension. One costs the length of its list; one inside
            -- another, the product of the lengths: no bound holds for that.
            IF strpos(v_stack, 'M') > 0 THEN
                RETURN format('a comprehension (all, exists, exists_one, map, filter) inside another, at '
                              'character %s: its cost grows with the product of the lists'' lengths, so it '
                              'cannot be bounded; rewrite it with one comprehension', v_i);
            END IF;
            v_stack := v_stack || 'M';
        ELSIF v_ch IN ('(', '[', '{') THEN
            v_stack := v_stack || v_ch;
        ELSIF v_ch IN (')', ']', '}') THEN
            IF translate(right(v_stack, 1), 'M', '(') IS DISTINCT FROM translate(v_ch, ')]}', '([{')
               OR v_stack = '' THEN
                RETURN format('unexpected %s at character %s', v_ch, v_i);
            END IF;
            v_stack := left(v_stack, -1);
        END IF;
    END LOOP;
    IF v_quote IS NOT NULL THEN
        RETURN format('a string opened with %s is never closed', v_quote);
    END IF;
    IF v_stack <> '' THEN
        RETURN format('%s is never closed', translate(right(v_stack, 1), 'M', '('));
    END IF;
    RETURN NULL;
END
$$;

-- The workflow id of a name in the current tenant (it must have a version),
-- or HW003 naming it.
CREATE OR REPLACE FUNCTION hewer._workflow_id(p_workflow text)
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_id uuid;
BEGIN
    SELECT w.id INTO v_id FROM hewer.workflows w
    WHERE w.tenant_id = hewer.current_tenant() AND w.name = p_workflow
      AND w.current_version_id IS NOT NULL;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(quote_literal(p_workflow), 'NULL')
            USING ERRCODE = 'HW003',
                  HINT = 'Register it first with hewer.workflow_register(name, spec); names are case-sensitive.';
    END IF;
    RETURN v_id;
END
$$;

-- A cron expression: 5 fields (minute hour day month weekday) or 6 (with
-- seconds last, as croniter reads them), each made of digits, names, * , - /
-- ? L W #. The ticker parses it fully with croniter and records what it
-- cannot read in hewer.crons.error.
CREATE OR REPLACE FUNCTION hewer._cron_valid(p_expression text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p_expression ~ '^\s*[0-9A-Za-z*,/?#-]+(\s+[0-9A-Za-z*,/?#-]+){4,5}\s*$'
        OR p_expression ~ '^\s*@(yearly|annually|monthly|weekly|daily|midnight|hourly)\s*$'
$$;
