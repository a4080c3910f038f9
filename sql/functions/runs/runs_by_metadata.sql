-- hewer.runs_by_metadata(metadata, statuses[]?, limit?) -> (run_id, workflow,
--   status, additional_metadata, parent_run_id, created_at, finished_at)
--
-- The runs whose additional_metadata contains `metadata` (jsonb @>: every
-- given tag with the same value; {} matches every run), newest first, at
-- most `limit` (1 to 10,000, default 100), optionally only in some statuses.
-- Served by the GIN index runs_metadata_idx (tagged runs only). Read-only, no locks.
-- Errors: HW090 metadata not an object of scalar values, HW007 a bad limit.
CREATE OR REPLACE FUNCTION hewer.runs_by_metadata(
    p_metadata jsonb,
    p_statuses hewer.run_status[] DEFAULT NULL,
    p_limit integer DEFAULT 100)
RETURNS TABLE (run_id uuid, workflow text, status hewer.run_status, additional_metadata jsonb,
               parent_run_id uuid, created_at timestamptz, finished_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_metadata IS NULL THEN
        RAISE EXCEPTION 'runs_by_metadata: metadata is NULL'
            USING ERRCODE = 'HW090', HINT = 'Pass the tags to match, e.g. {"customer": "acme"} ({} matches all).';
    END IF;
    PERFORM hewer._check_metadata('runs_by_metadata', ARRAY[p_metadata]);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'runs_by_metadata: limit is %, it must be from 1 to 10000', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007';
    END IF;
    IF p_metadata = '{}' THEN
        RETURN QUERY
        SELECT r.id, w.name, r.status, r.additional_metadata, r.parent_run_id, r.created_at, r.finished_at
        FROM hewer.runs r JOIN hewer.workflows w ON w.id = r.workflow_id
        WHERE r.tenant_id = hewer.current_tenant()
          AND (p_statuses IS NULL OR r.status = ANY (p_statuses))
        ORDER BY r.id DESC
        LIMIT p_limit;
        RETURN;
    END IF;
    -- The index holds tagged runs only, so the query says it wants those.
    RETURN QUERY
    SELECT r.id, w.name, r.status, r.additional_metadata, r.parent_run_id, r.created_at, r.finished_at
    FROM hewer.runs r JOIN hewer.workflows w ON w.id = r.workflow_id
    WHERE r.additional_metadata <> '{}' AND r.additional_metadata @> p_metadata
      AND r.tenant_id = hewer.current_tenant()
      AND (p_statuses IS NULL OR r.status = ANY (p_statuses))
    ORDER BY r.id DESC
    LIMIT p_limit;
END
$$;
