-- Undo migration 11.
ALTER TABLE hewer.tenants
    DROP COLUMN max_crons, DROP COLUMN max_filters, DROP COLUMN max_pending_schedules,
    DROP COLUMN max_workflows, DROP COLUMN min_cron_interval;

UPDATE hewer.meta SET schema_version = 10;
