-- Private helpers shared by the API functions. Nothing here takes locks or
-- notifies.
--
-- Error codes (SQLSTATE class HW): the one list is pydispatch/error_codes.py,
-- in SQL hewer.error_codes() (base/error_codes.sql), in the docs
-- docs/sql-api.md#error-codes. A new code goes there first (`make codes`).

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

-- Check a function's injectable clock: HW007 when it is NULL or infinite.
-- Only trusted roles choose the time (tests, tools, the dispatcher): a
-- tenant role's p_now must be the server's clock within 5 seconds (HW120),
-- so a tenant cannot backdate or postdate what it stores, and the
-- partitions its rows land in are those of now.
CREATE OR REPLACE FUNCTION hewer._require_now(p_function text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_now IS NULL THEN
        RAISE EXCEPTION '%: p_now is NULL', p_function
            USING ERRCODE = 'HW007', HINT = 'Omit p_now to use now(), or pass a timestamp.';
    END IF;
    -- infinity would make leases that never expire and ids that cannot be made.
    IF NOT isfinite(p_now) THEN
        RAISE EXCEPTION '%: p_now is %, it must be a finite timestamp', p_function, p_now
            USING ERRCODE = 'HW007', HINT = 'Omit p_now to use now(), or pass a timestamp.';
    END IF;
    IF abs(extract(epoch FROM p_now - pg_catalog.now())) > 5 THEN
        IF NOT hewer._trusted() THEN
            RAISE EXCEPTION '%: p_now is %, but a tenant role runs on the server''s clock (now %)',
                p_function, p_now, pg_catalog.now()
                USING ERRCODE = 'HW120',
                      HINT = 'Omit p_now. Only roles trusted with every tenant may choose the time.';
        END IF;
    END IF;
END
$$;

-- hewer.notify_tag(text) -> text: what notification payloads carry instead of
-- names and ids. Any login may LISTEN, so a payload must tell other tenants
-- nothing: it carries the first 16 hex digits of the MD5 of what it is about
-- (a run id, a worker id, '<tenant id>:<action>'). A listener computes the
-- tags of what it waits for and compares (see docs/sql-api.md#notifications).
CREATE OR REPLACE FUNCTION hewer.notify_tag(p_value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT left(pg_catalog.md5(p_value), 16)
$$;

-- Tell dispatchers that work is ready for these actions: one NOTIFY per call.
-- The payload tags the tenant's actions (notify_tag('<tenant>:<action>'))
-- unless they would not fit; then it tags the tenant only ("tags": null).
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
    v_payload := json_build_object(
        'tenant', hewer.notify_tag(p_tenant::text),
        'tags', ARRAY(SELECT hewer.notify_tag(p_tenant || ':' || a) FROM unnest(p_actions) AS a))::text;
    IF octet_length(v_payload) > 7000 THEN
        v_payload := json_build_object('tenant', hewer.notify_tag(p_tenant::text), 'tags', NULL)::text;
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
        WITH src AS (
            SELECT t.tenant_id, t.id, t.action, t.priority, t.queued_at, t.schedule_timeout, t.run_id,
                   t.slots, t.limits, (t.limits ->> 'rr_sem')::bigint AS rr_sem,
                   row_number() OVER (PARTITION BY t.limits ->> 'rr_sem' ORDER BY t.priority DESC, t.id) AS rr_n
            FROM hewer.tasks t
            WHERE t.id = ANY (p_task_ids) AND t.status = 'queued'
        ), pushed AS (
            INSERT INTO hewer.queue (tenant_id, task_id, action, priority, ready_at, schedule_timeout_at,
                                     run_id, slots, run_sem, run_sem_max, step_sem, step_sem_max,
                                     rate_names, rate_keys, rate_units, rr_group, rr_sem, rr_seq,
                                     labels, prefer, sticky, sticky_worker)
            SELECT s.tenant_id, s.id, s.action, s.priority, s.queued_at, s.queued_at + s.schedule_timeout,
                   s.run_id, s.slots,
                   (s.limits ->> 'run_sem')::bigint, (s.limits ->> 'run_max')::integer,
                   (s.limits ->> 'step_sem')::bigint, (s.limits ->> 'step_max')::integer,
                   CASE WHEN s.limits ? 'rates' THEN ARRAY(SELECT e ->> 0 FROM jsonb_array_elements(s.limits -> 'rates') AS a(e)) END,
                   CASE WHEN s.limits ? 'rates' THEN ARRAY(SELECT e ->> 1 FROM jsonb_array_elements(s.limits -> 'rates') AS a(e)) END,
                   CASE WHEN s.limits ? 'rates' THEN ARRAY(SELECT (e ->> 2)::integer FROM jsonb_array_elements(s.limits -> 'rates') AS a(e)) END,
                   s.limits ->> 'rr_group', s.rr_sem,
                   -- Fair order within a round-robin limit: after the key's
                   -- last queued task, but not before the group's head, so a
                   -- new key joins the rotation instead of jumping it.
                   CASE WHEN s.rr_sem IS NULL THEN 0
                        ELSE greatest(
                            coalesce((SELECT max(q.rr_seq) FROM hewer.queue q WHERE q.rr_sem = s.rr_sem), 0),
                            coalesce((SELECT min(q.rr_seq) FROM hewer.queue q
                                      WHERE q.rr_group = s.limits ->> 'rr_group'), 0)) + s.rr_n END,
                   -- Affinity (docs/affinity.md): the worker a sticky run sticks to, if
                   -- one has claimed a task of it yet.
                   s.limits -> 'labels', s.limits -> 'prefer', s.limits ->> 'sticky',
                   CASE WHEN s.limits ? 'sticky'
                        THEN (SELECT r.sticky_worker_id FROM hewer.runs r WHERE r.id = s.run_id) END
            FROM src s
            ORDER BY s.priority DESC, s.id
            RETURNING tenant_id, action, ready_at
        )
        SELECT p.tenant_id, array_agg(DISTINCT p.action) AS actions
        FROM pushed p WHERE p.ready_at <= p_now GROUP BY p.tenant_id
    LOOP
        PERFORM hewer._notify_ready(v.tenant_id, v.actions);
    END LOOP;
END
$$;

-- NOTIFY channel p_channel once with the tags of these runs ({"runs": [tags]}, or
-- null when too many to list): hewer_run_done (runs that reached a terminal
-- state: Wait and Watch calls) and hewer_output (runs with new output chunks).
CREATE OR REPLACE FUNCTION hewer._notify_runs(p_channel text, p_run_ids uuid[])
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
    v_payload := json_build_object(
        'runs', ARRAY(SELECT DISTINCT hewer.notify_tag(r::text) FROM unnest(p_run_ids) AS r))::text;
    IF octet_length(v_payload) > 7000 THEN
        v_payload := json_build_object('runs', NULL)::text;
    END IF;
    PERFORM pg_notify(p_channel, v_payload);
END
$$;

-- Tell waiters that runs reached a terminal state: one NOTIFY on channel
-- hewer_run_done per call.
CREATE OR REPLACE FUNCTION hewer._notify_runs_done(p_run_ids uuid[])
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT hewer._notify_runs('hewer_run_done', p_run_ids)
$$;


-- The size limit in bytes (pg_column_size of the jsonb) for a kind of payload:
-- 'input', 'output' and 'spec' use the setting hewer.max_payload_bytes
-- (default 4 MiB), 'error' uses hewer.max_error_bytes (default 256 KiB). A DBA
-- changes them with ALTER DATABASE ... SET hewer.max_payload_bytes = '16MB'.
-- A tenant's max_payload_bytes (hewer.tenant_update) lowers the payload limit
-- for that tenant (p_tenant: the current tenant, when the caller has it).
-- Payloads travel with every assignment of every task of a run (inputs) and of
-- every child (outputs): large data belongs in object storage, by reference.
-- Two more kinds size offloaded payloads (docs/payloads.md): 'offload', the
-- largest object a reference may name (hewer.max_offload_bytes, default
-- 64 MiB, lowered for a tenant by its max_offload_bytes), and
-- 'offload_threshold', the size over which a payload goes to object storage
-- (hewer.offload_threshold_bytes, default 256 KiB, never below 64 KiB).
CREATE OR REPLACE FUNCTION hewer._payload_limit(p_kind text, p_tenant uuid DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_setting text := CASE p_kind WHEN 'error' THEN 'hewer.max_error_bytes'
                                  WHEN 'offload' THEN 'hewer.max_offload_bytes'
                                  WHEN 'offload_threshold' THEN 'hewer.offload_threshold_bytes'
                                  ELSE 'hewer.max_payload_bytes' END;
    v_value text := nullif(pg_catalog.current_setting(v_setting, true), '');
    v_limit bigint;
    v_tenant_limit bigint;
BEGIN
    -- A server-wide setting. A tenant's session may SET it too, so for a
    -- tenant only what ALTER DATABASE / ALTER ROLE set counts (the most
    -- specific of them), never the session's own value.
    IF NOT hewer._trusted() THEN
        SELECT nullif(split_part(c.c, '=', 2), '') INTO v_value
        FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) AS c(c)
        WHERE c.c LIKE v_setting || '=%'
          AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()))
          AND s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = session_user))
        ORDER BY s.setrole <> 0 DESC, s.setdatabase <> 0 DESC
        LIMIT 1;
    END IF;
    IF v_value IS NULL THEN
        v_limit := CASE p_kind WHEN 'error' THEN 262144
                               WHEN 'offload' THEN 67108864
                               WHEN 'offload_threshold' THEN 262144
                               ELSE 4194304 END;
    ELSE
        BEGIN
            v_limit := pg_size_bytes(v_value);
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'setting % is %, not a size', v_setting, quote_literal(v_value)
                USING ERRCODE = 'HW007', HINT = 'Use bytes or a unit, e.g. ''4MB''.';
        END;
    END IF;
    IF p_kind = 'offload_threshold' THEN
        RETURN greatest(v_limit, 65536);
    ELSIF p_kind = 'offload' THEN
        SELECT t.max_offload_bytes INTO v_tenant_limit FROM hewer.tenants t
        WHERE t.id = coalesce(p_tenant, hewer.current_tenant());
    ELSIF p_kind <> 'error' THEN
        SELECT t.max_payload_bytes INTO v_tenant_limit FROM hewer.tenants t
        WHERE t.id = coalesce(p_tenant, hewer.current_tenant());
    END IF;
    RETURN least(v_limit, v_tenant_limit);
END
$$;

-- Raise HW010 for the first payload over its limit: which one, its size, the
-- limit and the fix. NULLs pass.
CREATE OR REPLACE FUNCTION hewer._check_payloads(
    p_function text, p_kind text, p_values jsonb[], p_tenant uuid DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_limit bigint := hewer._payload_limit(p_kind, p_tenant);
    v_bad record;
BEGIN
    SELECT v.i, pg_column_size(v.value) AS size INTO v_bad
    FROM unnest(p_values) WITH ORDINALITY AS v(value, i)
    WHERE pg_column_size(v.value) > v_limit
    ORDER BY v.i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: % #% is % bytes, over the limit of % bytes', p_function, p_kind,
            v_bad.i, v_bad.size, v_limit
            USING ERRCODE = 'HW010',
                  HINT = 'Keep large data in object storage and pass a reference, or raise the limit: '
                      || 'ALTER DATABASE ... SET '
                      || CASE WHEN p_kind = 'error' THEN 'hewer.max_error_bytes' ELSE 'hewer.max_payload_bytes' END
                      || ' = ''16MB'''
                      || CASE WHEN p_kind = 'error' THEN '.'
                              ELSE ' (and a tenant''s own limit: hewer tenants update NAME --max-payload-bytes N).' END;
    END IF;
END
$$;

-- A marker for plpgsql_check (the linter run on the PostgreSQL 15 pass):
-- `PERFORM hewer.plpgsql_check_pragma('disable:security_warnings')` turns a
-- check off for the rest of a block, where a comment beside it says why. At
-- run time it does nothing.
CREATE OR REPLACE FUNCTION hewer.plpgsql_check_pragma(VARIADIC p_args text[])
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $$
    SELECT 1
$$;

-- Tell output subscribers that runs have new chunks: one NOTIFY on channel
-- hewer_output per call.
CREATE OR REPLACE FUNCTION hewer._notify_output(p_run_ids uuid[])
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT hewer._notify_runs('hewer_output', p_run_ids)
$$;

-- hewer._label_share(worker_labels, prefer) -> 0..1 (private)
--
-- The share of a preference's total weight that a worker's labels meet:
-- prefer is {"name": {"value": ..., "weight": n}} (canonical, see above).
CREATE OR REPLACE FUNCTION hewer._label_share(p_labels jsonb, p_prefer jsonb)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(sum((e.value ->> 'weight')::float8)
                        FILTER (WHERE p_labels -> e.key = e.value -> 'value')
                    / nullif(sum((e.value ->> 'weight')::float8), 0), 0)
    FROM jsonb_each(p_prefer) AS e
$$;
