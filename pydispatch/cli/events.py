"""`hewer events`, `hewer filters`, `hewer cron`, `hewer schedule` and `hewer quarantine`:
thin wrappers over the SQL API (pyworker.events.Events) and the leader's steps."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import click
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from pydispatch import db
from pydispatch.cli.access import add_tenant_option, connect
from pydispatch.cli.common import JSON_OPTION, emit, json_object, when
from pydispatch.errors import HewerError
from pydispatch.events import Router, Ticker
from pydispatch.queries import QUERIES
from pydispatch.schema import check_schema
from pyworker.events import Events


@contextmanager
def _events() -> Iterator[Events]:
    conn = connect()
    try:
        yield Events(conn)
    finally:
        conn.close()


# --- events ------------------------------------------------------------------------


@click.group(name="events")
def events_group() -> None:
    """Push events and see what they started."""


@events_group.command(name="push")
@click.argument("key")
@click.option("--payload", help="Event payload (a JSON object).")
@click.option("--metadata", help="Event metadata (a JSON object).")
@click.option("--scope", help="Only filters of this scope (or of none) see the event.")
def events_push(key: str, payload: str | None, metadata: str | None, scope: str | None) -> None:
    """Push an event with KEY (hewer.push_event); print its id."""
    body = json_object(payload, "--payload")
    meta = json_object(metadata, "--metadata")
    with _events() as events:
        click.echo(events.push(key, body, metadata=meta, scope=scope))


@events_group.command(name="show")
@click.argument("event_ids", nargs=-1, required=True)
@JSON_OPTION
def events_show(event_ids: tuple[str, ...]) -> None:
    """What the router decided for these events: runs started and filter errors."""
    with _events() as events:
        rows = events.matches(*event_ids)
    columns = ["event_id", "key", "workflow", "filter_id", "run_id", "error"]
    emit(rows, columns, "no runs or errors yet for these events")


@events_group.command(name="route")
def events_route() -> None:
    """Route the queued events once, here (the dispatcher's leader does this continuously)."""

    async def go() -> tuple[int, int, int]:
        async with await AsyncConnection.connect(
            db.database_url(), autocommit=True, row_factory=dict_row
        ) as conn:
            stats = await Router().drain(conn, max_batches=1000)
            return stats.messages, stats.runs, stats.errors

    with db.connect() as conn:
        check_schema(conn)
    messages, runs, errors = asyncio.run(go())
    click.echo(f"{messages} events routed, {runs} runs started, {errors} filter errors")


# --- filters -----------------------------------------------------------------------


@click.group(name="filters")
def filters_group() -> None:
    """CEL filters deciding which events start runs of a workflow (changed at runtime)."""


@filters_group.command(name="create")
@click.argument("workflow")
@click.argument("expression")
@click.option("--scope", help="Only see events pushed with this scope.")
def filters_create(workflow: str, expression: str, scope: str | None) -> None:
    """Add a CEL filter over key, payload and metadata to WORKFLOW; print its id."""
    with _events() as events:
        click.echo(events.create_filter(workflow, expression, scope=scope))


@filters_group.command(name="update")
@click.argument("filter_id")
@click.argument("expression")
def filters_update(filter_id: str, expression: str) -> None:
    """Replace a filter's expression; print its new version."""
    with _events() as events:
        click.echo(events.update_filter(filter_id, expression))


@filters_group.command(name="delete")
@click.argument("filter_id")
def filters_delete(filter_id: str) -> None:
    """Remove a filter."""
    with _events() as events:
        events.delete_filter(filter_id)


@filters_group.command(name="list")
@click.argument("workflow", required=False)
@JSON_OPTION
def filters_list(workflow: str | None) -> None:
    """List filters (of WORKFLOW, or all), with any parse error the router found."""
    with _events() as events:
        rows = events.filters(workflow)
    columns = ["filter_id", "workflow", "scope", "expression", "version", "error"]
    emit(rows, columns, "no filters")


# --- cron and schedule ---------------------------------------------------------------


@click.group(name="cron")
def cron_group() -> None:
    """Cron triggers (UTC): a run of a workflow at every tick."""


@cron_group.command(name="create")
@click.argument("workflow")
@click.argument("name")
@click.argument("expression")
@click.option("--input", "input_json", help="Run input (a JSON object).")
@click.option(
    "--catch-up",
    type=click.Choice(["skip", "once"]),
    default="skip",
    show_default=True,
    help="Ticks missed while no dispatcher ran: skip them, or fire once for them all.",
)
def cron_create(
    workflow: str, name: str, expression: str, input_json: str | None, catch_up: str
) -> None:
    """Create or replace cron NAME of WORKFLOW; print its id."""
    body = json_object(input_json, "--input")
    with _events() as events:
        click.echo(events.create_cron(workflow, name, expression, body, catch_up=catch_up))


@cron_group.command(name="delete")
@click.argument("workflow")
@click.argument("name")
def cron_delete(workflow: str, name: str) -> None:
    """Remove cron NAME of WORKFLOW."""
    with _events() as events:
        events.delete_cron(workflow, name)


@cron_group.command(name="list")
@click.argument("workflow", required=False)
@JSON_OPTION
def cron_list(workflow: str | None) -> None:
    """List crons with their next and last ticks."""
    with _events() as events:
        rows = events.crons(workflow)
    columns = ["workflow", "name", "expression", "catch_up", "next_at", "last_tick_at", "error"]
    emit(rows, columns, "no crons")


@cron_group.command(name="tick")
@click.option("--now", "now_text", metavar="TIMESTAMP", help="Act as if it were this time.")
def cron_tick(now_text: str | None) -> None:
    """Fire due cron ticks and scheduled runs once, here (the leader does this every reap)."""
    now = when(now_text, "--now") if now_text else None

    async def go() -> int:
        async with await AsyncConnection.connect(
            db.database_url(), autocommit=True, row_factory=dict_row
        ) as conn:
            return len(await Ticker().tick(conn, now))

    with db.connect() as conn:
        check_schema(conn)
    click.echo(f"{asyncio.run(go())} runs started")


@click.group(name="schedule")
def schedule_group() -> None:
    """One-off runs at a given time."""


@schedule_group.command(name="create")
@click.argument("workflow")
@click.option("--at", "run_at", required=True, metavar="TIMESTAMP", help="ISO 8601 (UTC if bare).")
@click.option("--input", "input_json", help="Run input (a JSON object).")
def schedule_create(workflow: str, run_at: str, input_json: str | None) -> None:
    """Start one run of WORKFLOW at a time; print the schedule id."""
    run_at_time = when(run_at, "--at")
    body = json_object(input_json, "--input")
    with _events() as events:
        click.echo(events.schedule(workflow, run_at_time, body))


@schedule_group.command(name="cancel")
@click.argument("schedule_id")
def schedule_cancel(schedule_id: str) -> None:
    """Cancel a scheduled run that has not started."""
    with _events() as events:
        if not events.cancel_schedule(schedule_id):
            raise HewerError(f"scheduled run {schedule_id} has already started; cancel the run")


# --- quarantine ----------------------------------------------------------------------

_KINDS = click.Choice(["event", "cron", "schedule", "wait", "partition"])


@click.group(name="quarantine")
def quarantine_group() -> None:
    """Items of the leader's work that keep failing: retried with backoff, then quarantined."""


@quarantine_group.command(name="list")
@click.option(
    "--kind", type=_KINDS, default=None, help="Only items of this kind (default: every kind)."
)
@JSON_OPTION
def quarantine_list(kind: str | None) -> None:
    """List failing and quarantined items (a tenant's own; a trusted role's: every tenant's)."""
    conn = connect()
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(QUERIES["quarantine_list"], {"kind": kind}).fetchall()
    finally:
        conn.close()
    columns = ["tenant", "kind", "item_id", "failures", "quarantined_at", "retry_at", "error"]
    emit(rows, columns, "nothing is failing")


@quarantine_group.command(name="release")
@click.argument("kind", type=_KINDS)
@click.argument("item_id")
def quarantine_release(kind: str, item_id: str) -> None:
    """Let the leader try KIND ITEM_ID again at once (after fixing what made it fail)."""
    conn = connect()
    try:
        conn.execute(QUERIES["quarantine_release"], {"kind": kind, "item_id": item_id})
    finally:
        conn.close()
    click.echo(f"released {kind} {item_id}")


# The leader's own steps (events route, cron tick) work across tenants.
add_tenant_option(
    [events_group, filters_group, cron_group, schedule_group, quarantine_group],
    skip=["route", "tick"],
)
