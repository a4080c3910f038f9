-- Undoes migration 7: row-level security, API tokens, tenant roles and
-- limits. The role hewer_client stays: other databases of the server may use it.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY[
        'workflows', 'workflow_versions', 'steps', 'runs', 'tasks', 'task_events', 'queue',
        'idempotency_keys', 'workers', 'concurrency_limits', 'semaphores', 'run_holds',
        'rate_limits', 'rate_buckets', 'events', 'filters', 'event_matches', 'crons',
        'cron_ticks', 'scheduled_runs', 'step_waits', 'task_waits', 'tenants']
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON hewer.%I', v_table);
        EXECUTE format('ALTER TABLE hewer.%I DISABLE ROW LEVEL SECURITY', v_table);
        IF v_table <> 'tenants' THEN
            EXECUTE format('REVOKE ALL ON hewer.%I FROM hewer_client', v_table);
        END IF;
    END LOOP;
END
$$;
REVOKE SELECT (id, name, max_trigger_rate, trigger_burst, max_payload_bytes, created_at)
    ON hewer.tenants FROM hewer_client;
REVOKE ALL ON SCHEMA hewer FROM hewer_client;
DROP TABLE hewer.api_tokens;
ALTER TABLE hewer.run_holds DROP COLUMN tenant_id;
CREATE OR REPLACE FUNCTION hewer.current_tenant()
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(nullif(current_setting('hewer.tenant', true), ''),
                    '00000000-0000-0000-0000-000000000000')::uuid
$$;
DROP FUNCTION hewer._trusted();
ALTER TABLE hewer.tenants
    DROP COLUMN db_role,
    DROP COLUMN max_trigger_rate,
    DROP COLUMN trigger_burst,
    DROP COLUMN max_payload_bytes,
    DROP COLUMN trigger_tokens,
    DROP COLUMN trigger_refilled_at;

UPDATE hewer.meta SET schema_version = 6;
