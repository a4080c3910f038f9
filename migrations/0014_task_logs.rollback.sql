-- Undo migration 14.
DELETE FROM hewer.partition_config WHERE table_name = 'task_logs';
DROP TABLE hewer.task_logs;

UPDATE hewer.meta SET schema_version = 13;
