-- Concurrency limits (per workflow key, step key, action and tenant), token
-- bucket rate limits, slot cost per task and fair ordering of the ready queue.
--
-- Append-only: never edit this file once it has been applied anywhere.

-- Workflow-level limit of a version: at most concurrency_max runs with the
-- same key hold a slot at once. key_sql is the CEL key compiled to SQL by
-- hewer._cel_compile at registration (over u.input).
ALTER TABLE hewer.workflow_versions
    ADD COLUMN concurrency_key text,
    ADD COLUMN concurrency_key_sql text,
    ADD COLUMN concurrency_max integer,
    ADD COLUMN concurrency_strategy text;

-- Step-level limit, the slots a task of the step takes on a worker and the
-- rate limits it spends ([{"limit", "units", "key"?, "key_sql"?}]).
ALTER TABLE hewer.steps
    ADD COLUMN concurrency_key text,
    ADD COLUMN concurrency_key_sql text,
    ADD COLUMN concurrency_max integer,
    ADD COLUMN concurrency_strategy text,
    ADD COLUMN slots integer NOT NULL DEFAULT 1,
    ADD COLUMN rate_limits jsonb NOT NULL DEFAULT '[]';

ALTER TABLE hewer.runs ADD COLUMN concurrency_key text;
CREATE INDEX runs_concurrency_key_idx ON hewer.runs (tenant_id, workflow_id, concurrency_key, id)
    WHERE status IN ('queued', 'running') AND concurrency_key IS NOT NULL;

-- limits: the semaphores and rate limits that gate the task, resolved when
-- its run is triggered (NULL: none). holds: the semaphores a claimed task
-- counts against, released when it leaves assigned/running.
ALTER TABLE hewer.tasks
    ADD COLUMN slots integer NOT NULL DEFAULT 1,
    ADD COLUMN limits jsonb,
    ADD COLUMN holds bigint[];

-- What a claim needs to gate a queued task without reading the task: its
-- run's and step's semaphores (with their maximum), the slots it takes, the
-- rate limits it spends, and its place in its key's round-robin order.
ALTER TABLE hewer.queue
    ADD COLUMN run_id uuid,
    ADD COLUMN slots integer NOT NULL DEFAULT 1,
    ADD COLUMN run_sem bigint,
    ADD COLUMN run_sem_max integer,
    ADD COLUMN step_sem bigint,
    ADD COLUMN step_sem_max integer,
    ADD COLUMN rate_names text[],
    ADD COLUMN rate_keys text[],
    ADD COLUMN rate_units integer[],
    ADD COLUMN rr_group text,
    ADD COLUMN rr_sem bigint,
    ADD COLUMN rr_seq bigint NOT NULL DEFAULT 0;
DROP INDEX hewer.queue_claim_idx;
CREATE INDEX queue_claim_idx ON hewer.queue (tenant_id, action, priority DESC, rr_seq, id);
CREATE INDEX queue_rr_sem_idx ON hewer.queue (rr_sem, rr_seq) WHERE rr_sem IS NOT NULL;
CREATE INDEX queue_rr_group_idx ON hewer.queue (rr_group, rr_seq) WHERE rr_group IS NOT NULL;

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
    sem_id bigint NOT NULL
);

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

UPDATE hewer.meta SET schema_version = 3;
