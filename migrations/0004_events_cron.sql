-- Migration 4: events (partitioned, immutable) on the pgmq queue hewer_events,
-- CEL event filters and their matches, cron triggers and their ticks, and
-- one-off scheduled runs, durable waits (task status 'waiting'). See
-- docs/events.md.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- Events: immutable, range-partitioned by their UUIDv7 id like runs. Each is
-- also put on the pgmq queue hewer_events in the same transaction, for the
-- dispatcher's event router. See docs/events.md.
CREATE TABLE hewer.events (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    key text NOT NULL,
    payload jsonb NOT NULL,
    metadata jsonb NOT NULL,
    scope text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX events_key_idx ON hewer.events (tenant_id, key, id);
CREATE TABLE hewer.events_default PARTITION OF hewer.events DEFAULT;

-- Events are facts: once written they never change. (Rows may be deleted:
-- partition_create moves rows out of the default partition that way, and
-- retention drops whole partitions.)
CREATE FUNCTION hewer._events_immutable()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'hewer.events is immutable: event % cannot be changed', OLD.id
        USING ERRCODE = 'HW046',
              HINT = 'Push a new event instead; old events go when their partition is dropped.';
END
$$;
CREATE TRIGGER events_immutable BEFORE UPDATE ON hewer.events
    FOR EACH ROW EXECUTE FUNCTION hewer._events_immutable();

-- Event filters: which events start runs of a workflow, as a CEL expression
-- over key, payload and metadata, limited to one scope or (NULL) any scope.
-- Rows change at runtime; version counts the changes, so the router knows
-- when its compiled program is stale. error holds the CEL parse error found
-- by the router for a filter made from plain SQL.
CREATE TABLE hewer.filters (
    tenant_id uuid NOT NULL DEFAULT hewer.current_tenant() REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    workflow_id uuid NOT NULL REFERENCES hewer.workflows (id),
    scope text,
    expression text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX filters_workflow_idx ON hewer.filters (tenant_id, workflow_id);

-- One row per (event, workflow, filter) the router has decided: the run it
-- started, or the error evaluating the filter on that event. The primary key
-- is what makes triggering exactly-once when a router dies before it acks
-- the queue message. filter_id is the zero uuid for a workflow without
-- filters.
CREATE TABLE hewer.event_matches (
    tenant_id uuid NOT NULL,
    event_id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    filter_id uuid NOT NULL,
    filter_version integer,
    run_id uuid,
    error text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, workflow_id, filter_id)
);
CREATE INDEX event_matches_errors_idx ON hewer.event_matches (tenant_id, created_at)
    WHERE error IS NOT NULL;

-- Cron triggers: from a workflow's spec (source 'spec', replaced when a new
-- version is registered) or made at runtime (source 'api'). next_at is the
-- next tick not yet handled (NULL until the ticker first computes it).
-- catch_up says what happens to ticks missed while no dispatcher ran.
CREATE TABLE hewer.crons (
    tenant_id uuid NOT NULL DEFAULT hewer.current_tenant() REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    workflow_id uuid NOT NULL REFERENCES hewer.workflows (id),
    name text NOT NULL,
    expression text NOT NULL,
    input jsonb NOT NULL,
    catch_up text NOT NULL CHECK (catch_up IN ('skip', 'once')),
    source text NOT NULL CHECK (source IN ('spec', 'api')),
    next_at timestamptz,
    error text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (workflow_id, name)
);
CREATE INDEX crons_due_idx ON hewer.crons (next_at);

-- One row per cron tick handled: its primary key makes each tick fire once,
-- however many tickers race for it. run_id is NULL for a skipped tick.
CREATE TABLE hewer.cron_ticks (
    cron_id uuid NOT NULL REFERENCES hewer.crons (id) ON DELETE CASCADE,
    tick_at timestamptz NOT NULL,
    tenant_id uuid NOT NULL,
    run_id uuid,
    missed integer NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (cron_id, tick_at)
);

-- One-off runs to start at run_at; run_id is set when it has started.
CREATE TABLE hewer.scheduled_runs (
    tenant_id uuid NOT NULL DEFAULT hewer.current_tenant() REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    workflow_id uuid NOT NULL REFERENCES hewer.workflows (id),
    input jsonb NOT NULL,
    run_at timestamptz NOT NULL,
    run_id uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX scheduled_runs_due_idx ON hewer.scheduled_runs (run_at) WHERE run_id IS NULL;

INSERT INTO hewer.partition_config (table_name, period, premake, retention)
VALUES ('events', '1 day', 2, '30 days');

-- The event stream from push_event to the router.
DO $$ BEGIN PERFORM pgmq.create('hewer_events'); END $$;

-- A task waiting for its step's condition, outside the ready queue.
ALTER TYPE hewer.task_status ADD VALUE 'waiting' AFTER 'pending';

-- Durable waits (see docs/events.md#durable-waits): a step may wait, before it
-- becomes ready, for an event or for a while. step_waits holds the waits of a
-- version's steps, normalized from the spec like hewer.steps; task_waits one
-- row per task that waited: the condition, its deadline and how it ended. A
-- waiting task has status 'waiting' and no row in hewer.queue, so it holds no
-- worker slot.
CREATE TABLE hewer.step_waits (
    tenant_id uuid NOT NULL,
    version_id uuid NOT NULL REFERENCES hewer.workflow_versions (id),
    step text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('event', 'sleep')),
    event_key text,
    expression text,
    duration interval NOT NULL,
    on_timeout text NOT NULL CHECK (on_timeout IN ('fail', 'skip')),
    PRIMARY KEY (version_id, step)
);

CREATE TABLE hewer.task_waits (
    tenant_id uuid NOT NULL,
    task_id uuid NOT NULL,
    run_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('event', 'sleep')),
    event_key text,
    expression text,
    deadline timestamptz NOT NULL,
    on_timeout text NOT NULL,
    status text NOT NULL CHECK (status IN ('waiting', 'satisfied', 'timed_out', 'cancelled')),
    event_id uuid,
    error text,
    created_at timestamptz NOT NULL,
    resolved_at timestamptz,
    PRIMARY KEY (task_id)
);
CREATE INDEX task_waits_event_idx ON hewer.task_waits (tenant_id, event_key)
    WHERE status = 'waiting' AND kind = 'event';
CREATE INDEX task_waits_deadline_idx ON hewer.task_waits (deadline) WHERE status = 'waiting';

UPDATE hewer.meta SET schema_version = 4;
