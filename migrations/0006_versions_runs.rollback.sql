-- Undoes migration 6: the history guard triggers and runs.replay_of.
DROP TRIGGER history_guard ON hewer.task_events;
DROP TRIGGER history_guard ON hewer.tasks;
DROP TRIGGER history_guard ON hewer.runs;
DROP TRIGGER history_guard ON hewer.workflow_versions;
DROP FUNCTION hewer._history_guard();
DROP INDEX hewer.runs_replay_of_idx;
ALTER TABLE hewer.runs DROP COLUMN replay_of;

UPDATE hewer.meta SET schema_version = 5;
