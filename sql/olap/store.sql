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
INSERT INTO hewer_olap.meta (store_version) VALUES (1) ON CONFLICT (singleton) DO NOTHING;

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
        FOREACH v_table IN ARRAY ARRAY['runs', 'attempts', 'minutes'] LOOP
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
        WHERE n.nspname = 'hewer_olap' AND p.relname IN ('runs', 'attempts', 'minutes')
          AND c.relname ~ '_[0-9]{8}$'
          AND to_date(right(c.relname, 8), 'YYYYMMDD') < v_cut
    LOOP
        EXECUTE format('DROP TABLE hewer_olap.%I', v_part.relname);
        v_dropped := v_dropped + 1;
    END LOOP;
    RETURN v_dropped;
END
$$;

-- Per workflow over [p_since, p_until): attempts ended, by outcome, the
-- failure rate (failed for good / runs' attempts that ended), and queue wait
-- and run time percentiles (ms), from the minute rollups. p_tenant NULL: all.
CREATE OR REPLACE FUNCTION hewer_olap.workflow_stats(
    p_since timestamptz, p_until timestamptz DEFAULT now(), p_tenant uuid DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, workflow text, attempts bigint, succeeded bigint, retried bigint,
               failed bigint, cancelled bigint, failure_rate float8, wait_p50_ms float8,
               wait_p99_ms float8, run_p50_ms float8, run_p99_ms float8)
LANGUAGE sql STABLE
AS $$
    SELECT m.tenant_id, m.workflow, sum(m.attempts), sum(m.succeeded), sum(m.retried),
           sum(m.failed), sum(m.cancelled),
           sum(m.failed)::float8 / nullif(sum(m.attempts), 0),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.wait_hist), 0.5),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.wait_hist), 0.99),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.run_hist), 0.5),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.run_hist), 0.99)
    FROM hewer_olap.minutes m
    WHERE m.day BETWEEN (p_since AT TIME ZONE 'UTC')::date AND (p_until AT TIME ZONE 'UTC')::date
      AND m.minute >= date_trunc('minute', p_since) AND m.minute < p_until
      AND (p_tenant IS NULL OR m.tenant_id = p_tenant)
    GROUP BY m.tenant_id, m.workflow
    ORDER BY m.tenant_id, m.workflow
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
    SELECT m.tenant_id, m.step, sum(m.attempts), sum(m.failed), sum(m.retried),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.wait_hist), 0.5),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.wait_hist), 0.95),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.wait_hist), 0.99),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.run_hist), 0.5),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.run_hist), 0.95),
           hewer_olap.hist_percentile(hewer_olap.hist_sum(m.run_hist), 0.99)
    FROM hewer_olap.minutes m
    WHERE m.workflow = p_workflow
      AND m.day BETWEEN (p_since AT TIME ZONE 'UTC')::date AND (p_until AT TIME ZONE 'UTC')::date
      AND m.minute >= date_trunc('minute', p_since) AND m.minute < p_until
      AND (p_tenant IS NULL OR m.tenant_id = p_tenant)
    GROUP BY m.tenant_id, m.step
    ORDER BY m.tenant_id, m.step
$$;

-- Recompute the rollups of these (day, minute, tenant, workflow, step) keys
-- from the facts: what makes a batch applied twice count once.
CREATE OR REPLACE FUNCTION hewer_olap.minutes_refresh(p_keys jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_rows integer;
BEGIN
    WITH k AS (
        SELECT DISTINCT (e ->> 'minute')::timestamptz AS minute, (e ->> 'tenant_id')::uuid AS tenant_id,
               e ->> 'workflow' AS workflow, e ->> 'step' AS step
        FROM jsonb_array_elements(p_keys) AS e
    )
    DELETE FROM hewer_olap.minutes m USING k
    WHERE m.day = (k.minute AT TIME ZONE 'UTC')::date AND m.minute = k.minute
      AND m.tenant_id = k.tenant_id AND m.workflow = k.workflow AND m.step = k.step;
    WITH k AS (
        SELECT DISTINCT (e ->> 'minute')::timestamptz AS minute, (e ->> 'tenant_id')::uuid AS tenant_id,
               e ->> 'workflow' AS workflow, e ->> 'step' AS step
        FROM jsonb_array_elements(p_keys) AS e
    )
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
    FROM k
    JOIN hewer_olap.attempts a
      ON a.tenant_id = k.tenant_id AND a.workflow = k.workflow AND a.step = k.step
     AND a.finished_at >= k.minute AND a.finished_at < k.minute + interval '1 minute'
     AND a.outcome IS NOT NULL
    GROUP BY k.minute, k.tenant_id, k.workflow, k.step;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END
$$;
