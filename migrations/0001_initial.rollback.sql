-- Undo migration 1: remove the Hewer schema and everything in it.
-- pgmq is left alone: it may be shared with other applications.

DROP SCHEMA hewer CASCADE;
