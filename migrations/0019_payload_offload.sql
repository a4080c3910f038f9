-- Migration 19: large payloads in object storage (docs/payloads.md).
--
-- A run's input, a task's output or an event's payload over the offload
-- threshold lives in an object store; its column holds a reference instead:
--
--   {"$hewer_ref": {"v": 1, "key": "<tenant id>/<kind>/...", "size": N, "sha256": "<hex>"}}
--
-- hewer.payload_refs records which row holds which object (written by the
-- trigger below whenever a reference is stored, by any path), so that the
-- collector deletes an object once no row holds it (its partition was
-- dropped, or its upload's transaction rolled back), and readers check a
-- reference against the tenant that reads it. hewer.payload_candidates lists
-- large payloads written inline (through SQL, or before offload was on) for
-- the offloader to move out once their task, run or routing is done.
--
-- Append-only: never edit this file once it has been applied anywhere.

ALTER TABLE hewer.tenants
    ADD COLUMN max_offload_bytes bigint CHECK (max_offload_bytes > 0);
GRANT SELECT (max_offload_bytes) ON hewer.tenants TO hewer_client;

CREATE TABLE hewer.payload_refs (
    key text NOT NULL,
    owner_table text NOT NULL CHECK (owner_table IN ('runs', 'tasks', 'events')),
    owner_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, owner_table, owner_id),
    -- An object belongs to the tenant whose prefix its key starts with.
    CHECK (starts_with(key, tenant_id::text || '/'))
);
CREATE INDEX payload_refs_owner_idx ON hewer.payload_refs (owner_table, owner_id);
CREATE INDEX payload_refs_created_idx ON hewer.payload_refs (created_at);
ALTER TABLE hewer.payload_refs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.payload_refs
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.payload_refs TO hewer_client;

CREATE TABLE hewer.payload_candidates (
    owner_table text NOT NULL CHECK (owner_table IN ('runs', 'tasks', 'events')),
    owner_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    -- not looked at again before this (its run is still going, or its upload failed)
    not_before timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_table, owner_id)
);
CREATE INDEX payload_candidates_due_idx ON hewer.payload_candidates (not_before);
ALTER TABLE hewer.payload_candidates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.payload_candidates
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.payload_candidates TO hewer_client;

-- Row triggers on the three payload columns. The WHEN clauses keep every
-- other write from calling the function: it runs for a reference, or for a
-- value over 64 KiB (the lowest threshold there is; the function compares
-- with the configured one).
CREATE FUNCTION hewer._payload_track()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_value jsonb;
    v_ref record;
BEGIN
    -- One function for three tables: the row as jsonb, not NEW.<column>.
    v_value := to_jsonb(NEW) -> CASE TG_ARGV[0] WHEN 'runs' THEN 'input' WHEN 'tasks' THEN 'output'
                                                ELSE 'payload' END;
    IF jsonb_typeof(v_value) = 'object' AND v_value ? '$hewer_ref' THEN
        SELECT * INTO v_ref FROM hewer._payload_ref(v_value, NEW.tenant_id);
        INSERT INTO hewer.payload_refs (key, owner_table, owner_id, tenant_id, size, sha256)
        VALUES (v_ref.key, TG_ARGV[0], NEW.id, NEW.tenant_id, v_ref.size, v_ref.sha256)
        ON CONFLICT DO NOTHING;
    ELSIF pg_column_size(v_value) > hewer._payload_limit('offload_threshold', NEW.tenant_id) THEN
        INSERT INTO hewer.payload_candidates (owner_table, owner_id, tenant_id)
        VALUES (TG_ARGV[0], NEW.id, NEW.tenant_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER payload_track AFTER INSERT OR UPDATE OF input ON hewer.runs
    FOR EACH ROW WHEN ((jsonb_typeof(NEW.input) = 'object' AND NEW.input ? '$hewer_ref')
                       OR pg_column_size(NEW.input) > 65536)
    EXECUTE FUNCTION hewer._payload_track('runs');
CREATE TRIGGER payload_track AFTER INSERT OR UPDATE OF output ON hewer.tasks
    FOR EACH ROW WHEN ((jsonb_typeof(NEW.output) = 'object' AND NEW.output ? '$hewer_ref')
                       OR pg_column_size(NEW.output) > 65536)
    EXECUTE FUNCTION hewer._payload_track('tasks');
CREATE TRIGGER payload_track AFTER INSERT OR UPDATE OF payload ON hewer.events
    FOR EACH ROW WHEN ((jsonb_typeof(NEW.payload) = 'object' AND NEW.payload ? '$hewer_ref')
                       OR pg_column_size(NEW.payload) > 65536)
    EXECUTE FUNCTION hewer._payload_track('events');

-- Finished runs and tasks, and events, stay immutable, with one more
-- exception: a trusted session (the offloader) may swap a payload for the
-- reference to an object holding exactly that payload (same bytes, same
-- SHA-256), changing nothing else.
CREATE OR REPLACE FUNCTION hewer._history_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_column text;
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
    IF TG_OP = 'UPDATE' AND TG_ARGV[0] IN ('run', 'task') THEN
        v_column := CASE TG_ARGV[0] WHEN 'run' THEN 'input' ELSE 'output' END;
        IF hewer._payload_swapped(to_jsonb(OLD), to_jsonb(NEW), v_column) THEN
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
    IF hewer._payload_swapped(to_jsonb(OLD), to_jsonb(NEW), 'payload') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'hewer.events is immutable: event % cannot be changed', OLD.id
        USING ERRCODE = 'HW046',
              HINT = 'Push a new event instead; old events go when their partition is dropped.';
END
$$;

UPDATE hewer.meta SET schema_version = 19;
