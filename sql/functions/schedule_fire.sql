-- hewer.schedule_fire(now?, limit?) -> (schedule_id, run_id)
--
-- Starts the scheduled runs that are due (run_at <= now), across tenants,
-- each as its own tenant, and marks them started. Exactly once: due rows are
-- taken FOR UPDATE SKIP LOCKED and marked in the same transaction, and the
-- runs carry the idempotency key 'schedule:<id>'.
--
-- Locks: the due rows. NOTIFY: hewer_ready, via run_trigger.
-- Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.schedule_fire(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (schedule_id uuid, run_id uuid)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_group record;
    v_saved text := current_setting('hewer.tenant', true);
BEGIN
    PERFORM hewer._require_now('schedule_fire', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'schedule_fire: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    FOR v_group IN
        WITH due AS (
            SELECT s.id, s.tenant_id, s.workflow_id, s.input
            FROM hewer.scheduled_runs s
            WHERE s.run_id IS NULL AND s.run_at <= p_now
            ORDER BY s.run_at, s.id
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        SELECT d.tenant_id, w.name, array_agg(d.id ORDER BY d.id) AS ids,
               array_agg(d.input ORDER BY d.id) AS inputs
        FROM due d JOIN hewer.workflows w ON w.id = d.workflow_id
        GROUP BY d.tenant_id, w.name
    LOOP
        PERFORM set_config('hewer.tenant', v_group.tenant_id::text, true);
        PERFORM set_config('hewer.admitted', 'on', true);
        RETURN QUERY
        WITH started AS (
            SELECT v_group.ids[t.ord] AS sid, t.run_id AS rid
            FROM hewer.run_trigger(v_group.name, v_group.inputs, NULL,
                                   ARRAY(SELECT 'schedule:' || x FROM unnest(v_group.ids) AS x), p_now) t
        )
        UPDATE hewer.scheduled_runs s SET run_id = st.rid
        FROM started st WHERE s.id = st.sid
        RETURNING s.id, s.run_id;
    END LOOP;
    PERFORM set_config('hewer.tenant', coalesce(v_saved, ''), true);
    PERFORM set_config('hewer.admitted', '', true);
END
$$;
