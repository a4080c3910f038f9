-- The analytics store: schema hewer_olap, on the core's database or on a
-- server of its own (HEWER_OLAP_DATABASE_URL). The feeder (pydispatch/olap.py)
-- applies this file before it writes, so it must be safe to run again: every
-- statement is IF NOT EXISTS or CREATE OR REPLACE. It needs nothing of the
-- core's schema. See docs/history.md.
--
-- Facts: one row per run and per task attempt, denormalized (workflow, step,
-- action, worker, times, outcome, error type), written by upsert, so a
-- message delivered twice changes nothing. Rollups: one row per tenant,
-- workflow, step and minute, recomputed from the facts of the minutes a batch
-- touched, with counts by outcome and histograms of queue wait and run time
-- that add up into hours and days (hewer_olap.hist_sum). Partitions: one per
-- UTC day of each table (a fact's day is its run's or task's creation day, a
-- rollup's its minute's), made by partitions_ensure and dropped by retention:
-- the store keeps history by its own policy, whatever the core drops.

CREATE SCHEMA IF NOT EXISTS hewer_olap;

CREATE TABLE IF NOT EXISTS hewer_olap.meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    store_version integer NOT NULL,
    retention interval NOT NULL DEFAULT '90 days'
);
INSERT INTO hewer_olap.meta (store_version) VALUES (2) ON CONFLICT (singleton) DO NOTHING;

CREATE TABLE IF NOT EXISTS hewer_olap.runs (
    day date NOT NULL,
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    workflow text NOT NULL,
    version integer NOT NULL,
    status text NOT NULL,
    parent_run_id uuid,
    replay_of uuid,
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (day, run_id)
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS runs_finished_idx ON hewer_olap.runs (tenant_id, workflow, finished_at);

CREATE TABLE IF NOT EXISTS hewer_olap.attempts (
    day date NOT NULL,
    tenant_id uuid NOT NULL,
    task_id uuid NOT NULL,
    attempt integer NOT NULL,
    run_id uuid NOT NULL,
    workflow text NOT NULL,
    version integer NOT NULL,
    step text NOT NULL,
    action text NOT NULL,
    worker_id uuid,
    -- When the attempt could be claimed (its task was queued, or its retry's
    -- backoff ended), was claimed, started, and ended.
    queued_at timestamptz,
    assigned_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    -- The kind of the event that ended it: succeeded, retrying, failed,
    -- execution_timeout, worker_lost, cancelled.
    outcome text,
    error_type text,
    PRIMARY KEY (day, task_id, attempt)
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS attempts_finished_idx
    ON hewer_olap.attempts (tenant_id, workflow, step, finished_at);

CREATE TABLE IF NOT EXISTS hewer_olap.minutes (
    day date NOT NULL,
    minute timestamptz NOT NULL,
    tenant_id uuid NOT NULL,
    workflow text NOT NULL,
    step text NOT NULL,
    attempts integer NOT NULL,
    succeeded integer NOT NULL,
    retried integer NOT NULL,
    failed integer NOT NULL,
    cancelled integer NOT NULL,
    -- Counts per bucket of hewer_olap.hist_bounds() (milliseconds), the last
    -- bucket open-ended: of queue wait (queued_at to assigned_at) and run
    -- time (started_at to finished_at) of the attempts that ended this minute.
    wait_hist integer[] NOT NULL,
    run_hist integer[] NOT NULL,
    PRIMARY KEY (day, minute, tenant_id, workflow, step)
) PARTITION BY RANGE (day);

-- The same rollups per hour (from the minutes) and per UTC day (from the
-- hours), so a window of days reads hundreds of rows per key, not thousands.
CREATE TABLE IF NOT EXISTS hewer_olap.hours (
    LIKE hewer_olap.minutes,
    PRIMARY KEY (day, minute, tenant_id, workflow, step)
) PARTITION BY RANGE (day);
CREATE TABLE IF NOT EXISTS hewer_olap.days (
    LIKE hewer_olap.minutes,
    PRIMARY KEY (day, tenant_id, workflow, step)
);

-- The minutes whose facts changed since their rollups were computed: written
-- in the facts' transaction, taken by rollups_refresh in the rollups'. A feeder
-- that dies between the two leaves them here for the next.
CREATE TABLE IF NOT EXISTS hewer_olap.dirty (
    minute timestamptz NOT NULL,
    tenant_id uuid NOT NULL,
    workflow text NOT NULL,
    step text NOT NULL,
    PRIMARY KEY (minute, tenant_id, workflow, step)
);

-- The histogram buckets' upper bounds, in milliseconds: about three per
-- decade from 1 ms to 1 hour. A percentile read from a histogram is the upper
-- bound of the bucket it falls in, so it is exact to the bucket's width.
CREATE OR REPLACE FUNCTION hewer_olap.hist_bounds()
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY[1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000,
                 120000, 300000, 600000, 1800000, 3600000]::float8[]
$$;

-- The histogram of some durations (ms; NULLs left out): cardinality(bounds)+1 counts.
CREATE OR REPLACE FUNCTION hewer_olap.hist(p_values float8[])
RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT array_agg(coalesce(c.n, 0)::integer ORDER BY b.i)
    FROM generate_series(1, cardinality(hewer_olap.hist_bounds()) + 1) AS b(i)
    LEFT JOIN (
        SELECT 1 + (SELECT count(*) FROM unnest(hewer_olap.hist_bounds()) AS u(bound)
                    WHERE v > u.bound) AS i,
               count(*) AS n
        FROM unnest(p_values) AS v
        WHERE v IS NOT NULL
        GROUP BY 1
    ) c ON c.i = b.i
$$;

CREATE OR REPLACE FUNCTION hewer_olap._hist_add(p_a integer[], p_b integer[])
RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_a IS NULL THEN p_b WHEN p_b IS NULL THEN p_a
                ELSE ARRAY(SELECT x + y FROM unnest(p_a, p_b) AS u(x, y)) END
$$;

-- Histograms added up: minutes into hours, days, or any range.
CREATE OR REPLACE AGGREGATE hewer_olap.hist_sum(integer[]) (
    SFUNC = hewer_olap._hist_add,
    STYPE = integer[]
);

-- The p-th percentile (0 < p <= 1) of a histogram: the upper bound of the
-- bucket it falls in (ms); the last bucket reads as its lower bound. NULL for
-- an empty histogram.
CREATE OR REPLACE FUNCTION hewer_olap.hist_percentile(p_hist integer[], p_p float8)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    WITH buckets AS (
        SELECT i, sum(n) OVER (ORDER BY i) AS running, sum(n) OVER () AS total
        FROM unnest(p_hist) WITH ORDINALITY AS h(n, i)
    )
    SELECT coalesce((hewer_olap.hist_bounds())[i],
                    (hewer_olap.hist_bounds())[cardinality(hewer_olap.hist_bounds())])
    FROM buckets
    WHERE total > 0 AND running >= ceil(p_p * total)
    ORDER BY i
    LIMIT 1
$$;

-- Daily partitions of the three tables for p_days days from p_from (UTC).
CREATE OR REPLACE FUNCTION hewer_olap.partitions_ensure(p_from date, p_days integer DEFAULT 1)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_made integer := 0;
    v_day date;
    v_table text;
    v_name text;
BEGIN
    FOR v_day IN SELECT d::date FROM generate_series(p_from, p_from + (p_days - 1), interval '1 day') AS d LOOP
        FOREACH v_table IN ARRAY ARRAY['runs', 'attempts', 'minutes', 'hours'] LOOP
            v_name := v_table || '_' || to_char(v_day, 'YYYYMMDD');
            IF to_regclass(format('hewer_olap.%I', v_name)) IS NULL THEN
                EXECUTE format('CREATE TABLE hewer_olap.%I PARTITION OF hewer_olap.%I FOR VALUES FROM (%L) TO (%L)',
                               v_name, v_table, v_day, v_day + 1);
                v_made := v_made + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN v_made;
END
$$;

-- Drop the partitions of days older than p_keep (default: meta.retention)
-- before p_now; returns how many tables were dropped.
CREATE OR REPLACE FUNCTION hewer_olap.retention_apply(p_now timestamptz DEFAULT now(), p_keep interval DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_keep interval := coalesce(p_keep, (SELECT m.retention FROM hewer_olap.meta m));
    v_cut date := ((p_now AT TIME ZONE 'UTC') - v_keep)::date;
    v_part record;
    v_dropped integer := 0;
BEGIN
    FOR v_part IN
        SELECT c.relname
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
        JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'hewer_olap' AND p.relname IN ('runs', 'attempts', 'minutes', 'hours')
          AND c.relname ~ '_[0-9]{8}$'
          AND to_date(right(c.relname, 8), 'YYYYMMDD') < v_cut
    LOOP
        EXECUTE format('DROP TABLE hewer_olap.%I', v_part.relname);
        v_dropped := v_dropped + 1;
    END LOOP;
    DELETE FROM hewer_olap.days d WHERE d.day < v_cut;
    RETURN v_dropped;
END
$$;

-- The rollup rows that cover [p_since, p_until) once each: whole UTC days from
-- days, whole hours from hours, the minutes at the edges from minutes. A
-- window longer than a day is first widened to whole hours (p_since down,
-- p_until up); a shorter one counts each minute that begins in it.
CREATE OR REPLACE FUNCTION hewer_olap.rollups(
    p_since timestamptz, p_until timestamptz, p_tenant uuid DEFAULT NULL,
    p_workflow text DEFAULT NULL)
RETURNS SETOF hewer_olap.minutes
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_since timestamptz := date_trunc('minute', p_since, 'UTC');
    v_until timestamptz := p_until;
    v_h1 timestamptz;
    v_h2 timestamptz;
    v_d1 timestamptz;
    v_d2 timestamptz;
BEGIN
    IF p_until - p_since > interval '1 day' THEN
        v_since := date_trunc('hour', p_since, 'UTC');
        v_until := date_trunc('hour', p_until, 'UTC');
        IF v_until < p_until THEN
            v_until := v_until + interval '1 hour';
        END IF;
    END IF;
    v_h1 := date_trunc('hour', v_since, 'UTC');
    IF v_h1 < v_since THEN
        v_h1 := v_h1 + interval '1 hour';
    END IF;
    v_h2 := date_trunc('hour', v_until, 'UTC');
    IF v_h1 >= v_h2 THEN
        v_h1 := v_until;  -- no whole hour inside: minutes only
        v_h2 := v_until;
    END IF;
    RETURN QUERY
        SELECT m.* FROM hewer_olap.minutes m
        WHERE m.day BETWEEN (v_since AT TIME ZONE 'UTC')::date AND (v_until AT TIME ZONE 'UTC')::date
          AND ((m.minute >= v_since AND m.minute < v_h1) OR (m.minute >= v_h2 AND m.minute < v_until))
          AND (p_tenant IS NULL OR m.tenant_id = p_tenant)
          AND (p_workflow IS NULL OR m.workflow = p_workflow);
    IF v_h1 >= v_h2 THEN
        RETURN;
    END IF;
    v_d1 := date_trunc('day', v_h1, 'UTC');
    IF v_d1 < v_h1 THEN
        v_d1 := v_d1 + interval '1 day';
    END IF;
    v_d2 := date_trunc('day', v_h2, 'UTC');
    IF v_d1 >= v_d2 THEN
        v_d1 := v_h2;  -- no whole day inside: hours only
        v_d2 := v_h2;
    END IF;
    RETURN QUERY
        SELECT h.* FROM hewer_olap.hours h
        WHERE h.day BETWEEN (v_h1 AT TIME ZONE 'UTC')::date AND (v_h2 AT TIME ZONE 'UTC')::date
          AND ((h.minute >= v_h1 AND h.minute < v_d1) OR (h.minute >= v_d2 AND h.minute < v_h2))
          AND (p_tenant IS NULL OR h.tenant_id = p_tenant)
          AND (p_workflow IS NULL OR h.workflow = p_workflow);
    IF v_d1 < v_d2 THEN
        RETURN QUERY
            SELECT d.* FROM hewer_olap.days d
            WHERE d.day >= (v_d1 AT TIME ZONE 'UTC')::date AND d.day < (v_d2 AT TIME ZONE 'UTC')::date
              AND (p_tenant IS NULL OR d.tenant_id = p_tenant)
              AND (p_workflow IS NULL OR d.workflow = p_workflow);
    END IF;
END
$$;

-- Per workflow over [p_since, p_until) (see rollups for the edges): attempts
-- ended, by outcome, the failure rate (failed for good / attempts ended), and
-- queue wait and run time percentiles (ms). p_tenant NULL: all tenants.
CREATE OR REPLACE FUNCTION hewer_olap.workflow_stats(
    p_since timestamptz, p_until timestamptz DEFAULT now(), p_tenant uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, workflow text, attempts bigint, succeeded bigint, retried bigint,
               failed bigint, cancelled bigint, failure_rate float8, wait_p50_ms float8,
               wait_p99_ms float8, run_p50_ms float8, run_p99_ms float8)
LANGUAGE sql STABLE
AS $$
    WITH r AS MATERIALIZED (
        SELECT * FROM hewer_olap.rollups(p_since, p_until, p_tenant)
    ), hists AS (
        -- Bucket by bucket (the 21 of hist_bounds): native sums, much faster over many
        -- rows than hist_sum.
        SELECT r.tenant_id, r.workflow,
               ARRAY[sum(r.wait_hist[1]), sum(r.wait_hist[2]), sum(r.wait_hist[3]),
                     sum(r.wait_hist[4]), sum(r.wait_hist[5]), sum(r.wait_hist[6]),
                     sum(r.wait_hist[7]), sum(r.wait_hist[8]), sum(r.wait_hist[9]),
                     sum(r.wait_hist[10]), sum(r.wait_hist[11]), sum(r.wait_hist[12]),
                     sum(r.wait_hist[13]), sum(r.wait_hist[14]), sum(r.wait_hist[15]),
                     sum(r.wait_hist[16]), sum(r.wait_hist[17]), sum(r.wait_hist[18]),
                     sum(r.wait_hist[19]), sum(r.wait_hist[20]), sum(r.wait_hist[21])]::integer[] AS wait,
               ARRAY[sum(r.run_hist[1]), sum(r.run_hist[2]), sum(r.run_hist[3]),
                     sum(r.run_hist[4]), sum(r.run_hist[5]), sum(r.run_hist[6]),
                     sum(r.run_hist[7]), sum(r.run_hist[8]), sum(r.run_hist[9]),
                     sum(r.run_hist[10]), sum(r.run_hist[11]), sum(r.run_hist[12]),
                     sum(r.run_hist[13]), sum(r.run_hist[14]), sum(r.run_hist[15]),
                     sum(r.run_hist[16]), sum(r.run_hist[17]), sum(r.run_hist[18]),
                     sum(r.run_hist[19]), sum(r.run_hist[20]), sum(r.run_hist[21])]::integer[] AS run
        FROM r GROUP BY r.tenant_id, r.workflow
    ), totals AS (
        SELECT r.tenant_id, r.workflow, sum(r.attempts) AS attempts,
               sum(r.succeeded) AS succeeded, sum(r.retried) AS retried,
               sum(r.failed) AS failed, sum(r.cancelled) AS cancelled
        FROM r GROUP BY r.tenant_id, r.workflow
    )
    SELECT t.tenant_id, t.workflow, t.attempts, t.succeeded, t.retried, t.failed, t.cancelled,
           t.failed::float8 / nullif(t.attempts, 0),
           hewer_olap.hist_percentile(h.wait, 0.5), hewer_olap.hist_percentile(h.wait, 0.99),
           hewer_olap.hist_percentile(h.run, 0.5), hewer_olap.hist_percentile(h.run, 0.99)
    FROM totals t JOIN hists h ON h.tenant_id = t.tenant_id AND h.workflow = t.workflow
    ORDER BY t.tenant_id, t.workflow
$$;

-- Per step of a workflow over [p_since, p_until): the same, with p95 too.
CREATE OR REPLACE FUNCTION hewer_olap.step_latency(
    p_workflow text, p_since timestamptz, p_until timestamptz DEFAULT now(),
    p_tenant uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, step text, attempts bigint, failed bigint, retried bigint,
               wait_p50_ms float8, wait_p95_ms float8, wait_p99_ms float8,
               run_p50_ms float8, run_p95_ms float8, run_p99_ms float8)
LANGUAGE sql STABLE
AS $$
    WITH r AS MATERIALIZED (
        SELECT * FROM hewer_olap.rollups(p_since, p_until, p_tenant, p_workflow)
    ), hists AS (
        -- Bucket by bucket (the 21 of hist_bounds): native sums, much faster over many
        -- rows than hist_sum.
        SELECT r.tenant_id, r.step,
               ARRAY[sum(r.wait_hist[1]), sum(r.wait_hist[2]), sum(r.wait_hist[3]),
                     sum(r.wait_hist[4]), sum(r.wait_hist[5]), sum(r.wait_hist[6]),
                     sum(r.wait_hist[7]), sum(r.wait_hist[8]), sum(r.wait_hist[9]),
                     sum(r.wait_hist[10]), sum(r.wait_hist[11]), sum(r.wait_hist[12]),
                     sum(r.wait_hist[13]), sum(r.wait_hist[14]), sum(r.wait_hist[15]),
                     sum(r.wait_hist[16]), sum(r.wait_hist[17]), sum(r.wait_hist[18]),
                     sum(r.wait_hist[19]), sum(r.wait_hist[20]), sum(r.wait_hist[21])]::integer[] AS wait,
               ARRAY[sum(r.run_hist[1]), sum(r.run_hist[2]), sum(r.run_hist[3]),
                     sum(r.run_hist[4]), sum(r.run_hist[5]), sum(r.run_hist[6]),
                     sum(r.run_hist[7]), sum(r.run_hist[8]), sum(r.run_hist[9]),
                     sum(r.run_hist[10]), sum(r.run_hist[11]), sum(r.run_hist[12]),
                     sum(r.run_hist[13]), sum(r.run_hist[14]), sum(r.run_hist[15]),
                     sum(r.run_hist[16]), sum(r.run_hist[17]), sum(r.run_hist[18]),
                     sum(r.run_hist[19]), sum(r.run_hist[20]), sum(r.run_hist[21])]::integer[] AS run
        FROM r GROUP BY r.tenant_id, r.step
    ), totals AS (
        SELECT r.tenant_id, r.step, sum(r.attempts) AS attempts, sum(r.failed) AS failed,
               sum(r.retried) AS retried
        FROM r GROUP BY r.tenant_id, r.step
    )
    SELECT t.tenant_id, t.step, t.attempts, t.failed, t.retried,
           hewer_olap.hist_percentile(h.wait, 0.5), hewer_olap.hist_percentile(h.wait, 0.95),
           hewer_olap.hist_percentile(h.wait, 0.99),
           hewer_olap.hist_percentile(h.run, 0.5), hewer_olap.hist_percentile(h.run, 0.95),
           hewer_olap.hist_percentile(h.run, 0.99)
    FROM totals t JOIN hists h ON h.tenant_id = t.tenant_id AND h.step = t.step
    ORDER BY t.tenant_id, t.step
$$;

-- Recompute the rollups of the dirty minutes (up to p_limit of them, oldest
-- first) from the facts, then their hours from the minutes and their days from
-- the hours, and take the marks: what makes a batch applied twice count once.
-- Returns how many minutes were refreshed. The feeder calls it every few
-- seconds, not per batch: a busy minute is recomputed a few times, not once per
-- batch of its facts.
CREATE OR REPLACE FUNCTION hewer_olap.rollups_refresh(p_limit integer DEFAULT 100000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_keys hewer_olap.dirty[];
BEGIN
    WITH picked AS (
        SELECT d.minute, d.tenant_id, d.workflow, d.step FROM hewer_olap.dirty d
        ORDER BY d.minute LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        DELETE FROM hewer_olap.dirty d USING picked p
        WHERE d.minute = p.minute AND d.tenant_id = p.tenant_id AND d.workflow = p.workflow
          AND d.step = p.step
        RETURNING d.*
    )
    SELECT coalesce(array_agg(ROW(t.minute, t.tenant_id, t.workflow, t.step)::hewer_olap.dirty),
                    '{}'::hewer_olap.dirty[])
    INTO v_keys FROM taken t;
    IF cardinality(v_keys) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM hewer_olap.partitions_ensure(min((k.minute AT TIME ZONE 'UTC')::date),
                                         (max((k.minute AT TIME ZONE 'UTC')::date)
                                          - min((k.minute AT TIME ZONE 'UTC')::date)) + 1)
    FROM unnest(v_keys) AS k;

    DELETE FROM hewer_olap.minutes m USING unnest(v_keys) AS k
    WHERE m.day = (k.minute AT TIME ZONE 'UTC')::date AND m.minute = k.minute
      AND m.tenant_id = k.tenant_id AND m.workflow = k.workflow AND m.step = k.step;
    INSERT INTO hewer_olap.minutes
    SELECT (k.minute AT TIME ZONE 'UTC')::date, k.minute, k.tenant_id, k.workflow, k.step,
           count(*),
           count(*) FILTER (WHERE a.outcome = 'succeeded'),
           count(*) FILTER (WHERE a.outcome = 'retrying'),
           count(*) FILTER (WHERE a.outcome IN ('failed', 'execution_timeout', 'worker_lost',
                                                'schedule_timeout')),
           count(*) FILTER (WHERE a.outcome = 'cancelled'),
           hewer_olap.hist(array_agg(extract(epoch FROM a.assigned_at - a.queued_at)::float8 * 1000)),
           hewer_olap.hist(array_agg(extract(epoch FROM a.finished_at - a.started_at)::float8 * 1000))
    FROM unnest(v_keys) AS k
    JOIN hewer_olap.attempts a
      ON a.tenant_id = k.tenant_id AND a.workflow = k.workflow AND a.step = k.step
     AND a.finished_at >= k.minute AND a.finished_at < k.minute + interval '1 minute'
     AND a.outcome IS NOT NULL
    GROUP BY k.minute, k.tenant_id, k.workflow, k.step;

    DELETE FROM hewer_olap.hours h USING unnest(v_keys) AS k
    WHERE h.day = (k.minute AT TIME ZONE 'UTC')::date
      AND h.minute = date_trunc('hour', k.minute, 'UTC')
      AND h.tenant_id = k.tenant_id AND h.workflow = k.workflow AND h.step = k.step;
    WITH k AS (
        SELECT DISTINCT date_trunc('hour', u.minute, 'UTC') AS hour, u.tenant_id, u.workflow, u.step
        FROM unnest(v_keys) AS u
    )
    INSERT INTO hewer_olap.hours
    SELECT (k.hour AT TIME ZONE 'UTC')::date, k.hour, k.tenant_id, k.workflow, k.step,
           sum(m.attempts), sum(m.succeeded), sum(m.retried), sum(m.failed), sum(m.cancelled),
           hewer_olap.hist_sum(m.wait_hist), hewer_olap.hist_sum(m.run_hist)
    FROM k
    JOIN hewer_olap.minutes m
      ON m.day = (k.hour AT TIME ZONE 'UTC')::date AND m.minute >= k.hour
     AND m.minute < k.hour + interval '1 hour'
     AND m.tenant_id = k.tenant_id AND m.workflow = k.workflow AND m.step = k.step
    GROUP BY k.hour, k.tenant_id, k.workflow, k.step;

    DELETE FROM hewer_olap.days d USING unnest(v_keys) AS k
    WHERE d.day = (k.minute AT TIME ZONE 'UTC')::date AND d.tenant_id = k.tenant_id
      AND d.workflow = k.workflow AND d.step = k.step;
    WITH k AS (
        SELECT DISTINCT (u.minute AT TIME ZONE 'UTC')::date AS day, u.tenant_id, u.workflow, u.step
        FROM unnest(v_keys) AS u
    )
    INSERT INTO hewer_olap.days
    SELECT k.day, k.day::timestamp AT TIME ZONE 'UTC', k.tenant_id, k.workflow, k.step,
           sum(h.attempts), sum(h.succeeded), sum(h.retried), sum(h.failed), sum(h.cancelled),
           hewer_olap.hist_sum(h.wait_hist), hewer_olap.hist_sum(h.run_hist)
    FROM k
    JOIN hewer_olap.hours h
      ON h.day = k.day AND h.tenant_id = k.tenant_id AND h.workflow = k.workflow
     AND h.step = k.step
    GROUP BY k.day, k.tenant_id, k.workflow, k.step;
    RETURN cardinality(v_keys);
END
$$;

-- Rebuild the hour and day rollups of [p_since, p_until) (whole UTC days) from
-- the minutes: for a store made before hours and days existed, or minutes
-- written by hand. Returns the hours written.
CREATE OR REPLACE FUNCTION hewer_olap.rollups_rebuild(
    p_since timestamptz DEFAULT '-infinity', p_until timestamptz DEFAULT 'infinity')
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_from date := CASE WHEN isfinite(p_since) THEN (p_since AT TIME ZONE 'UTC')::date END;
    v_to date := CASE WHEN isfinite(p_until) THEN (p_until AT TIME ZONE 'UTC')::date END;
    v_rows integer;
BEGIN
    SELECT coalesce(v_from, min(m.day)), coalesce(v_to, max(m.day) + 1)
    INTO v_from, v_to
    FROM hewer_olap.minutes m;
    IF v_from IS NULL OR v_to IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM hewer_olap.partitions_ensure(v_from, greatest(v_to - v_from, 1));
    DELETE FROM hewer_olap.hours h WHERE h.day >= v_from AND h.day < v_to;
    INSERT INTO hewer_olap.hours
    SELECT m.day, date_trunc('hour', m.minute, 'UTC'), m.tenant_id, m.workflow, m.step,
           sum(m.attempts), sum(m.succeeded), sum(m.retried), sum(m.failed), sum(m.cancelled),
           hewer_olap.hist_sum(m.wait_hist), hewer_olap.hist_sum(m.run_hist)
    FROM hewer_olap.minutes m
    WHERE m.day >= v_from AND m.day < v_to
    GROUP BY m.day, date_trunc('hour', m.minute, 'UTC'), m.tenant_id, m.workflow, m.step;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    DELETE FROM hewer_olap.days d WHERE d.day >= v_from AND d.day < v_to;
    INSERT INTO hewer_olap.days
    SELECT h.day, h.day::timestamp AT TIME ZONE 'UTC', h.tenant_id, h.workflow, h.step,
           sum(h.attempts), sum(h.succeeded), sum(h.retried), sum(h.failed), sum(h.cancelled),
           hewer_olap.hist_sum(h.wait_hist), hewer_olap.hist_sum(h.run_hist)
    FROM hewer_olap.hours h
    WHERE h.day >= v_from AND h.day < v_to
    GROUP BY h.day, h.tenant_id, h.workflow, h.step;
    RETURN v_rows;
END
$$;

-- Store version 2 added the hour and day rollups: build them once for what a
-- version 1 store already holds.
DO $$
BEGIN
    IF (SELECT m.store_version FROM hewer_olap.meta m) < 2 THEN
        PERFORM hewer_olap.rollups_rebuild();
        UPDATE hewer_olap.meta SET store_version = 2;
    END IF;
END
$$;
