-- Migration 14: task log lines in the database, so a run's logs can be read
-- back (hewer.run_logs, `hewer runs logs`). Workers send them up their stream
-- (docs/protocol.md#log-lines) or write them with hewer.task_log.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- One row per log line of a task attempt. Range-partitioned by its UUIDv7 id
-- like the other history tables; the id is made by the server when the line
-- is written (never from the worker's clock), so a worker cannot choose the
-- partition a line lands in. logged_at is the worker's own time, for display.
CREATE TABLE hewer.task_logs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    run_id uuid NOT NULL,
    task_id uuid NOT NULL,
    attempt integer NOT NULL,
    worker_id uuid,
    level text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error', 'critical')),
    message text NOT NULL,
    logged_at timestamptz NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX task_logs_run_idx ON hewer.task_logs (run_id, id);
CREATE TABLE hewer.task_logs_default PARTITION OF hewer.task_logs DEFAULT;

ALTER TABLE hewer.task_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.task_logs
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.task_logs TO hewer_client;

-- Logs are bulkier than the rest of the history: kept a week by default.
INSERT INTO hewer.partition_config (table_name, period, premake, retention)
VALUES ('task_logs', '1 day', 2, '7 days');

UPDATE hewer.meta SET schema_version = 14;
