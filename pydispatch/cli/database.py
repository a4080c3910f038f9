"""`hewer db` (the embedded PostgreSQL or HEWER_DATABASE_URL's), `hewer migrate` and
`hewer partitions`: the database tooling for DBAs and developers."""

from __future__ import annotations

import subprocess
from datetime import datetime

import click
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pydispatch import db, embedded, migrate, partitions
from pydispatch.cli import access
from pydispatch.cli.common import JSON_OPTION, HewerGroup, emit, fields, timestamp
from pydispatch.errors import HewerError

# --- db --------------------------------------------------------------------------


@click.group(name="db", cls=HewerGroup)
def db_group() -> None:
    """The database server: the embedded PostgreSQL, or the one HEWER_DATABASE_URL names."""


def _refuse_external(action: str) -> None:
    if db.configured_url():
        raise HewerError(
            f"HEWER_DATABASE_URL is set, so hewer does not {action} a server: "
            f"unset it to manage the embedded PostgreSQL"
        )


@db_group.command(name="start")
def db_start() -> None:
    """Start the embedded PostgreSQL (initializing it the first time)."""
    _refuse_external("start")
    url = embedded.start()
    click.echo(f"embedded PostgreSQL running in {embedded.data_dir()}")
    click.echo(url)


@db_group.command(name="stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL."""
    _refuse_external("stop")
    if embedded.stop():
        click.echo(f"stopped the embedded PostgreSQL in {embedded.data_dir()}")
    else:
        click.echo(f"the embedded PostgreSQL in {embedded.data_dir()} is not running")


@db_group.command(name="status")
@JSON_OPTION
def db_status() -> None:
    """Show whether the database server runs, where, and its version."""
    external = db.configured_url()
    if external:
        version = embedded.server_version(external)
        fields(
            [
                ("server", "HEWER_DATABASE_URL"),
                ("url", db.redact(external)),
                ("running", "yes" if version else "no (cannot connect)"),
                ("version", version or ""),
            ]
        )
        return
    st = embedded.status()
    fields(
        [
            ("server", "embedded"),
            ("data dir", str(st.data_dir)),
            (
                "running",
                "yes" if st.running else "no" if st.initialized else "no (not initialized)",
            ),
            ("pid", str(st.pid or "")),
            ("url", st.url or ""),
            ("version", st.server_version or ""),
        ]
    )


@db_group.command(name="url")
def db_url() -> None:
    """Print the database URL hewer uses (starts the embedded server if needed)."""
    click.echo(db.database_url())


@db_group.command(
    name="psql", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def db_psql(psql_args: tuple[str, ...]) -> None:
    """Run psql against hewer's database; extra arguments go to psql (e.g. -f FILE).

    -U ROLE (or --username ROLE) connects as that role: psql itself would let the database
    URL's user win over it."""
    url = db.database_url()
    role, rest = _username(psql_args)
    if role is not None:
        # The URL's password is its own user's: another role brings its own (PGPASSWORD, .pgpass).
        parts = {k: v for k, v in conninfo_to_dict(url).items() if k != "password"}
        url = make_conninfo("", **{**parts, "user": role})
    bundled = embedded.bin_dir() / "psql"
    psql = str(bundled) if bundled.exists() else "psql"
    code = subprocess.call([psql, url, *rest])
    if code:
        raise SystemExit(code)


def _username(args: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """psql's -U/--username option, taken out of its arguments: (role or None, the rest)."""
    role: str | None = None
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg in ("-U", "--username"):
            role = next(it, None)
            if role is None:
                raise HewerError(f"{arg} needs a role name, e.g. hewer db psql -U hewer_client")
        elif arg.startswith("--username="):
            role = arg.split("=", 1)[1]
        elif arg.startswith("-U") and len(arg) > 2:
            role = arg[2:]
        else:
            rest.append(arg)
    return role, rest


# --- migrate -----------------------------------------------------------------------


@click.group(name="migrate", cls=HewerGroup)
def migrate_group() -> None:
    """Schema migrations and the SQL function bundle."""


@migrate_group.command(name="up")
@JSON_OPTION
def migrate_up() -> None:
    """Apply pending migrations, reload the SQL functions, create partitions."""
    result = migrate.up()
    if result.applied:
        click.echo("applied: " + ", ".join(result.applied))
    else:
        click.echo("no pending migrations")
    if result.pgmq != "present":
        how = "CREATE EXTENSION" if result.pgmq == "extension" else "bundled SQL"
        click.echo(f"pgmq: installed ({how})")
    click.echo(
        f"functions: {result.function_files} files loaded "
        f"(checksum {result.functions_checksum[:12]})"
    )
    if result.partitions:
        click.echo("partitions created:")
        emit(result.partitions, partitions.COLUMNS, "(none)")


@migrate_group.command(name="down")
@click.option("--count", "-n", default=1, show_default=True, help="How many migrations to undo.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def migrate_down(count: int, yes: bool) -> None:
    """Roll back the most recent migrations (rolling back 0001 drops schema hewer and its data)."""
    if not yes:
        click.confirm(
            f"Roll back {count} migration(s) on {db.redact(db.database_url())}? Data may be lost",
            abort=True,
        )
    undone = migrate.down(count)
    click.echo("rolled back: " + (", ".join(undone) if undone else "nothing (none applied)"))


@migrate_group.command(name="status")
@JSON_OPTION
def migrate_status() -> None:
    """List applied and pending migrations; check the schema version and function bundle."""
    st = migrate.status()
    rows = [{"migration": m, "state": "applied"} for m in st.applied]
    rows += [{"migration": m, "state": "pending"} for m in st.pending]
    emit(rows, ["migration", "state"], "(no migrations)")
    click.echo(
        f"schema version: {st.schema_version if st.schema_version is not None else 'none'} "
        f"(this hewer: {st.expected_version})"
    )
    if st.schema_version is None:
        click.echo("functions: no hewer schema")
    elif st.functions_ok:
        click.echo(f"functions: up to date (checksum {st.expected_checksum[:12]})")
    else:
        click.echo("functions: stale: run `hewer migrate up` to reload the SQL functions")


@migrate_group.command(name="new")
@click.argument("name")
def migrate_new(name: str) -> None:
    """Create the next numbered migration NAME and its rollback file."""
    forward, rollback = migrate.new(name)
    click.echo(forward)
    click.echo(rollback)


# --- partitions --------------------------------------------------------------------


@click.group(name="partitions", cls=HewerGroup)
def partitions_group() -> None:
    """Time partitions of the big tables (runs, tasks, task_events, ...)."""


_NOW_OPTION = click.option(
    "--now",
    metavar="TIMESTAMP",
    callback=timestamp,
    help="Act as if it were this ISO 8601 time (default: now; UTC if no offset).",
)


@partitions_group.command(name="create")
@_NOW_OPTION
@JSON_OPTION
def partitions_create(now: datetime | None) -> None:
    """Create the partitions that should exist ahead of now."""
    with access.checked() as conn:
        rows = partitions.create(conn, now)
    emit(rows, partitions.COLUMNS, "no partitions to create")


@partitions_group.command(name="drop")
@_NOW_OPTION
@JSON_OPTION
def partitions_drop(now: datetime | None) -> None:
    """Drop the partitions past their table's retention, and the payload objects only
    their rows referred to (HEWER_PAYLOAD_STORE's, docs/payloads.md)."""
    with access.checked() as conn:
        rows = partitions.drop(conn, now)
    emit(rows, partitions.COLUMNS, "no partitions to drop")
    if rows:
        deleted = partitions.drop_payloads(db.database_url())
        if deleted:
            click.echo(f"deleted {deleted} payload objects of the dropped rows", err=True)


@partitions_group.command(name="status")
@click.option("--exact", is_flag=True, help="Count rows exactly instead of estimating.")
@JSON_OPTION
def partitions_status(exact: bool) -> None:
    """List partitions with their ranges, rows and sizes."""
    with access.checked() as conn:
        rows = partitions.status(conn, exact)
    emit(rows, partitions.STATUS_COLUMNS, "no partitions")


# --- limits ------------------------------------------------------------------------
