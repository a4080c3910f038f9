"""`hewer olap` (the analytics feed and store) and `hewer stats` (what the store answers)."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from pydispatch import db, olap
from pydispatch.cli.common import JSON_OPTION, emit, fields
from pydispatch.errors import HewerError
from pydispatch.schema import check_schema
from pydispatch.tracing import Tracing
from pyworker.durations import parse_duration


@click.group(name="olap")
def olap_group() -> None:
    """The analytics store: feed it, see how far behind it is (docs/history.md)."""


@olap_group.command(name="feed")
@click.option("--once", is_flag=True, help="Feed until the queue is empty, then exit.")
@click.option("--batch", type=click.IntRange(1, 10000), default=20, help="Messages per batch.")
@click.option(
    "--visibility-timeout",
    "vt",
    type=click.IntRange(1, 3600),
    default=30,
    help="Seconds a batch stays hidden from other feeders (and is read again if this one dies).",
)
def olap_feed(once: bool, batch: int, vt: int) -> None:
    """Move the feed into the store (HEWER_OLAP_DATABASE_URL, else this database). The
    dispatchers' leader does this on every pass; run this for a store it cannot reach, or
    with HEWER_OLAP_FEED=off on the dispatchers."""
    core_url = db.database_url()
    with db.connect(core_url) as conn:
        check_schema(conn)
    tracing = Tracing("hewer-olap")
    tracing.start()  # exports run spans when OTEL_EXPORTER_OTLP_ENDPOINT is set
    feeder = olap.Feeder(olap.store_url(core_url), batch=batch, vt=vt, tracing=tracing)

    async def until_empty() -> olap.FeedStats:
        async with await AsyncConnection.connect(
            core_url, autocommit=True, row_factory=dict_row, application_name="hewer-olap"
        ) as core:
            try:
                while True:
                    await feeder.drain(core)
                    waiting, _ = await olap.lag(core)
                    if waiting == 0:
                        await feeder.refresh()
                        return feeder.total
                    await asyncio.sleep(0.2)  # batches another feeder holds come back after vt
            finally:
                await feeder.close()

    async def forever() -> olap.FeedStats:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        return await olap.feed_forever(core_url, feeder, stop)

    try:
        total = asyncio.run(until_empty() if once else forever())
    finally:
        tracing.stop()
    click.echo(
        f"fed {total.messages} messages: {total.events} events, {total.attempts} attempt facts, "
        f"{total.runs} run facts ({total.skipped} skipped: their rows were gone)"
    )


@olap_group.command(name="status")
@JSON_OPTION
def olap_status() -> None:
    """The feed's lag and the store's size."""
    core_url = db.database_url()

    async def go() -> dict[str, Any]:
        async with await AsyncConnection.connect(
            core_url, autocommit=True, row_factory=dict_row
        ) as core:
            waiting, oldest = await olap.lag(core)
        async with await AsyncConnection.connect(
            olap.store_url(core_url), autocommit=True, row_factory=dict_row
        ) as store:
            try:
                cur = await store.execute(olap.QUERIES["store_status"])
                row = await cur.fetchone()
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                row = None
        return {
            "queued_messages": waiting,
            "lag_seconds": round(oldest, 3),
            "store": db.redact(olap.store_url(core_url)),
            **(row or {"store_version": None}),
        }

    status = asyncio.run(go())
    fields(list(status.items()))


@click.command(name="stats")
@click.option("--since", default="1h", show_default=True, help="How far back: 15m, 1h, 7d, ...")
@click.option("--workflow", help="Per step of this workflow, with p95s.")
@click.option("--tenant", help="Only this tenant (by name); default: all.")
@JSON_OPTION
def stats_cmd(since: str, workflow: str | None, tenant: str | None) -> None:
    """Outcomes, failure rate, queue wait and run time percentiles per workflow (or per
    step of --workflow), from the analytics store's minute rollups."""
    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    until = datetime.now(UTC)
    start = until - timedelta(seconds=window)
    core_url = db.database_url()
    tenant_id = None
    if tenant is not None:
        with db.connect(core_url) as conn:
            row = conn.execute(olap.QUERIES["core_tenant"], {"name": tenant}).fetchone()
        if row is None:
            raise HewerError(f"no tenant is named {tenant!r}; see hewer tenants list")
        tenant_id = row[0]
    params = {"since": start, "until": until, "tenant": tenant_id, "workflow": workflow}
    try:
        with psycopg.connect(olap.store_url(core_url), row_factory=dict_row) as store:
            rows = store.execute(
                olap.QUERIES["store_steps" if workflow else "store_stats"], params
            ).fetchall()
    except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
        raise HewerError(
            "the analytics store is not set up yet: it is made by the feed (a running "
            "dispatcher, or hewer olap feed --once)"
        ) from None
    columns = (
        ["step", "attempts", "failed", "retried", "wait_p50_ms", "wait_p95_ms", "wait_p99_ms",
         "run_p50_ms", "run_p95_ms", "run_p99_ms"]
        if workflow
        else ["workflow", "attempts", "succeeded", "retried", "failed", "cancelled",
              "failure_rate", "wait_p50_ms", "wait_p99_ms", "run_p50_ms", "run_p99_ms"]
    )  # fmt: skip
    emit([dict(r) for r in rows], columns, f"no attempts ended in the last {since}")
