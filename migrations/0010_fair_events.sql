-- Migration 10: fair event routing across tenants. See docs/events.md.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- The event router reads the queue tenant by tenant (event_route_read): an
-- index to find each tenant's oldest messages without reading the others'.
CREATE INDEX q_hewer_events_tenant_idx
    ON pgmq.q_hewer_events ((coalesce(message ->> 'tenant_id', '')), msg_id);

UPDATE hewer.meta SET schema_version = 10;
