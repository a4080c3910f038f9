-- The maintenance leader's bookkeeping: its lease, and the items of shared
-- work that failed (see docs/operations.md#the-maintenance-leader).
--
-- Error codes: HW100 unknown_quarantined_item.

-- hewer.lease_acquire(name, holder, ttl, now?) -> boolean
--
-- Takes or renews the lease `name` for `holder` until now + ttl: it is
-- taken when free (expired) or already the holder's. True when `holder`
-- holds it afterwards. The lease row is locked for the statement only, and
-- no tenant role may read, lock or write hewer.leases, so no tenant can hold
-- leadership or keep a dispatcher from taking it.
-- Locks: the lease row (FOR UPDATE, for the statement). Trusted roles only.
CREATE OR REPLACE FUNCTION hewer.lease_acquire(
    p_name text, p_holder text, p_ttl interval, p_now timestamptz DEFAULT now())
RETURNS boolean
LANGUAGE sql VOLATILE
AS $$
    WITH taken AS (
        UPDATE hewer.leases l SET holder = p_holder, expires_at = p_now + p_ttl
        WHERE l.name = p_name AND (l.holder = p_holder OR l.expires_at < p_now)
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM taken)
$$;

-- hewer.lease_release(name, holder) -> boolean: gives up the lease if held.
CREATE OR REPLACE FUNCTION hewer.lease_release(p_name text, p_holder text)
RETURNS boolean
LANGUAGE sql VOLATILE
AS $$
    WITH freed AS (
        UPDATE hewer.leases l SET holder = NULL, expires_at = '-infinity'
        WHERE l.name = p_name AND l.holder = p_holder
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM freed)
$$;

-- hewer.item_failed(kind, item_id, tenant_id, error, max_failures?, backoff?,
--                   counts?, retry_at?, now?) -> (failures, quarantined, retry_at)
--
-- Records that an item of the leader's work failed. It is retried no sooner
-- than backoff * 2^(failures - 1) (at most 10 minutes) later; the
-- max_failures-th failure quarantines it: it is left alone until released.
-- counts false records a deferral that is no failure (e.g. the tenant is
-- over its trigger rate): the item waits until retry_at and is never
-- quarantined for it. Trusted roles only (the leader).
CREATE OR REPLACE FUNCTION hewer.item_failed(
    p_kind text, p_item_id text, p_tenant_id uuid, p_error text,
    p_max_failures integer DEFAULT 5, p_backoff interval DEFAULT '5 seconds',
    p_counts boolean DEFAULT true, p_retry_at timestamptz DEFAULT NULL,
    p_now timestamptz DEFAULT now())
RETURNS TABLE (failures integer, quarantined boolean, retry_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_error text := left(coalesce(p_error, 'unknown error'), 2000);
    v_row hewer.quarantine;
BEGIN
    PERFORM hewer._require_now('item_failed', p_now);
    INSERT INTO hewer.quarantine AS q (tenant_id, kind, item_id, failures, error, first_failed_at,
                                       last_failed_at, retry_at)
    VALUES (p_tenant_id, p_kind, p_item_id, CASE WHEN p_counts THEN 1 ELSE 0 END, v_error, p_now, p_now,
            coalesce(p_retry_at, p_now + p_backoff))
    ON CONFLICT (kind, item_id) DO UPDATE
    SET failures = q.failures + CASE WHEN p_counts THEN 1 ELSE 0 END,
        error = v_error,
        last_failed_at = p_now,
        retry_at = coalesce(p_retry_at, p_now + least(
            p_backoff * power(2, greatest(q.failures + CASE WHEN p_counts THEN 1 ELSE 0 END - 1, 0)),
            interval '10 minutes'))
    RETURNING q.* INTO v_row;
    IF p_counts AND v_row.failures >= p_max_failures AND v_row.quarantined_at IS NULL THEN
        UPDATE hewer.quarantine q SET quarantined_at = p_now, retry_at = NULL
        WHERE q.kind = p_kind AND q.item_id = p_item_id
        RETURNING q.* INTO v_row;
    END IF;
    RETURN QUERY SELECT v_row.failures, v_row.quarantined_at IS NOT NULL, v_row.retry_at;
END
$$;

-- hewer.item_succeeded(kind, item_ids) -> number of records cleared
-- An item that failed before and now went through: its record goes.
CREATE OR REPLACE FUNCTION hewer.item_succeeded(p_kind text, p_item_ids text[])
RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    WITH gone AS (
        DELETE FROM hewer.quarantine q
        WHERE q.kind = p_kind AND q.item_id = ANY (p_item_ids) AND q.quarantined_at IS NULL
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- hewer._item_held(kind, item_id, now) -> boolean
-- Whether the leader leaves the item alone now: quarantined, or backing off.
CREATE OR REPLACE FUNCTION hewer._item_held(p_kind text, p_item_id text, p_now timestamptz)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
        SELECT 1 FROM hewer.quarantine q
        WHERE q.kind = p_kind AND q.item_id = p_item_id
          AND (q.quarantined_at IS NOT NULL OR q.retry_at > p_now))
$$;

-- hewer.quarantine_list(kind?) -> the caller's failing and quarantined items
--
-- A tenant role sees its own tenant's; a trusted role sees every tenant's
-- (or one tenant's, with hewer.tenant set).
CREATE OR REPLACE FUNCTION hewer.quarantine_list(p_kind text DEFAULT NULL)
RETURNS TABLE (tenant text, kind text, item_id text, failures integer, error text,
               first_failed_at timestamptz, last_failed_at timestamptz, retry_at timestamptz,
               quarantined_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT t.name, q.kind, q.item_id, q.failures, q.error, q.first_failed_at, q.last_failed_at,
           q.retry_at, q.quarantined_at
    FROM hewer.quarantine q JOIN hewer.tenants t ON t.id = q.tenant_id
    WHERE (p_kind IS NULL OR q.kind = p_kind)
      AND (q.tenant_id = hewer.current_tenant()
           OR (hewer._trusted() AND nullif(pg_catalog.current_setting('hewer.tenant', true), '') IS NULL))
    ORDER BY q.last_failed_at DESC, q.kind, q.item_id
$$;

-- hewer.quarantine_release(kind, item_id) -> boolean
--
-- Lets the leader try a failing or quarantined item again, at once (after
-- fixing what made it fail: a cron's input, a schedule's input, a filter).
-- A released event goes back on the event queue. A tenant role releases its
-- own tenant's items; a trusted role any. HW100 when there is no such item.
CREATE OR REPLACE FUNCTION hewer.quarantine_release(p_kind text, p_item_id text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_row hewer.quarantine;
BEGIN
    DELETE FROM hewer.quarantine q
    WHERE q.kind = p_kind AND q.item_id = p_item_id
      AND (q.tenant_id = hewer.current_tenant() OR hewer._trusted())
    RETURNING q.* INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no % % is failing or quarantined', coalesce(p_kind, 'NULL'), coalesce(p_item_id, 'NULL')
            USING ERRCODE = 'HW100',
                  HINT = 'List them with hewer.quarantine_list() (hewer quarantine list).';
    END IF;
    IF p_kind = 'event' AND v_row.quarantined_at IS NOT NULL THEN
        PERFORM pgmq.send('hewer_events', jsonb_build_object('event_id', p_item_id,
                                                             'tenant_id', v_row.tenant_id));
        PERFORM pg_notify('hewer_events', '');
    END IF;
    RETURN true;
END
$$;
