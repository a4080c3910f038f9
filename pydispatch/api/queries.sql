-- The HTTP API's SQL (pydispatch.api): each call acts for the caller's tenant, set on the
-- connection before it runs (hewer.token_tenant resolves the token). Named blocks; see
-- pyworker/sqlfile.py.

-- name: token_tenant
SELECT hewer.token_tenant(%(token)s) AS tenant;

-- name: schema_version
SELECT schema_version FROM hewer.meta;

-- name: run_trigger
SELECT run_id, created
FROM hewer.run_trigger(%(workflow)s, ARRAY[%(input)s::jsonb], ARRAY[%(priority)s::integer],
                       ARRAY[%(idempotency_key)s::text],
                       p_metadata => ARRAY[%(metadata)s::jsonb]);

-- name: run_get
SELECT run_id, workflow, version, status::text AS status, input, output, error, priority,
       created_at, started_at, finished_at, tasks
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
