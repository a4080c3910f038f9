-- Child workflows and run metadata: a run may be spawned by a task of another
-- run (its parent), and every run carries key/value tags (additional_metadata)
-- that children inherit and that runs can be filtered by. See docs/sql-api.md
-- (hewer.run_spawn, hewer.run_children, hewer.runs_by_metadata).

ALTER TABLE hewer.runs
    ADD COLUMN parent_run_id uuid,
    ADD COLUMN parent_task_id uuid,
    ADD COLUMN additional_metadata jsonb NOT NULL DEFAULT '{}';
-- A parent's children (listing them, cancelling them with it).
CREATE INDEX runs_parent_idx ON hewer.runs (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
-- Containment filters on metadata (additional_metadata @> '{"k": "v"}'); runs
-- without tags stay out of it, so an untagged trigger pays nothing for it.
CREATE INDEX runs_metadata_idx ON hewer.runs USING gin (additional_metadata jsonb_path_ops)
    WHERE additional_metadata <> '{}';

UPDATE hewer.meta SET schema_version = 5;
