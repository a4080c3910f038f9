-- Migration 12: a row type for the rate buckets hewer.task_claim works on in memory
-- (one array of these instead of six parallel arrays). See
-- sql/functions/claims/task_claim.sql.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- A rate bucket during one claim: its tokens refilled to the claim's time, its rate per
-- second, its burst, and the tokens promised to the tasks deferred behind it.
CREATE TYPE hewer.claim_bucket AS (
    name text,
    key text,
    tokens double precision,
    rate double precision,
    burst double precision,
    debt double precision
);

UPDATE hewer.meta SET schema_version = 12;
