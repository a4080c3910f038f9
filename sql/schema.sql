-- Hewer canonical schema: tables, types and the few functions that table
-- definitions depend on (id generation, the tenant lookup used in defaults).
--
-- This file is the single source of truth for what a fully migrated database
-- looks like. migrations/ must build exactly the same catalog; the test
-- tests/test_schema.py::test_schema_matches_migrations checks that.
-- API functions are NOT here: they live in sql/functions/ and
-- sql/partitions/ and are (re)loaded after every migration run.

CREATE SCHEMA hewer;

-- The group role every tenant's database role joins: it may read its own
-- tenant's rows (row-level security) and call the API functions. Roles are
-- shared by all databases of a server, so it may exist already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'hewer_client') THEN
        CREATE ROLE hewer_client NOLOGIN;
    END IF;
EXCEPTION
    WHEN unique_violation OR duplicate_object THEN
        NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'migration 7 needs the role hewer_client, and % may not create roles', current_user
            USING HINT = 'Ask a superuser to run: CREATE ROLE hewer_client NOLOGIN; then migrate again.';
END
$$;

-- The owner of schema hewer, its tables and its functions: hewer_owner, a
-- role that cannot log in and is no superuser. The client functions run as
-- it (SECURITY DEFINER), so what a tenant's call can do is bounded by what
-- this role may do: the hewer schema and the pgmq queues, nothing else of the
-- server. The role that migrates joins it (members of the schema's owner are
-- trusted with every tenant, see hewer._trusted). Roles are shared by all
-- databases of a server, so it may exist already; a DBA may make it first
-- (CREATE ROLE hewer_owner NOLOGIN; GRANT hewer_owner TO <migrating role>).
DO $$
DECLARE
    v_role pg_catalog.pg_roles;
BEGIN
    SELECT * INTO v_role FROM pg_catalog.pg_roles r WHERE r.rolname = 'hewer_owner';
    IF NOT FOUND THEN
        BEGIN
            CREATE ROLE hewer_owner NOLOGIN;
        EXCEPTION
            WHEN unique_violation OR duplicate_object THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the schema owner role hewer_owner does not exist, and % may not create roles',
                    current_user
                    USING HINT = 'Ask a DBA to run: CREATE ROLE hewer_owner NOLOGIN; GRANT hewer_owner TO '
                                 || current_user || '; then migrate again.';
        END;
    ELSIF v_role.rolsuper OR v_role.rolcanlogin OR v_role.rolbypassrls OR v_role.rolcreaterole THEN
        RAISE EXCEPTION 'the role hewer_owner may log in or holds SUPERUSER, BYPASSRLS or CREATEROLE'
            USING HINT = 'Client functions run as hewer_owner, so it must hold no more than schema hewer: '
                         'ALTER ROLE hewer_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE; then migrate again.';
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, 'hewer_owner', 'MEMBER') THEN
        BEGIN
            EXECUTE pg_catalog.format('GRANT hewer_owner TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% is not a member of hewer_owner, and may not grant it', current_user
                USING HINT = 'Ask a DBA to run: GRANT hewer_owner TO ' || current_user || '; then migrate again.';
        END;
    END IF;
    -- A schema's new owner needs CREATE on the database for the change; it
    -- keeps none afterwards unless it had it before.
    IF pg_catalog.has_database_privilege('hewer_owner', current_database(), 'CREATE') THEN
        ALTER SCHEMA hewer OWNER TO hewer_owner;
    ELSE
        EXECUTE pg_catalog.format('GRANT CREATE ON DATABASE %I TO hewer_owner', current_database());
        ALTER SCHEMA hewer OWNER TO hewer_owner;
        EXECUTE pg_catalog.format('REVOKE CREATE ON DATABASE %I FROM hewer_owner', current_database());
    END IF;
END
$$;

-- Bookkeeping: which schema version this database has and which function
-- bundle is loaded. Every Hewer process compares both with its own before it
-- does anything.
CREATE TABLE hewer.meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    schema_version integer NOT NULL,
    functions_checksum text
);
INSERT INTO hewer.meta (schema_version) VALUES (19);

-- Time-ordered UUIDv7 (RFC 9562): 48-bit unix milliseconds, version 7, 12
-- bits of sub-millisecond fraction (so ids made one after another sort in
-- order, RFC 9562 method 3), then random bits. Defined here rather than using
-- PostgreSQL 18's uuidv7() so that PostgreSQL 15-17 behave the same.
CREATE FUNCTION hewer.uuidv7(ts timestamptz DEFAULT clock_timestamp())
RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT encode(
        substring(int8send(floor(ms)::bigint) FROM 3)
        || int2send((28672 + floor((ms - floor(ms)) * 4096))::smallint)
        || substring(uuid_send(gen_random_uuid()) FROM 9),
        'hex')::uuid
    FROM (SELECT extract(epoch FROM ts) * 1000 AS ms) AS t
$$;

-- The smallest UUIDv7 of a millisecond: partition bounds are made of these, so
-- an id alone locates its partition.
CREATE FUNCTION hewer.uuid_floor(ts timestamptz)
RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT encode(
        substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3)
        || '\x00000000000000000000'::bytea,
        'hex')::uuid
$$;

-- The timestamp a UUIDv7 was made at (millisecond precision).
CREATE FUNCTION hewer.uuid_time(id uuid)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT to_timestamp(
        ('x' || lpad(substring(replace(id::text, '-', '') FROM 1 FOR 12), 16, '0'))::bit(64)::bigint
        / 1000.0)
$$;

-- Trusted sessions: their login role (session_user, which no SET ROLE
-- changes) is a superuser, has BYPASSRLS, or is a member of the owner of
-- schema hewer. Only they may choose a tenant with the hewer.tenant setting,
-- and they see every tenant's rows; every other session is the tenant its
-- login role is mapped to (tenants.db_role).
CREATE FUNCTION hewer._trusted()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(bool_or(r.rolbypassrls OR pg_has_role(r.oid, n.nspowner, 'MEMBER')), false)
    FROM pg_roles r, pg_namespace n
    WHERE r.rolname = session_user AND n.nspname = 'hewer'
$$;

-- The tenant of the current session. Trusted sessions: the hewer.tenant
-- setting (a tenant id), or the default tenant when unset. Others: the
-- tenant whose db_role is their login role, or the one role their login
-- role is a member of; an unmapped role gets HW092.
CREATE FUNCTION hewer.current_tenant()
RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
BEGIN
    IF hewer._trusted() THEN
        RETURN coalesce(nullif(current_setting('hewer.tenant', true), ''),
                        '00000000-0000-0000-0000-000000000000')::uuid;
    END IF;
    v_ids := ARRAY(SELECT t.id FROM hewer.tenants t
                   WHERE t.db_role = session_user
                      OR (t.db_role IS NOT NULL
                          AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = t.db_role)
                          AND pg_has_role(session_user, t.db_role, 'MEMBER'))
                   ORDER BY t.db_role = session_user DESC, t.id);
    IF cardinality(v_ids) = 0 THEN
        RAISE EXCEPTION 'role % is not mapped to a Hewer tenant', session_user
            USING ERRCODE = 'HW092',
                  HINT = 'Connect as a tenant''s role (hewer tenants create NAME --role ROLE), '
                         'or as a role trusted with every tenant.';
    END IF;
    RETURN v_ids[1];
END
$$;

CREATE TYPE hewer.run_status AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- pending: waits for parents; waiting: its parents are done, it waits for its
-- step's condition (an event or a sleep) outside the ready queue; queued: in
-- the ready queue (maybe with a future ready_at while backing off); assigned:
-- claimed by a worker under a lease; running: the worker reported the start.
-- See docs/states.md.
CREATE TYPE hewer.task_status AS ENUM
    ('pending', 'waiting', 'queued', 'assigned', 'running', 'succeeded', 'failed', 'cancelled');

-- A rate bucket during one claim (hewer.task_claim): its tokens refilled to the claim's
-- time, its rate per second, its burst, and the tokens promised to the tasks deferred
-- behind it.
CREATE TYPE hewer.claim_bucket AS (
    name text,
    key text,
    tokens double precision,
    rate double precision,
    burst double precision,
    debt double precision
);

CREATE TABLE hewer.tenants (
    id uuid PRIMARY KEY DEFAULT hewer.uuidv7(),
    name text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The database role whose sessions are this tenant (see hewer.current_tenant).
    db_role name UNIQUE,
    -- Limits: runs started and events pushed per second (a token bucket of
    -- trigger_burst, default the rate rounded up), bytes per stored payload.
    max_trigger_rate double precision CHECK (max_trigger_rate > 0 AND max_trigger_rate <= 1e9),
    trigger_burst integer CHECK (trigger_burst > 0),
    max_payload_bytes bigint CHECK (max_payload_bytes > 0),
    trigger_tokens double precision,
    trigger_refilled_at timestamptz
);
INSERT INTO hewer.tenants (id, name)
VALUES ('00000000-0000-0000-0000-000000000000', 'default');

CREATE TABLE hewer.workflows (
    tenant_id uuid NOT NULL DEFAULT hewer.current_tenant() REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    name text NOT NULL,
    current_version_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id),
    UNIQUE (tenant_id, name)
);

-- A version's spec never changes once written; re-registering an identical
-- spec (same checksum) returns the existing version.
CREATE TABLE hewer.workflow_versions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    workflow_id uuid NOT NULL REFERENCES hewer.workflows (id),
    version integer NOT NULL,
    spec jsonb NOT NULL,
    checksum text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Workflow-level limit: at most concurrency_max runs with one key hold a
    -- slot at once. key_sql is the CEL key compiled to SQL by
    -- hewer._cel_compile at registration (over u.input).
    concurrency_key text,
    concurrency_key_sql text,
    concurrency_max integer,
    concurrency_strategy text,
    PRIMARY KEY (id),
    UNIQUE (workflow_id, version),
    UNIQUE (workflow_id, checksum)
);

-- The steps of a version, normalized from its spec at registration so that a
-- trigger is a plain INSERT ... SELECT. Immutable like the version.
CREATE TABLE hewer.steps (
    tenant_id uuid NOT NULL,
    version_id uuid NOT NULL REFERENCES hewer.workflow_versions (id),
    ordinal integer NOT NULL,
    name text NOT NULL,
    action text NOT NULL,
    parents text[] NOT NULL,
    max_attempts integer NOT NULL,
    backoff_base interval NOT NULL,
    backoff_factor double precision NOT NULL,
    backoff_max interval NOT NULL,
    backoff_jitter double precision NOT NULL,
    execution_timeout interval NOT NULL,
    schedule_timeout interval NOT NULL,
    priority integer,
    -- Step-level limit, the slots a task of the step takes on a worker and
    -- the rate limits it spends ([{"limit", "units", "key"?, "key_sql"?}]).
    concurrency_key text,
    concurrency_key_sql text,
    concurrency_max integer,
    concurrency_strategy text,
    slots integer NOT NULL DEFAULT 1,
    rate_limits jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (version_id, name),
    UNIQUE (version_id, ordinal)
);

-- Big tables are range-partitioned by their UUIDv7 id, i.e. by creation time.
-- There are no foreign keys into them (dropping a partition must stay cheap);
-- the API functions keep references consistent.
CREATE TABLE hewer.runs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    version_id uuid NOT NULL,
    status hewer.run_status NOT NULL,
    input jsonb NOT NULL,
    priority integer NOT NULL,
    idempotency_key text,
    tasks_left integer NOT NULL,
    error jsonb,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    concurrency_key text,
    -- A child run knows the run and task that spawned it (hewer.run_spawn);
    -- additional_metadata holds key/value tags, inherited by children.
    parent_run_id uuid,
    parent_task_id uuid,
    additional_metadata jsonb NOT NULL DEFAULT '{}',
    -- The run this one replays (hewer.run_replay); NULL for a triggered run.
    replay_of uuid,
    -- A sticky workflow's run: the worker that claimed its first task (docs/affinity.md).
    sticky_worker_id uuid,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX runs_workflow_idx ON hewer.runs (tenant_id, workflow_id, id);
CREATE INDEX runs_active_idx ON hewer.runs (tenant_id, status)
    WHERE status IN ('queued', 'running');
CREATE INDEX runs_concurrency_key_idx ON hewer.runs (tenant_id, workflow_id, concurrency_key, id)
    WHERE status IN ('queued', 'running') AND concurrency_key IS NOT NULL;
CREATE INDEX runs_parent_idx ON hewer.runs (parent_run_id, id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_metadata_idx ON hewer.runs USING gin (additional_metadata jsonb_path_ops)
    WHERE additional_metadata <> '{}';
CREATE INDEX runs_replay_of_idx ON hewer.runs (replay_of) WHERE replay_of IS NOT NULL;
CREATE TABLE hewer.runs_default PARTITION OF hewer.runs DEFAULT;

CREATE TABLE hewer.tasks (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    run_id uuid NOT NULL,
    step text NOT NULL,
    action text NOT NULL,
    status hewer.task_status NOT NULL,
    attempt integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    priority integer NOT NULL,
    parent_ids uuid[] NOT NULL,
    child_ids uuid[] NOT NULL,
    parents_left integer NOT NULL,
    execution_timeout interval NOT NULL,
    schedule_timeout interval NOT NULL,
    worker_id uuid,
    timeout_at timestamptz,
    cancel_requested boolean NOT NULL DEFAULT false,
    output jsonb,
    error jsonb,
    created_at timestamptz NOT NULL,
    queued_at timestamptz,
    assigned_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    -- limits: the semaphores and rate limits that gate the task, resolved
    -- when its run is triggered (NULL: none). holds: the semaphores a claimed
    -- task counts against, released when it leaves assigned/running.
    slots integer NOT NULL DEFAULT 1,
    limits jsonb,
    holds bigint[],
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX tasks_run_idx ON hewer.tasks (run_id);
-- The reaper's view: leases that can expire, and work held by a worker.
CREATE INDEX tasks_lease_idx ON hewer.tasks (timeout_at)
    WHERE status IN ('assigned', 'running');
CREATE INDEX tasks_worker_idx ON hewer.tasks (worker_id)
    WHERE status IN ('assigned', 'running');
CREATE TABLE hewer.tasks_default PARTITION OF hewer.tasks DEFAULT;

-- Append-only log of every task transition: the retry history.
CREATE TABLE hewer.task_events (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    task_id uuid NOT NULL,
    run_id uuid NOT NULL,
    attempt integer NOT NULL,
    kind text NOT NULL,
    status hewer.task_status NOT NULL,
    worker_id uuid,
    data jsonb,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX task_events_task_idx ON hewer.task_events (task_id, id);
CREATE TABLE hewer.task_events_default PARTITION OF hewer.task_events DEFAULT;

-- The analytics feed (migration 15): each statement that writes task events
-- puts one message on the pgmq queue hewer_olap, which the feeder
-- (pydispatch/olap.py) moves into the analytics store.
DO $$ BEGIN PERFORM pgmq.create('hewer_olap'); END $$;

-- A statement-level trigger: the statement's new task events, as one
-- message. Only what the store keeps: ids, times, the kind and status, the
-- worker, and of data the cause, the error's type and a retry's time.
CREATE FUNCTION hewer._olap_capture()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_events jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'id', e.id, 'tenant_id', e.tenant_id, 'task_id', e.task_id, 'run_id', e.run_id,
               'attempt', e.attempt, 'kind', e.kind, 'status', e.status,
               'worker_id', e.worker_id, 'created_at', e.created_at,
               'cause', e.data ->> 'cause',
               'error_type', CASE WHEN jsonb_typeof(e.data -> 'error') = 'object'
                                  THEN left(e.data -> 'error' ->> 'type', 200) END,
               'retry_at', e.data ->> 'retry_at') ORDER BY e.id)
    INTO v_events
    FROM new_events e;
    IF v_events IS NOT NULL THEN
        PERFORM pgmq.send('hewer_olap', jsonb_build_object('events', v_events));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER olap_capture AFTER INSERT ON hewer.task_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION hewer._olap_capture();

-- Log lines of task attempts (hewer.task_log writes them, hewer.run_logs
-- reads them). The id is made by the server when the line is written, never
-- from the worker's clock, so a worker cannot choose the partition a line
-- lands in; logged_at is the worker's own time, for display.
CREATE TABLE hewer.task_logs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    run_id uuid NOT NULL,
    task_id uuid NOT NULL,
    attempt integer NOT NULL,
    worker_id uuid,
    level text NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error', 'critical')),
    message text NOT NULL,
    logged_at timestamptz NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX task_logs_run_idx ON hewer.task_logs (run_id, id);
CREATE TABLE hewer.task_logs_default PARTITION OF hewer.task_logs DEFAULT;

-- Chunks of task attempts' output streams (ctx.stream; hewer.task_stream
-- writes them, hewer.run_output reads them). The id is the server's, as for
-- log lines; seq is the worker's count of the attempt's chunks, from 1, so a
-- chunk sent again after a reconnect is not written twice.
CREATE TABLE hewer.task_streams (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    run_id uuid NOT NULL,
    task_id uuid NOT NULL,
    attempt integer NOT NULL,
    seq bigint NOT NULL,
    chunk text NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);
CREATE INDEX task_streams_run_idx ON hewer.task_streams (run_id, id);
CREATE INDEX task_streams_seq_idx ON hewer.task_streams (task_id, attempt, seq);
CREATE TABLE hewer.task_streams_default PARTITION OF hewer.task_streams DEFAULT;

-- History guard: a workflow version, a finished run or task, and every task
-- event are immutable. BEFORE UPDATE OR DELETE row triggers (cloned onto every
-- partition) raise HW080; the WHEN clauses keep the hot path (updates of
-- unfinished runs and tasks) from calling the function at all. Two exceptions:
-- clearing tasks.holds (the semaphores a task counted against, released just
-- after it finished) and partition_create moving rows out of a default
-- partition (it sets hewer.moving_rows for the move; the setting counts only
-- in trusted sessions, so a tenant's session cannot use it). Whole partitions past
-- their retention are dropped (partition_drop): no row trigger fires.
CREATE FUNCTION hewer._history_guard()
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

-- The hot ready queue: one row per ready task attempt, deleted on claim.
-- Small by design, so it is not partitioned. The identity gives FIFO order.
CREATE TABLE hewer.queue (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    task_id uuid NOT NULL UNIQUE,
    action text NOT NULL,
    priority integer NOT NULL,
    ready_at timestamptz NOT NULL,
    schedule_timeout_at timestamptz NOT NULL,
    -- What a claim needs to gate a task without reading it: its run's and
    -- step's semaphores (with their maximum), the slots it takes, the rate
    -- limits it spends, and its place in its key's round-robin order.
    run_id uuid,
    slots integer NOT NULL DEFAULT 1,
    run_sem bigint,
    run_sem_max integer,
    step_sem bigint,
    step_sem_max integer,
    rate_names text[],
    rate_keys text[],
    rate_units integer[],
    rr_group text,
    rr_sem bigint,
    rr_seq bigint NOT NULL DEFAULT 0,
    -- Who may take the task (docs/affinity.md): its step's required labels and
    -- preferred labels, its run's stickiness and the worker the run sticks to.
    labels jsonb,
    prefer jsonb,
    sticky text CHECK (sticky IN ('soft', 'hard')),
    sticky_worker uuid
);
CREATE INDEX queue_claim_idx ON hewer.queue (tenant_id, action, priority DESC, rr_seq, id);
CREATE INDEX queue_rr_sem_idx ON hewer.queue (rr_sem, rr_seq) WHERE rr_sem IS NOT NULL;
CREATE INDEX queue_rr_group_idx ON hewer.queue (rr_group, rr_seq) WHERE rr_group IS NOT NULL;
CREATE INDEX queue_schedule_timeout_idx ON hewer.queue (schedule_timeout_at);

-- Idempotency keys live outside the partitioned runs table, since a unique
-- constraint there would have to include the partition key.
CREATE TABLE hewer.idempotency_keys (
    tenant_id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    key text NOT NULL,
    run_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, key)
);

CREATE TABLE hewer.workers (
    tenant_id uuid NOT NULL DEFAULT hewer.current_tenant() REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    name text NOT NULL,
    actions text[] NOT NULL,
    slots integer NOT NULL CHECK (slots > 0),
    labels jsonb NOT NULL DEFAULT '{}',
    sdk_version text,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'stopped', 'dead')),
    registered_at timestamptz NOT NULL,
    last_heartbeat_at timestamptz NOT NULL,
    -- When a dispatcher saw the worker's stream break (hewer.worker_disconnect); a
    -- heartbeat clears it. The reaper declares a worker dead this soon after
    -- (disconnect_grace) instead of after the worker timeout.
    disconnected_at timestamptz,
    PRIMARY KEY (id)
);
CREATE INDEX workers_heartbeat_idx ON hewer.workers (last_heartbeat_at) WHERE status IN ('active', 'draining');

-- Per-table partitioning policy, for DBAs to tune: the width of a partition,
-- how many are kept ahead of now, and how long old ones are kept. Few ahead:
-- every statement on a partitioned table pays for each partition (see
-- migrations/0002).
CREATE TABLE hewer.partition_config (
    table_name text PRIMARY KEY,
    period interval NOT NULL CHECK (period >= interval '1 minute'),
    premake integer NOT NULL CHECK (premake BETWEEN 1 AND 1000),
    retention interval NOT NULL CHECK (retention > interval '0')
);
INSERT INTO hewer.partition_config (table_name, period, premake, retention) VALUES
    ('runs', '1 day', 2, '30 days'),
    ('tasks', '1 day', 2, '30 days'),
    ('task_events', '1 day', 2, '30 days'),
    -- Logs are bulkier than the rest of the history: kept a week.
    ('task_logs', '1 day', 2, '7 days'),
    -- Streams are for watching work as it happens: kept three days.
    ('task_streams', '1 day', 2, '3 days');

-- Tenant- and action-wide limits, set at runtime (hewer.concurrency_limit_set).
CREATE TABLE hewer.concurrency_limits (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    scope text NOT NULL CHECK (scope IN ('tenant', 'action')),
    name text NOT NULL,
    max_running integer NOT NULL CHECK (max_running > 0),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, scope, name)
);

-- One counter per limit and key: how many runs (scope workflow) or tasks
-- (scope step, action, tenant) hold it now. Claims lock these rows.
CREATE TABLE hewer.semaphores (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    scope text NOT NULL CHECK (scope IN ('workflow', 'step', 'action', 'tenant')),
    owner text NOT NULL,
    key text NOT NULL,
    running integer NOT NULL DEFAULT 0 CHECK (running >= 0),
    UNIQUE (tenant_id, scope, owner, key)
);

-- The run that holds a workflow-level semaphore, from its first claim until
-- it finishes.
CREATE TABLE hewer.run_holds (
    run_id uuid PRIMARY KEY,
    sem_id bigint NOT NULL,
    tenant_id uuid NOT NULL
);
CREATE INDEX run_holds_sem_idx ON hewer.run_holds (sem_id);

-- Token buckets: `rate` tokens per `period`, at most `burst` saved up.
CREATE TABLE hewer.rate_limits (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    name text NOT NULL,
    rate double precision NOT NULL CHECK (rate > 0),
    period interval NOT NULL CHECK (period > interval '0'),
    burst double precision NOT NULL CHECK (burst > 0),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- A bucket per limit and key ('' for a static limit), made on first use.
CREATE TABLE hewer.rate_buckets (
    tenant_id uuid NOT NULL,
    name text NOT NULL,
    key text NOT NULL,
    tokens double precision NOT NULL,
    refilled_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name, key)
);
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
    IF hewer._payload_swapped(to_jsonb(OLD), to_jsonb(NEW), 'payload') THEN
        RETURN NEW;
    END IF;
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
-- The event router reads the queue tenant by tenant (event_route_read): an
-- index to find each tenant's oldest messages without reading the others'.
CREATE INDEX q_hewer_events_tenant_idx
    ON pgmq.q_hewer_events ((coalesce(message ->> 'tenant_id', '')), msg_id);

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

-- API tokens for gRPC and CLI clients: `hwt_<id>_<secret>`; only the SHA-256
-- of the secret is stored. A token acts for its tenant until revoked or expired.
CREATE TABLE hewer.api_tokens (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    id uuid NOT NULL DEFAULT hewer.uuidv7(),
    name text NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (id),
    UNIQUE (tenant_id, name)
);


-- Leadership of the maintenance loop: one lease row per kind of shared work,
-- renewed by its holder (hewer.lease_acquire). Tenant roles have no privilege
-- on it, so unlike an advisory lock they can neither take nor block it.
CREATE TABLE hewer.leases (
    name text PRIMARY KEY,
    holder text,
    expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO hewer.leases (name) VALUES ('maintenance');

-- Items of the shared maintenance work (an event, a cron, a scheduled run,
-- a durable wait, a partition step) that failed: retried with backoff
-- (retry_at), and after too many failures quarantined (quarantined_at) and
-- left alone until released (hewer.quarantine_release). One bad item never
-- stops the others. See docs/operations.md#quarantine.
CREATE TABLE hewer.quarantine (
    tenant_id uuid NOT NULL REFERENCES hewer.tenants (id),
    kind text NOT NULL CHECK (kind IN ('event', 'cron', 'schedule', 'wait', 'partition')),
    item_id text NOT NULL,
    failures integer NOT NULL CHECK (failures >= 0),
    error text NOT NULL,
    first_failed_at timestamptz NOT NULL,
    last_failed_at timestamptz NOT NULL,
    retry_at timestamptz,
    quarantined_at timestamptz,
    PRIMARY KEY (kind, item_id)
);
CREATE INDEX quarantine_tenant_idx ON hewer.quarantine (tenant_id, kind);
ALTER TABLE hewer.quarantine ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.quarantine
    USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()));
GRANT SELECT ON hewer.quarantine TO hewer_client;

-- Per-tenant caps on what a tenant may keep in the shared engine (see
-- hewer._tenant_cap), and the shortest interval its crons may fire at. The
-- default tenant (single-tenant installs) keeps per-second crons.
ALTER TABLE hewer.tenants
    ADD COLUMN max_crons integer NOT NULL DEFAULT 1000 CHECK (max_crons > 0),
    ADD COLUMN max_filters integer NOT NULL DEFAULT 1000 CHECK (max_filters > 0),
    ADD COLUMN max_pending_schedules integer NOT NULL DEFAULT 10000 CHECK (max_pending_schedules > 0),
    ADD COLUMN max_workflows integer NOT NULL DEFAULT 1000 CHECK (max_workflows > 0),
    ADD COLUMN min_cron_interval interval NOT NULL DEFAULT '1 minute'
        CHECK (min_cron_interval >= interval '1 second' AND min_cron_interval <= interval '1 day');
UPDATE hewer.tenants SET min_cron_interval = '1 second' WHERE id = '00000000-0000-0000-0000-000000000000';
-- The largest offloaded payload (object) the tenant may store (docs/payloads.md).
ALTER TABLE hewer.tenants ADD COLUMN max_offload_bytes bigint CHECK (max_offload_bytes > 0);

-- Large payloads in object storage (docs/payloads.md): which row holds which
-- object, and the large payloads written inline that the offloader moves out.
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

-- Row-level security: a session sees the rows of its tenant; trusted
-- sessions see every row (their functions scope by hewer.current_tenant()).
-- The subqueries make each policy an init plan, evaluated once per statement.
ALTER TABLE hewer.tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON hewer.tenants
    USING (id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))
    WITH CHECK ((SELECT hewer._trusted()));

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY[
        'workflows', 'workflow_versions', 'steps', 'runs', 'tasks', 'task_events', 'queue',
        'idempotency_keys', 'workers', 'concurrency_limits', 'semaphores', 'run_holds',
        'rate_limits', 'rate_buckets', 'events', 'filters', 'event_matches', 'crons',
        'cron_ticks', 'scheduled_runs', 'step_waits', 'task_waits', 'api_tokens', 'task_logs',
        'task_streams', 'payload_refs', 'payload_candidates']
    LOOP
        EXECUTE format('ALTER TABLE hewer.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON hewer.%I '
                       'USING (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted())) '
                       'WITH CHECK (tenant_id = (SELECT hewer.current_tenant()) OR (SELECT hewer._trusted()))',
                       v_table);
        IF v_table <> 'api_tokens' THEN
            EXECUTE format('GRANT SELECT ON hewer.%I TO hewer_client', v_table);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE ON SCHEMA hewer TO hewer_client;
GRANT SELECT (id, name, max_trigger_rate, trigger_burst, max_payload_bytes, created_at,
               max_offload_bytes)
    ON hewer.tenants TO hewer_client;
GRANT SELECT (tenant_id, id, name, created_at, expires_at, revoked_at) ON hewer.api_tokens TO hewer_client;
