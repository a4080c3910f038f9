-- Private helpers shared by the API functions. Nothing here takes locks or
-- notifies.
--
-- Error codes (SQLSTATE class HW, documented in docs/sql-api.md):
--   HW001 invalid_spec        a workflow spec is malformed or out of range
--   HW002 cyclic_dag          a workflow spec's steps form a cycle
--   HW003 unknown_workflow    no such workflow (or it has no version)
--   HW004 invalid_input       a run input is not a JSON object
--   HW005 unknown_task        no such task in this tenant
--   HW006 stale_attempt       a report names an attempt that is not current
--   HW007 invalid_argument    an argument is NULL, out of range or arrays differ in length
--   HW008 unknown_worker      no such worker in this tenant
--   HW009 unknown_run         no such run in this tenant

-- Parse a duration from a spec: a JSON number of seconds or an interval
-- string ('30s', '5 minutes'). Raises HW001 naming the step and field.
CREATE OR REPLACE FUNCTION hewer._spec_duration(
    p_value jsonb, p_default interval, p_where text, p_field text,
    p_min interval, p_max interval)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE
AS $$
#variable_conflict use_column
DECLARE
    v interval;
BEGIN
    IF p_value IS NULL OR p_value = 'null'::jsonb THEN
        RETURN p_default;
    END IF;
    BEGIN
        CASE jsonb_typeof(p_value)
            WHEN 'number' THEN v := make_interval(secs => (p_value #>> '{}')::double precision);
            WHEN 'string' THEN v := (p_value #>> '{}')::interval;
            ELSE RAISE invalid_parameter_value;
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be a duration, got %', p_where, p_field, p_value
            USING ERRCODE = 'HW001',
                  HINT = 'Use seconds as a number (30) or an interval string ("30s", "5 minutes").';
    END;
    IF v < p_min OR v > p_max THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be between % and %, got %',
            p_where, p_field, p_min, p_max, p_value
            USING ERRCODE = 'HW001';
    END IF;
    RETURN v;
END
$$;

-- Read an integer field of a spec object within [p_min, p_max]; HW001 otherwise.
CREATE OR REPLACE FUNCTION hewer._spec_int(
    p_value jsonb, p_default integer, p_where text, p_field text, p_min integer, p_max integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$
#variable_conflict use_column
DECLARE
    v numeric;
BEGIN
    IF p_value IS NULL OR p_value = 'null'::jsonb THEN
        RETURN p_default;
    END IF;
    IF jsonb_typeof(p_value) <> 'number' THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be an integer, got %', p_where, p_field, p_value
            USING ERRCODE = 'HW001';
    END IF;
    v := (p_value #>> '{}')::numeric;
    IF v <> trunc(v) OR v < p_min OR v > p_max THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be an integer from % to %, got %',
            p_where, p_field, p_min, p_max, p_value
            USING ERRCODE = 'HW001';
    END IF;
    RETURN v::integer;
END
$$;

-- Read a number field of a spec object within [p_min, p_max]; HW001 otherwise.
CREATE OR REPLACE FUNCTION hewer._spec_number(
    p_value jsonb, p_default double precision, p_where text, p_field text,
    p_min double precision, p_max double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE
AS $$
#variable_conflict use_column
DECLARE
    v double precision;
BEGIN
    IF p_value IS NULL OR p_value = 'null'::jsonb THEN
        RETURN p_default;
    END IF;
    IF jsonb_typeof(p_value) <> 'number' THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be a number, got %', p_where, p_field, p_value
            USING ERRCODE = 'HW001';
    END IF;
    v := (p_value #>> '{}')::double precision;
    IF v < p_min OR v > p_max THEN
        RAISE EXCEPTION 'invalid workflow spec: %: "%" must be between % and %, got %',
            p_where, p_field, p_min, p_max, p_value
            USING ERRCODE = 'HW001';
    END IF;
    RETURN v;
END
$$;

-- Names of workflows, steps and actions: letters, digits and _ - . : only,
-- so they are safe in logs, notifications and URLs.
CREATE OR REPLACE FUNCTION hewer._valid_name(p_name text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p_name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'
$$;

-- Check that parallel argument arrays are present and of one length; returns it.
CREATE OR REPLACE FUNCTION hewer._batch_len(p_function text, p_first anyarray, p_others integer[])
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(cardinality(p_first), -1);
BEGIN
    IF n < 0 THEN
        RAISE EXCEPTION '%: the first array argument is NULL', p_function
            USING ERRCODE = 'HW007', HINT = 'Pass an array, e.g. ARRAY[...]; an empty array is allowed.';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_others) AS o(len) WHERE o.len IS DISTINCT FROM n) THEN
        RAISE EXCEPTION '%: array arguments differ in length (% vs %)', p_function, n, p_others
            USING ERRCODE = 'HW007',
                  HINT = 'Pass one element per item in every array argument (or NULL for optional ones).';
    END IF;
    RETURN n;
END
$$;

-- Raise HW007 when a function's injectable clock is NULL.
CREATE OR REPLACE FUNCTION hewer._require_now(p_function text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_now IS NULL THEN
        RAISE EXCEPTION '%: p_now is NULL', p_function
            USING ERRCODE = 'HW007', HINT = 'Omit p_now to use now(), or pass a timestamp.';
    END IF;
END
$$;

-- Tell dispatchers that work is ready for these actions: one NOTIFY per call.
-- The payload lists the actions unless it would not fit, then it says "any".
-- Dispatchers also poll, so a lost notification only delays work.
CREATE OR REPLACE FUNCTION hewer._notify_ready(p_tenant uuid, p_actions text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_payload text;
BEGIN
    IF coalesce(cardinality(p_actions), 0) = 0 THEN
        RETURN;
    END IF;
    v_payload := json_build_object('tenant', p_tenant, 'actions', p_actions)::text;
    IF octet_length(v_payload) > 7000 THEN
        v_payload := json_build_object('tenant', p_tenant, 'actions', NULL)::text;
    END IF;
    PERFORM pg_notify('hewer_ready', v_payload);
END
$$;

-- Put tasks that are already marked 'queued' (queued_at = when they become
-- claimable) on the ready queue, and notify once per tenant for those
-- claimable now. The caller holds the task rows (it has just inserted or
-- locked them).
CREATE OR REPLACE FUNCTION hewer._queue_push(p_task_ids uuid[], p_now timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v record;
BEGIN
    IF coalesce(cardinality(p_task_ids), 0) = 0 THEN
        RETURN;
    END IF;
    -- Steps with a durable wait go to 'waiting' instead (once, before their
    -- first attempt); the check costs one probe while no step has a wait.
    IF EXISTS (SELECT 1 FROM hewer.step_waits) THEN
        PERFORM hewer._wait_divert(p_task_ids, p_now);
    END IF;
    FOR v IN
        WITH pushed AS (
            INSERT INTO hewer.queue (tenant_id, task_id, action, priority, ready_at, schedule_timeout_at)
            SELECT t.tenant_id, t.id, t.action, t.priority, t.queued_at, t.queued_at + t.schedule_timeout
            FROM hewer.tasks t
            WHERE t.id = ANY (p_task_ids) AND t.status = 'queued'
            ORDER BY t.priority DESC, t.id
            RETURNING tenant_id, action, ready_at
        )
        SELECT p.tenant_id, array_agg(DISTINCT p.action) AS actions
        FROM pushed p WHERE p.ready_at <= p_now GROUP BY p.tenant_id
    LOOP
        PERFORM hewer._notify_ready(v.tenant_id, v.actions);
    END LOOP;
END
$$;

-- Tell waiters that runs reached a terminal state: one NOTIFY on channel
-- hewer_run_done per call ({"runs": [...]}, or null when too many to list).
CREATE OR REPLACE FUNCTION hewer._notify_runs_done(p_run_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_payload text;
BEGIN
    IF coalesce(cardinality(p_run_ids), 0) = 0 THEN
        RETURN;
    END IF;
    v_payload := json_build_object('runs', p_run_ids)::text;
    IF octet_length(v_payload) > 7000 THEN
        v_payload := json_build_object('runs', NULL)::text;
    END IF;
    PERFORM pg_notify('hewer_run_done', v_payload);
END
$$;
