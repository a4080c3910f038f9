"""Stats for the caller's tenant: outcomes, failure rate, queue wait and run time per
workflow and per step, from the analytics store's minute rollups (docs/history.md); and the
ready queue's depth per action, from the core."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

import psycopg
from fastapi import APIRouter, Query
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch import olap
from pydispatch.api.core import QUERIES, ApiError, Caller, Who
from pydispatch.api.models import (
    Problem,
    QueueDepth,
    StepStats,
    StepStatsPage,
    WorkflowStats,
    WorkflowStatsPage,
)

DEFAULT_WINDOW: Final = timedelta(hours=1)
NO_STORE: Final[dict[int | str, dict[str, Any]]] = {
    503: {"model": Problem, "description": "The analytics store is not set up yet."}
}

router = APIRouter(tags=["stats"])

Since = Annotated[
    datetime | None, Query(description="The window's start; default: an hour before `until`.")
]
Until = Annotated[datetime | None, Query(description="The window's end; default: now.")]


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or datetime.now(UTC)
    start = since or end - DEFAULT_WINDOW
    if start >= end:
        raise ApiError(
            422,
            "invalid_request",
            f"since: {start.isoformat()} is not before until ({end.isoformat()})",
            "Pass a since earlier than until, or leave both out for the last hour.",
        )
    return start, end


@asynccontextmanager
async def store(who: Caller) -> AsyncIterator[AsyncConnection[DictRow]]:
    """The analytics store: HEWER_OLAP_DATABASE_URL when set (a connection for this call:
    stats are read by people, not on a hot path), else the request's own connection."""
    url = os.environ.get(olap.STORE_ENV)
    try:
        if not url:
            yield who.conn
            return
        async with await AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row, application_name="hewer-api"
        ) as conn:
            yield conn
    except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
        raise ApiError(
            503,
            "no_analytics_store",
            "the analytics store is not set up yet",
            "The dispatchers' leader makes it on its first feed pass (or run hewer olap feed "
            "--once); see docs/history.md.",
        ) from None


async def _rows(who: Caller, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    async with store(who) as conn:
        cur = await conn.execute(QUERIES[name], {**params, "tenant": who.tenant})
        return await cur.fetchall()


@router.get("/v1/stats/workflows", responses=NO_STORE)
async def workflow_stats(who: Who, since: Since = None, until: Until = None) -> WorkflowStatsPage:
    """Per workflow, the task attempts that ended in the window: outcomes, failure rate,
    throughput, queue wait and run time percentiles."""
    start, end = window(since, until)
    minutes = (end - start).total_seconds() / 60
    rows = await _rows(who, "stats_workflows", {"since": start, "until": end})
    return WorkflowStatsPage(
        since=start,
        until=end,
        workflows=[
            WorkflowStats.model_validate({**r, "per_minute": r["attempts"] / minutes}) for r in rows
        ],
    )


@router.get("/v1/stats/workflows/{workflow}/steps", responses=NO_STORE)
async def step_stats(
    workflow: str, who: Who, since: Since = None, until: Until = None
) -> StepStatsPage:
    """Per step of a workflow, the task attempts that ended in the window, with p95s."""
    start, end = window(since, until)
    rows = await _rows(who, "stats_steps", {"workflow": workflow, "since": start, "until": end})
    return StepStatsPage(
        workflow=workflow,
        since=start,
        until=end,
        steps=[StepStats.model_validate(r) for r in rows],
    )


@router.get("/v1/stats/queue")
async def queue_depth(
    who: Who, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[QueueDepth]:
    """The ready queue by action, deepest first: tasks claimable now and tasks waiting for
    their time."""
    rows = await who.rows("stats_queue", {"limit": limit})
    return [QueueDepth.model_validate(r) for r in rows]
