-- Migration 11: per-tenant caps (crons, filters, pending schedules,
-- workflows) and a minimum cron interval. See docs/tenants.md.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- Per-tenant caps on what a tenant may keep in the shared engine (see
-- hewer._tenant_cap), and the shortest interval its crons may fire at. The
-- default tenant (single-tenant installs) keeps per-second crons.
ALTER TABLE hewer.tenants
    ADD COLUMN max_crons integer NOT NULL DEFAULT 1000 CHECK (max_crons > 0),
    ADD COLUMN max_filters integer NOT NULL DEFAULT 1000 CHECK (max_filters > 0),
    ADD COLUMN max_pending_schedules integer NOT NULL DEFAULT 10000 CHECK (max_pending_schedules > 0),
    ADD COLUMN max_workflows integer NOT NULL DEFAULT 1000 CHECK (max_workflows > 0),
    ADD COLUMN min_cron_interval interval NOT NULL DEFAULT '1 minute'
        CHECK (min_cron_interval >= interval '1 second' AND min_cron_interval <= interval '1 day');
UPDATE hewer.tenants SET min_cron_interval = '1 second' WHERE id = '00000000-0000-0000-0000-000000000000';

UPDATE hewer.meta SET schema_version = 11;
