-- hewer.worker_list(statuses[]?, limit?) -> the tenant's workers, newest first
--
-- The workers of the current tenant with what worker_get returns for each
-- (actions, slots, labels, status, last heartbeat, the tasks each holds),
-- for dashboards and `GET /v1/workers`. statuses: only these (any of
-- 'active', 'draining', 'stopped', 'dead'); NULL = all. At most p_limit rows
-- (1 to 10000), newest registration first.
--
-- Read-only, no locks. Errors: HW007 a bad status or limit.
CREATE OR REPLACE FUNCTION hewer.worker_list(p_statuses text[] DEFAULT NULL, p_limit integer DEFAULT 1000)
RETURNS TABLE (worker_id uuid, name text, actions text[], slots integer, labels jsonb,
               sdk_version text, status text, registered_at timestamptz,
               last_heartbeat_at timestamptz, held_task_ids uuid[])
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'worker_list: limit must be between 1 and 10000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Pass a limit from 1 to 10000.';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_statuses) AS s(s)
               WHERE s IS NULL OR s NOT IN ('active', 'draining', 'stopped', 'dead')) THEN
        RAISE EXCEPTION 'worker_list: unknown status in %', p_statuses
            USING ERRCODE = 'HW007', HINT = 'A worker status is active, draining, stopped or dead.';
    END IF;
    RETURN QUERY
    SELECT w.id, w.name, w.actions, w.slots, w.labels, w.sdk_version, w.status, w.registered_at,
           w.last_heartbeat_at,
           ARRAY(SELECT t.id FROM hewer.tasks t
                 WHERE t.worker_id = w.id AND t.status IN ('assigned', 'running')
                 ORDER BY t.id)
    FROM hewer.workers w
    WHERE w.tenant_id = hewer.current_tenant()
      AND (p_statuses IS NULL OR w.status = ANY (p_statuses))
    ORDER BY w.id DESC
    LIMIT p_limit;
END
$$;
