-- Undo migration 15.
DROP TRIGGER olap_capture ON hewer.task_events;
DROP FUNCTION hewer._olap_capture();
DO $$ BEGIN PERFORM pgmq.drop_queue('hewer_olap'); END $$;

UPDATE hewer.meta SET schema_version = 14;
