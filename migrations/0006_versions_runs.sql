-- Migration 6: workflow versions and run management. Runs get replay_of (the
-- run a replay re-runs); workflow versions, finished runs and tasks, and task
-- events become immutable (HW080). See docs/sql-api.md#versions-and-history.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- Runs remember the run they replay (hewer.run_replay makes a new run; the
-- original, finished, is never changed).
ALTER TABLE hewer.runs ADD COLUMN replay_of uuid;
CREATE INDEX runs_replay_of_idx ON hewer.runs (replay_of) WHERE replay_of IS NOT NULL;

-- History guard: a workflow version, a finished run or task, and every task
-- event are immutable. BEFORE UPDATE OR DELETE row triggers (cloned onto every
-- partition) raise HW080; the WHEN clauses keep the hot path (updates of
-- unfinished runs and tasks) from calling the function at all. Two exceptions:
-- clearing tasks.holds (the semaphores a task counted against, released just
-- after it finished) and partition_create moving rows out of a default
-- partition (it sets hewer.moving_rows for the move). Whole partitions past
-- their retention are dropped (partition_drop): no row trigger fires.
CREATE FUNCTION hewer._history_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_ARGV[0] <> 'workflow version'
       AND current_setting('hewer.moving_rows', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'task' THEN
        IF to_jsonb(NEW) = to_jsonb(OLD) || '{"holds": null}' THEN
            RETURN NEW;
        END IF;
    END IF;
    IF TG_ARGV[0] = 'workflow version' THEN
        RAISE EXCEPTION 'cannot % version % of a workflow (id %): a version''s spec never changes once written',
            TG_OP, OLD.version, OLD.workflow_id
            USING ERRCODE = 'HW080',
                  HINT = 'Register a new spec with hewer.workflow_register, or make an older version current '
                         'with hewer.workflow_rollback.';
    ELSIF TG_ARGV[0] = 'task event' THEN
        RAISE EXCEPTION 'cannot % task event % (task %): the task history is append-only',
            TG_OP, OLD.id, OLD.task_id
            USING ERRCODE = 'HW080',
                  HINT = 'Events leave only with their whole partition, dropped past its retention by hewer.partition_drop.';
    END IF;
    RAISE EXCEPTION 'cannot % % %: it is %, and a finished % is immutable',
        TG_OP, TG_ARGV[0], OLD.id, OLD.status, TG_ARGV[0]
        USING ERRCODE = 'HW080',
              HINT = 'Replay the run with hewer.run_replay to run it again; finished rows leave only with their '
                     'whole partition, dropped past its retention by hewer.partition_drop.';
END
$$;
CREATE TRIGGER history_guard BEFORE UPDATE OR DELETE ON hewer.workflow_versions
    FOR EACH ROW EXECUTE FUNCTION hewer._history_guard('workflow version');
CREATE TRIGGER history_guard BEFORE UPDATE OR DELETE ON hewer.runs
    FOR EACH ROW WHEN (OLD.status IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION hewer._history_guard('run');
CREATE TRIGGER history_guard BEFORE UPDATE OR DELETE ON hewer.tasks
    FOR EACH ROW WHEN (OLD.status IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION hewer._history_guard('task');
CREATE TRIGGER history_guard BEFORE UPDATE OR DELETE ON hewer.task_events
    FOR EACH ROW EXECUTE FUNCTION hewer._history_guard('task event');

UPDATE hewer.meta SET schema_version = 6;
