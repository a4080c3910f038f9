-- hewer.cron_due(now?, limit?) -> (cron_id, expression, catch_up, next_at, created_at)
--
-- The cron ticker's read, across tenants: crons whose next tick is due
-- (next_at <= now) or not computed yet (next_at NULL), oldest first. The
-- ticker computes ticks with croniter and calls hewer.cron_fire for each.
--
-- Locks: none. Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.cron_due(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (cron_id uuid, expression text, catch_up text, next_at timestamptz,
               created_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_now('cron_due', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'cron_due: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    RETURN QUERY
    SELECT c.id, c.expression, c.catch_up, c.next_at, c.created_at
    FROM hewer.crons c
    WHERE (c.next_at IS NULL AND c.error IS NULL) OR c.next_at <= p_now
    ORDER BY c.next_at NULLS FIRST, c.id
    LIMIT p_limit;
END
$$;
