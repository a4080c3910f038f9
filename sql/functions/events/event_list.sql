-- hewer.event_list(key?, limit?, before?, event_ids[]?) -> the tenant's events, newest first
--
-- Pushed events with their payload and metadata. key: only events with this
-- exact key (events_key_idx); before: an event id, the events older than it
-- (page with the last id of a page); event_ids: only these. At most p_limit
-- (1 to 1000).
--
-- Read-only, no locks. Errors: HW007 a bad limit.
CREATE OR REPLACE FUNCTION hewer.event_list(
    p_key text DEFAULT NULL, p_limit integer DEFAULT 100, p_before uuid DEFAULT NULL,
    p_event_ids uuid[] DEFAULT NULL)
RETURNS TABLE (event_id uuid, key text, payload jsonb, metadata jsonb, scope text,
               created_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'event_list: limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Page through more with before => the last event id read.';
    END IF;
    RETURN QUERY
    SELECT e.id, e.key, e.payload, e.metadata, e.scope, e.created_at
    FROM hewer.events e
    WHERE e.tenant_id = hewer.current_tenant()
      AND (p_key IS NULL OR e.key = p_key)
      AND (p_before IS NULL OR e.id < p_before)
      AND (p_event_ids IS NULL OR e.id = ANY (p_event_ids))
    ORDER BY e.id DESC
    LIMIT p_limit;
END
$$;
