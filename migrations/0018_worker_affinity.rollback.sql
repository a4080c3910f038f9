-- Undo migration 18.
ALTER TABLE hewer.runs DROP COLUMN sticky_worker_id;
ALTER TABLE hewer.queue DROP COLUMN labels, DROP COLUMN prefer, DROP COLUMN sticky,
    DROP COLUMN sticky_worker;

UPDATE hewer.meta SET schema_version = 17;
