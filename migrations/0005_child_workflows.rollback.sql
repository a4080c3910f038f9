-- Undo 0005_child_workflows.sql. Children become plain runs; their metadata
-- is lost.

DROP INDEX hewer.runs_metadata_idx;
DROP INDEX hewer.runs_parent_idx;
ALTER TABLE hewer.runs
    DROP COLUMN additional_metadata,
    DROP COLUMN parent_task_id,
    DROP COLUMN parent_run_id;

UPDATE hewer.meta SET schema_version = 4;
