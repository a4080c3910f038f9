-- Undo migration 9.
DROP TABLE hewer.quarantine;
DROP TABLE hewer.leases;

UPDATE hewer.meta SET schema_version = 8;
