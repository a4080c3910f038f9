-- Undo migration 8: schema hewer and its objects go back to the role that
-- rolls back, and the history guard honours hewer.moving_rows in any session.
-- The role hewer_owner stays: other databases of the server may use it.
DO $$
DECLARE
    v_stmt text;
BEGIN
    FOR v_stmt IN SELECT * FROM hewer._ownership_statements(current_user::name) LOOP
        EXECUTE v_stmt;
    END LOOP;
END
$$;
ALTER SCHEMA hewer OWNER TO CURRENT_USER;

CREATE OR REPLACE FUNCTION hewer._history_guard()
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

UPDATE hewer.meta SET schema_version = 7;
