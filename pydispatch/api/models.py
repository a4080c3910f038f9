"""The HTTP API's request and response models: typed down to the field, since the OpenAPI
document and the clients generated from it are derived from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TaskStatus = Literal[
    "pending", "waiting", "queued", "assigned", "running", "succeeded", "failed", "cancelled"
]
MetadataValue = str | int | float | bool


class FieldError(BaseModel):
    field: str = Field(description="Where in the request, e.g. body.workflow or query.limit.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457): what went wrong, Hewer's code for it, and how to fix it."""

    type: str = "about:blank"
    title: str = Field(description="The error's name, e.g. unknown_workflow.")
    status: int
    detail: str = Field(description="What went wrong, naming the thing concerned.")
    code: str | None = Field(default=None, description="Hewer's SQLSTATE, e.g. HW003.")
    hint: str | None = Field(default=None, description="How to fix it.")
    errors: list[FieldError] | None = Field(
        default=None, description="For invalid requests: each field refused, and why."
    )


class TriggerRequest(BaseModel):
    """A run to start."""

    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(min_length=1, max_length=255, description="The workflow's name.")
    input: JsonValue = Field(default_factory=dict, description="The run's input.")
    priority: int | None = Field(
        default=None, ge=-1000, le=1000, description="Higher runs first; default: each step's own."
    )
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=255, description="The same key gives the same run."
    )
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict, description="Key/value tags, inherited by child runs."
    )


class Triggered(BaseModel):
    run_id: uuid.UUID
    created: bool = Field(description="False when the idempotency key gave an existing run.")


class Task(BaseModel):
    task_id: uuid.UUID
    step: str
    action: str
    status: TaskStatus
    attempt: int
    max_attempts: int
    output: JsonValue = None
    error: JsonValue = None
    worker_id: uuid.UUID | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested: bool = False
    served: bool | None = Field(
        default=None,
        description="A queued task: whether a live worker serves its action (false: it waits "
        "for one that may never come).",
    )


class Run(BaseModel):
    run_id: uuid.UUID
    workflow: str
    version: int
    status: RunStatus
    input: JsonValue
    output: JsonValue = None
    error: JsonValue = None
    priority: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    tasks: list[Task]
    parent_run_id: uuid.UUID | None = Field(
        default=None, description="The run whose task spawned this one (a child run); else null."
    )
    parent_task_id: uuid.UUID | None = Field(
        default=None, description="The task that spawned this run; else null."
    )


class RunSummary(BaseModel):
    run_id: uuid.UUID
    workflow: str
    version: int
    status: RunStatus
    priority: int
    input: JsonValue
    error: JsonValue = None
    replay_of: uuid.UUID | None = None
    tasks: dict[str, int] = Field(description="The run's tasks, counted by status.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    metadata: dict[str, MetadataValue]


class RunPage(BaseModel):
    runs: list[RunSummary]
    next_before: uuid.UUID | None = Field(
        default=None, description="Pass as `before` for the next (older) page; null on the last."
    )


class Cancelled(BaseModel):
    run_id: uuid.UUID
    cancelled: bool = Field(description="False when the run had already finished.")
    status: RunStatus


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_from: Literal["failed", "start"] = Field(
        default="failed",
        description="failed: keep the steps that succeeded; start: run every step.",
    )


class Replayed(BaseModel):
    run_id: uuid.UUID
    replay_run_id: uuid.UUID
    kept: int = Field(description="Steps kept from the original, with their outputs.")
    to_run: int


class LogLine(BaseModel):
    log_id: uuid.UUID
    task_id: uuid.UUID
    step: str
    attempt: int
    level: Literal["debug", "info", "warning", "error", "critical"]
    message: str
    logged_at: datetime = Field(description="The worker's time of the line.")
    written_at: datetime = Field(description="The server's time of writing.")


class LogPage(BaseModel):
    lines: list[LogLine]
    next_after: uuid.UUID | None = Field(
        default=None, description="Pass as `after` for the lines written since; null when none."
    )


class RunEvent(BaseModel):
    event_id: uuid.UUID
    task_id: uuid.UUID
    step: str
    attempt: int
    kind: str
    status: TaskStatus
    data: JsonValue = None
    created_at: datetime


class OutputChunk(BaseModel):
    """A chunk of a task attempt's streamed output (ctx.stream)."""

    chunk_id: uuid.UUID
    task_id: uuid.UUID
    step: str
    attempt: int
    seq: int = Field(description="The chunk's number in its attempt's stream, from 1.")
    data: str
    written_at: datetime


# --- workflow specs (docs/sql-api.md#the-workflow-spec; the database checks every field) --

Duration = int | float | str
"""Seconds as a number, or a PostgreSQL interval string ("30s", "1h30m", "5 minutes")."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Backoff(_Spec):
    base: Duration | None = Field(default=None, description="Delay after the first failure.")
    factor: int | float | None = Field(
        default=None, description="Each further retry waits this many times longer."
    )
    max: Duration | None = Field(default=None, description="The cap on the delay.")
    jitter: int | float | None = Field(
        default=None, description="A random spread of ± this fraction."
    )


class StepConcurrency(_Spec):
    key: str | None = Field(default=None, description="CEL over the run input.")
    max: int
    strategy: Literal["GROUP_ROUND_ROBIN"] | None = None


class WorkflowConcurrency(_Spec):
    key: str | None = Field(default=None, description="CEL over the run input.")
    max: int
    strategy: Literal["GROUP_ROUND_ROBIN", "CANCEL_IN_PROGRESS", "CANCEL_NEWEST"] | None = None


class RateLimitUse(_Spec):
    limit: str = Field(description="A rate limit's name (PUT /v1/rate-limits/{name}).")
    units: int | None = Field(default=None, description="Tokens each claim spends; default 1.")
    key: str | None = Field(default=None, description="CEL over the run input: a bucket per key.")


class EventWait(_Spec):
    event: str = Field(description="The event key waited for.")
    match: str | None = Field(default=None, description="CEL over the event and the run input.")
    timeout: Duration | None = None
    on_timeout: Literal["fail", "skip"] | None = None


class SleepWait(_Spec):
    sleep: Duration


class CronTrigger(_Spec):
    expression: str = Field(description="A cron expression, in UTC.")
    input: dict[str, JsonValue] | None = None
    catch_up: Literal["skip", "once"] | None = None


class PreferredLabel(_Spec):
    value: str = Field(description="The label's value a worker should have (1 to 256 characters).")
    weight: int | None = Field(
        default=None,
        description="1 to 100 (default 1): its share of the step's preferred labels' weight.",
    )


class StepSpec(_Spec):
    name: str
    action: str | None = Field(default=None, description='Default: "<workflow>:<step>".')
    parents: list[str] | None = None
    retries: int | None = Field(default=None, description="Attempts after the first.")
    timeout: Duration | None = Field(default=None, description="The execution timeout.")
    schedule_timeout: Duration | None = None
    backoff: Backoff | None = None
    priority: int | None = None
    concurrency: StepConcurrency | None = None
    slots: int | None = None
    rate_limits: list[RateLimitUse] | None = None
    worker_labels: dict[str, str] | None = Field(
        default=None,
        description="Required: only a worker whose labels include every one of these (equal "
        'values) claims the step\'s tasks; 1 to 20 labels, e.g. {"gpu": "a100"} '
        "(docs/affinity.md).",
    )
    preferred_labels: dict[str, PreferredLabel] | None = Field(
        default=None,
        description="Preferred: a worker with all of them claims the step's tasks at once, one "
        "with some or none after up to 2 s on the ready queue; 1 to 20 labels "
        "(docs/affinity.md).",
    )
    wait: EventWait | SleepWait | None = None
    description: JsonValue = None


class WorkflowSpec(_Spec):
    """A workflow's spec; every field is checked by hewer.workflow_register."""

    steps: list[StepSpec]
    priority: int | None = None
    concurrency: WorkflowConcurrency | None = None
    description: JsonValue = None
    on_events: list[str] | None = Field(default=None, description="Event key patterns.")
    cron: list[str | CronTrigger] | None = None
    sticky: Literal["soft", "hard"] | None = Field(
        default=None,
        description="The run's tasks go to the worker that claimed its first task: soft, "
        "others may claim a task that waited 2 s; hard, only that worker while it is active or "
        "draining (docs/affinity.md).",
    )


class WorkflowSummary(BaseModel):
    name: str
    current_version: int
    latest_version: int
    versions: int
    description: str | None = None
    created_at: datetime


class WorkflowVersion(BaseModel):
    name: str
    version: int
    version_id: uuid.UUID
    is_current: bool
    current_version: int
    checksum: str
    spec: WorkflowSpec
    created_at: datetime


class EventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=255, description="e.g. order.created")
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    scope: str | None = Field(default=None, min_length=1, max_length=255)


class EventPushed(BaseModel):
    event_id: uuid.UUID


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    schema_version: int


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128, description="The workflow's name.")
    spec: WorkflowSpec


class Registered(BaseModel):
    workflow_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    created: bool = Field(description="False when the same spec was registered before.")


class VersionSummary(BaseModel):
    version: int
    version_id: uuid.UUID
    is_current: bool
    checksum: str
    steps: int
    active_runs: int = Field(description="Runs of this version still queued or running.")
    created_at: datetime


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="The version to make current again.")


class RolledBack(BaseModel):
    workflow_id: uuid.UUID
    version_id: uuid.UUID
    version: int
    previous_version: int


# --- runs, more ---------------------------------------------------------------------------


class CancelMatchingRequest(BaseModel):
    """Which runs to cancel: every filter given must match; at least one is required."""

    model_config = ConfigDict(extra="forbid")
    workflow: str | None = Field(default=None, min_length=1, max_length=128)
    status: list[Literal["queued", "running"]] | None = Field(default=None, min_length=1)
    since: datetime | None = None
    until: datetime | None = None
    metadata: dict[str, MetadataValue] | None = Field(
        default=None, description="Tags the runs carry."
    )


class CancelledMany(BaseModel):
    cancelled: int = Field(description="Runs this call cancelled.")
    runs: list[Cancelled]


class ChildRun(BaseModel):
    run_id: uuid.UUID
    parent_run_id: uuid.UUID
    parent_task_id: uuid.UUID | None = None
    workflow: str
    status: RunStatus
    child_key: str | None = None
    metadata: dict[str, MetadataValue]
    created_at: datetime
    finished_at: datetime | None = None


class Lineage(BaseModel):
    run_id: uuid.UUID
    replay_of: uuid.UUID | None = Field(default=None, description="The run this one replays.")
    replays: list[uuid.UUID] = Field(description="The runs that replay this one, oldest first.")


class TaskEvent(BaseModel):
    attempt: int
    kind: str
    status: TaskStatus
    worker_id: uuid.UUID | None = None
    data: JsonValue = None
    created_at: datetime


class Attempt(BaseModel):
    attempt: int = Field(description="1 for the first; task events of attempt 0 are left out.")
    outcome: str = Field(
        description="The kind of the attempt's latest event: assigned and started while it "
        "runs; then succeeded, retrying, failed, execution_timeout, worker_lost, cancelled."
    )
    worker_id: uuid.UUID | None = None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: JsonValue = Field(default=None, description="The error that ended it, if one did.")
    events: list[TaskEvent] = Field(description="Its task events (docs/states.md#task-events).")


class TaskAttempts(BaseModel):
    task_id: uuid.UUID
    run_id: uuid.UUID
    step: str
    attempts: list[Attempt]


# --- workers, events, filters, crons, schedules -----------------------------------------


class Worker(BaseModel):
    worker_id: uuid.UUID
    name: str
    actions: list[str]
    slots: int
    labels: dict[str, JsonValue]
    sdk_version: str | None = None
    status: Literal["active", "draining", "stopped", "dead"]
    registered_at: datetime
    last_heartbeat_at: datetime
    held_task_ids: list[uuid.UUID] = Field(description="Tasks assigned to it or running on it.")


class Event(BaseModel):
    event_id: uuid.UUID
    key: str
    payload: dict[str, JsonValue]
    metadata: dict[str, JsonValue]
    scope: str | None = None
    created_at: datetime


class EventPage(BaseModel):
    events: list[Event]
    next_before: uuid.UUID | None = Field(
        default=None, description="Pass as `before` for the next (older) page; null on the last."
    )


class EventMatch(BaseModel):
    workflow: str | None = None
    filter_id: uuid.UUID | None = None
    filter_version: int | None = None
    run_id: uuid.UUID | None = Field(default=None, description="The run the event started.")
    error: str | None = Field(default=None, description="Why the filter could not decide.")
    created_at: datetime


class EventDetail(Event):
    matches: list[EventMatch] = Field(
        description="The runs it started and the filters that failed on it; none while it is "
        "not routed yet, or when it matched nothing."
    )


class FilterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(min_length=1, max_length=128)
    expression: str = Field(
        min_length=1, max_length=4096, description="CEL over key, payload and metadata."
    )
    scope: str | None = Field(default=None, min_length=1, max_length=255)


class FilterUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expression: str = Field(min_length=1, max_length=4096)


class Filter(BaseModel):
    filter_id: uuid.UUID
    workflow: str
    scope: str | None = None
    expression: str
    version: int
    error: str | None = Field(default=None, description="The CEL error the router found.")
    updated_at: datetime


class CronRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=128)
    expression: str = Field(min_length=1, description="A cron expression, in UTC.")
    input: dict[str, JsonValue] = Field(default_factory=dict)
    catch_up: Literal["skip", "once"] = "skip"


class Cron(BaseModel):
    cron_id: uuid.UUID
    workflow: str
    name: str
    expression: str
    input: dict[str, JsonValue]
    catch_up: Literal["skip", "once"]
    source: str = Field(description="api: made by a call; spec: from the workflow's spec.")
    next_at: datetime | None = None
    last_tick_at: datetime | None = None
    last_run_id: uuid.UUID | None = None
    error: str | None = None


class Created(BaseModel):
    id: uuid.UUID


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(min_length=1, max_length=128)
    run_at: datetime
    input: JsonValue = Field(default_factory=dict)


class Schedule(BaseModel):
    schedule_id: uuid.UUID
    workflow: str
    input: JsonValue
    run_at: datetime
    run_id: uuid.UUID | None = Field(default=None, description="Set once the run started.")
    created_at: datetime


class Removed(BaseModel):
    removed: bool = Field(description="False when there was nothing left to remove.")


# --- limits -------------------------------------------------------------------------------


class RateLimitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate: float = Field(gt=0, description="Tokens added per period.")
    period: Duration = Field(default=1, description="Default: 1 second.")
    burst: float | None = Field(default=None, gt=0, description="Bucket size; default: rate.")


class RateLimit(BaseModel):
    name: str
    rate: float
    period_seconds: float
    burst: float
    buckets: int = Field(description="Keys with a bucket of their own.")
    tokens: float | None = Field(default=None, description="Tokens left (the unkeyed bucket).")


class ConcurrencyLimitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: int = Field(ge=1, description="Tasks of the action assigned or running at once.")


class ConcurrencyLimit(BaseModel):
    scope: Literal["tenant", "action"]
    name: str
    max_running: int
    running: int


# --- tenants and tokens -------------------------------------------------------------------


class TenantCaps(BaseModel):
    """A tenant's limits: absent (or null) keeps the current value, 0 removes the limit."""

    model_config = ConfigDict(extra="forbid")
    db_role: str | None = Field(
        default=None, description="A database login acting for it; empty removes it."
    )
    max_running: int | None = Field(default=None, ge=0, description="Tasks at once.")
    max_trigger_rate: float | None = Field(default=None, ge=0, description="Runs per second.")
    trigger_burst: int | None = Field(default=None, ge=0)
    max_payload_bytes: int | None = Field(default=None, ge=0)
    max_offload_bytes: int | None = Field(
        default=None, ge=0, description="The largest payload kept in object storage."
    )


class TenantRequest(TenantCaps):
    name: str = Field(min_length=1, max_length=128)


class Tenant(BaseModel):
    tenant_id: uuid.UUID
    name: str
    db_role: str | None = None
    max_running: int | None = None
    max_trigger_rate: float | None = None
    trigger_burst: int | None = None
    max_payload_bytes: int | None = None
    max_offload_bytes: int | None = None
    active_tokens: int
    created_at: datetime


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    expires_at: datetime | None = None


class NewToken(BaseModel):
    token_id: uuid.UUID
    tenant: str
    name: str
    token: str = Field(description="The secret: shown this once.")
    expires_at: datetime | None = None


class Token(BaseModel):
    token_id: uuid.UUID
    tenant: str
    name: str
    status: Literal["active", "revoked", "expired"]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


# --- stats --------------------------------------------------------------------------------


class WorkflowStats(BaseModel):
    """A workflow's task attempts that ended in the window, from the analytics store."""

    workflow: str
    attempts: int
    succeeded: int
    retried: int
    failed: int
    cancelled: int
    failure_rate: float | None = Field(description="failed / attempts; null without attempts.")
    per_minute: float = Field(description="Attempts ended per minute over the window.")
    wait_p50_ms: float | None = Field(default=None, description="Queue wait: ready to started.")
    wait_p99_ms: float | None = None
    run_p50_ms: float | None = Field(default=None, description="Run time: started to ended.")
    run_p99_ms: float | None = None


class WorkflowStatsPage(BaseModel):
    since: datetime
    until: datetime
    workflows: list[WorkflowStats]


class StepStats(BaseModel):
    step: str
    attempts: int
    failed: int
    retried: int
    wait_p50_ms: float | None = None
    wait_p95_ms: float | None = None
    wait_p99_ms: float | None = None
    run_p50_ms: float | None = None
    run_p95_ms: float | None = None
    run_p99_ms: float | None = None


class StepStatsPage(BaseModel):
    workflow: str
    since: datetime
    until: datetime
    steps: list[StepStats]


class QueueDepth(BaseModel):
    action: str
    ready: int = Field(description="Tasks a worker may claim now.")
    delayed: int = Field(description="Tasks waiting for their time (a retry's backoff).")
