-- hewer.cron_due(now?, limit?) -> (cron_id, tenant_id, expression, catch_up, next_at,
--                                  created_at, failing)
--
-- The cron ticker's read, across tenants: crons whose next tick is due
-- (next_at <= now) or not computed yet (next_at NULL). The ticker computes
-- ticks with croniter and calls hewer.cron_fire for each.
--
-- Fair across tenants: each tenant's due crons are ranked oldest first, and
-- the limit is filled rank by rank (every tenant's oldest, then every
-- tenant's second, ...), so a tenant with thousands of due crons delays no
-- other tenant's by more than one round. Crons that are backing off after
-- failures, or quarantined, are left out (see hewer.item_failed); `failing`
-- says the cron has failed before (the ticker clears that on success).
--
-- Locks: none. Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.cron_due(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (cron_id uuid, tenant_id uuid, expression text, catch_up text, next_at timestamptz,
               created_at timestamptz, failing boolean)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_now('cron_due', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'cron_due: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    RETURN QUERY
    SELECT d.id, d.tenant_id, d.expression, d.catch_up, d.next_at, d.created_at,
           EXISTS (SELECT 1 FROM hewer.quarantine q WHERE q.kind = 'cron' AND q.item_id = d.id::text)
    FROM (
        SELECT c.*, row_number() OVER (PARTITION BY c.tenant_id
                                       ORDER BY c.next_at NULLS FIRST, c.id) AS rank
        FROM hewer.crons c
        WHERE ((c.next_at IS NULL AND c.error IS NULL) OR c.next_at <= p_now)
          AND NOT hewer._item_held('cron', c.id::text, p_now)
    ) d
    ORDER BY d.rank, d.next_at NULLS FIRST, d.id
    LIMIT p_limit;
END
$$;
