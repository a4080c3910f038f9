-- Migration 18: worker affinity (docs/affinity.md). A queue row carries what the
-- claim needs to decide who may take its task: the step's required labels, its
-- preferred labels, and its run's stickiness and sticky worker; a run records
-- the worker that claimed its first task.
--
-- Append-only: never edit this file once it has been applied anywhere.

ALTER TABLE hewer.queue
    ADD COLUMN labels jsonb,
    ADD COLUMN prefer jsonb,
    ADD COLUMN sticky text CHECK (sticky IN ('soft', 'hard')),
    ADD COLUMN sticky_worker uuid;

ALTER TABLE hewer.runs ADD COLUMN sticky_worker_id uuid;

UPDATE hewer.meta SET schema_version = 18;
