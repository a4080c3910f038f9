-- Who may call what; loaded after every other function file.
--
-- Tenant roles (members of hewer_client) read their own tenant's rows
-- through row-level security and hold no write privilege on any table: they
-- change data only through the client API below. Those functions run as
-- their owner (SECURITY DEFINER, with a fixed search_path, so a caller's
-- objects cannot stand in for built-ins) and act for hewer.current_tenant(),
-- which a tenant session cannot change: it comes from the login role
-- (session_user), and the hewer.tenant setting counts only for trusted roles.
-- Everything else (the leader's maintenance, routing, partitions, tenant
-- administration, token checks) is for trusted roles only.
--
-- Every object of schema hewer belongs to hewer_owner (migration 8): a role
-- that cannot log in and is no superuser, so the definer functions hold the
-- schema's rights and no more. It reads and writes the pgmq queues the
-- client functions use, and owns the partitions (the partition functions run
-- as it, so what they make is its too).
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA hewer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hewer.current_tenant(), hewer._trusted(), hewer.uuidv7(timestamptz),
    hewer.uuid_floor(timestamptz), hewer.uuid_time(uuid), hewer.notify_tag(text),
    hewer.error_codes() TO hewer_client;

DO $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'hewer'::regnamespace
          AND p.proname = ANY (ARRAY[
              -- runs
              'run_trigger', 'run_spawn', 'run_get', 'run_cancel', 'run_cancel_matching', 'run_list',
              'run_replay', 'run_lineage', 'run_children', 'runs_by_metadata', 'run_events',
              'run_schedule', 'schedule_cancel', 'schedule_list', 'task_history', 'run_logs', 'run_output', 'quarantine_list',
              'quarantine_release',
              -- workflows, events, cron, limits
              'workflow_register', 'workflow_get', 'workflow_list', 'workflow_versions',
              'workflow_rollback', 'push_event', 'push_events', 'event_matches', 'event_list', 'filter_create',
              'filter_update', 'filter_delete', 'filter_list', 'cron_create', 'cron_delete',
              'cron_list', 'rate_limit_set', 'rate_limit_delete', 'rate_limit_list',
              'concurrency_limit_set', 'concurrency_limit_list', 'cel_key_eval',
              -- workers in any language
              'worker_register', 'worker_heartbeat', 'worker_disconnect', 'worker_get', 'worker_list', 'worker_stop', 'task_claim',
              'task_start', 'task_complete', 'task_fail', 'task_heartbeat', 'task_cancellations',
              'task_log', 'task_stream',
              -- the tenant itself and its tokens
              'tenant_list', 'token_create', 'token_list', 'token_revoke'])
    LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', v_fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO hewer_client', v_fn);
    END LOOP;
END
$$;

-- Partition upkeep runs as the schema's owner, whoever of the trusted roles
-- calls it, so every partition has the one owner that may drop it later.
DO $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'hewer'::regnamespace
          AND p.proname = ANY (ARRAY['partition_create', 'partition_drop', 'partition_analyze',
                                     'partition_status'])
    LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', v_fn);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA pgmq TO hewer_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgmq TO hewer_owner;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA pgmq TO hewer_owner;

DO $$
DECLARE
    v_stmt text;
BEGIN
    FOR v_stmt IN SELECT * FROM hewer._ownership_statements('hewer_owner') LOOP
        EXECUTE v_stmt;
    END LOOP;
END
$$;
