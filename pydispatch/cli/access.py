"""How the commands that work in the database reach it: a connection whose schema matches
this hewer, acting for the tenant --tenant (or $HEWER_TENANT) names, and rows as dicts.

Tenants and tokens are managed over SQL (hewer.tenant_create, token_create, ...: docs/
tenants.md) by a role trusted with every tenant. The commands that work on a tenant's data
directly in the database (`hewer runs`, `workflows`, `events`, `cron`, ...) take
`--tenant NAME`: `connect()` resolves the name and sets hewer.tenant on the connection, the
one place where this happens.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import click
import psycopg
from psycopg.rows import dict_row, tuple_row

from pydispatch import db
from pydispatch.errors import HewerError
from pydispatch.schema import check_schema
from pyworker.sqlfile import load

QUERIES: Final = load(Path(__file__).with_name("queries.sql"))

TENANT_ENV: Final = "HEWER_TENANT"
_META_KEY: Final = "hewer.tenant"


# --- acting for a tenant -----------------------------------------------------------


def chosen_tenant() -> str | None:
    """The tenant name from --tenant (or $HEWER_TENANT); None: the default tenant."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and _META_KEY in ctx.meta:
        value: str | None = ctx.meta[_META_KEY]
        return value
    return os.environ.get(TENANT_ENV) or None


def act_for(conn: psycopg.Connection[Any], name: str) -> uuid.UUID:
    """Make `conn` act for tenant `name` (the hewer.tenant setting); its id."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(QUERIES["tenant_id"], (name,)).fetchone()
        if row is None:
            raise HewerError(
                f"tenant {name!r} does not exist (or this database role may not act for it): "
                "list the tenants with: hewer tenants list"
            )
        cur.execute(QUERIES["act_for"], (str(row[0]),))
    tenant: uuid.UUID = row[0]
    return tenant


def connect(tenant: str | None = None) -> psycopg.Connection[Any]:
    """A connection to a database whose schema matches this hewer, acting for `tenant`
    (default: --tenant or $HEWER_TENANT; neither: the default tenant). For a role mapped to
    a tenant the setting changes nothing: its sessions are its tenant."""
    conn = db.connect()
    try:
        check_schema(conn)
        name = tenant or chosen_tenant()
        if name:
            act_for(conn, name)
    except BaseException:
        conn.close()
        raise
    return conn


def _remember_tenant(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    ctx.meta[_META_KEY] = value or None


def add_tenant_option(commands: Iterable[click.Command], skip: Iterable[str] = ()) -> None:
    """Give each command (each subcommand of a group, but not those named in `skip`) the
    option `--tenant NAME`, read by connect()."""
    skipped = set(skip)
    for command in commands:
        if isinstance(command, click.Group):
            add_tenant_option((c for n, c in command.commands.items() if n not in skipped), skipped)
            continue
        command.params.append(
            click.Option(
                ["--tenant"],
                envvar=TENANT_ENV,
                metavar="NAME",
                expose_value=False,
                callback=_remember_tenant,
                help="Act for this tenant (default $HEWER_TENANT, else the default tenant).",
            )
        )


def checked() -> psycopg.Connection[Any]:
    """A connection to a database whose schema matches this hewer (else a clear error), for
    the commands that work across tenants (partitions, migrations)."""
    conn = db.connect()
    try:
        check_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def session(tenant: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """connect(), in autocommit with dict rows, closed at the end."""
    conn = connect(tenant)
    try:
        conn.autocommit = True
        conn.row_factory = dict_row
        yield conn
    finally:
        conn.close()


def rows(conn: psycopg.Connection[Any], name: str, params: Any = None) -> list[dict[str, Any]]:
    """The rows of the named query of queries.sql, as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(QUERIES[name], params).fetchall()
