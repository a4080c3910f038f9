-- Migration 13: look up the runs holding a workflow slot by the slot. When a slot is
-- full, hewer.task_claim adds its holders' ready tasks to the candidates, so runs
-- queued for the slot ahead of them cannot starve them (see
-- sql/functions/claims/task_claim.sql).
--
-- Append-only: never edit this file once it has been applied anywhere.

CREATE INDEX run_holds_sem_idx ON hewer.run_holds (sem_id);

UPDATE hewer.meta SET schema_version = 13;
