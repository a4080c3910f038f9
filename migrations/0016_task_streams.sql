-- Migration 16: streamed task output (ctx.stream), stored so that a client
-- that subscribes late gets what was already streamed, then the rest
-- (hewer.task_stream writes it, hewer.run_output reads it; docs/streams.md).
--
-- Append-only: never edit this file once it has been applied anywhere.

-- One row per chunk of a task attempt's output stream. Range-partitioned by
-- its UUIDv7 id like the other history tables; the id is made by the server
-- when the chunk is written, so a worker cannot choose the partition. seq is
-- the worker's own count of the attempt's chunks (from 1): a chunk sent again
-- after a reconnect has the same seq and is not written twice.
CREATE TABLE hewer.task_streams (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    run_id uuid NOT NULL,
    task_id uuid NOT NULL,
    attempt integer NOT NULL,
    seq bigint NOT NULL,
    chunk text NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX task_streams_run_idx ON hewer.task_streams (run_id, id);
CREATE INDEX task_streams_seq_idx ON hewer.task_streams (task_id, attempt, seq);
CREATE TABLE hewer.task_streams_default PARTITION OF hewer.task_streams DEFAULT;

ALTER TABLE hewer.task_streams ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.task_streams
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.task_streams TO hewer_client;

-- Streams are for watching work as it happens: kept three days by default.
INSERT INTO hewer.partition_config (table_name, period, premake, retention)
VALUES ('task_streams', '1 day', 2, '3 days');

UPDATE hewer.meta SET schema_version = 16;
