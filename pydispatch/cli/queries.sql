-- The CLI's SQL (pydispatch.cli.access.QUERIES): the commands that work in the database
-- call these hewer functions. Named blocks; see pyworker/sqlfile.py.

-- name: tenant_id
SELECT tenant_id FROM hewer.tenant_list() WHERE name = %s;

-- name: act_for
-- Act for a tenant on this connection (session-level; counts only for trusted roles).
SELECT set_config('hewer.tenant', %s, false);

-- name: run_list
SELECT * FROM hewer.run_list(%(workflow)s, %(statuses)s::hewer.run_status[], %(since)s,
    %(until)s, %(input)s, %(replay_of)s::uuid, %(limit)s, %(before)s::uuid, %(metadata)s);

-- name: run_get
SELECT * FROM hewer.run_get(ARRAY[%s::uuid]);

-- name: workflow_served
-- The steps of a workflow's current version, and whether a live worker serves each one's action.
SELECT s.name AS step, s.action,
       EXISTS (SELECT 1 FROM hewer.workers wk
               WHERE wk.tenant_id = w.tenant_id AND wk.status = 'active'
                 AND s.action = ANY (wk.actions)) AS served
FROM hewer.workflows w
JOIN hewer.steps s ON s.version_id = w.current_version_id
WHERE w.name = %s AND w.tenant_id = hewer.current_tenant()
ORDER BY s.ordinal;

-- name: run_status
SELECT status::text AS status FROM hewer.runs
WHERE id = %s::uuid AND tenant_id = hewer.current_tenant();

-- name: run_logs
SELECT log_id, task_id, step, attempt, level, message, logged_at, written_at,
       statement_timestamp() AS now
FROM hewer.run_logs(%(run_id)s::uuid, %(after)s::uuid, %(limit)s);

-- name: run_lineage
SELECT * FROM hewer.run_lineage(%s::uuid);

-- name: task_history
SELECT * FROM hewer.task_history(%s::uuid[]) ORDER BY created_at;

-- name: run_cancel
SELECT * FROM hewer.run_cancel(%s::uuid[]);

-- name: run_cancel_matching
SELECT * FROM hewer.run_cancel_matching(%(workflow)s, %(statuses)s::hewer.run_status[],
    %(since)s, %(until)s, %(input)s, p_metadata => %(metadata)s);

-- name: run_replay
SELECT * FROM hewer.run_replay(ARRAY[%s::uuid], %s);

-- name: run_children
SELECT * FROM hewer.run_children(ARRAY[%s::uuid]);

-- name: runs_by_metadata
SELECT * FROM hewer.runs_by_metadata(%s::jsonb, %s::hewer.run_status[], %s);

-- name: tenant_create
SELECT * FROM hewer.tenant_create(%(name)s, %(role)s, %(max_running)s, %(max_trigger_rate)s,
    %(trigger_burst)s, %(max_payload_bytes)s, %(max_offload_bytes)s);

-- name: tenant_update
SELECT * FROM hewer.tenant_update(%(name)s, %(role)s, %(max_running)s, %(max_trigger_rate)s,
    %(trigger_burst)s, %(max_payload_bytes)s, %(max_offload_bytes)s);

-- name: tenant_list
SELECT * FROM hewer.tenant_list();

-- name: tenant_guard
SELECT * FROM hewer.tenant_guard(%(name)s, %(max_connections)s, %(statement_timeout)s,
    %(idle_in_transaction_timeout)s);

-- name: tenant_caps
SELECT * FROM hewer.tenant_caps(%(name)s, %(max_crons)s, %(max_filters)s,
    %(max_pending_schedules)s, %(max_workflows)s, %(min_cron_interval)s);

-- name: token_create
SELECT * FROM hewer.token_create(%s, %s, %s);

-- name: token_list
SELECT * FROM hewer.token_list(%s);

-- name: token_revoke
SELECT hewer.token_revoke(%s) AS revoked;
