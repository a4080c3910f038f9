-- Undo migration 13.
DROP INDEX hewer.run_holds_sem_idx;

UPDATE hewer.meta SET schema_version = 12;
