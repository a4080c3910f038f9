-- Undo 0002_fewer_premade_partitions.sql.

UPDATE hewer.partition_config SET premake = 7 WHERE premake = 2;

UPDATE hewer.meta SET schema_version = 1;
