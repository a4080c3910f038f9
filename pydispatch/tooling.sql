-- The database tooling's SQL (pydispatch.queries.TOOLING): migrations and the function
-- bundle (migrate.py), the schema check (schema.py), partitions (partitions.py) and
-- limits (limits.py). Named blocks; see pyworker/sqlfile.py.

-- name: quiet_notices
SET client_min_messages = warning;

-- name: migrate_lock
-- hewer's migration advisory lock, on an autocommit session (migrate.MIGRATE_LOCK_KEY).
SELECT pg_advisory_lock(%s);

-- name: migrate_unlock
SELECT pg_advisory_unlock(%s);

-- name: pgmq_present
SELECT to_regnamespace('pgmq') IS NOT NULL;

-- name: pgmq_extension
CREATE EXTENSION IF NOT EXISTS pgmq;

-- name: droppable_functions
-- The bundle's functions, to drop before it is loaded again: those of schema hewer
-- that schema.sql does not create (%(keep)s), nothing depends on, and no extension owns.
SELECT p.oid::regprocedure::text AS signature, p.prokind
FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'hewer'::regnamespace
  AND p.proname <> ALL (%(keep)s)
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.refclassid = 'pg_catalog.pg_proc'::regclass AND d.refobjid = p.oid)
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
        AND d.deptype = 'e')
ORDER BY 1;

-- name: functions_checksum_set
UPDATE hewer.meta SET functions_checksum = %s;

-- name: partition_create_exists
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc
               WHERE proname = 'partition_create' AND pronamespace = 'hewer'::regnamespace);

-- name: schema_exists
SELECT to_regclass('hewer.meta') IS NOT NULL;

-- name: schema_meta
SELECT schema_version, functions_checksum FROM hewer.meta;

-- name: partition_create
SELECT * FROM hewer.partition_create(p_now => coalesce(%(now)s, now()));

-- name: partition_drop
SELECT * FROM hewer.partition_drop(p_now => coalesce(%(now)s, now()));

-- name: partition_status
SELECT * FROM hewer.partition_status(p_exact => %(exact)s);

-- name: rate_limit_set
SELECT * FROM hewer.rate_limit_set(%s, %s, %s::interval, %s);

-- name: rate_limit_delete
SELECT hewer.rate_limit_delete(%s) AS deleted;

-- name: rate_limit_list
SELECT * FROM hewer.rate_limit_list();

-- name: concurrency_limit_set
SELECT * FROM hewer.concurrency_limit_set(%s, %s, %s);

-- name: concurrency_limit_list
SELECT * FROM hewer.concurrency_limit_list();
