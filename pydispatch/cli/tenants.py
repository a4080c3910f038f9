"""`hewer tenants` (create, update, list, guard, caps) and `hewer tokens` (create, list,
revoke): thin wrappers over the SQL API (docs/tenants.md), run by a role trusted with every
tenant."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import click

from pydispatch.cli import access
from pydispatch.cli.access import connect
from pydispatch.cli.common import JSON_OPTION, emit, text
from pydispatch.errors import HewerError
from pyworker.durations import parse_duration

TENANT_COLUMNS: Final = [
    "name",
    "tenant_id",
    "db_role",
    "max_running",
    "max_trigger_rate",
    "trigger_burst",
    "max_payload_bytes",
    "max_offload_bytes",
    "active_tokens",
    "created_at",
]
TOKEN_COLUMNS: Final = [
    "token_id",
    "tenant",
    "name",
    "status",
    "created_at",
    "expires_at",
    "revoked_at",
]

_SIZE: Final = re.compile(r"^\s*(\d+)\s*(b|kb|mb|gb|tb)?\s*$", re.IGNORECASE)
_SIZE_UNITS: Final = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


# --- option values -----------------------------------------------------------------


def _integer(option: str) -> Any:
    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise HewerError(
                f"{option} {value!r} is not a whole number: pass e.g. {option} 10 "
                "(0 removes the limit)"
            ) from None

    return parse


def _rate(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise HewerError(
            f"--max-trigger-rate {value!r} is not a number: pass runs or events per second, "
            "e.g. --max-trigger-rate 50 (0 removes the limit)"
        ) from None


def parse_size(value: str, option: str = "--max-payload-bytes") -> int:
    """Bytes in "1048576", "64kB", "16MB", "1GB" (units of 1024, as PostgreSQL counts)."""
    match = _SIZE.match(value)
    if match is None:
        raise HewerError(
            f"{option} {value!r} is not a size: pass bytes or a number with kB, MB or GB, "
            f"e.g. {option} 16MB (0 removes the limit)"
        )
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else parse_size(value)


def _offload_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else parse_size(value, "--max-offload-bytes")


def _limit_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--role", help="The database role whose sessions are this tenant ('' unmaps)."
            ),
            click.option(
                "--max-running",
                metavar="N",
                callback=_integer("--max-running"),
                help="Running tasks of the tenant at once (0: no limit).",
            ),
            click.option(
                "--max-trigger-rate",
                metavar="R",
                callback=_rate,
                help="Runs started plus events pushed per second (0: no limit).",
            ),
            click.option(
                "--trigger-burst",
                metavar="B",
                callback=_integer("--trigger-burst"),
                help="How many the trigger rate lets through at once (default: the rate).",
            ),
            click.option(
                "--max-payload-bytes",
                metavar="SIZE",
                callback=_size,
                help="The largest input, output or event payload, e.g. 16MB (0: no limit).",
            ),
            click.option(
                "--max-offload-bytes",
                metavar="SIZE",
                callback=_offload_size,
                help="The largest payload kept in object storage, e.g. 256MB (0: the "
                "database's hewer.max_offload_bytes).",
            ),
        ]
    ):
        func = option(func)
    return func


# --- tenants -----------------------------------------------------------------------


@click.group(name="tenants")
def tenants_group() -> None:
    """Tenants: create, update, list (a role trusted with every tenant; docs/tenants.md)."""


@JSON_OPTION
def _tenant_call(function: str, params: dict[str, Any]) -> None:
    with connect() as conn:
        rows = access.rows(conn, function, params)
    emit(rows, TENANT_COLUMNS, "no tenant")


@tenants_group.command(name="create")
@click.argument("name")
@_limit_options
def tenants_create(name: str, **limits: Any) -> None:
    """Create tenant NAME, with a database role and limits if given."""
    _tenant_call("tenant_create", {"name": name, **limits})


@tenants_group.command(name="update")
@click.argument("name")
@_limit_options
def tenants_update(name: str, **limits: Any) -> None:
    """Change tenant NAME: the options given (0 removes a limit, --role '' the role)."""
    if all(v is None for v in limits.values()):
        raise HewerError(
            "hewer tenants update: nothing to change: pass --role, --max-running, "
            "--max-trigger-rate, --trigger-burst, --max-payload-bytes or --max-offload-bytes"
        )
    _tenant_call("tenant_update", {"name": name, **limits})


@tenants_group.command(name="list")
@JSON_OPTION
def tenants_list() -> None:
    """List the tenants with their role, limits and active tokens."""
    with connect() as conn:
        rows = access.rows(conn, "tenant_list")
    emit(rows, TENANT_COLUMNS, "no tenants")


def _seconds(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return timedelta(seconds=parse_duration(value, f"--{param.name}".replace("_", "-")))
    except ValueError as exc:
        raise click.BadParameter(f"{exc} (e.g. 30s, 2m; 0 removes the guard)") from None


@tenants_group.command(name="guard")
@click.argument("name")
@click.option(
    "--max-connections",
    type=click.IntRange(min=0),
    default=None,
    help="Sessions the tenant's role may have at once (0: no limit; default: leave as it is).",
)
@click.option(
    "--statement-timeout",
    callback=_seconds,
    default=None,
    help="Longest statement of the role's sessions, e.g. 30s (0: none; default: leave as it is).",
)
@click.option(
    "--idle-timeout",
    "idle_in_transaction_timeout",
    callback=_seconds,
    default=None,
    help="Longest idle time inside a transaction before the server ends the session "
    "(default: leave as it is).",
)
@JSON_OPTION
def tenants_guard(name: str, **guards: Any) -> None:
    """Show or set the server guards of tenant NAME's database role (needs CREATEROLE)."""
    with connect() as conn:
        rows = access.rows(
            conn,
            "tenant_guard",
            {"name": name, **guards},
        )
    columns = ["role", "max_connections", "statement_timeout", "idle_in_transaction_timeout"]
    emit(rows, columns, "no role")


@tenants_group.command(name="caps")
@click.argument("name")
@click.option(
    "--max-crons",
    type=click.IntRange(min=1),
    default=None,
    help="Set: at most this many cron triggers (default: leave as it is).",
)
@click.option(
    "--max-filters",
    type=click.IntRange(min=1),
    default=None,
    help="Set: at most this many event filters (default: leave as it is).",
)
@click.option(
    "--max-pending-schedules",
    type=click.IntRange(min=1),
    default=None,
    help="Set: at most this many runs scheduled and not yet fired (default: leave as it is).",
)
@click.option(
    "--max-workflows",
    type=click.IntRange(min=1),
    default=None,
    help="Set: at most this many workflows (default: leave as it is).",
)
@click.option(
    "--min-cron-interval",
    callback=_seconds,
    default=None,
    help="How often the tenant's crons may fire at most, e.g. 1m (1s: every second; "
    "default: leave as it is).",
)
@JSON_OPTION
def tenants_caps(name: str, **caps: Any) -> None:
    """Show or set tenant NAME's caps on crons, filters, pending schedules and workflows."""
    with connect() as conn:
        rows = access.rows(
            conn,
            "tenant_caps",
            {"name": name, **caps},
        )
    columns = [
        "tenant",
        "max_crons",
        "max_filters",
        "max_pending_schedules",
        "max_workflows",
        "min_cron_interval",
    ]
    emit(rows, columns, "no tenant")


# --- tokens ------------------------------------------------------------------------


@click.group(name="tokens")
def tokens_group() -> None:
    """API tokens for gRPC clients and workers (HEWER_TOKEN): create, list, revoke."""


@tokens_group.command(name="create")
@click.argument("name")
@click.option(
    "--tenant",
    help="The tenant the token acts for (default $HEWER_TENANT, else the default tenant).",
)
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="Expire after this long, e.g. 30d, 12h, 90m (default: never).",
)
def tokens_create(name: str, tenant: str | None, expires_in: str | None) -> None:
    """Create API token NAME and print it (only this once: only its hash is kept)."""
    expires_at = None
    if expires_in is not None:
        seconds = parse_duration(expires_in, "--expires-in")
        if seconds <= 0:
            raise HewerError(f"--expires-in must be longer than 0, got {expires_in!r}; e.g. 30d")
        expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
    with connect() as conn:
        [row] = access.rows(conn, "token_create", (name, tenant, expires_at))
    click.echo(row["token"])
    expiry = f"expires {text(row['expires_at'])}" if row["expires_at"] else "does not expire"
    click.echo(
        f"token {row['token_id']} ({row['name']}) for tenant {row['tenant']}, {expiry}. "
        "It is shown only once: store it now (e.g. as HEWER_TOKEN); revoke it with: "
        f"hewer tokens revoke {row['token_id']}",
        err=True,
    )


@tokens_group.command(name="list")
@click.option("--tenant", help="Only this tenant's tokens (default: every tenant's).")
@JSON_OPTION
def tokens_list(tenant: str | None) -> None:
    """List API tokens (never their secrets): status active, expired or revoked."""
    with connect() as conn:
        rows = access.rows(conn, "token_list", (tenant,))
    emit(rows, TOKEN_COLUMNS, "no tokens")


@tokens_group.command(name="revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> None:
    """Revoke token TOKEN_ID: calls presenting it are refused, its worker streams end."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        raise HewerError(
            f"{token_id!r} is not a token id (a UUID): list them with: hewer tokens list"
        ) from None
    with connect() as conn:
        [row] = access.rows(conn, "token_revoke", (parsed,))
    if row["revoked"]:
        click.echo(f"revoked token {parsed}: calls presenting it are refused from now on")
    else:
        click.echo(f"token {parsed} was revoked already")
