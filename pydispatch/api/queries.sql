-- The HTTP API's SQL (pydispatch.api): each call acts for the caller's tenant, set on the
-- connection before it runs (hewer.token_tenant resolves the token). Named blocks; see
-- pyworker/sqlfile.py.

-- name: token_tenant
SELECT hewer.token_tenant(%(token)s) AS tenant;

-- name: listen_changes
-- What wakes the live streams (pydispatch/api/changes.py).
LISTEN hewer_ready;
LISTEN hewer_run_done;
LISTEN hewer_cancel;
LISTEN hewer_output;

-- name: schema_version
SELECT schema_version FROM hewer.meta;

-- name: run_trigger
SELECT run_id, created
FROM hewer.run_trigger(%(workflow)s, ARRAY[%(input)s::jsonb], ARRAY[%(priority)s::integer],
                       ARRAY[%(idempotency_key)s::text],
                       p_metadata => ARRAY[%(metadata)s::jsonb]);

-- name: run_get
SELECT run_id, workflow, version, status::text AS status, input, output, error, priority,
       created_at, started_at, finished_at, tasks, parent_run_id, parent_task_id
FROM hewer.run_get(ARRAY[%(run_id)s::uuid]);

-- name: run_list
SELECT run_id, workflow, version, status::text AS status, priority, input, error, replay_of,
       tasks, created_at, started_at, finished_at, additional_metadata AS metadata
FROM hewer.run_list(%(workflow)s, %(statuses)s::hewer.run_status[], %(since)s, %(until)s,
                    %(input)s::jsonb, %(replay_of)s::uuid, %(limit)s, %(before)s::uuid,
                    %(metadata)s::jsonb);

-- name: run_cancel
SELECT run_id, cancelled, status::text AS status FROM hewer.run_cancel(ARRAY[%(run_id)s::uuid]);

-- name: run_replay
SELECT run_id, replay_run_id, kept, to_run
FROM hewer.run_replay(ARRAY[%(run_id)s::uuid], %(start_from)s);

-- name: run_logs
SELECT log_id, task_id, step, attempt, level, message, logged_at, written_at
FROM hewer.run_logs(%(run_id)s::uuid, %(after)s::uuid, %(limit)s);

-- name: run_output
SELECT chunk_id, task_id, step, attempt, seq, chunk AS data, written_at
FROM hewer.run_output(%(run_id)s::uuid, %(after)s::uuid, %(task_id)s::uuid, %(limit)s);

-- name: run_events
SELECT event_id, task_id, step, attempt, kind, status::text AS status, data, created_at
FROM hewer.run_events(%(run_id)s::uuid, %(after)s::uuid);

-- name: workflow_list
SELECT name, current_version, latest_version, versions, description, created_at
FROM hewer.workflow_list();

-- name: workflow_get
SELECT name, version, version_id, is_current, current_version, checksum, spec, created_at
FROM hewer.workflow_get(%(name)s, %(version)s);

-- name: push_event
SELECT hewer.push_event(%(key)s, %(payload)s::jsonb, %(metadata)s::jsonb, %(scope)s) AS event_id;

-- name: workflow_register
SELECT workflow_id, version_id, version, created
FROM hewer.workflow_register(%(name)s, %(spec)s::jsonb);

-- name: workflow_versions
SELECT version, version_id, is_current, checksum, steps, active_runs, created_at
FROM hewer.workflow_versions(%(name)s);

-- name: workflow_rollback
SELECT workflow_id, version_id, version, previous_version
FROM hewer.workflow_rollback(%(name)s, %(version)s);

-- name: run_cancel_matching
SELECT run_id, cancelled, status::text AS status
FROM hewer.run_cancel_matching(%(workflow)s, %(statuses)s::hewer.run_status[], %(since)s,
                               %(until)s, p_metadata => %(metadata)s::jsonb);

-- name: run_children
SELECT run_id, parent_run_id, parent_task_id, workflow, status::text AS status, child_key,
       additional_metadata AS metadata, created_at, finished_at
FROM hewer.run_children(ARRAY[%(run_id)s::uuid]);

-- name: run_lineage
SELECT run_id, replay_of, replays FROM hewer.run_lineage(%(run_id)s::uuid);

-- name: task_get
SELECT t.id AS task_id, t.run_id, t.step
FROM hewer.tasks t
WHERE t.id = %(task_id)s::uuid AND t.tenant_id = hewer.current_tenant();

-- name: task_history
SELECT attempt, kind, status::text AS status, worker_id, data, created_at
FROM hewer.task_history(ARRAY[%(task_id)s::uuid]);

-- name: task_logs
-- The lines of one task (run_logs is by run): the same columns and order.
SELECT l.id AS log_id, l.task_id, t.step, l.attempt, l.level, l.message, l.logged_at,
       hewer.uuid_time(l.id) AS written_at
FROM hewer.task_logs l
JOIN hewer.tasks t ON t.id = l.task_id AND t.tenant_id = l.tenant_id
WHERE l.task_id = %(task_id)s::uuid AND l.tenant_id = hewer.current_tenant()
  AND l.id >= hewer.uuid_floor(hewer.uuid_time(%(task_id)s::uuid))
  AND (%(after)s::uuid IS NULL OR l.id > %(after)s::uuid)
ORDER BY l.id
LIMIT %(limit)s;

-- name: worker_list
SELECT worker_id, name, actions, slots, labels, sdk_version, status, registered_at,
       last_heartbeat_at, held_task_ids
FROM hewer.worker_list(%(statuses)s::text[], %(limit)s);

-- name: worker_get
SELECT worker_id, name, actions, slots, labels, sdk_version, status, registered_at,
       last_heartbeat_at, held_task_ids
FROM hewer.worker_get(ARRAY[%(worker_id)s::uuid]);

-- name: event_list
SELECT event_id, key, payload, metadata, scope, created_at
FROM hewer.event_list(%(key)s, %(limit)s, %(before)s::uuid, %(event_ids)s::uuid[]);

-- name: event_matches
SELECT workflow, filter_id, filter_version, run_id, error, created_at
FROM hewer.event_matches(ARRAY[%(event_id)s::uuid]);

-- name: filter_create
SELECT hewer.filter_create(%(workflow)s, %(expression)s, %(scope)s) AS id;

-- name: filter_update
SELECT hewer.filter_update(%(filter_id)s::uuid, %(expression)s) AS version;

-- name: filter_delete
SELECT hewer.filter_delete(%(filter_id)s::uuid) AS removed;

-- name: filter_list
SELECT filter_id, workflow, scope, expression, version, error, updated_at
FROM hewer.filter_list(%(workflow)s);

-- name: cron_create
SELECT hewer.cron_create(%(workflow)s, %(name)s, %(expression)s, %(input)s::jsonb,
                         %(catch_up)s) AS id;

-- name: cron_delete
SELECT hewer.cron_delete(%(workflow)s, %(name)s) AS removed;

-- name: cron_list
SELECT cron_id, workflow, name, expression, input, catch_up, source, next_at, last_tick_at,
       last_run_id, error
FROM hewer.cron_list(%(workflow)s);

-- name: run_schedule
SELECT hewer.run_schedule(%(workflow)s, %(input)s::jsonb, %(run_at)s) AS id;

-- name: schedule_cancel
SELECT hewer.schedule_cancel(%(schedule_id)s::uuid) AS removed;

-- name: schedule_owned
SELECT EXISTS (SELECT 1 FROM hewer.scheduled_runs s
               WHERE s.id = %(schedule_id)s::uuid AND s.tenant_id = hewer.current_tenant()) AS owned;

-- name: schedule_list
SELECT schedule_id, workflow, input, run_at, run_id, created_at
FROM hewer.schedule_list(%(workflow)s, %(pending_only)s);

-- name: rate_limit_set
SELECT name FROM hewer.rate_limit_set(%(name)s, %(rate)s, %(period)s::interval, %(burst)s);

-- name: rate_limit_delete
SELECT hewer.rate_limit_delete(%(name)s) AS removed;

-- name: rate_limit_list
SELECT name, rate, extract(epoch FROM period)::float8 AS period_seconds, burst, buckets, tokens
FROM hewer.rate_limit_list();

-- name: concurrency_limit_set
SELECT scope, name FROM hewer.concurrency_limit_set(%(scope)s, %(name)s, %(max)s);

-- name: concurrency_limit_list
SELECT scope, name, max_running, running FROM hewer.concurrency_limit_list();

-- name: tenant_list
SELECT tenant_id, name, db_role::text AS db_role, max_running, max_trigger_rate, trigger_burst,
       max_payload_bytes, max_offload_bytes, active_tokens, created_at
FROM hewer.tenant_list();

-- name: tenant_create
SELECT tenant_id, name, db_role::text AS db_role, max_running, max_trigger_rate, trigger_burst,
       max_payload_bytes, max_offload_bytes, active_tokens, created_at
FROM hewer.tenant_create(%(name)s, %(db_role)s, %(max_running)s, %(max_trigger_rate)s,
                         %(trigger_burst)s, %(max_payload_bytes)s, %(max_offload_bytes)s);

-- name: tenant_update
SELECT tenant_id, name, db_role::text AS db_role, max_running, max_trigger_rate, trigger_burst,
       max_payload_bytes, max_offload_bytes, active_tokens, created_at
FROM hewer.tenant_update(%(name)s, %(db_role)s, %(max_running)s, %(max_trigger_rate)s,
                         %(trigger_burst)s, %(max_payload_bytes)s, %(max_offload_bytes)s);

-- name: tenant_name
-- The caller's tenant, by name: token functions take a tenant name.
SELECT name FROM hewer.tenants WHERE id = hewer.current_tenant();

-- name: token_create
SELECT token_id, tenant, name, token, expires_at
FROM hewer.token_create(%(name)s, %(tenant)s, %(expires_at)s);

-- name: token_list
SELECT token_id, tenant, name, status, created_at, expires_at, revoked_at
FROM hewer.token_list(%(tenant)s);

-- name: token_owned
-- Whether a token belongs to the caller's tenant (the API's connection is trusted, and
-- token_revoke lets a trusted caller revoke any tenant's token).
SELECT EXISTS (SELECT 1 FROM hewer.api_tokens k
               WHERE k.id = %(token_id)s::uuid AND k.tenant_id = hewer.current_tenant()) AS owned;

-- name: token_revoke
SELECT hewer.token_revoke(%(token_id)s::uuid) AS revoked;

-- Stats (pydispatch/api/stats.py). The analytics store's rollups, on the store's connection
-- (the core's database, or HEWER_OLAP_DATABASE_URL): the store has no row-level security,
-- so each call names its tenant.

-- name: stats_workflows
SELECT workflow, attempts, succeeded, retried, failed, cancelled, failure_rate,
       wait_p50_ms, wait_p99_ms, run_p50_ms, run_p99_ms
FROM hewer_olap.workflow_stats(%(since)s, %(until)s, %(tenant)s::uuid);

-- name: stats_steps
SELECT step, attempts, failed, retried, wait_p50_ms, wait_p95_ms, wait_p99_ms,
       run_p50_ms, run_p95_ms, run_p99_ms
FROM hewer_olap.step_latency(%(workflow)s, %(since)s, %(until)s, %(tenant)s::uuid);

-- name: stats_queue
-- The caller's ready queue by action: ready now, or waiting for their ready_at (a retry's
-- backoff). Steps whose parents have not finished are not in the queue yet.
SELECT q.action,
       count(*) FILTER (WHERE q.ready_at <= now()) AS ready,
       count(*) FILTER (WHERE q.ready_at > now()) AS delayed
FROM hewer.queue q
WHERE q.tenant_id = hewer.current_tenant()
GROUP BY q.action
ORDER BY count(*) DESC, q.action
LIMIT %(limit)s;
