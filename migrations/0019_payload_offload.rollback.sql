-- Undo migration 19. References already stored stay in their columns: resolve
-- them first (docs/payloads.md) if any exist.
DROP TRIGGER payload_track ON hewer.runs;
DROP TRIGGER payload_track ON hewer.tasks;
DROP TRIGGER payload_track ON hewer.events;
DROP FUNCTION hewer._payload_track();

CREATE OR REPLACE FUNCTION hewer._history_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_ARGV[0] <> 'workflow version'
       AND pg_catalog.current_setting('hewer.moving_rows', true) = 'on' AND hewer._trusted() THEN
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

CREATE OR REPLACE FUNCTION hewer._events_immutable()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'hewer.events is immutable: event % cannot be changed', OLD.id
        USING ERRCODE = 'HW046',
              HINT = 'Push a new event instead; old events go when their partition is dropped.';
END
$$;

DROP TABLE hewer.payload_candidates;
DROP TABLE hewer.payload_refs;
ALTER TABLE hewer.tenants DROP COLUMN max_offload_bytes;

UPDATE hewer.meta SET schema_version = 18;
