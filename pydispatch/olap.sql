-- The analytics feeder's SQL (pydispatch/olap.py). "core" queries run on the
-- core's database as a trusted role; "store" queries on the analytics store's.

-- name: core_read
-- A batch of feed messages, hidden from other readers for vt seconds; a
-- feeder that dies before deleting them lets another read them again.
SELECT msg_id, message FROM pgmq.read('hewer_olap', %(vt)s, %(limit)s);

-- name: core_delete
SELECT pgmq.delete('hewer_olap', %(ids)s::bigint[]);

-- name: core_depth
-- Messages waiting and the age of the oldest: the feed's lag.
SELECT count(*) AS messages,
       coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)::float8 AS oldest_seconds
FROM pgmq.q_hewer_olap;

-- name: core_runs
-- The runs of a batch, denormalized: workflow, version, tags, times.
SELECT r.id AS run_id, r.tenant_id, w.name AS workflow, v.version, r.status::text AS status,
       r.parent_run_id, r.replay_of, r.additional_metadata AS metadata, r.created_at,
       r.started_at, r.finished_at
FROM hewer.runs r
JOIN hewer.workflows w ON w.id = r.workflow_id
JOIN hewer.workflow_versions v ON v.id = r.version_id
WHERE r.id = ANY (%(ids)s::uuid[]);

-- name: core_tasks
SELECT t.id AS task_id, t.step, t.action FROM hewer.tasks t WHERE t.id = ANY (%(ids)s::uuid[]);

-- name: store_lock
-- One feeder writes to the store at a time.
SELECT pg_advisory_xact_lock(%(key)s);

-- name: store_partitions
SELECT hewer_olap.partitions_ensure(%(day)s::date, 1);

-- name: store_finished
-- Runs whose end the store already knows (their span has been exported).
SELECT o.run_id FROM hewer_olap.runs o
JOIN unnest(%(day)s::date[], %(run_id)s::uuid[]) AS k(day, run_id)
  ON o.day = k.day AND o.run_id = k.run_id
WHERE o.finished_at IS NOT NULL;

-- name: store_runs
INSERT INTO hewer_olap.runs AS o
    (day, tenant_id, run_id, workflow, version, status, parent_run_id, replay_of, metadata,
     created_at, started_at, finished_at)
SELECT * FROM unnest(%(day)s::date[], %(tenant_id)s::uuid[], %(run_id)s::uuid[],
                     %(workflow)s::text[], %(version)s::integer[], %(status)s::text[],
                     %(parent_run_id)s::uuid[], %(replay_of)s::uuid[], %(metadata)s::jsonb[],
                     %(created_at)s::timestamptz[], %(started_at)s::timestamptz[],
                     %(finished_at)s::timestamptz[])
ON CONFLICT (day, run_id) DO UPDATE
SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
    finished_at = EXCLUDED.finished_at, metadata = EXCLUDED.metadata;

-- name: store_attempts
-- Facts merge: a time or worker once known stays; the first event that ended
-- an attempt decides its outcome (a later 'cancelled' of a task queued for
-- its retry does not rewrite the attempt that failed). The minutes they ended
-- in are marked for store_refresh, in the same transaction.
WITH facts AS (
INSERT INTO hewer_olap.attempts AS o
    (day, tenant_id, task_id, attempt, run_id, workflow, version, step, action, worker_id,
     queued_at, assigned_at, started_at, finished_at, outcome, error_type)
SELECT * FROM unnest(%(day)s::date[], %(tenant_id)s::uuid[], %(task_id)s::uuid[],
                     %(attempt)s::integer[], %(run_id)s::uuid[], %(workflow)s::text[],
                     %(version)s::integer[], %(step)s::text[], %(action)s::text[],
                     %(worker_id)s::uuid[], %(queued_at)s::timestamptz[],
                     %(assigned_at)s::timestamptz[], %(started_at)s::timestamptz[],
                     %(finished_at)s::timestamptz[], %(outcome)s::text[], %(error_type)s::text[])
ON CONFLICT (day, task_id, attempt) DO UPDATE
SET worker_id = coalesce(o.worker_id, EXCLUDED.worker_id),
    queued_at = coalesce(o.queued_at, EXCLUDED.queued_at),
    assigned_at = coalesce(o.assigned_at, EXCLUDED.assigned_at),
    started_at = coalesce(o.started_at, EXCLUDED.started_at),
    finished_at = CASE WHEN o.outcome IS NULL THEN EXCLUDED.finished_at ELSE o.finished_at END,
    error_type = CASE WHEN o.outcome IS NULL THEN EXCLUDED.error_type ELSE o.error_type END,
    outcome = coalesce(o.outcome, EXCLUDED.outcome)
RETURNING o.tenant_id, o.workflow, o.step, date_trunc('minute', o.finished_at, 'UTC') AS minute
)
INSERT INTO hewer_olap.dirty (minute, tenant_id, workflow, step)
SELECT DISTINCT f.minute, f.tenant_id, f.workflow, f.step FROM facts f WHERE f.minute IS NOT NULL
ON CONFLICT DO NOTHING;

-- name: store_refresh
-- The rollups of the minutes marked since the last refresh (sql/olap/store.sql).
SELECT hewer_olap.rollups_refresh() AS minutes;

-- name: store_retention
SELECT hewer_olap.retention_apply() AS dropped;

-- name: store_stats
SELECT tenant_id, workflow, attempts, succeeded, retried, failed, cancelled, failure_rate,
       wait_p50_ms, wait_p99_ms, run_p50_ms, run_p99_ms
FROM hewer_olap.workflow_stats(%(since)s, %(until)s, %(tenant)s);

-- name: store_steps
SELECT tenant_id, step, attempts, failed, retried, wait_p50_ms, wait_p95_ms, wait_p99_ms,
       run_p50_ms, run_p95_ms, run_p99_ms
FROM hewer_olap.step_latency(%(workflow)s, %(since)s, %(until)s, %(tenant)s);

-- name: store_status
SELECT m.store_version, m.retention::text AS retention,
       (SELECT count(*) FROM hewer_olap.attempts) AS attempts,
       (SELECT count(*) FROM hewer_olap.runs) AS runs,
       (SELECT min(day) FROM hewer_olap.minutes) AS oldest_day,
       (SELECT count(*) FROM hewer_olap.dirty) AS minutes_to_refresh
FROM hewer_olap.meta m;

-- name: core_tenant
SELECT id FROM hewer.tenants WHERE name = %(name)s;
