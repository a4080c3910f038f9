"""`hewer ratelimits` and `hewer limits`: token buckets and running-task limits, set and
listed at runtime over the SQL API (pydispatch.limits)."""

from __future__ import annotations

import click

from pydispatch import limits
from pydispatch.cli.access import add_tenant_option, connect
from pydispatch.cli.common import JSON_OPTION, HewerGroup, emit


@click.group(name="ratelimits", cls=HewerGroup)
def ratelimits_group() -> None:
    """Token-bucket rate limits that steps spend from (RateLimit in the SDK)."""


# Negative numbers are arguments (refused with a reason), not unknown options.
@ratelimits_group.command(name="set", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("rate", type=float)
@click.option("--period", default="1 second", show_default=True, help="Per how long (an interval).")
@click.option("--burst", type=float, help="Tokens a bucket saves up at most (default: the rate).")
@JSON_OPTION
def ratelimits_set(name: str, rate: float, period: str, burst: float | None) -> None:
    """Create or update rate limit NAME: RATE tokens per period."""
    with connect() as conn:
        rows = limits.rate_set(conn, name, rate, period, burst)
    emit(rows, limits.RATE_COLUMNS[:4], "(none)")


@ratelimits_group.command(name="list")
@JSON_OPTION
def ratelimits_list() -> None:
    """List the rate limits, their buckets and the tokens left in the static bucket."""
    with connect() as conn:
        rows = limits.rate_list(conn)
    emit(rows, limits.RATE_COLUMNS, "no rate limits")


@ratelimits_group.command(name="delete")
@click.argument("name")
def ratelimits_delete(name: str) -> None:
    """Delete rate limit NAME; steps that spend from it are no longer gated."""
    with connect() as conn:
        limits.rate_delete(conn, name)
    click.echo(f"deleted rate limit {name}")


@click.group(name="limits", cls=HewerGroup)
def limits_group() -> None:
    """Running-task limits for the whole tenant or for an action across workflows."""


@limits_group.command(name="set", context_settings={"ignore_unknown_options": True})
@click.argument("scope", type=click.Choice(["tenant", "action"]))
@click.argument("name")
@click.argument("max_running", metavar="MAX", type=int, required=False)
@JSON_OPTION
def limits_set(scope: str, name: str, max_running: int | None) -> None:
    """At most MAX running tasks for SCOPE NAME (tenant: name ""); no MAX removes the limit."""
    with connect() as conn:
        rows = limits.concurrency_set(conn, scope, name, max_running)
    emit(rows, limits.CONCURRENCY_COLUMNS[:3], "limit removed")


@limits_group.command(name="list")
@JSON_OPTION
def limits_list() -> None:
    """List tenant and action limits with how many tasks hold them."""
    with connect() as conn:
        rows = limits.concurrency_list(conn)
    emit(rows, limits.CONCURRENCY_COLUMNS, "no limits")


add_tenant_option([ratelimits_group, limits_group])
