-- Undo migration 16.
DELETE FROM hewer.partition_config WHERE table_name = 'task_streams';
DROP TABLE hewer.task_streams;

UPDATE hewer.meta SET schema_version = 15;
