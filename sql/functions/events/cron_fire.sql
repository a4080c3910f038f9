-- hewer.cron_fire(cron_id, tick_at, fire, missed, next_at, error?, now?) -> (run_id, fired)
--
-- Records one tick of a cron and moves it on, in one transaction:
--   * tick_at NULL: no tick is due (e.g. a new cron), only next_at is set;
--   * fire true: starts a run of the cron's workflow with its input (as the
--     cron's tenant), unless that tick was already recorded: the primary key
--     of hewer.cron_ticks makes each tick fire once, however many tickers
--     race for it;
--   * fire false: records the tick as skipped (catch_up 'skip' after
--     downtime); missed counts the earlier ticks that were passed over.
-- next_at only ever moves forward. error (with tick_at NULL) records that
-- the expression could not be read; the cron is then left alone until
-- replaced.
--
-- Locks: the cron row (FOR UPDATE). NOTIFY: hewer_ready, via run_trigger.
-- Errors: HW045 unknown cron, HW007 NULL now.
CREATE OR REPLACE FUNCTION hewer.cron_fire(
    p_cron_id uuid, p_tick_at timestamptz, p_fire boolean, p_missed integer,
    p_next_at timestamptz, p_error text DEFAULT NULL, p_now timestamptz DEFAULT now())
RETURNS TABLE (run_id uuid, fired boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_cron record;
    v_run uuid;
    v_inserted boolean := false;
BEGIN
    PERFORM hewer._require_now('cron_fire', p_now);
    SELECT c.*, w.name AS workflow INTO v_cron
    FROM hewer.crons c JOIN hewer.workflows w ON w.id = c.workflow_id
    WHERE c.id = p_cron_id FOR UPDATE OF c;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cron % does not exist', coalesce(p_cron_id::text, 'NULL')
            USING ERRCODE = 'HW045', HINT = 'It may have been deleted meanwhile.';
    END IF;
    IF p_error IS NOT NULL THEN
        UPDATE hewer.crons SET error = p_error WHERE id = p_cron_id;
        RETURN QUERY SELECT NULL::uuid, false;
        RETURN;
    END IF;
    IF p_tick_at IS NOT NULL AND (v_cron.next_at IS NULL OR p_tick_at >= v_cron.next_at) THEN
        INSERT INTO hewer.cron_ticks (cron_id, tick_at, tenant_id, missed, created_at)
        VALUES (p_cron_id, p_tick_at, v_cron.tenant_id, coalesce(p_missed, 0), p_now)
        ON CONFLICT DO NOTHING;
        v_inserted := FOUND;
        IF v_inserted AND p_fire THEN
            SELECT t.run_id INTO v_run
            FROM hewer._run_trigger(v_cron.tenant_id, v_cron.workflow, ARRAY[v_cron.input], NULL,
                                    ARRAY['cron:' || p_cron_id || ':' || to_char(p_tick_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')],
                                    p_now, NULL) t;
            UPDATE hewer.cron_ticks k SET run_id = v_run WHERE k.cron_id = p_cron_id AND k.tick_at = p_tick_at;
        END IF;
    END IF;
    UPDATE hewer.crons c SET next_at = p_next_at
    WHERE c.id = p_cron_id AND (c.next_at IS NULL OR c.next_at < p_next_at);
    RETURN QUERY SELECT v_run, v_run IS NOT NULL;
END
$$;
