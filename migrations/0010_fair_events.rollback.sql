-- Undo migration 10.
DROP INDEX pgmq.q_hewer_events_tenant_idx;

UPDATE hewer.meta SET schema_version = 9;
