"""Runs: trigger, read, list, cancel, replay, children, lineage, logs, events, and live
streams of a run and of the runs matching a filter; tasks: attempts and logs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Final

import psycopg
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from psycopg.types.json import Jsonb

from pydispatch.api import payloads
from pydispatch.api.core import (
    ApiError,
    Caller,
    Who,
    as_tenant,
    bearer_of,
    database_problem,
    not_found,
)
from pydispatch.api.models import (
    Attempt,
    Cancelled,
    CancelledMany,
    CancelMatchingRequest,
    ChildRun,
    Lineage,
    LogLine,
    LogPage,
    OutputChunk,
    Problem,
    Replayed,
    ReplayRequest,
    Run,
    RunEvent,
    RunPage,
    RunStatus,
    RunSummary,
    TaskAttempts,
    TaskEvent,
    Triggered,
    TriggerRequest,
)
from pydispatch.output import OutputFollower
from pydispatch.tracing import Tracing
from pyworker.tracing import TRACEPARENT

# A run's event stream polls this often, and re-reads this far behind the newest event it
# sent (an event committed late can sort before one already read; see hewer.run_events).
STREAM_POLL: Final = 0.5
STREAM_REREAD_MS: Final = 10_000
#: Output chunks read per query while following a run's output.
OUTPUT_PAGE: Final = 1000
# The run-changes stream re-reads at least this often without a notification, at most
# this often with them, and sends a comment line when idle this long (proxies drop idle
# connections).
CHANGES_FALLBACK: Final = 2.0
CHANGES_COALESCE: Final = 0.1
KEEPALIVE: Final = 15.0
TERMINAL: Final = frozenset({"succeeded", "failed", "cancelled"})
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: {"model": Problem}}
SSE_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

router = APIRouter(tags=["runs"])


def metadata_filter(metadata: str | None) -> Any:
    """The `metadata` query parameter (a JSON object of tags), parsed."""
    if metadata is None:
        return None
    try:
        tags = json.loads(metadata)
    except ValueError:
        tags = None
    if not isinstance(tags, dict):
        raise ApiError(
            422,
            "invalid_request",
            f"metadata: not a JSON object: {metadata!r}",
            'Pass a JSON object of tags, e.g. {"customer": "acme"}.',
        )
    return Jsonb(tags)


LogAfter = Annotated[uuid.UUID | None, Query(description="A log_id: the lines written after it.")]
LogLimit = Annotated[int, Query(ge=1, le=10000)]


def log_page(rows: list[dict[str, Any]], after: uuid.UUID | None) -> LogPage:
    """Log lines as a page: pass `next_after` back for the lines written since."""
    lines = [LogLine.model_validate(r) for r in rows]
    return LogPage(lines=lines, next_after=lines[-1].log_id if lines else after)


MetadataQuery = Annotated[
    str | None, Query(description='Tags the runs carry, as a JSON object: {"k": "v"}')
]


@router.post("/v1/runs", status_code=201, responses=NOT_FOUND)
async def trigger_run(body: TriggerRequest, who: Who, request: Request) -> Triggered:
    """Start a run of a workflow (the current version). A W3C `traceparent` header makes the
    run's trace a part of the caller's (docs/observability.md#traces). A large input is kept
    in the payload store (docs/payloads.md)."""
    tracing: Tracing = request.app.state.tracing
    run_input = await payloads.offload(request, who, "input", body.input)
    carrier = {TRACEPARENT: request.headers.get(TRACEPARENT, "")}
    with tracing.trigger(body.workflow, carrier, who.tenant) as traceparent:
        metadata = dict(body.metadata)
        if traceparent is not None:
            metadata.setdefault(TRACEPARENT, traceparent)
        row = await who.one(
            "run_trigger",
            {
                "workflow": body.workflow,
                "input": run_input,
                "priority": body.priority,
                "idempotency_key": body.idempotency_key,
                "metadata": Jsonb(metadata),
            },
        )
    return Triggered(run_id=row["run_id"], created=row["created"])


@router.get("/v1/runs")
async def list_runs(
    who: Who,
    request: Request,
    workflow: str | None = None,
    status: Annotated[list[RunStatus] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    replay_of: uuid.UUID | None = None,
    metadata: MetadataQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        uuid.UUID | None, Query(description="A run id: the runs older than it.")
    ] = None,
) -> RunPage:
    """Runs matching every filter given, newest first, a page at a time."""
    rows = await who.rows(
        "run_list",
        {
            "workflow": workflow,
            "statuses": status,
            "since": since,
            "until": until,
            "input": None,
            "replay_of": replay_of,
            "limit": limit,
            "before": before,
            "metadata": metadata_filter(metadata),
        },
    )
    for row in rows:
        row["input"] = await payloads.resolve(request, who, row["input"])
    runs = [RunSummary.model_validate(r) for r in rows]
    return RunPage(runs=runs, next_before=runs[-1].run_id if len(runs) == limit else None)


@router.get(
    "/v1/runs/changes",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: first `event: run` with each matching run "
            "(newest `limit`, oldest first) as a RunSummary, then `event: run` again each "
            "time one of them, or a new matching run, changes (status, task counts). On "
            "reconnect the client gets the current state again, so it misses nothing.",
        },
    },
)
async def run_changes(
    request: Request,
    workflow: str | None = None,
    status: Annotated[list[RunStatus] | None, Query()] = None,
    metadata: MetadataQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Runs watched: the newest.")] = 100,
) -> StreamingResponse:
    """The runs matching a filter, live: their current state, then each change, woken by
    the engine's notifications (and re-read every 2 s for changes none announces)."""
    token = bearer_of(request)
    params = {
        "workflow": workflow,
        "statuses": status,
        "since": None,
        "until": None,
        "input": None,
        "replay_of": None,
        "limit": limit,
        "before": None,
        "metadata": metadata_filter(metadata),
    }
    await as_tenant(request, token, "run_list", params)  # the token, the filter: now, not later
    changes = request.app.state.changes

    async def events() -> AsyncIterator[str]:
        sent: dict[uuid.UUID, str] = {}
        idle = 0.0
        while True:
            seen = changes.generation
            try:
                rows = await as_tenant(request, token, "run_list", params)
            except psycopg.Error as exc:
                problem = database_problem(exc).model_dump_json(exclude_none=True)
                yield f"event: error\ndata: {problem}\n\n"
                return
            current: dict[uuid.UUID, str] = {}
            for row in reversed(rows):
                data = RunSummary.model_validate(row).model_dump_json()
                current[row["run_id"]] = data
                if sent.get(row["run_id"]) != data:
                    idle = 0.0
                    # Compared as stored; a large input is read only when its run changed.
                    try:
                        row["input"] = await payloads.resolve_for_token(
                            request, token, row["input"]
                        )
                    except ApiError as exc:
                        problem = exc.problem.model_dump_json(exclude_none=True)
                        yield f"event: error\ndata: {problem}\n\n"
                        return
                    resolved = RunSummary.model_validate(row).model_dump_json()
                    yield f"event: run\ndata: {resolved}\n\n"
            sent = current
            if idle >= KEEPALIVE:
                idle = 0.0
                yield ": keep-alive\n\n"
            started = asyncio.get_running_loop().time()
            await changes.wait(seen, CHANGES_FALLBACK)
            await asyncio.sleep(CHANGES_COALESCE)
            idle += asyncio.get_running_loop().time() - started

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/v1/runs/cancel")
async def cancel_matching(body: CancelMatchingRequest, who: Who) -> CancelledMany:
    """Cancel every queued or running run matching all the filters given (at least one)."""
    if not body.model_fields_set - {"status"} and body.status is None:
        raise ApiError(
            422,
            "invalid_request",
            "body: no filter given: that would cancel every run",
            "Pass a workflow, status, since, until or metadata filter.",
        )
    rows = await who.rows(
        "run_cancel_matching",
        {
            "workflow": body.workflow,
            "statuses": body.status or ["queued", "running"],
            "since": body.since,
            "until": body.until,
            "metadata": None if body.metadata is None else Jsonb(body.metadata),
        },
    )
    runs = [Cancelled.model_validate(r) for r in rows]
    return CancelledMany(cancelled=sum(r.cancelled for r in runs), runs=runs)


@router.get("/v1/runs/{run_id}", responses=NOT_FOUND)
async def get_run(run_id: uuid.UUID, who: Who, request: Request) -> Run:
    """A run: input, output, error, and each task with its attempt, output and error
    (payloads kept in the payload store resolved)."""
    row = await who.row("run_get", {"run_id": run_id})
    if row is None:
        raise not_found(f"run {run_id}")
    return Run.model_validate(await _resolved_run(request, who, row))


async def _resolved_run(request: Request, who: Caller, row: dict[str, Any]) -> dict[str, Any]:
    """A run_get row with the payload references in its input, output and tasks resolved."""
    columns = ("input", "output", "tasks")
    values = await payloads.resolve(request, who, [row[c] for c in columns])
    return {**row, **dict(zip(columns, values, strict=True))}


@router.post("/v1/runs/{run_id}/cancel", responses=NOT_FOUND)
async def cancel_run(run_id: uuid.UUID, who: Who) -> Cancelled:
    """Cancel a run: its waiting tasks at once, its running ones on their workers."""
    row = await who.row("run_cancel", {"run_id": run_id})
    if row is None or row["status"] is None:
        raise not_found(f"run {run_id}")
    return Cancelled.model_validate(row)


@router.post(
    "/v1/runs/{run_id}/replay",
    status_code=201,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def replay_run(run_id: uuid.UUID, who: Who, body: ReplayRequest | None = None) -> Replayed:
    """Run a failed or cancelled run again, as a new run on the same version."""
    start_from = (body or ReplayRequest()).start_from
    row = await who.one("run_replay", {"run_id": run_id, "start_from": start_from})
    return Replayed.model_validate(row)


@router.get("/v1/runs/{run_id}/logs", responses=NOT_FOUND)
async def run_logs(
    run_id: uuid.UUID,
    who: Who,
    after: LogAfter = None,
    limit: LogLimit = 1000,
) -> LogPage:
    """What the run's tasks logged, oldest first."""
    if await who.row("run_get", {"run_id": run_id}) is None:
        raise not_found(f"run {run_id}")
    rows = await who.rows("run_logs", {"run_id": run_id, "after": after, "limit": limit})
    return log_page(rows, after)


@router.get("/v1/runs/{run_id}/events", responses=NOT_FOUND)
async def run_events(
    run_id: uuid.UUID,
    who: Who,
    after: Annotated[
        uuid.UUID | None, Query(description="An event_id: the events after it.")
    ] = None,
) -> list[RunEvent]:
    """The run's task events (its history), oldest first."""
    if await who.row("run_get", {"run_id": run_id}) is None:
        raise not_found(f"run {run_id}")
    rows = await who.rows("run_events", {"run_id": run_id, "after": after})
    return [RunEvent.model_validate(r) for r in rows]


@router.get(
    "/v1/runs/{run_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: each task event as `event: task` with the "
            "RunEvent as data and its event_id as id, then `event: run` with the Run once "
            "it has finished, and the stream ends.",
        },
        404: {"model": Problem},
    },
)
async def stream_run(
    request: Request,
    run_id: uuid.UUID,
    last_event_id: Annotated[
        uuid.UUID | None,
        Header(description="The id of the last event received: resume after it."),
    ] = None,
) -> StreamingResponse:
    """A run's task events live (server-sent events), then the finished run. A client
    that reconnects with Last-Event-ID gets what it missed."""
    token = bearer_of(request)
    if not await as_tenant(request, token, "run_get", {"run_id": run_id}):
        raise not_found(f"run {run_id}")

    async def events() -> AsyncIterator[str]:
        seen: set[uuid.UUID] = set()
        after = last_event_id
        while True:
            try:
                [run] = await as_tenant(request, token, "run_get", {"run_id": run_id})
                rows = await as_tenant(
                    request, token, "run_events", {"run_id": run_id, "after": after}
                )
            except psycopg.Error as exc:
                # Say why the stream ends (a token revoked meanwhile, the database gone).
                problem = database_problem(exc).model_dump_json(exclude_none=True)
                yield f"event: error\ndata: {problem}\n\n"
                return
            for row in rows:
                event = RunEvent.model_validate(row)
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                yield f"id: {event.event_id}\nevent: task\ndata: {event.model_dump_json()}\n\n"
            if rows:
                newest = max(r["event_id"] for r in rows)
                ms = (newest.int >> 80) - STREAM_REREAD_MS
                after = max(uuid.UUID(int=max(ms, 0) << 80), last_event_id or uuid.UUID(int=0))
            if run["status"] in TERMINAL:
                try:
                    columns = ("input", "output", "tasks")
                    values = await payloads.resolve_for_token(
                        request, token, [run[c] for c in columns]
                    )
                except ApiError as exc:
                    problem = exc.problem.model_dump_json(exclude_none=True)
                    yield f"event: error\ndata: {problem}\n\n"
                    return
                run = {**run, **dict(zip(columns, values, strict=True))}
                yield f"event: run\ndata: {Run.model_validate(run).model_dump_json()}\n\n"
                return
            await asyncio.sleep(STREAM_POLL)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


@router.get(
    "/v1/runs/{run_id}/output",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: each chunk as `event: chunk` with the "
            "OutputChunk as data and its chunk_id as id; once the run has finished and its "
            "last chunks are sent, `event: end` with the Run, and the stream ends.",
        },
        404: {"model": Problem},
    },
)
async def stream_output(
    request: Request,
    run_id: uuid.UUID,
    task_id: Annotated[uuid.UUID | None, Query(description="Only this task's chunks.")] = None,
    last_event_id: Annotated[
        uuid.UUID | None,
        Header(description="The chunk_id of the last chunk received: resume after it."),
    ] = None,
) -> StreamingResponse:
    """A run's streamed task output (ctx.stream) as server-sent events: every chunk already
    written, then each new one as it is written, until the run has finished. A client that
    reconnects with Last-Event-ID gets what it missed."""
    token = bearer_of(request)
    if not await as_tenant(request, token, "run_get", {"run_id": run_id}):
        raise not_found(f"run {run_id}")
    changes = request.app.state.changes

    async def chunks() -> AsyncIterator[str]:
        follower = OutputFollower(last_event_id)
        while True:
            seen = changes.generation
            try:
                # The status first: a run's chunks commit before the completion that ends it.
                [run] = await as_tenant(request, token, "run_get", {"run_id": run_id})
                # From a window behind the newest chunk sent, then page by page: a full page
                # of chunks already sent must not be read again and again.
                after = follower.cursor()
                while True:
                    params = {
                        "run_id": run_id,
                        "after": after,
                        "task_id": task_id,
                        "limit": OUTPUT_PAGE,
                    }
                    rows = await as_tenant(request, token, "run_output", params)
                    for row in follower.new(rows):
                        chunk = OutputChunk.model_validate(row)
                        data = chunk.model_dump_json()
                        yield f"id: {chunk.chunk_id}\nevent: chunk\ndata: {data}\n\n"
                    if len(rows) < OUTPUT_PAGE:
                        break
                    after = rows[-1]["chunk_id"]
            except psycopg.Error as exc:
                problem = database_problem(exc).model_dump_json(exclude_none=True)
                yield f"event: error\ndata: {problem}\n\n"
                return
            if run["status"] in TERMINAL:
                yield f"event: end\ndata: {Run.model_validate(run).model_dump_json()}\n\n"
                return
            # Woken by hewer_output (a chunk written) or a finished run; re-read anyway.
            await changes.wait(seen, STREAM_POLL)

    return StreamingResponse(chunks(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/v1/runs/{run_id}/children", responses=NOT_FOUND)
async def run_children(run_id: uuid.UUID, who: Who) -> list[ChildRun]:
    """The runs this run's tasks spawned, oldest first."""
    if await who.row("run_get", {"run_id": run_id}) is None:
        raise not_found(f"run {run_id}")
    return [ChildRun.model_validate(r) for r in await who.rows("run_children", {"run_id": run_id})]


@router.get("/v1/runs/{run_id}/lineage", responses=NOT_FOUND)
async def run_lineage(run_id: uuid.UUID, who: Who) -> Lineage:
    """The run this one replays, and the runs that replay it."""
    row = await who.row("run_lineage", {"run_id": run_id})
    if row is None:
        raise not_found(f"run {run_id}")
    return Lineage.model_validate(row)


# --- tasks ------------------------------------------------------------------------------


@router.get("/v1/tasks/{task_id}/attempts", tags=["tasks"], responses=NOT_FOUND)
async def task_attempts(task_id: uuid.UUID, who: Who) -> TaskAttempts:
    """A task's attempts, each with its worker, times, error and events."""
    task = await who.row("task_get", {"task_id": task_id})
    if task is None:
        raise not_found(f"task {task_id}")
    attempts: dict[int, list[TaskEvent]] = {}
    for row in await who.rows("task_history", {"task_id": task_id}):
        event = TaskEvent.model_validate(row)
        attempts.setdefault(event.attempt, []).append(event)
    return TaskAttempts(
        task_id=task_id,
        run_id=task["run_id"],
        step=task["step"],
        attempts=[_attempt(n, events) for n, events in sorted(attempts.items()) if n > 0],
    )


def _attempt(number: int, events: list[TaskEvent]) -> Attempt:
    last = events[-1]
    ended = last.kind not in ("assigned", "started", "cancel_requested")
    errors = [e.data["error"] for e in events if isinstance(e.data, dict) and "error" in e.data]
    return Attempt(
        attempt=number,
        outcome=last.kind,
        worker_id=next((e.worker_id for e in reversed(events) if e.worker_id), None),
        assigned_at=next((e.created_at for e in events if e.kind == "assigned"), None),
        started_at=next((e.created_at for e in events if e.kind == "started"), None),
        finished_at=last.created_at if ended else None,
        error=errors[-1] if errors else None,
        events=events,
    )


@router.get("/v1/tasks/{task_id}/logs", tags=["tasks"], responses=NOT_FOUND)
async def task_logs(
    task_id: uuid.UUID,
    who: Who,
    after: LogAfter = None,
    limit: LogLimit = 1000,
) -> LogPage:
    """What one task logged, every attempt, oldest first."""
    if await who.row("task_get", {"task_id": task_id}) is None:
        raise not_found(f"task {task_id}")
    rows = await who.rows("task_logs", {"task_id": task_id, "after": after, "limit": limit})
    return log_page(rows, after)
