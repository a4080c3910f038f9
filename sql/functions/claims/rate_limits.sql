-- Rate limits (token buckets) and tenant/action concurrency limits, set at
-- runtime from SQL or `hewer ratelimits set|list` / `hewer limits ...`.
--
-- hewer.rate_limit_set(name, rate, period?, burst?) -> the limit
--   `rate` tokens per `period` (default 1 second), at most `burst` saved up
--   (default: rate). Creates or updates; buckets keep their tokens (capped at
--   the new burst), and tasks waiting for its tokens are reconsidered at the
--   next claim. A step spends `units` tokens per claim; a dynamic limit
--   has one bucket per evaluated key.
-- hewer.rate_limit_delete(name) -> deleted; steps that use it stop being gated.
-- hewer.rate_limit_list() -> limits with their bucket count and the tokens
--   left in the static bucket (key '').
-- hewer.concurrency_limit_set(scope, name, max) -> scope 'tenant' (name '')
--   or 'action' (name = the action): at most `max` running tasks; max NULL
--   removes the limit. The tenant scope is the operator's (HW095 for a
--   tenant role; see hewer.tenant_update's max_running).
-- hewer.concurrency_limit_list() -> limits with how many tasks hold them.
-- Locks: the limit row, then the queue rows waiting on it. Errors: HW022 bad value (zero, negative, NULL,
-- unknown scope), HW023 unknown rate limit (delete).

CREATE OR REPLACE FUNCTION hewer.rate_limit_set(
    p_name text, p_rate double precision, p_period interval DEFAULT '1 second',
    p_burst double precision DEFAULT NULL)
RETURNS TABLE (name text, rate double precision, period interval, burst double precision)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    IF p_name IS NULL OR NOT hewer._valid_name(p_name) THEN
        RAISE EXCEPTION 'rate_limit_set: invalid rate limit name %', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW022',
                  HINT = 'A name is 1 to 128 characters: letters, digits and _ - . : (e.g. openai-rpm).';
    END IF;
    IF p_rate IS NULL OR NOT (p_rate > 0) OR p_rate = 'Infinity' THEN
        RAISE EXCEPTION 'rate_limit_set: rate limit "%": rate must be a positive number, got %',
            p_name, coalesce(p_rate::text, 'NULL')
            USING ERRCODE = 'HW022', HINT = 'rate is the tokens added per period, e.g. 10 per ''1 second''.';
    END IF;
    IF p_period IS NULL OR p_period <= interval '0' OR p_period > interval '1 day' THEN
        RAISE EXCEPTION 'rate_limit_set: rate limit "%": period must be more than 0 and at most 1 day, got %',
            p_name, coalesce(p_period::text, 'NULL')
            USING ERRCODE = 'HW022', HINT = 'E.g. ''1 second'' or ''1 minute''.';
    END IF;
    IF p_burst IS NOT NULL AND (NOT (p_burst >= 1) OR p_burst = 'Infinity') THEN
        RAISE EXCEPTION 'rate_limit_set: rate limit "%": burst must be at least 1, got %', p_name, p_burst
            USING ERRCODE = 'HW022', HINT = 'burst is how many tokens a bucket saves up; omit it to use the rate.';
    END IF;
    -- Tasks waiting on this limit's tokens are looked at again at the next
    -- claim, under the new rate (their retry backoff, if any, still holds).
    UPDATE hewer.queue q SET ready_at = greatest(now(), t.queued_at)
    FROM hewer.tasks t
    WHERE q.tenant_id = hewer.current_tenant() AND p_name = ANY (q.rate_names) AND q.ready_at > now()
      AND t.id = q.task_id AND q.ready_at > t.queued_at;
    RETURN QUERY
    INSERT INTO hewer.rate_limits AS l (tenant_id, name, rate, period, burst, updated_at)
    VALUES (hewer.current_tenant(), p_name, p_rate, p_period, coalesce(p_burst, greatest(p_rate, 1)), now())
    ON CONFLICT (tenant_id, name) DO UPDATE
        SET rate = excluded.rate, period = excluded.period, burst = excluded.burst, updated_at = excluded.updated_at
    RETURNING l.name, l.rate, l.period, l.burst;
END
$$;

CREATE OR REPLACE FUNCTION hewer.rate_limit_delete(p_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    DELETE FROM hewer.rate_limits l WHERE l.tenant_id = hewer.current_tenant() AND l.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'rate_limit_delete: rate limit % does not exist', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW023', HINT = 'List them with hewer.rate_limit_list() or `hewer ratelimits list`.';
    END IF;
    DELETE FROM hewer.rate_buckets b WHERE b.tenant_id = hewer.current_tenant() AND b.name = p_name;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION hewer.rate_limit_list(p_now timestamptz DEFAULT now())
RETURNS TABLE (name text, rate double precision, period interval, burst double precision,
               buckets bigint, tokens double precision)
LANGUAGE sql STABLE
AS $$
    SELECT hewer._require_now('rate_limit_list', p_now);
    SELECT l.name, l.rate, l.period, l.burst,
           (SELECT count(*) FROM hewer.rate_buckets b WHERE b.tenant_id = l.tenant_id AND b.name = l.name),
           coalesce((SELECT least(l.burst, b.tokens + l.rate / extract(epoch FROM l.period)
                                  * greatest(extract(epoch FROM p_now - b.refilled_at), 0))
                     FROM hewer.rate_buckets b
                     WHERE b.tenant_id = l.tenant_id AND b.name = l.name AND b.key = ''), l.burst)
    FROM hewer.rate_limits l
    WHERE l.tenant_id = hewer.current_tenant()
    ORDER BY l.name
$$;

CREATE OR REPLACE FUNCTION hewer.concurrency_limit_set(p_scope text, p_name text, p_max integer)
RETURNS TABLE (scope text, name text, max_running integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    IF p_scope IS NULL OR p_scope NOT IN ('tenant', 'action') THEN
        RAISE EXCEPTION 'concurrency_limit_set: unknown scope %', coalesce(quote_literal(p_scope), 'NULL')
            USING ERRCODE = 'HW022',
                  HINT = 'Use ''tenant'' (name '''') or ''action''; workflow and step limits go in the workflow spec.';
    END IF;
    IF p_scope = 'tenant' AND NOT hewer._trusted() THEN
        RAISE EXCEPTION 'concurrency_limit_set: the tenant-wide limit is set by the operator, not by a tenant role'
            USING ERRCODE = 'HW095',
                  HINT = 'Ask the operator to run: hewer tenants update NAME --max-running N (action limits are yours to set).';
    END IF;
    IF p_scope = 'tenant' AND coalesce(p_name, '') <> '' THEN
        RAISE EXCEPTION 'concurrency_limit_set: a tenant limit has no name, got %', quote_literal(p_name)
            USING ERRCODE = 'HW022', HINT = 'Pass '''' as the name.';
    END IF;
    IF p_scope = 'action' AND (p_name IS NULL OR NOT hewer._valid_name(p_name)) THEN
        RAISE EXCEPTION 'concurrency_limit_set: invalid action name %', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW022', HINT = 'Name the action, e.g. ''call_openai''.';
    END IF;
    IF p_max IS NULL THEN
        DELETE FROM hewer.concurrency_limits l
        WHERE l.tenant_id = hewer.current_tenant() AND l.scope = p_scope AND l.name = coalesce(p_name, '');
        RETURN;
    END IF;
    IF p_max < 1 THEN
        RAISE EXCEPTION 'concurrency_limit_set: % limit %: max must be at least 1, got %',
            p_scope, quote_literal(coalesce(p_name, '')), p_max
            USING ERRCODE = 'HW022', HINT = 'Pass NULL to remove the limit.';
    END IF;
    RETURN QUERY
    INSERT INTO hewer.concurrency_limits AS l (tenant_id, scope, name, max_running, updated_at)
    VALUES (hewer.current_tenant(), p_scope, coalesce(p_name, ''), p_max, now())
    ON CONFLICT (tenant_id, scope, name) DO UPDATE
        SET max_running = excluded.max_running, updated_at = excluded.updated_at
    RETURNING l.scope, l.name, l.max_running;
END
$$;

CREATE OR REPLACE FUNCTION hewer.concurrency_limit_list()
RETURNS TABLE (scope text, name text, max_running integer, running integer)
LANGUAGE sql STABLE
AS $$
    SELECT l.scope, l.name, l.max_running,
           coalesce((SELECT s.running FROM hewer.semaphores s
                     WHERE s.tenant_id = l.tenant_id AND s.scope = l.scope
                       AND s.owner = CASE l.scope WHEN 'tenant' THEN '' ELSE l.name END AND s.key = ''), 0)
    FROM hewer.concurrency_limits l
    WHERE l.tenant_id = hewer.current_tenant()
    ORDER BY l.scope, l.name
$$;
