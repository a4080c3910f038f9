-- Undo 0003_events_cron.sql.

SELECT pgmq.drop_queue('hewer_events');
DELETE FROM hewer.partition_config WHERE table_name = 'events';
DROP TABLE hewer.scheduled_runs;
DROP TABLE hewer.cron_ticks;
DROP TABLE hewer.crons;
DROP TABLE hewer.event_matches;
DROP TABLE hewer.filters;
DROP TABLE hewer.events;
DROP FUNCTION hewer._events_immutable();

UPDATE hewer.meta SET schema_version = 2;
