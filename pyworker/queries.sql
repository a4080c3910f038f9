-- The SQL clients' SQL (pyworker.Events, pyworker.Workflows): each a hewer function,
-- called on the application's own connection. Named blocks; see pyworker/sqlfile.py.

-- name: events_push
SELECT ord, event_id FROM hewer.push_events(%s::text[], %s::jsonb[], %s::jsonb[], %s::text[]);

-- name: events_matches
SELECT * FROM hewer.event_matches(%s::uuid[]);

-- name: events_filter_create
SELECT hewer.filter_create(%s, %s, %s) AS filter_id;

-- name: events_filter_update
SELECT hewer.filter_update(%s::uuid, %s) AS version;

-- name: events_filter_delete
SELECT hewer.filter_delete(%s::uuid) AS deleted;

-- name: events_filter_list
SELECT * FROM hewer.filter_list(%s);

-- name: events_cron_create
SELECT hewer.cron_create(%s, %s, %s, %s, %s) AS cron_id;

-- name: events_cron_delete
SELECT hewer.cron_delete(%s, %s) AS deleted;

-- name: events_cron_list
SELECT * FROM hewer.cron_list(%s);

-- name: events_run_schedule
SELECT hewer.run_schedule(%s, %s, %s) AS schedule_id;

-- name: events_schedule_cancel
SELECT hewer.schedule_cancel(%s::uuid) AS cancelled;

-- name: workflows_list
SELECT * FROM hewer.workflow_list();

-- name: workflows_show
SELECT * FROM hewer.workflow_get(%s, %s);

-- name: workflows_versions
SELECT * FROM hewer.workflow_versions(%s);

-- name: workflows_rollback
SELECT * FROM hewer.workflow_rollback(%s, %s);
