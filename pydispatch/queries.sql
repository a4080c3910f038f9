-- The SQL the dispatcher runs: one named block per statement, loaded once by
-- pydispatch/queries.py. Each block calls a hewer function; none touches a
-- hewer table directly, except the metrics gauges' reads at the end. Parameters use psycopg's %(name)s style. Reports use
-- non-strict mode (p_strict => false): a stale or unknown report is answered
-- on its own row instead of failing its whole batch.

-- name: token_tenant
-- The tenant an RPC's API token acts for (HW093 when it is bad, revoked or expired,
-- or missing while tokens exist); checked on every call.
SELECT hewer.token_tenant(%(token)s) AS tenant;

-- name: tokens_valid
SELECT token_id FROM hewer.tokens_valid(%(token_ids)s::uuid[]) AS token_id;

-- name: set_tenant
-- Act for a tenant on this connection (session-level; the dispatcher's role is trusted).
SELECT set_config('hewer.tenant', %(tenant)s, false);

-- name: worker_register
SELECT hewer.worker_register(
    %(name)s, %(actions)s::text[], %(slots)s, %(labels)s::jsonb, %(sdk_version)s,
    %(worker_id)s::uuid) AS worker_id;

-- name: worker_get
SELECT worker_id, actions, slots, status, held_task_ids
FROM hewer.worker_get(%(worker_ids)s::uuid[]);

-- name: worker_heartbeat
SELECT worker_id, status FROM hewer.worker_heartbeat(%(worker_ids)s::uuid[]);

-- name: task_claim
SELECT task_id, attempt, run_id, workflow, step, action, input::text AS input_json,
       parents::text AS parents_json, priority, timeout_at, traceparent, queue_wait
FROM hewer.task_claim(%(worker_id)s::uuid, %(limit)s);

-- name: task_start
SELECT ord, accepted, reason
FROM hewer.task_start(%(task_ids)s::uuid[], %(attempts)s::integer[], p_strict => false,
                      p_worker_ids => %(worker_ids)s::uuid[]);

-- name: task_complete
SELECT ord, accepted, reason
FROM hewer.task_complete(%(task_ids)s::uuid[], %(attempts)s::integer[], %(outputs)s::jsonb[],
                         p_strict => false, p_worker_ids => %(worker_ids)s::uuid[]);

-- name: task_fail
SELECT ord, accepted, reason
FROM hewer.task_fail(%(task_ids)s::uuid[], %(attempts)s::integer[], %(errors)s::jsonb[],
                     %(retryable)s::boolean[], p_strict => false,
                     p_worker_ids => %(worker_ids)s::uuid[]);

-- name: task_heartbeat
SELECT ord, accepted, reason, timeout_at
FROM hewer.task_heartbeat(%(task_ids)s::uuid[], %(attempts)s::integer[], %(extend_by)s::interval,
                          p_strict => false, p_worker_ids => %(worker_ids)s::uuid[]);

-- name: task_log
SELECT ord, accepted, reason
FROM hewer.task_log(%(task_ids)s::uuid[], %(attempts)s::integer[], %(levels)s::text[],
                    %(messages)s::text[], %(logged_at)s::timestamptz[],
                    p_worker_ids => %(worker_ids)s::uuid[]);

-- name: task_cancellations
SELECT worker_id, task_id, attempt FROM hewer.task_cancellations(%(worker_ids)s::uuid[]);

-- name: reap
SELECT task_id, attempt, cause, outcome::text AS outcome
FROM hewer.reap(now(), %(worker_timeout)s::interval,
                p_disconnect_grace => %(disconnect_grace)s::interval);

-- name: partition_create
SELECT table_name, partition FROM hewer.partition_create();

-- name: lease_acquire
SELECT hewer.lease_acquire(%(name)s, %(holder)s, %(ttl)s::interval) AS held;

-- name: lease_release
SELECT hewer.lease_release(%(name)s, %(holder)s) AS released;

-- name: listen
LISTEN hewer_ready;
LISTEN hewer_cancel;
LISTEN hewer_run_done;
LISTEN hewer_tokens;
LISTEN hewer_output;

-- name: workflow_register
SELECT workflow_id, version_id, version, created
FROM hewer.workflow_register(%(name)s, %(spec)s::jsonb);

-- name: workflow_current
-- The version current after a registration (an identical older spec is not made current):
-- a statement of its own, since workflow_get reads the snapshot its statement started with.
SELECT current_version FROM hewer.workflow_get(%(name)s);

-- name: run_trigger
SELECT run_id, created
FROM hewer.run_trigger(%(workflow)s, ARRAY[%(input)s::jsonb], ARRAY[%(priority)s::integer],
                       ARRAY[%(idempotency_key)s::text],
                       p_metadata => ARRAY[%(metadata)s::jsonb]);

-- name: run_spawn
SELECT run_id, created
FROM hewer.run_spawn(%(task_id)s::uuid, %(attempt)s::integer, %(workflow)s,
                     ARRAY[%(input)s::jsonb], ARRAY[%(key)s::text],
                     ARRAY[%(metadata)s::jsonb]);

-- name: run_get
SELECT run_id, workflow, version, status::text AS status, input::text AS input_json,
       output::text AS output_json, error::text AS error_json, tasks::text AS tasks_json,
       created_at, finished_at
FROM hewer.run_get(ARRAY[%(run_id)s::uuid]);

-- name: run_cancel
SELECT run_id, cancelled, status::text AS status FROM hewer.run_cancel(ARRAY[%(run_id)s::uuid]);

-- name: run_events
SELECT event_id, task_id, step, attempt, kind, status::text AS status, data::text AS data_json,
       created_at
FROM hewer.run_events(%(run_id)s::uuid, %(after)s::uuid);

-- name: listen_events
LISTEN hewer_events;

-- name: unlisten_events
UNLISTEN hewer_events;

-- name: event_route_read
-- Payloads come as text, decoded per event by the router: one that cannot be decoded (e.g.
-- nested thousands deep) fails its own event, not the batch.
SELECT msg_id, read_ct, event_id, tenant_id, key, payload::text AS payload_json,
       metadata::text AS metadata_json, workflow_id, filter_id, filter_version, expression,
       filter_error
FROM hewer.event_route_read(%(qty)s, %(vt)s);

-- name: event_route_apply
SELECT ord, run_id, created
FROM hewer.event_route_apply(%(event_ids)s::uuid[], %(workflow_ids)s::uuid[],
                             %(filter_ids)s::uuid[], %(filter_versions)s::integer[],
                             %(errors)s::text[]);

-- name: event_ack
SELECT hewer.event_ack(%(msg_ids)s::bigint[]) AS acked;

-- name: filter_error
SELECT hewer._filter_error(%(filter_id)s::uuid, %(version)s, %(error)s);

-- name: tick
-- One round trip per idle tick: start due scheduled runs, end expired waits, and say
-- whether any cron is due (then cron_due fetches them).
WITH fired AS (SELECT run_id FROM hewer.schedule_fire(%(now)s::timestamptz, 1000,
                                                     %(max_failures)s, %(backoff)s::interval)),
     expired AS (SELECT task_id FROM hewer.waits_expire(%(now)s::timestamptz, 1000,
                                                        %(max_failures)s, %(backoff)s::interval))
SELECT (SELECT coalesce(array_agg(run_id), '{}') FROM fired) AS fired,
       (SELECT count(*) FROM expired) AS expired,
       EXISTS (SELECT FROM hewer.cron_due(%(now)s::timestamptz, 1)) AS crons_due;

-- name: cron_due
SELECT cron_id, tenant_id, expression, catch_up, next_at, created_at, failing
FROM hewer.cron_due(%(now)s);

-- name: item_failed
SELECT failures, quarantined, retry_at
FROM hewer.item_failed(%(kind)s, %(item_id)s, %(tenant_id)s::uuid, %(error)s, %(max_failures)s,
                       %(backoff)s::interval, %(counts)s, %(retry_at)s::timestamptz,
                       %(now)s::timestamptz);

-- name: item_succeeded
SELECT hewer.item_succeeded(%(kind)s, %(item_ids)s::text[]) AS cleared;

-- name: cron_fire
SELECT run_id, fired
FROM hewer.cron_fire(%(cron_id)s::uuid, %(tick_at)s::timestamptz, %(fire)s, %(missed)s,
                     %(next_at)s::timestamptz, %(error)s, %(now)s::timestamptz);

-- name: schedule_fire
SELECT schedule_id, run_id FROM hewer.schedule_fire(%(now)s::timestamptz);

-- name: event_waits_read
SELECT event_id, task_id, key, payload::text AS payload_json, metadata::text AS metadata_json,
       expression, input::text AS input_json
FROM hewer.event_waits_read(%(event_ids)s::uuid[]);

-- name: event_waits_apply
SELECT hewer.event_waits_apply(%(task_ids)s::uuid[], %(event_ids)s::uuid[],
                               %(errors)s::text[]) AS released;

-- name: waits_expire
SELECT task_id, outcome FROM hewer.waits_expire(%(now)s::timestamptz);

-- name: run_list
SELECT run_id, workflow, version, status::text AS status, priority, input::text AS input_json,
       error::text AS error_json, replay_of, tasks::text AS tasks_json, created_at, started_at,
       finished_at, additional_metadata::text AS metadata_json
FROM hewer.run_list(%(workflow)s, %(statuses)s::hewer.run_status[], %(since)s::timestamptz,
                    %(until)s::timestamptz, %(input)s::jsonb, %(replay_of)s::uuid, %(limit)s,
                    %(before)s::uuid, %(metadata)s::jsonb);

-- name: run_cancel_matching
SELECT run_id, cancelled, status::text AS status
FROM hewer.run_cancel_matching(%(workflow)s, %(statuses)s::hewer.run_status[],
                               %(since)s::timestamptz, %(until)s::timestamptz, %(input)s::jsonb,
                               p_metadata => %(metadata)s::jsonb);

-- name: run_replay
SELECT run_id, replay_run_id, kept, to_run
FROM hewer.run_replay(ARRAY[%(run_id)s::uuid], %(start_from)s);

-- name: quarantine_list
SELECT tenant, kind, item_id, failures, error, first_failed_at, last_failed_at, retry_at,
       quarantined_at
FROM hewer.quarantine_list(%(kind)s);

-- name: quarantine_release
SELECT hewer.quarantine_release(%(kind)s, %(item_id)s) AS released;

-- name: task_fail_outcomes
-- Metrics (pydispatch/telemetry.py): what accepted failure reports led to, from the
-- tasks' history: retrying, cancelled or failed, per (task, attempt). Read after the
-- reports are answered, never in their batch.
SELECT h.kind, count(*)::integer AS tasks
FROM hewer.task_history(%(task_ids)s::uuid[]) h
JOIN unnest(%(task_ids)s::uuid[], %(attempts)s::integer[]) AS r(task_id, attempt)
  ON r.task_id = h.task_id AND r.attempt = h.attempt
WHERE h.kind IN ('retrying', 'cancelled', 'failed')
GROUP BY h.kind;

-- Metrics gauges (pydispatch/telemetry.py), read when metrics are collected, never on a
-- hot path. Read-only reads of small tables: the dispatcher's role is trusted with every
-- tenant, so row-level security shows them all, whatever hewer.tenant the connection has.

-- name: metrics_queue_depth
-- Ready-queue rows by action, ready now or waiting for their ready_at (a retry's backoff):
-- the deepest %(top)s actions by name, the rest summed under a NULL action.
WITH per_action AS (
    SELECT q.action,
           count(*) FILTER (WHERE q.ready_at <= now()) AS ready,
           count(*) FILTER (WHERE q.ready_at > now()) AS delayed
    FROM hewer.queue q
    GROUP BY q.action
), ranked AS (
    SELECT p.action, p.ready, p.delayed,
           row_number() OVER (ORDER BY p.ready + p.delayed DESC, p.action) AS n
    FROM per_action p
)
SELECT CASE WHEN r.n <= %(top)s THEN r.action END AS action,
       sum(r.ready)::bigint AS ready, sum(r.delayed)::bigint AS delayed
FROM ranked r
GROUP BY 1;

-- name: metrics_leader
-- The maintenance lease: held (unexpired) or not, and seconds since its holder last renewed
-- it (expires_at - lease is the last renewal; NULL when released or never taken).
SELECT l.holder IS NOT NULL AND l.expires_at > now() AS held,
       CASE WHEN l.holder IS NOT NULL AND l.expires_at > '-infinity'
            THEN extract(epoch FROM now() - l.expires_at)::float8 + %(lease)s END AS tick_age
FROM hewer.leases l
WHERE l.name = 'maintenance';

-- name: metrics_olap
-- The analytics feed's queue (pgmq hewer_olap): batches waiting, and the age of the oldest
-- (0 when none waits).
SELECT count(*)::bigint AS messages,
       coalesce(extract(epoch FROM now() - min(q.enqueued_at)), 0)::float8 AS oldest_seconds
FROM pgmq.q_hewer_olap q;

-- name: metrics_quarantine
SELECT q.kind, count(*) FILTER (WHERE q.quarantined_at IS NOT NULL)::bigint AS quarantined
FROM hewer.quarantine q
GROUP BY q.kind;

-- name: task_stream
SELECT ord, accepted, reason
FROM hewer.task_stream(%(task_ids)s::uuid[], %(attempts)s::int[], %(seqs)s::bigint[],
                       %(chunks)s::text[], %(worker_ids)s::uuid[]);

-- name: run_output
SELECT chunk_id, task_id, step, attempt, seq, chunk, written_at
FROM hewer.run_output(%(run_id)s::uuid, %(after)s::uuid, %(task_id)s::uuid, %(limit)s);

-- name: worker_held_attempts
-- The current attempts of these tasks that are still assigned to this worker (a restarted
-- worker's hello says which it lost).
SELECT t.id AS task_id, t.attempt
FROM hewer.tasks t
WHERE t.id = ANY (%(task_ids)s::uuid[]) AND t.worker_id = %(worker_id)s::uuid
  AND t.status IN ('assigned', 'running');

-- name: worker_disconnect
SELECT hewer.worker_disconnect(%(worker_ids)s::uuid[]) AS worker_id;

-- name: retry_ready
-- When the tasks of accepted failure reports that went back on the queue become claimable:
-- seconds from now, per action (pydispatch/retries.py).
SELECT q.action, extract(epoch FROM min(q.ready_at) - now())::float8 AS wait_seconds
FROM hewer.queue q
WHERE q.task_id = ANY (%(task_ids)s::uuid[]) AND q.ready_at > now()
GROUP BY q.action;
