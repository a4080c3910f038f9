-- hewer.filter_delete(filter_id) -> boolean
--
-- Removes a filter at runtime; its past decisions stay in
-- hewer.event_matches. A workflow left without filters starts a run for
-- every event whose key matches its on_events again.
--
-- Locks: the filter row. Errors: HW043 unknown filter.
CREATE OR REPLACE FUNCTION hewer.filter_delete(p_filter_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    DELETE FROM hewer.filters f WHERE f.id = p_filter_id AND f.tenant_id = hewer.current_tenant();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'filter % does not exist', coalesce(p_filter_id::text, 'NULL')
            USING ERRCODE = 'HW043', HINT = 'List filters with hewer.filter_list() or `hewer filters list`.';
    END IF;
    RETURN true;
END
$$;
