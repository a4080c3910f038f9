-- Migration 8: a dedicated owner for schema hewer. The schema, its tables
-- and its functions belong to hewer_owner, which cannot log in and is no
-- superuser, so the client functions (SECURITY DEFINER) run with no more than
-- schema hewer's rights. The function loader (sql/privileges.sql) hands every
-- object of the schema to hewer_owner on each load. See docs/tenants.md.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- The owner of schema hewer, its tables and its functions: hewer_owner, a
-- role that cannot log in and is no superuser. The client functions run as
-- it (SECURITY DEFINER), so what a tenant's call can do is bounded by what
-- this role may do: the hewer schema and the pgmq queues, nothing else of the
-- server. The role that migrates joins it (members of the schema's owner are
-- trusted with every tenant, see hewer._trusted). Roles are shared by all
-- databases of a server, so it may exist already; a DBA may make it first
-- (CREATE ROLE hewer_owner NOLOGIN; GRANT hewer_owner TO <migrating role>).
DO $$
DECLARE
    v_role pg_catalog.pg_roles;
BEGIN
    SELECT * INTO v_role FROM pg_catalog.pg_roles r WHERE r.rolname = 'hewer_owner';
    IF NOT FOUND THEN
        BEGIN
            CREATE ROLE hewer_owner NOLOGIN;
        EXCEPTION
            WHEN unique_violation OR duplicate_object THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the schema owner role hewer_owner does not exist, and % may not create roles',
                    current_user
                    USING HINT = 'Ask a DBA to run: CREATE ROLE hewer_owner NOLOGIN; GRANT hewer_owner TO '
                                 || current_user || '; then migrate again.';
        END;
    ELSIF v_role.rolsuper OR v_role.rolcanlogin OR v_role.rolbypassrls OR v_role.rolcreaterole THEN
        RAISE EXCEPTION 'the role hewer_owner may log in or holds SUPERUSER, BYPASSRLS or CREATEROLE'
            USING HINT = 'Client functions run as hewer_owner, so it must hold no more than schema hewer: '
                         'ALTER ROLE hewer_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE; then migrate again.';
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, 'hewer_owner', 'MEMBER') THEN
        BEGIN
            EXECUTE pg_catalog.format('GRANT hewer_owner TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% is not a member of hewer_owner, and may not grant it', current_user
                USING HINT = 'Ask a DBA to run: GRANT hewer_owner TO ' || current_user || '; then migrate again.';
        END;
    END IF;
    -- A schema's new owner needs CREATE on the database for the change; it
    -- keeps none afterwards unless it had it before.
    IF pg_catalog.has_database_privilege('hewer_owner', current_database(), 'CREATE') THEN
        ALTER SCHEMA hewer OWNER TO hewer_owner;
    ELSE
        EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO hewer_owner', current_database());
        ALTER SCHEMA hewer OWNER TO hewer_owner;
        EXECUTE pg_catalog.format('REVOKE CREATE ON DATABASE %I FROM hewer_owner', current_database());
    END IF;
END
$$;

-- The history guard lets partition_create move rows out of a default
-- partition under hewer.moving_rows; that setting now counts only in trusted
-- sessions.
CREATE OR REPLACE FUNCTION hewer._history_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_ARGV[0] <> 'workflow version'
       AND pg_catalog.current_setting('hewer.moving_rows', true) = 'on' AND hewer._trusted() THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'task' THEN
        IF to_jsonb(NEW) = to_jsonb(OLD) || '{"holds": null}' THEN
            RETURN NEW;
        END IF;
    END IF;
    IF TG_ARGV[0] = 'workflow version' THEN
        RAISE EXCEPTION 'cannot % version % of a workflow (id %): a version''s spec never changes once written',
            TG_OP, OLD.version, OLD.workflow_id
            USING ERRCODE = 'HW080',
                  HINT = 'Register a new spec with hewer.workflow_register, or make an older version current '
                         'with hewer.workflow_rollback.';
    ELSIF TG_ARGV[0] = 'task event' THEN
        RAISE EXCEPTION 'cannot % task event % (task %): the task history is append-only',
            TG_OP, OLD.id, OLD.task_id
            USING ERRCODE = 'HW080',
                  HINT = 'Events leave only with their whole partition, dropped past its retention by hewer.partition_drop.';
    END IF;
    RAISE EXCEPTION 'cannot % % %: it is %, and a finished % is immutable',
        TG_OP, TG_ARGV[0], OLD.id, OLD.status, TG_ARGV[0]
        USING ERRCODE = 'HW080',
              HINT = 'Replay the run with hewer.run_replay to run it again; finished rows leave only with their '
                     'whole partition, dropped past its retention by hewer.partition_drop.';
END
$$;

UPDATE hewer.meta SET schema_version = 8;
