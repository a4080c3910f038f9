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
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA hewer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hewer.current_tenant(), hewer._trusted(), hewer.uuidv7(timestamptz),
    hewer.uuid_floor(timestamptz), hewer.uuid_time(uuid) TO hewer_client;

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
              'run_schedule', 'schedule_cancel', 'task_history',
              -- workflows, events, cron, limits
              'workflow_register', 'workflow_get', 'workflow_list', 'workflow_versions',
              'workflow_rollback', 'push_event', 'push_events', 'event_matches', 'filter_create',
              'filter_update', 'filter_delete', 'filter_list', 'cron_create', 'cron_delete',
              'cron_list', 'rate_limit_set', 'rate_limit_delete', 'rate_limit_list',
              'concurrency_limit_set', 'concurrency_limit_list', 'cel_key_eval',
              -- workers in any language
              'worker_register', 'worker_heartbeat', 'worker_get', 'worker_stop', 'task_claim',
              'task_start', 'task_complete', 'task_fail', 'task_heartbeat', 'task_cancellations',
              -- the tenant itself and its tokens
              'tenant_list', 'token_create', 'token_list', 'token_revoke'])
    LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', v_fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO hewer_client', v_fn);
    END LOOP;
END
$$;
