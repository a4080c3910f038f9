-- hewer.tenant_create(name, db_role?, max_running?, max_trigger_rate?, trigger_burst?,
--                     max_payload_bytes?, max_offload_bytes?) -> the tenant, as
--                     hewer.tenant_list shows it
-- hewer.tenant_update(name, db_role?, max_running?, max_trigger_rate?, trigger_burst?,
--                     max_payload_bytes?, max_offload_bytes?) -> the tenant
-- hewer.tenant_list() -> every tenant (trusted sessions) or the caller's own
--
-- Tenants isolate everything: each row of every table carries tenant_id, and
-- row-level security shows a session only its tenant's rows (docs/tenants.md).
-- db_role maps an ordinary database role to the tenant: its sessions are
-- that tenant and nothing else, and it joins hewer_client (read its rows,
-- call the API functions). A role trusted with every tenant (superuser,
-- BYPASSRLS, member of the schema owner) cannot be a tenant role.
--
-- Limits, NULL = unchanged in tenant_update, 0 = remove the limit:
-- max_running: running tasks of the tenant at once (the tenant level of the
-- concurrency limits, enforced by task_claim). max_trigger_rate: runs
-- started (run_trigger, run_spawn) plus events pushed (push_event) per
-- second, a token bucket of trigger_burst (default: the rate rounded up);
-- over it, HW094. max_payload_bytes: the largest input, output, spec or
-- event payload the tenant may store (and never above hewer.max_payload_bytes);
-- over it, HW010. max_offload_bytes: the largest payload of the tenant kept
-- in object storage (and never above hewer.max_offload_bytes, docs/payloads.md);
-- a reference to a larger object is HW010.
--
-- Trusted sessions only (HW095). Locks: the tenant row. Errors: HW092 bad or
-- unknown name or role, HW007 a bad limit, HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer._require_trusted(p_function text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT hewer._trusted() THEN
        RAISE EXCEPTION '%: only a role trusted with every tenant may do this, and % is a tenant role',
            p_function, session_user
            USING ERRCODE = 'HW095',
                  HINT = 'Connect as the owner of schema hewer (the role that ran hewer migrate), or ask its operator.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer._tenant_id(p_function text, p_name text)
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_id uuid;
BEGIN
    IF p_name IS NULL THEN
        RETURN hewer.current_tenant();
    END IF;
    SELECT t.id INTO v_id FROM hewer.tenants t WHERE t.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: tenant % does not exist', p_function, quote_literal(p_name)
            USING ERRCODE = 'HW092', HINT = 'List the tenants with: hewer tenants list.';
    END IF;
    IF v_id <> hewer.current_tenant() THEN
        PERFORM hewer._require_trusted(p_function);
    END IF;
    RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION hewer.tenant_list()
RETURNS TABLE (tenant_id uuid, name text, db_role name, max_running integer,
               max_trigger_rate double precision, trigger_burst integer, max_payload_bytes bigint,
               max_offload_bytes bigint, active_tokens bigint, created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT t.id, t.name, t.db_role, l.max_running, t.max_trigger_rate, t.trigger_burst,
           t.max_payload_bytes, t.max_offload_bytes,
           (SELECT count(*) FROM hewer.api_tokens k
            WHERE k.tenant_id = t.id AND k.revoked_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > now())),
           t.created_at
    FROM hewer.tenants t
    LEFT JOIN hewer.concurrency_limits l ON l.tenant_id = t.id AND l.scope = 'tenant' AND l.name = ''
    WHERE hewer._trusted() OR t.id = hewer.current_tenant()
    ORDER BY t.name
$$;

-- Applies the limits and role of tenant_create and tenant_update (NULL =
-- unchanged, 0 = none; db_role '' = none).
CREATE OR REPLACE FUNCTION hewer._tenant_apply(
    p_function text, p_id uuid, p_db_role text, p_max_running integer,
    p_max_trigger_rate double precision, p_trigger_burst integer, p_max_payload_bytes bigint,
    p_max_offload_bytes bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_role record;
BEGIN
    IF p_max_running < 0 OR p_trigger_burst < 0 OR p_max_payload_bytes < 0 OR p_max_offload_bytes < 0
       OR p_max_trigger_rate < 0 OR p_max_trigger_rate > 1e9 OR p_max_trigger_rate = 'NaN' THEN
        RAISE EXCEPTION '%: limits must be positive (0 removes one), got max_running %, max_trigger_rate %, trigger_burst %, max_payload_bytes %, max_offload_bytes %',
            p_function, p_max_running, p_max_trigger_rate, p_trigger_burst, p_max_payload_bytes,
            p_max_offload_bytes
            USING ERRCODE = 'HW007', HINT = 'Pass a positive number, 0 to remove the limit, or NULL to keep it.';
    END IF;
    IF p_db_role IS NOT NULL AND p_db_role <> '' THEN
        SELECT r.oid, r.rolsuper, r.rolbypassrls,
               pg_has_role(r.oid, (SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'hewer'), 'MEMBER') AS owner
        INTO v_role FROM pg_roles r WHERE r.rolname = p_db_role;
        IF NOT FOUND THEN
            RAISE EXCEPTION '%: database role % does not exist', p_function, quote_ident(p_db_role)
                USING ERRCODE = 'HW092',
                      HINT = format('Create it first, e.g. CREATE ROLE %s LOGIN PASSWORD ''...'';', quote_ident(p_db_role));
        END IF;
        IF v_role.rolsuper OR v_role.rolbypassrls OR v_role.owner THEN
            RAISE EXCEPTION '%: role % is trusted with every tenant (superuser, BYPASSRLS or a member of the schema owner), so it cannot be one tenant''s role',
                p_function, quote_ident(p_db_role)
                USING ERRCODE = 'HW092', HINT = 'Create an ordinary role for the tenant.';
        END IF;
        IF EXISTS (SELECT 1 FROM hewer.tenants t WHERE t.db_role = p_db_role AND t.id <> p_id) THEN
            RAISE EXCEPTION '%: role % is already the role of tenant %', p_function, quote_ident(p_db_role),
                (SELECT quote_literal(t.name) FROM hewer.tenants t WHERE t.db_role = p_db_role)
                USING ERRCODE = 'HW092', HINT = 'A role belongs to one tenant: create another role.';
        END IF;
        EXECUTE format('GRANT hewer_client TO %I', p_db_role);
        -- Server guards, unless the role has its own already (see hewer.tenant_guard).
        PERFORM hewer._role_guard(p_function, p_db_role, 20, interval '30 seconds',
                                  interval '60 seconds', true);
    END IF;
    UPDATE hewer.tenants t SET
        db_role = CASE WHEN p_db_role IS NULL THEN t.db_role ELSE nullif(p_db_role, '')::name END,
        max_trigger_rate = CASE WHEN p_max_trigger_rate IS NULL THEN t.max_trigger_rate
                                ELSE nullif(p_max_trigger_rate, 0) END,
        trigger_burst = CASE WHEN p_trigger_burst IS NULL THEN t.trigger_burst ELSE nullif(p_trigger_burst, 0) END,
        max_payload_bytes = CASE WHEN p_max_payload_bytes IS NULL THEN t.max_payload_bytes
                                 ELSE nullif(p_max_payload_bytes, 0) END,
        max_offload_bytes = CASE WHEN p_max_offload_bytes IS NULL THEN t.max_offload_bytes
                                 ELSE nullif(p_max_offload_bytes, 0) END,
        trigger_tokens = NULL,
        trigger_refilled_at = NULL
    WHERE t.id = p_id;
    IF p_max_running = 0 THEN
        DELETE FROM hewer.concurrency_limits l WHERE l.tenant_id = p_id AND l.scope = 'tenant' AND l.name = '';
    ELSIF p_max_running IS NOT NULL THEN
        INSERT INTO hewer.concurrency_limits AS l (tenant_id, scope, name, max_running, updated_at)
        VALUES (p_id, 'tenant', '', p_max_running, now())
        ON CONFLICT (tenant_id, scope, name) DO UPDATE
        SET max_running = EXCLUDED.max_running, updated_at = EXCLUDED.updated_at;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION hewer.tenant_create(
    p_name text,
    p_db_role text DEFAULT NULL,
    p_max_running integer DEFAULT NULL,
    p_max_trigger_rate double precision DEFAULT NULL,
    p_trigger_burst integer DEFAULT NULL,
    p_max_payload_bytes bigint DEFAULT NULL,
    p_max_offload_bytes bigint DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, name text, db_role name, max_running integer,
               max_trigger_rate double precision, trigger_burst integer, max_payload_bytes bigint,
               max_offload_bytes bigint, active_tokens bigint, created_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
BEGIN
    PERFORM hewer._require_trusted('tenant_create');
    IF p_name IS NULL OR NOT hewer._valid_name(p_name) THEN
        RAISE EXCEPTION 'tenant_create: % is not a valid tenant name', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW092',
                  HINT = 'A name is 1 to 128 characters: letters, digits and _ . : - (not starting with . : -).';
    END IF;
    IF EXISTS (SELECT 1 FROM hewer.tenants t WHERE t.name = p_name) THEN
        RAISE EXCEPTION 'tenant_create: tenant % exists already', quote_literal(p_name)
            USING ERRCODE = 'HW092', HINT = 'Change it with hewer.tenant_update, or pick another name.';
    END IF;
    INSERT INTO hewer.tenants (name) VALUES (p_name) RETURNING id INTO v_id;
    PERFORM hewer._tenant_apply('tenant_create', v_id, p_db_role, p_max_running, p_max_trigger_rate,
                                p_trigger_burst, p_max_payload_bytes, p_max_offload_bytes);
    RETURN QUERY SELECT * FROM hewer.tenant_list() l WHERE l.tenant_id = v_id;
END
$$;

CREATE OR REPLACE FUNCTION hewer.tenant_update(
    p_name text,
    p_db_role text DEFAULT NULL,
    p_max_running integer DEFAULT NULL,
    p_max_trigger_rate double precision DEFAULT NULL,
    p_trigger_burst integer DEFAULT NULL,
    p_max_payload_bytes bigint DEFAULT NULL,
    p_max_offload_bytes bigint DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, name text, db_role name, max_running integer,
               max_trigger_rate double precision, trigger_burst integer, max_payload_bytes bigint,
               max_offload_bytes bigint, active_tokens bigint, created_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
BEGIN
    PERFORM hewer._require_trusted('tenant_update');
    SELECT t.id INTO v_id FROM hewer.tenants t WHERE t.name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant_update: tenant % does not exist', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW092', HINT = 'List the tenants with: hewer tenants list.';
    END IF;
    PERFORM hewer._tenant_apply('tenant_update', v_id, p_db_role, p_max_running, p_max_trigger_rate,
                                p_trigger_burst, p_max_payload_bytes, p_max_offload_bytes);
    RETURN QUERY SELECT * FROM hewer.tenant_list() l WHERE l.tenant_id = v_id;
END
$$;

-- Admission for work a tenant's clients start (p_tenant: the caller's
-- hewer.current_tenant(), which it has already): `p_count` runs or events
-- spend that many tokens of the tenant's trigger bucket (max_trigger_rate per
-- second, at most trigger_burst saved up); without a rate, nothing happens.
-- Measured with the transaction's start time, whatever p_now a caller
-- passes. Every way a run starts counts: runs the engine starts for a tenant
-- (cron ticks, scheduled runs, event routes) and replays too; over the rate,
-- the leader defers them (hewer.item_failed, not counted as a failure).
-- Locks: the tenant row, when it has a rate. Errors: HW094 over the rate.
CREATE OR REPLACE FUNCTION hewer._tenant_admit(p_function text, p_tenant uuid, p_count integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_t record;
    v_burst double precision;
    v_tokens double precision;
BEGIN
    IF p_count <= 0 THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM hewer.tenants t WHERE t.id = p_tenant AND t.max_trigger_rate IS NOT NULL) THEN
        RETURN;
    END IF;
    SELECT t.name, t.max_trigger_rate AS rate, t.trigger_burst, t.trigger_tokens, t.trigger_refilled_at
    INTO v_t FROM hewer.tenants t WHERE t.id = p_tenant FOR UPDATE;
    v_burst := coalesce(v_t.trigger_burst, ceil(v_t.rate));
    v_tokens := least(v_burst, coalesce(v_t.trigger_tokens, v_burst)
                      + v_t.rate * greatest(0, extract(epoch FROM now() - coalesce(v_t.trigger_refilled_at, now()))));
    IF p_count > v_burst THEN
        RAISE EXCEPTION '%: tenant % may start at most % runs or events at once (its trigger burst), and this call starts %',
            p_function, quote_literal(v_t.name), v_burst, p_count
            USING ERRCODE = 'HW094',
                  HINT = format('Split the batch into calls of at most %s, or raise the burst: hewer tenants update %s --trigger-burst N.',
                                v_burst, v_t.name);
    END IF;
    IF v_tokens < p_count THEN
        RAISE EXCEPTION '%: tenant % is over its trigger rate of % runs or events per second (% available now, % asked)',
            p_function, quote_literal(v_t.name), v_t.rate, floor(v_tokens), p_count
            USING ERRCODE = 'HW094',
                  HINT = format('Retry in %s s, or raise the limit: hewer tenants update %s --max-trigger-rate N.',
                                round(((p_count - v_tokens) / v_t.rate)::numeric, 3), v_t.name);
    END IF;
    UPDATE hewer.tenants t SET trigger_tokens = v_tokens - p_count,
                               trigger_refilled_at = greatest(now(), coalesce(t.trigger_refilled_at, now()))
    WHERE t.id = p_tenant;
END
$$;

-- hewer.tenant_guard(name, max_connections?, statement_timeout?,
--                    idle_in_transaction_timeout?) -> (role, max_connections,
--                    statement_timeout, idle_in_transaction_timeout)
--
-- The server guards of a tenant's database role: how many sessions it may
-- have at once (CONNECTION LIMIT, for the whole server), and, in this
-- database, how long one statement may run and how long a session may sit
-- idle inside a transaction (holding its locks and snapshot) before the
-- server ends it. A tenant role gets 20, 30 s and 60 s when it is mapped
-- (tenant_create/tenant_update with a role), unless the role has its own.
-- NULL keeps a guard, 0 removes it. New sessions get the new values.
-- Trusted sessions only, with the right to ALTER ROLE (CREATEROLE).
-- Errors: HW092 unknown tenant or a tenant without a role, HW007 a negative
-- value, HW095 not trusted, 42501 no right to alter the role.
CREATE OR REPLACE FUNCTION hewer.tenant_guard(
    p_name text, p_max_connections integer DEFAULT NULL, p_statement_timeout interval DEFAULT NULL,
    p_idle_in_transaction_timeout interval DEFAULT NULL)
RETURNS TABLE (role name, max_connections integer, statement_timeout text,
               idle_in_transaction_timeout text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_role name;
BEGIN
    PERFORM hewer._require_trusted('tenant_guard');
    SELECT t.db_role INTO v_role FROM hewer.tenants t WHERE t.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant_guard: tenant % does not exist', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW092', HINT = 'List the tenants with: hewer tenants list.';
    ELSIF v_role IS NULL THEN
        RAISE EXCEPTION 'tenant_guard: tenant % has no database role to guard', quote_literal(p_name)
            USING ERRCODE = 'HW092', HINT = 'Map one first: hewer tenants update NAME --role ROLE.';
    END IF;
    PERFORM hewer._role_guard('tenant_guard', v_role, p_max_connections, p_statement_timeout,
                              p_idle_in_transaction_timeout, false);
    RETURN QUERY SELECT * FROM hewer._role_guards(v_role);
END
$$;

-- The guards a role has now (the settings are this database's).
CREATE OR REPLACE FUNCTION hewer._role_guards(p_role name)
RETURNS TABLE (role name, max_connections integer, statement_timeout text,
               idle_in_transaction_timeout text)
LANGUAGE sql STABLE
AS $$
    SELECT r.rolname, nullif(r.rolconnlimit, -1),
           (SELECT split_part(c, '=', 2) FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) AS c
            WHERE s.setrole = r.oid AND s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d
                                                         WHERE d.datname = current_database())
              AND c LIKE 'statement\_timeout=%'),
           (SELECT split_part(c, '=', 2) FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) AS c
            WHERE s.setrole = r.oid AND s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d
                                                         WHERE d.datname = current_database())
              AND c LIKE 'idle\_in\_transaction\_session\_timeout=%')
    FROM pg_catalog.pg_roles r WHERE r.rolname = p_role
$$;

-- Sets a role's guards (NULL keeps, 0 removes); with p_only_unset, only
-- those the role does not have yet.
CREATE OR REPLACE FUNCTION hewer._role_guard(
    p_function text, p_role name, p_max_connections integer, p_statement_timeout interval,
    p_idle_timeout interval, p_only_unset boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_now record;
BEGIN
    IF p_max_connections < 0 OR p_statement_timeout < interval '0' OR p_idle_timeout < interval '0' THEN
        RAISE EXCEPTION '%: guards must not be negative (0 removes one), got max_connections %, statement_timeout %, idle_in_transaction_timeout %',
            p_function, p_max_connections, p_statement_timeout, p_idle_timeout
            USING ERRCODE = 'HW007', HINT = 'Pass a positive value, 0 to remove the guard, or NULL to keep it.';
    END IF;
    SELECT * INTO v_now FROM hewer._role_guards(p_role);
    BEGIN
        IF p_max_connections IS NOT NULL AND NOT (p_only_unset AND v_now.max_connections IS NOT NULL) THEN
            EXECUTE format('ALTER ROLE %I CONNECTION LIMIT %s', p_role,
                           CASE WHEN p_max_connections = 0 THEN -1 ELSE p_max_connections END);
        END IF;
        IF p_statement_timeout IS NOT NULL AND NOT (p_only_unset AND v_now.statement_timeout IS NOT NULL) THEN
            IF p_statement_timeout = interval '0' THEN
                EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET statement_timeout', p_role, current_database());
            ELSE
                EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L', p_role,
                               current_database(), ceil(extract(epoch FROM p_statement_timeout) * 1000)::bigint || 'ms');
            END IF;
        END IF;
        IF p_idle_timeout IS NOT NULL AND NOT (p_only_unset AND v_now.idle_in_transaction_timeout IS NOT NULL) THEN
            IF p_idle_timeout = interval '0' THEN
                EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET idle_in_transaction_session_timeout',
                               p_role, current_database());
            ELSE
                EXECUTE format('ALTER ROLE %I IN DATABASE %I SET idle_in_transaction_session_timeout = %L', p_role,
                               current_database(), ceil(extract(epoch FROM p_idle_timeout) * 1000)::bigint || 'ms');
            END IF;
        END IF;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION '%: % may not alter role %', p_function, session_user, quote_ident(p_role)
            USING ERRCODE = '42501',
                  HINT = 'Guards are set with ALTER ROLE: run this as a role with CREATEROLE (e.g. the one that migrates).';
    END;
END
$$;

-- hewer._tenant_cap(function, tenant, what, count): HW121 when a tenant would
-- keep more than its cap of `what` ('crons', 'filters', 'pending schedules',
-- 'workflows'), counting what it has plus `count` new ones. The caps are
-- columns of hewer.tenants (max_crons, ...), set with hewer.tenant_caps.
-- Locks: none (a race may pass a cap by a few; the cap bounds, not counts).
CREATE OR REPLACE FUNCTION hewer._tenant_cap(p_function text, p_tenant uuid, p_what text, p_count integer)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_t hewer.tenants;
    v_cap integer;
    v_has bigint;
BEGIN
    SELECT * INTO v_t FROM hewer.tenants t WHERE t.id = p_tenant;
    v_cap := CASE p_what WHEN 'crons' THEN v_t.max_crons WHEN 'filters' THEN v_t.max_filters
                         WHEN 'pending schedules' THEN v_t.max_pending_schedules
                         WHEN 'workflows' THEN v_t.max_workflows END;
    v_has := CASE p_what
        WHEN 'crons' THEN (SELECT count(*) FROM hewer.crons c WHERE c.tenant_id = p_tenant)
        WHEN 'filters' THEN (SELECT count(*) FROM hewer.filters f WHERE f.tenant_id = p_tenant)
        WHEN 'pending schedules' THEN (SELECT count(*) FROM hewer.scheduled_runs s
                                       WHERE s.tenant_id = p_tenant AND s.run_id IS NULL)
        WHEN 'workflows' THEN (SELECT count(*) FROM hewer.workflows w WHERE w.tenant_id = p_tenant) END;
    IF v_has + p_count > v_cap THEN
        RAISE EXCEPTION '%: tenant % may keep at most % %, and has %', p_function, quote_literal(v_t.name),
            v_cap, p_what, v_has
            USING ERRCODE = 'HW121',
                  HINT = format('Delete some, or raise the cap: hewer tenants caps %s --max-%s N.',
                                v_t.name, replace(p_what, ' ', '-'));
    END IF;
END
$$;

-- hewer._cron_interval_ok(expression, min_interval) -> boolean: whether a cron
-- fires no more often than min_interval, as far as its fields show: with a
-- minimum of more than a second, a seconds field (6 fields) must be one
-- number (at most once a minute); with more than a minute, the minute field
-- must be one number or */N with N minutes at least the minimum.
CREATE OR REPLACE FUNCTION hewer._cron_interval_ok(p_expression text, p_min interval)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_fields text[] := regexp_split_to_array(btrim(p_expression), '\s+');
    v_minute text;
BEGIN
    IF p_min <= interval '1 second' OR left(btrim(p_expression), 1) = '@' THEN
        RETURN true;
    END IF;
    IF cardinality(v_fields) = 6 THEN
        IF v_fields[1] !~ '^[0-9]+$' THEN
            RETURN false;
        END IF;
        v_minute := v_fields[2];
    ELSE
        v_minute := v_fields[1];
    END IF;
    IF p_min <= interval '1 minute' THEN
        RETURN true;
    END IF;
    RETURN v_minute ~ '^[0-9]+$'
        OR (v_minute ~ '^\*/[0-9]+$' AND make_interval(mins => substr(v_minute, 3)::integer) >= p_min);
END
$$;

-- hewer._check_cron(function, tenant, name, expression): HW122 when the cron
-- would fire more often than its tenant's min_cron_interval.
CREATE OR REPLACE FUNCTION hewer._check_cron(p_function text, p_tenant uuid, p_name text, p_expression text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_t hewer.tenants;
BEGIN
    SELECT * INTO v_t FROM hewer.tenants t WHERE t.id = p_tenant;
    IF NOT hewer._cron_interval_ok(p_expression, v_t.min_cron_interval) THEN
        RAISE EXCEPTION '%: cron % (%) fires more often than tenant % allows: once every %', p_function,
            quote_literal(p_name), p_expression, quote_literal(v_t.name), v_t.min_cron_interval
            USING ERRCODE = 'HW122',
                  HINT = format('Use a coarser schedule (e.g. one number in the seconds field), or lower the '
                                'minimum: hewer tenants caps %s --min-cron-interval 1s.', v_t.name);
    END IF;
END
$$;

-- hewer.tenant_caps(name, max_crons?, max_filters?, max_pending_schedules?,
--                   max_workflows?, min_cron_interval?) -> the caps
-- Shows or sets a tenant's caps (NULL keeps one). Trusted sessions only.
CREATE OR REPLACE FUNCTION hewer.tenant_caps(
    p_name text, p_max_crons integer DEFAULT NULL, p_max_filters integer DEFAULT NULL,
    p_max_pending_schedules integer DEFAULT NULL, p_max_workflows integer DEFAULT NULL,
    p_min_cron_interval interval DEFAULT NULL)
RETURNS TABLE (tenant text, max_crons integer, max_filters integer, max_pending_schedules integer,
               max_workflows integer, min_cron_interval interval)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_trusted('tenant_caps');
    IF p_max_crons < 1 OR p_max_filters < 1 OR p_max_pending_schedules < 1 OR p_max_workflows < 1
       OR p_min_cron_interval < interval '1 second' OR p_min_cron_interval > interval '1 day' THEN
        RAISE EXCEPTION 'tenant_caps: caps must be at least 1 and min_cron_interval from 1 second to 1 day'
            USING ERRCODE = 'HW007', HINT = 'Pass a positive number, or NULL to keep a cap.';
    END IF;
    UPDATE hewer.tenants t SET
        max_crons = coalesce(p_max_crons, t.max_crons),
        max_filters = coalesce(p_max_filters, t.max_filters),
        max_pending_schedules = coalesce(p_max_pending_schedules, t.max_pending_schedules),
        max_workflows = coalesce(p_max_workflows, t.max_workflows),
        min_cron_interval = coalesce(p_min_cron_interval, t.min_cron_interval)
    WHERE t.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant_caps: tenant % does not exist', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW092', HINT = 'List the tenants with: hewer tenants list.';
    END IF;
    RETURN QUERY SELECT t.name, t.max_crons, t.max_filters, t.max_pending_schedules, t.max_workflows,
                        t.min_cron_interval
                 FROM hewer.tenants t WHERE t.name = p_name;
END
$$;
