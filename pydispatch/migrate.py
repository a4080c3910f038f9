"""Schema migrations (yoyo, SQL files in migrations/) and the SQL function loader.

`up()` is safe to run from many processes at once: a session advisory lock makes
concurrent migrators take turns, and each step is idempotent. yoyo's own lock
table is not used: a migrator killed mid-way would leave its row behind, while a
session advisory lock dies with its session. yoyo keeps its bookkeeping tables
(_yoyo_migration, _yoyo_log, ...) in the connection's default schema (public).

Function loader rule. The API functions in sql/functions/ and sql/partitions/ are
not migrated: every `up()` drops the loaded ones and executes the files again, in
one transaction, so a renamed or re-typed function never lingers. A function in
schema hewer is dropped when all of these hold:

- nothing depends on it (no pg_depend row references it: column defaults keep
  hewer.uuidv7 and hewer.current_tenant, triggers keep their trigger functions);
- it is not a member of an extension;
- its name is not created by sql/schema.sql (`CREATE FUNCTION hewer.<name>`):
  those belong to the schema and its migrations, e.g. hewer.uuid_floor.

Dropping repeats until nothing more qualifies, so a bundle function used only by
another bundle function (SQL-standard bodies record that dependency) goes too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from pydispatch import db, paths
from pydispatch.errors import HewerError
from pydispatch.queries import TOOLING
from pydispatch.schema import (
    expected_schema_version,
    functions_checksum,
    migration_files,
    read_meta,
)

# pg_advisory_lock key shared by every hewer migrator: the bytes of "hewer-mg".
MIGRATE_LOCK_KEY: Final = int.from_bytes(b"hewer-mg", "big", signed=True)

# SQLSTATEs meaning "this server cannot CREATE EXTENSION pgmq": not installed
# (0A000 since PostgreSQL 15, 58P01 before) or not allowed (42501).
_NO_EXTENSION_STATES: Final = frozenset({"0A000", "58P01", "42501"})

_SCHEMA_FUNCTION_RE: Final = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+hewer\.\"?([A-Za-z0-9_]+)",
    re.IGNORECASE,
)

_DROP_COMMAND: Final = {"a": "AGGREGATE", "p": "PROCEDURE"}


class MigrationError(HewerError):
    """A migration or the function bundle could not be applied."""


class FunctionLoadError(MigrationError):
    """A file of the function bundle failed to execute; nothing from this load was kept."""


@dataclass
class UpResult:
    """What `up()` did."""

    applied: list[str] = field(default_factory=list)
    pgmq: str = "present"
    function_files: int = 0
    functions_checksum: str = ""
    partitions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MigrationStatus:
    """Applied and pending migrations, and whether the database matches this code."""

    applied: list[str]
    pending: list[str]
    schema_version: int | None
    expected_version: int
    functions_checksum: str | None
    expected_checksum: str

    @property
    def functions_ok(self) -> bool:
        return self.functions_checksum == self.expected_checksum


def yoyo_url(url: str) -> str:
    """A yoyo backend URL (`postgresql+psycopg://`) equivalent to any libpq conninfo.

    Every parameter travels in the query string, which yoyo hands to psycopg as
    keyword arguments: unix-socket hosts, ports and options survive intact.
    """
    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    return "postgresql+psycopg:///?" + urlencode(params)


@contextmanager
def migration_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold hewer's migration advisory lock on `conn` (an autocommit session)."""
    conn.execute(TOOLING["migrate_lock"], (MIGRATE_LOCK_KEY,))
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute(TOOLING["migrate_unlock"], (MIGRATE_LOCK_KEY,))


def ensure_pgmq(conn: psycopg.Connection[Any]) -> str:
    """Make sure schema pgmq exists: 'present', or installed as 'extension' or from 'sql'.

    Prefers CREATE EXTENSION; falls back to the SQL bundled with the pgmq package
    (servers without the extension, e.g. managed PostgreSQL).
    """
    row = conn.execute(TOOLING["pgmq_present"]).fetchone()
    if row and _first(row):
        return "present"
    try:
        with conn.transaction():
            conn.execute(TOOLING["pgmq_extension"])
    except psycopg.Error as exc:
        if exc.sqlstate not in _NO_EXTENSION_STATES:
            raise
    else:
        return "extension"
    from pgmq.install import get_embedded_install_sql  # noqa: PLC0415 - only for first installs

    with conn.transaction():
        conn.execute(get_embedded_install_sql().encode())
    return "sql"


def schema_function_names(schema_sql: Path | None = None) -> list[str]:
    """Names of the functions sql/schema.sql creates in schema hewer: the loader keeps them."""
    path = schema_sql or paths.sql_dir() / "schema.sql"
    return sorted({m.group(1).lower() for m in _SCHEMA_FUNCTION_RE.finditer(path.read_text())})


def load_functions(conn: psycopg.Connection[Any]) -> tuple[int, str]:
    """Drop the loaded API functions, execute the bundle, record its checksum: one transaction.

    Returns (number of files executed, checksum). Raises FunctionLoadError naming the
    file, line and SQLSTATE when a file fails; the transaction is then rolled back.
    """
    base = paths.sql_dir()
    files = paths.function_files()
    keep = schema_function_names()
    with conn.transaction():
        _drop_bundle_functions(conn, keep)
        for path in files:
            text = path.read_text()
            try:
                with conn.transaction():
                    conn.execute(text)
            except psycopg.Error as exc:
                raise FunctionLoadError(_file_error(path, base, text, exc)) from exc
        checksum = functions_checksum(files, base)
        conn.execute(TOOLING["functions_checksum_set"], (checksum,))
    return len(files), checksum


def create_partitions(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """`SELECT * FROM hewer.partition_create()` if that function exists; the partitions made."""
    row = conn.execute(TOOLING["partition_create_exists"]).fetchone()
    if not row or not _first(row):
        return []
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(TOOLING["partition_create"], {"now": None})
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def build_from_schema(conn: psycopg.Connection[Any]) -> None:
    """Build a database from sql/schema.sql instead of migrations (the reference build)."""
    ensure_pgmq(conn)
    with conn.transaction():
        conn.execute((paths.sql_dir() / "schema.sql").read_bytes())
    load_functions(conn)
    create_partitions(conn)


def up(url: str | None = None) -> UpResult:
    """Apply pending migrations, reload the SQL functions and create partitions."""
    conninfo = url or db.database_url()
    result = UpResult()
    with _session(conninfo) as conn, migration_lock(conn):
        result.pgmq = ensure_pgmq(conn)
        with _yoyo(conninfo) as (backend, migrations):
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
            result.applied = [m.id for m in pending]
        result.function_files, result.functions_checksum = load_functions(conn)
        result.partitions = create_partitions(conn)
    return result


def down(count: int = 1, url: str | None = None) -> list[str]:
    """Roll back the `count` most recent migrations; returns their ids, newest first.

    The function bundle is not reloaded: the schema it was written for may be gone.
    """
    if count < 1:
        raise MigrationError(f"count must be at least 1, got {count}")
    conninfo = url or db.database_url()
    with (
        _session(conninfo) as conn,
        migration_lock(conn),
        _yoyo(conninfo) as (backend, migrations),
    ):
        targets = backend.to_rollback(migrations)[:count]
        backend.rollback_migrations(targets)
        return [m.id for m in targets]


def status(url: str | None = None) -> MigrationStatus:
    """Applied and pending migrations, the database's schema version and function checksum."""
    conninfo = url or db.database_url()
    with _session(conninfo) as conn, _yoyo(conninfo) as (backend, migrations):
        applied = [m.id for m in migrations if backend.is_applied(m)]
        pending = [m.id for m in migrations if not backend.is_applied(m)]
        meta = read_meta(conn)
    return MigrationStatus(
        applied=applied,
        pending=pending,
        schema_version=meta[0] if meta else None,
        expected_version=expected_schema_version(),
        functions_checksum=meta[1] if meta else None,
        expected_checksum=functions_checksum(),
    )


def new(name: str) -> tuple[Path, Path]:
    """Create the next numbered migration and its rollback, both nearly empty."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise MigrationError(f"migration name {name!r} has no letters or digits: pick a name")
    directory = paths.migrations_dir()
    number = max((int(p.name[:4]) for p in migration_files(directory)), default=0) + 1
    forward = directory / f"{number:04d}_{slug}.sql"
    rollback = directory / f"{number:04d}_{slug}.rollback.sql"
    forward.write_text(
        f"-- {name}\n"
        "--\n"
        "-- Append-only: never edit this file once it has been applied anywhere.\n"
        "-- Make the same change in sql/schema.sql (tests/test_schema.py compares them)\n"
        f"-- and set the version there to {number}.\n"
        "\n"
        f"UPDATE hewer.meta SET schema_version = {number};\n"
    )
    rollback.write_text(
        f"-- Undo {forward.name}.\n\nUPDATE hewer.meta SET schema_version = {number - 1};\n"
    )
    return forward, rollback


# --- internals -----------------------------------------------------------------


@contextmanager
def _session(conninfo: str) -> Iterator[psycopg.Connection[TupleRow]]:
    conn = db.connect(conninfo, autocommit=True)
    try:
        conn.execute(TOOLING["quiet_notices"])
        yield conn
    finally:
        conn.close()


@contextmanager
def _yoyo(conninfo: str) -> Iterator[tuple[Any, Any]]:
    from yoyo import get_backend, read_migrations  # noqa: PLC0415 - migrations only

    migrations = read_migrations(str(paths.migrations_dir()))
    backend = get_backend(yoyo_url(conninfo))
    try:
        yield backend, migrations
    finally:
        backend.connection.close()


def _drop_bundle_functions(conn: psycopg.Connection[Any], keep: list[str]) -> None:
    while True:
        with conn.cursor() as cur:
            cur.execute(TOOLING["droppable_functions"], {"keep": keep})
            rows = cur.fetchall()
        if not rows:
            return
        for row in rows:
            signature, kind = (row["signature"], row["prokind"]) if isinstance(row, dict) else row
            command = _DROP_COMMAND.get(kind, "FUNCTION")
            conn.execute(sql.SQL("DROP {} {}").format(sql.SQL(command), sql.SQL(signature)))


def _file_error(path: Path, base: Path, text: str, exc: psycopg.Error) -> str:
    from pydispatch.errors import describe_db_error  # noqa: PLC0415

    where = path.relative_to(base.parent).as_posix() if base.parent in path.parents else str(path)
    position = exc.diag.statement_position
    if position and position.isdigit():
        where += f" line {text[: int(position)].count(chr(10)) + 1}"
    return f"{where}: {describe_db_error(exc)}"


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
