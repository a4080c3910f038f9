-- Migration 7: tenants. Row-level security on every tenant table, tenant
-- database roles, API tokens (stored hashed), and per-tenant limits
-- (running tasks, trigger rate, payload size). See docs/tenants.md.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- The group role every tenant's database role joins: it may read its own
-- tenant's rows (row-level security) and call the API functions. Roles are
-- shared by all databases of a server, so it may exist already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'hewer_client') THEN
        CREATE ROLE hewer_client NOLOGIN;
    END IF;
EXCEPTION
    WHEN unique_violation OR duplicate_object THEN
        NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'migration 7 needs the role hewer_client, and % may not create roles', current_user
            USING HINT = 'Ask a superuser to run: CREATE ROLE hewer_client NOLOGIN; then migrate again.';
END
$$;

-- Trusted sessions: their login role (session_user, which no SET ROLE
-- changes) is a superuser, has BYPASSRLS, or is a member of the owner of
-- schema hewer. Only they may choose a tenant with the hewer.tenant setting,
-- and they see every tenant's rows; every other session is the tenant its
-- login role is mapped to (tenants.db_role).
CREATE FUNCTION hewer._trusted()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(bool_or(r.rolbypassrls OR pg_has_role(r.oid, n.nspowner, 'MEMBER')), false)
    FROM pg_roles r, pg_namespace n
    WHERE r.rolname = session_user AND n.nspname = 'hewer'
$$;

ALTER TABLE hewer.tenants
    ADD COLUMN db_role name UNIQUE,
    ADD COLUMN max_trigger_rate double precision CHECK (max_trigger_rate > 0 AND max_trigger_rate <= 1e9),
    ADD COLUMN trigger_burst integer CHECK (trigger_burst > 0),
    ADD COLUMN max_payload_bytes bigint CHECK (max_payload_bytes > 0),
    ADD COLUMN trigger_tokens double precision,
    ADD COLUMN trigger_refilled_at timestamptz;

-- The tenant of the current session. Trusted sessions: the hewer.tenant
-- setting (a tenant id), or the default tenant when unset. Others: the
-- tenant whose db_role is their login role, or the one role their login
-- role is a member of; an unmapped role gets HW092.
CREATE OR REPLACE FUNCTION hewer.current_tenant()
RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
BEGIN
    IF hewer._trusted() THEN
        RETURN coalesce(nullif(current_setting('hewer.tenant', true), ''),
                        '00000000-0000-0000-0000-000000000000')::uuid;
    END IF;
    v_ids := ARRAY(SELECT t.id FROM hewer.tenants t
                   WHERE t.db_role = session_user
                      OR (t.db_role IS NOT NULL
                          AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = t.db_role)
                          AND pg_has_role(session_user, t.db_role, 'MEMBER'))
                   ORDER BY t.db_role = session_user DESC, t.id);
    IF cardinality(v_ids) = 0 THEN
        RAISE EXCEPTION 'role % is not mapped to a Hewer tenant', session_user
            USING ERRCODE = 'HW092',
                  HINT = 'Connect as a tenant''s role (hewer tenants create NAME --role ROLE), '
                         'or as a role trusted with every tenant.';
    END IF;
    RETURN v_ids[1];
END
$$;

-- Row-level security: a session sees the rows of its tenant; trusted
-- sessions see every row (their functions scope by hewer.current_tenant()).
-- The subqueries make each policy an init plan, evaluated once per statement.
ALTER TABLE hewer.tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.tenants
    USING (id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK ((SELECT hewer._trusted()));

-- run_holds learns its tenant, like every other tenant table.
ALTER TABLE hewer.run_holds ADD COLUMN tenant_id uuid;
UPDATE hewer.run_holds h SET tenant_id = r.tenant_id FROM hewer.runs r WHERE r.id = h.run_id;
DELETE FROM hewer.run_holds WHERE tenant_id IS NULL;
ALTER TABLE hewer.run_holds ALTER COLUMN tenant_id SET NOT NULL;

-- API tokens for gRPC and CLI clients: `hwt_<id>_<secret>`; only the SHA-256
-- of the secret is stored. A token acts for its tenant until revoked or expired.
CREATE TABLE hewer.api_tokens (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    name text NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (id),
    UNIQUE (tenant_id, name)
);

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY[
        'workflows', 'workflow_versions', 'steps', 'runs', 'tasks', 'task_events', 'queue',
        'idempotency_keys', 'workers', 'concurrency_limits', 'semaphores', 'run_holds',
        'rate_limits', 'rate_buckets', 'events', 'filters', 'event_matches', 'crons',
        'cron_ticks', 'scheduled_runs', 'step_waits', 'task_waits', 'api_tokens']
    LOOP
        EXECUTE format('ALTER TABLE hewer.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON hewer.%I '
                       'USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted())) '
                       'WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))',
                       v_table);
        IF v_table <> 'api_tokens' THEN
            EXECUTE format('GRANT SELECT ON hewer.%I TO hewer_client', v_table);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA hewer TO hewer_client;
GRANT SELECT (id, name, max_trigger_rate, trigger_burst, max_payload_bytes, created_at)
    ON hewer.tenants TO hewer_client;
GRANT SELECT (tenant_id, id, name, created_at, expires_at, revoked_at) ON hewer.api_tokens TO hewer_client;

UPDATE hewer.meta SET schema_version = 7;
