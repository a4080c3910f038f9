-- hewer.workflow_list() -> one row per workflow of the tenant, by name
--
-- current_version: the version new runs bind to; latest_version: the
-- highest registered (above current_version after a rollback); versions:
-- how many there are. Read-only, no locks.
CREATE OR REPLACE FUNCTION hewer.workflow_list()
RETURNS TABLE (workflow_id uuid, name text, current_version integer, latest_version integer,
               versions integer, description text, created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT w.id, w.name, cv.version, agg.latest, agg.n, cv.spec ->> 'description', w.created_at
    FROM hewer.workflows w
    JOIN hewer.workflow_versions cv ON cv.id = w.current_version_id
    CROSS JOIN LATERAL (SELECT max(v.version) AS latest, count(*)::integer AS n
                        FROM hewer.workflow_versions v WHERE v.workflow_id = w.id) agg
    WHERE w.tenant_id = hewer.current_tenant()
    ORDER BY w.name
$$;
