-- Undo migration 12.
DROP TYPE hewer.claim_bucket;

UPDATE hewer.meta SET schema_version = 11;
