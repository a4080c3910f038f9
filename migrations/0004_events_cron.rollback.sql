-- Undo 0004_events_cron.sql.

DO $$ BEGIN PERFORM pgmq.drop_queue('hewer_events'); END $$;
DROP TABLE hewer.task_waits;
DROP TABLE hewer.step_waits;
DELETE FROM hewer.partition_config WHERE table_name = 'events';
DROP TABLE hewer.scheduled_runs;
DROP TABLE hewer.cron_ticks;
DROP TABLE hewer.crons;
DROP TABLE hewer.event_matches;
DROP TABLE hewer.filters;
DROP TABLE hewer.events;
DROP FUNCTION hewer._events_immutable();

-- PostgreSQL cannot drop an enum value: tasks still 'waiting' become
-- 'pending' again (their parents are done, so nothing will queue them: cancel
-- their runs first), and the type is rebuilt without 'waiting'.
UPDATE hewer.tasks SET status = 'pending' WHERE status = 'waiting';
DROP INDEX hewer.tasks_lease_idx;
DROP INDEX hewer.tasks_worker_idx;
ALTER TYPE hewer.task_status RENAME TO task_status_v4;
CREATE TYPE hewer.task_status AS ENUM
    ('pending', 'queued', 'assigned', 'running', 'succeeded', 'failed', 'cancelled');
ALTER TABLE hewer.tasks ALTER COLUMN status TYPE hewer.task_status USING status::text::hewer.task_status;
ALTER TABLE hewer.task_events ALTER COLUMN status TYPE hewer.task_status USING status::text::hewer.task_status;
-- The bundle functions using the old type go with it; `hewer migrate up`
-- loads them again (every process refuses to run until then).
DROP TYPE hewer.task_status_v4 CASCADE;
UPDATE hewer.meta SET functions_checksum = NULL;
CREATE INDEX tasks_lease_idx ON hewer.tasks (timeout_at)
    WHERE status IN ('assigned', 'running');
CREATE INDEX tasks_worker_idx ON hewer.tasks (worker_id)
    WHERE status IN ('assigned', 'running');

UPDATE hewer.meta SET schema_version = 3;
