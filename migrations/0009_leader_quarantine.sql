-- Migration 9: a maintenance leader no tenant can take or block (a lease
-- row instead of an advisory lock), and the quarantine of maintenance items
-- that keep failing. See docs/operations.md#the-maintenance-leader.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- Leadership of the maintenance loop: one lease row per kind of shared work,
-- renewed by its holder (hewer.lease_acquire). Tenant roles have no privilege
-- on it, so unlike an advisory lock they can neither take nor block it.
CREATE TABLE hewer.leases (
    name text PRIMARY KEY,
    holder text,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO hewer.leases (name) VALUES ('maintenance');

-- Items of the shared maintenance work (an event, a cron, a scheduled run,
-- a durable wait, a partition step) that failed: retried with backoff
-- (retry_at), and after too many failures quarantined (quarantined_at) and
-- left alone until released (hewer.quarantine_release). One bad item never
-- stops the others. See docs/operations.md#quarantine.
CREATE TABLE hewer.quarantine (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    kind text NOT NULL CHECK (kind IN ('event', 'cron', 'schedule', 'wait', 'partition')),
    item_id text NOT NULL,
    failures integer NOT NULL CHECK (failures >= 0),
    error text NOT NULL,
    first_failed_at timestamptz NOT NULL,
    last_failed_at timestamptz NOT NULL,
    retry_at timestamptz,
    quarantined_at timestamptz,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX quarantine_tenant_idx ON hewer.quarantine (tenant_id, kind);
ALTER TABLE hewer.quarantine ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.quarantine
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.quarantine TO hewer_client;

UPDATE hewer.meta SET schema_version = 9;
