-- Undo migration 17.
ALTER TABLE hewer.workers DROP COLUMN disconnected_at;

UPDATE hewer.meta SET schema_version = 16;
