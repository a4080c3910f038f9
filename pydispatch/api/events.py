"""Events (push, list, show), event filters, crons and scheduled runs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from psycopg.types.json import Jsonb

from pydispatch.api import payloads
from pydispatch.api.core import ApiError, Who, not_found
from pydispatch.api.models import (
    Created,
    Cron,
    CronRequest,
    Event,
    EventDetail,
    EventMatch,
    EventPage,
    EventPushed,
    EventRequest,
    Filter,
    FilterRequest,
    FilterUpdate,
    Problem,
    Removed,
    Schedule,
    ScheduleRequest,
)

REFUSED: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": Problem},
    409: {"model": Problem},
}

router = APIRouter()


async def check_cel(expression: str) -> None:
    """Refuse an expression the event router could not compile (HW042), before it is
    stored; parsed in a thread, off the event loop."""
    from pyworker.cel import CelError, compile_expression  # noqa: PLC0415 - server extra

    try:
        await asyncio.to_thread(compile_expression, expression)
    except CelError as exc:
        raise ApiError(
            400,
            "invalid_filter",
            str(exc).splitlines()[0],
            "Write a CEL expression over key, payload and metadata, e.g. payload.total > 100.",
            code="HW042",
        ) from None


# --- events -------------------------------------------------------------------------------


@router.post("/v1/events", tags=["events"], status_code=201)
async def push_event(body: EventRequest, who: Who, request: Request) -> EventPushed:
    """Publish an event: the workflows subscribed to its key start runs, as filters say. A
    large payload is kept in the payload store (docs/payloads.md)."""
    row = await who.one(
        "push_event",
        {
            "key": body.key,
            "payload": await payloads.offload(request, who, "event", body.payload),
            "metadata": Jsonb(body.metadata),
            "scope": body.scope,
        },
    )
    return EventPushed(event_id=row["event_id"])


@router.get("/v1/events", tags=["events"])
async def list_events(
    who: Who,
    request: Request,
    key: Annotated[str | None, Query(min_length=1, description="Only this exact key.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        uuid.UUID | None, Query(description="An event id: the events older than it.")
    ] = None,
) -> EventPage:
    """Events pushed, newest first, a page at a time."""
    rows = await who.rows(
        "event_list", {"key": key, "limit": limit, "before": before, "event_ids": None}
    )
    for row in rows:
        row["payload"] = await payloads.resolve(request, who, row["payload"])
    events = [Event.model_validate(r) for r in rows]
    last = events[-1].event_id if len(events) == limit else None
    return EventPage(events=events, next_before=last)


@router.get("/v1/events/{event_id}", tags=["events"], responses=REFUSED)
async def get_event(event_id: uuid.UUID, who: Who, request: Request) -> EventDetail:
    """An event, and what the router made of it: the runs it started, the filters that
    failed on it (none yet: not routed yet, or it matched nothing)."""
    row = await who.row(
        "event_list", {"key": None, "limit": 1, "before": None, "event_ids": [event_id]}
    )
    if row is None:
        raise not_found(f"event {event_id}")
    row["payload"] = await payloads.resolve(request, who, row["payload"])
    rows = await who.rows("event_matches", {"event_id": event_id})
    matches = [EventMatch.model_validate(m) for m in rows]
    return EventDetail(**Event.model_validate(row).model_dump(), matches=matches)


# --- filters ------------------------------------------------------------------------------


@router.get("/v1/filters", tags=["filters"])
async def list_filters(who: Who, workflow: str | None = None) -> list[Filter]:
    """Event filters: which events start runs of which workflow."""
    return [Filter.model_validate(r) for r in await who.rows("filter_list", {"workflow": workflow})]


@router.post("/v1/filters", tags=["filters"], status_code=201, responses=REFUSED)
async def create_filter(body: FilterRequest, who: Who) -> Created:
    """A filter: events whose key the workflow subscribes to start a run when the CEL
    expression over key, payload and metadata is true."""
    await check_cel(body.expression)
    row = await who.one("filter_create", body.model_dump())
    return Created(id=row["id"])


@router.patch("/v1/filters/{filter_id}", tags=["filters"], responses=REFUSED)
async def update_filter(filter_id: uuid.UUID, body: FilterUpdate, who: Who) -> Filter:
    """Change a filter's expression."""
    await check_cel(body.expression)
    await who.one("filter_update", {"filter_id": filter_id, "expression": body.expression})
    for row in await who.rows("filter_list", {"workflow": None}):
        if row["filter_id"] == filter_id:
            return Filter.model_validate(row)
    raise not_found(f"filter {filter_id}")


@router.delete("/v1/filters/{filter_id}", tags=["filters"], responses=REFUSED)
async def delete_filter(filter_id: uuid.UUID, who: Who) -> Removed:
    """Remove a filter."""
    row = await who.one("filter_delete", {"filter_id": filter_id})
    return Removed(removed=row["removed"])


# --- crons --------------------------------------------------------------------------------


@router.get("/v1/crons", tags=["crons"])
async def list_crons(who: Who, workflow: str | None = None) -> list[Cron]:
    """Cron triggers, from specs and from calls, with their next and last ticks."""
    return [Cron.model_validate(r) for r in await who.rows("cron_list", {"workflow": workflow})]


@router.post("/v1/crons", tags=["crons"], status_code=201, responses=REFUSED)
async def create_cron(body: CronRequest, who: Who) -> Created:
    """A named cron trigger of a workflow (UTC)."""
    row = await who.one("cron_create", {**body.model_dump(), "input": Jsonb(body.input)})
    return Created(id=row["id"])


@router.delete("/v1/crons/{workflow}/{name}", tags=["crons"], responses=REFUSED)
async def delete_cron(workflow: str, name: str, who: Who) -> Removed:
    """Remove a cron trigger made by a call (a spec's go with a new version)."""
    row = await who.one("cron_delete", {"workflow": workflow, "name": name})
    return Removed(removed=row["removed"])


# --- schedules ----------------------------------------------------------------------------


@router.get("/v1/schedules", tags=["schedules"])
async def list_schedules(
    who: Who,
    workflow: str | None = None,
    pending_only: Annotated[bool, Query(description="Leave out those that started.")] = True,
) -> list[Schedule]:
    """Scheduled runs, soonest first."""
    rows = await who.rows("schedule_list", {"workflow": workflow, "pending_only": pending_only})
    return [Schedule.model_validate(r) for r in rows]


@router.post("/v1/schedules", tags=["schedules"], status_code=201, responses=REFUSED)
async def create_schedule(body: ScheduleRequest, who: Who) -> Created:
    """A run of a workflow to start at a time."""
    row = await who.one(
        "run_schedule",
        {"workflow": body.workflow, "input": Jsonb(body.input), "run_at": body.run_at},
    )
    return Created(id=row["id"])


@router.delete("/v1/schedules/{schedule_id}", tags=["schedules"], responses=REFUSED)
async def cancel_schedule(schedule_id: uuid.UUID, who: Who) -> Removed:
    """Cancel a scheduled run that has not started (false: it had; cancel the run)."""
    if not (await who.one("schedule_owned", {"schedule_id": schedule_id}))["owned"]:
        raise not_found(f"scheduled run {schedule_id}")
    row = await who.one("schedule_cancel", {"schedule_id": schedule_id})
    return Removed(removed=row["removed"])
