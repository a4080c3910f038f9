-- CEL keys compiled to SQL: hewer._cel_compile(source) -> SQL text.
--
-- Concurrency and rate-limit keys are CEL expressions over the run input.
-- They are compiled here, in the database, when a version is registered, so
-- that a workflow registered from plain SQL and runs triggered from plain SQL
-- get their keys exactly as those from the SDK. The compiled SQL is built
-- only from the parse tree: each node becomes a call to one of the
-- hewer._cel_* helpers below, names and constants go through quote_literal,
-- and the only column it reads is u.input. Nothing from the source is ever
-- pasted into the SQL text unquoted.
--
-- The subset: input, field access (input.a.b, input["a"], list[0]), string,
-- integer, bool and null literals, + - (strings, lists, integers), unary - !,
-- == != < <= > >=, && ||, c ? a : b, parentheses, and the functions
-- string(x), int(x) and size(x). Anything else (method calls, macros such as
-- has(), other variables, * / %, list and map literals) is rejected with
-- HW020 naming the construct.
--
-- Values are jsonb while evaluating; an evaluation error (a missing field, a
-- wrong type) is SQL NULL, which && || and ?: absorb as CEL does
-- (false && error = false). hewer._cel_key turns the final value into the key
-- text: a string as is, numbers and bools in their JSON form, anything else
-- as JSON text; NULL means the key could not be evaluated (run_trigger raises
-- HW021). Numbers are JSON numbers: CEL's int/double distinction is not kept.
-- Locks: none. Errors: HW020.

CREATE OR REPLACE FUNCTION hewer._cel_field(v jsonb, f text)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'object' THEN v -> f END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_index(v jsonb, k jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) = 'object' AND jsonb_typeof(k) = 'string' THEN v -> (k #>> '{}')
        WHEN jsonb_typeof(v) = 'array' AND jsonb_typeof(k) = 'number'
             AND (k #>> '{}')::numeric = trunc((k #>> '{}')::numeric)
             AND (k #>> '{}')::numeric >= 0 AND (k #>> '{}')::numeric < jsonb_array_length(v)
            THEN v -> ((k #>> '{}')::integer)
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_add(a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(a) = 'string' AND jsonb_typeof(b) = 'string'
            THEN to_jsonb((a #>> '{}') || (b #>> '{}'))
        WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
            THEN to_jsonb((a #>> '{}')::numeric + (b #>> '{}')::numeric)
        WHEN jsonb_typeof(a) = 'array' AND jsonb_typeof(b) = 'array' THEN a || b
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_sub(a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
                THEN to_jsonb((a #>> '{}')::numeric - (b #>> '{}')::numeric) END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_neg(a jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'number' THEN to_jsonb(-(a #>> '{}')::numeric) END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_not(a jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'boolean' THEN to_jsonb(NOT a::boolean) END
$$;

-- == and !=: values of one type compare, null compares with anything
-- (unequal unless both are null); other pairs are an error.
CREATE OR REPLACE FUNCTION hewer._cel_eq(a jsonb, b jsonb, negate boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(a) = jsonb_typeof(b) OR jsonb_typeof(a) = 'null' OR jsonb_typeof(b) = 'null'
            THEN to_jsonb((a = b) <> negate)
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_cmp(op text, a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(a) = 'string' AND jsonb_typeof(b) = 'string' THEN to_jsonb(CASE op
            WHEN '<' THEN (a #>> '{}') COLLATE "C" < (b #>> '{}')
            WHEN '<=' THEN (a #>> '{}') COLLATE "C" <= (b #>> '{}')
            WHEN '>' THEN (a #>> '{}') COLLATE "C" > (b #>> '{}')
            ELSE (a #>> '{}') COLLATE "C" >= (b #>> '{}') END)
        WHEN jsonb_typeof(a) IN ('number', 'boolean') AND jsonb_typeof(a) = jsonb_typeof(b)
            THEN to_jsonb(CASE op WHEN '<' THEN a < b WHEN '<=' THEN a <= b
                                  WHEN '>' THEN a > b ELSE a >= b END)
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_and(a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN a = 'false'::jsonb OR b = 'false'::jsonb THEN 'false'::jsonb
        WHEN a = 'true'::jsonb AND b = 'true'::jsonb THEN 'true'::jsonb
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_or(a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN a = 'true'::jsonb OR b = 'true'::jsonb THEN 'true'::jsonb
        WHEN a = 'false'::jsonb AND b = 'false'::jsonb THEN 'false'::jsonb
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_cond(c jsonb, a jsonb, b jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN c = 'true'::jsonb THEN a WHEN c = 'false'::jsonb THEN b END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_string(a jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) IN ('string', 'number', 'boolean') THEN to_jsonb(a #>> '{}') END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_int(a jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(a) = 'number' THEN to_jsonb(trunc((a #>> '{}')::numeric))
        WHEN jsonb_typeof(a) = 'string' AND (a #>> '{}') ~ '^[-+]?[0-9]{1,18}$'
            THEN to_jsonb((a #>> '{}')::numeric)
    END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_size(a jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(a)
        WHEN 'string' THEN to_jsonb(char_length(a #>> '{}'))
        WHEN 'array' THEN to_jsonb(jsonb_array_length(a))
        WHEN 'object' THEN to_jsonb((SELECT count(*) FROM jsonb_object_keys(a)))
    END
$$;

-- The key text of a value; NULL when it could not be evaluated.
CREATE OR REPLACE FUNCTION hewer._cel_key(a jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(a) = 'string' THEN a #>> '{}' ELSE a::text END
$$;

-- Tokens of a CEL source: (kind, text) with kind s(tring) n(umber)
-- i(dentifier) o(perator) x (anything else).
CREATE OR REPLACE FUNCTION hewer._cel_tokens(p_src text, OUT kinds text[], OUT vals text[])
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[];
BEGIN
    kinds := '{}';
    vals := '{}';
    FOR m IN SELECT regexp_matches(p_src,
        '\s*(?:("(?:[^"\\]|\\.)*"|''(?:[^''\\]|\\.)*'')|([0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||==|!=|<=|>=|[-+!?:().,<>\[\]])|(\S))',
        'g')
    LOOP
        kinds := kinds || CASE WHEN m[1] IS NOT NULL THEN 's' WHEN m[2] IS NOT NULL THEN 'n'
                               WHEN m[3] IS NOT NULL THEN 'i' WHEN m[4] IS NOT NULL THEN 'o' ELSE 'x' END;
        vals := vals || coalesce(m[1], m[2], m[3], m[4], m[5]);
    END LOOP;
    kinds := kinds || 'e'::text;
    vals := vals || ''::text;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_fail(p_what text, p_hint text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION '%', p_what USING ERRCODE = 'HW020',
        HINT = coalesce(p_hint, 'Supported: input and its fields, literals, + -, comparisons, && || !, ?:, string(), int(), size().');
END
$$;

-- A string literal's value: CEL quotes with the escapes \\ \" \' \n \t \r.
CREATE OR REPLACE FUNCTION hewer._cel_unquote(p_tok text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_body text := substr(p_tok, 2, length(p_tok) - 2);
    v_out text := '';
    v_i integer := 1;
    v_c text;
BEGIN
    WHILE v_i <= length(v_body) LOOP
        v_c := substr(v_body, v_i, 1);
        IF v_c = '\' THEN
            v_c := substr(v_body, v_i + 1, 1);
            v_out := v_out || CASE v_c WHEN '\' THEN '\' WHEN '"' THEN '"' WHEN '''' THEN ''''
                                       WHEN 'n' THEN E'\n' WHEN 't' THEN E'\t' WHEN 'r' THEN E'\r' END;
            IF v_c NOT IN ('\', '"', '''', 'n', 't', 'r') THEN
                PERFORM hewer._cel_fail(format('the escape \%s in a string is not supported', v_c),
                                        'Use \\ \" \'' \n \t or \r.');
            END IF;
            v_i := v_i + 2;
        ELSE
            v_out := v_out || v_c;
            v_i := v_i + 1;
        END IF;
    END LOOP;
    RETURN v_out;
END
$$;

-- Recursive descent, one function per precedence level; pos is the index of
-- the next token, sql the compiled node.
CREATE OR REPLACE FUNCTION hewer._cel_p_primary(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_name text;
    r record;
BEGIN
    IF k[pos] = 's' THEN
        sql := quote_literal(to_jsonb(hewer._cel_unquote(v[pos]))::text) || '::jsonb';
        pos := pos + 1;
    ELSIF k[pos] = 'n' THEN
        IF length(v[pos]) > 18 THEN
            PERFORM hewer._cel_fail(format('the number %s is out of range', v[pos]));
        END IF;
        sql := quote_literal(v[pos]::numeric::text) || '::jsonb';
        pos := pos + 1;
    ELSIF v[pos] = '(' AND k[pos] = 'o' THEN
        r := hewer._cel_p_expr(k, v, pos + 1);
        IF v[r.pos] <> ')' OR k[r.pos] <> 'o' THEN
            PERFORM hewer._cel_fail(format('expected ")" but found %s', coalesce(nullif(v[r.pos], ''), 'the end')));
        END IF;
        pos := r.pos + 1;
        sql := r.sql;
    ELSIF v[pos] = '[' AND k[pos] = 'o' THEN
        PERFORM hewer._cel_fail('list literals are not supported');
    ELSIF v[pos] = '{' THEN
        PERFORM hewer._cel_fail('map literals are not supported');
    ELSIF k[pos] = 'i' THEN
        v_name := v[pos];
        IF v_name IN ('true', 'false', 'null') THEN
            sql := quote_literal(v_name) || '::jsonb';
            pos := pos + 1;
        ELSIF v[pos + 1] = '(' AND k[pos + 1] = 'o' THEN
            IF v_name NOT IN ('string', 'int', 'size') THEN
                PERFORM hewer._cel_fail(format('the function %s() is not supported', v_name));
            END IF;
            r := hewer._cel_p_expr(k, v, pos + 2);
            IF v[r.pos] <> ')' OR k[r.pos] <> 'o' THEN
                PERFORM hewer._cel_fail(format('%s() takes one argument', v_name));
            END IF;
            pos := r.pos + 1;
            sql := format('hewer._cel_%s(%s)', v_name, r.sql);
        ELSIF v_name = 'input' THEN
            sql := 'u.input';
            pos := pos + 1;
        ELSE
            PERFORM hewer._cel_fail(format('unknown identifier %s', v_name),
                                    'Keys read the run input only: input.field.');
        END IF;
    ELSIF k[pos] = 'e' THEN
        PERFORM hewer._cel_fail('the expression ends too early');
    ELSE
        PERFORM hewer._cel_fail(format('unexpected %s', v[pos]));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_member(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
BEGIN
    r := hewer._cel_p_primary(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    LOOP
        IF k[pos] = 'o' AND v[pos] = '.' THEN
            IF k[pos + 1] <> 'i' THEN
                PERFORM hewer._cel_fail(format('expected a field name after "." but found %s',
                                               coalesce(nullif(v[pos + 1], ''), 'the end')));
            END IF;
            IF k[pos + 2] = 'o' AND v[pos + 2] = '(' THEN
                PERFORM hewer._cel_fail(format('method calls (.%s()) are not supported', v[pos + 1]));
            END IF;
            sql := format('hewer._cel_field(%s, %s)', sql, quote_literal(v[pos + 1]));
            pos := pos + 2;
        ELSIF k[pos] = 'o' AND v[pos] = '[' THEN
            r := hewer._cel_p_expr(k, v, pos + 1);
            IF v[r.pos] <> ']' OR k[r.pos] <> 'o' THEN
                PERFORM hewer._cel_fail(format('expected "]" but found %s', coalesce(nullif(v[r.pos], ''), 'the end')));
            END IF;
            sql := format('hewer._cel_index(%s, %s)', sql, r.sql);
            pos := r.pos + 1;
        ELSE
            EXIT;
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_unary(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
    v_op text;
BEGIN
    IF k[pos] = 'o' AND v[pos] IN ('!', '-') THEN
        v_op := v[pos];
        r := hewer._cel_p_unary(k, v, pos + 1);
        pos := r.pos;
        sql := format(CASE v_op WHEN '!' THEN 'hewer._cel_not(%s)' ELSE 'hewer._cel_neg(%s)' END, r.sql);
    ELSE
        r := hewer._cel_p_member(k, v, pos);
        pos := r.pos;
        sql := r.sql;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_add(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
    v_op text;
BEGIN
    r := hewer._cel_p_unary(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    WHILE k[pos] = 'o' AND v[pos] IN ('+', '-') LOOP
        v_op := v[pos];
        r := hewer._cel_p_unary(k, v, pos + 1);
        pos := r.pos;
        sql := format(CASE v_op WHEN '+' THEN 'hewer._cel_add(%s, %s)' ELSE 'hewer._cel_sub(%s, %s)' END,
                      sql, r.sql);
    END LOOP;
    IF k[pos] = 'x' AND v[pos] IN ('*', '/', '%') THEN
        PERFORM hewer._cel_fail(format('the operator %s is not supported', v[pos]));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_rel(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
    v_op text;
BEGIN
    r := hewer._cel_p_add(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    WHILE k[pos] = 'o' AND v[pos] IN ('==', '!=', '<', '<=', '>', '>=') LOOP
        v_op := v[pos];
        r := hewer._cel_p_add(k, v, pos + 1);
        pos := r.pos;
        sql := CASE v_op
            WHEN '==' THEN format('hewer._cel_eq(%s, %s, false)', sql, r.sql)
            WHEN '!=' THEN format('hewer._cel_eq(%s, %s, true)', sql, r.sql)
            ELSE format('hewer._cel_cmp(%s, %s, %s)', quote_literal(v_op), sql, r.sql) END;
    END LOOP;
    IF k[pos] = 'i' AND v[pos] = 'in' THEN
        PERFORM hewer._cel_fail('the operator in is not supported');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_and(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
BEGIN
    r := hewer._cel_p_rel(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    WHILE k[pos] = 'o' AND v[pos] = '&&' LOOP
        r := hewer._cel_p_rel(k, v, pos + 1);
        pos := r.pos;
        sql := format('hewer._cel_and(%s, %s)', sql, r.sql);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_or(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
BEGIN
    r := hewer._cel_p_and(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    WHILE k[pos] = 'o' AND v[pos] = '||' LOOP
        r := hewer._cel_p_and(k, v, pos + 1);
        pos := r.pos;
        sql := format('hewer._cel_or(%s, %s)', sql, r.sql);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION hewer._cel_p_expr(k text[], v text[], INOUT pos integer, OUT sql text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    r record;
    a record;
    b record;
BEGIN
    IF pos > 200 THEN
        PERFORM hewer._cel_fail('the expression is too deeply nested or too long');
    END IF;
    r := hewer._cel_p_or(k, v, pos);
    pos := r.pos;
    sql := r.sql;
    IF k[pos] = 'o' AND v[pos] = '?' THEN
        a := hewer._cel_p_expr(k, v, pos + 1);
        IF v[a.pos] <> ':' OR k[a.pos] <> 'o' THEN
            PERFORM hewer._cel_fail(format('expected ":" but found %s', coalesce(nullif(v[a.pos], ''), 'the end')));
        END IF;
        b := hewer._cel_p_expr(k, v, a.pos + 1);
        pos := b.pos;
        sql := format('hewer._cel_cond(%s, %s, %s)', sql, a.sql, b.sql);
    END IF;
END
$$;

-- Compile a CEL key to a SQL expression of u.input (jsonb) giving the key
-- text, or raise HW020 naming the unsupported construct.
CREATE OR REPLACE FUNCTION hewer._cel_compile(p_src text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    t record;
    r record;
BEGIN
    IF p_src IS NULL OR btrim(p_src) = '' THEN
        PERFORM hewer._cel_fail('the key is empty', 'Write a CEL expression over the input, e.g. input.user_id.');
    END IF;
    IF length(p_src) > 1000 THEN
        PERFORM hewer._cel_fail('the key is longer than 1000 characters');
    END IF;
    t := hewer._cel_tokens(p_src);
    r := hewer._cel_p_expr(t.kinds, t.vals, 1);
    IF t.kinds[r.pos] <> 'e' THEN
        PERFORM hewer._cel_fail(CASE WHEN t.vals[r.pos] IN ('*', '/', '%')
                                     THEN format('the operator %s is not supported', t.vals[r.pos])
                                     WHEN t.vals[r.pos] = '{' THEN 'map literals are not supported'
                                     ELSE format('unexpected %s', t.vals[r.pos]) END);
    END IF;
    RETURN format('hewer._cel_key(%s)', r.sql);
END
$$;

-- Evaluate a CEL key (source) for one input: for tests and psql.
CREATE OR REPLACE FUNCTION hewer.cel_key_eval(p_src text, p_input jsonb)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_out text;
BEGIN
    -- The compiled text is built by hewer._cel_compile from the parse tree
    -- only, every name and constant quoted (see the top of this file); the
    -- linter cannot see that, so its warning about it is off here.
    PERFORM hewer.plpgsql_check_pragma('disable:security_warnings');
    EXECUTE format('SELECT %s FROM (SELECT $1 AS input) u', hewer._cel_compile(p_src))
    INTO v_out USING p_input;
    RETURN v_out;
END
$$;

-- Evaluate a compiled key for a batch of inputs (one key each, in order).
-- p_what names the key in the error (HW021) raised when an input lacks a
-- field the key reads or has one of the wrong type.
CREATE OR REPLACE FUNCTION hewer._cel_eval_batch(p_sql text, p_inputs jsonb[], p_what text)
RETURNS text[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_keys text[];
    v_bad integer;
BEGIN
    -- p_sql is a key compiled by hewer._cel_compile (stored with its version).
    PERFORM hewer.plpgsql_check_pragma('disable:security_warnings');
    EXECUTE format('SELECT array_agg(%s ORDER BY u.i) FROM unnest($1) WITH ORDINALITY AS u(input, i)', p_sql)
    INTO v_keys USING p_inputs;
    SELECT u.i INTO v_bad FROM unnest(v_keys) WITH ORDINALITY AS u(k, i) WHERE u.k IS NULL ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: cannot be evaluated for input #% (%): a field it reads is missing or has the wrong type',
            p_what, v_bad, left(p_inputs[v_bad]::text, 200)
            USING ERRCODE = 'HW021', HINT = 'Give every run the fields its concurrency and rate limit keys read.';
    END IF;
    RETURN v_keys;
END
$$;
