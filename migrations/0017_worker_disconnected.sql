-- Migration 17: when a dispatcher saw a worker's stream break (hewer.worker_disconnect),
-- so that the reaper hands a crashed worker's tasks to others within seconds
-- (hewer.reap's disconnect_grace) instead of after the worker timeout. A heartbeat
-- clears it.
--
-- Append-only: never edit this file once it has been applied anywhere.

ALTER TABLE hewer.workers ADD COLUMN disconnected_at timestamptz;

UPDATE hewer.meta SET schema_version = 17;
