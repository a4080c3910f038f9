"""Does the database match this hewer? The check every command runs before touching it.

Two things must agree: the schema version (hewer.meta.schema_version, set by the
last migration; this code expects one version per file in migrations/) and the
function bundle (sha256 of sql/functions/*.sql and sql/partitions/*.sql, stored
in hewer.meta.functions_checksum by the loader).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Final

import psycopg

from pydispatch import paths
from pydispatch.errors import HewerError
from pydispatch.queries import TOOLING

MIGRATION_RE: Final = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


class SchemaMismatchError(HewerError):
    """The database schema or its functions do not match this hewer."""


def migration_files(directory: Path | None = None) -> list[Path]:
    """The forward migrations (`NNNN_name.sql`, not `.rollback.sql`), in order."""
    base = directory or paths.migrations_dir()
    return sorted(
        p
        for p in base.glob("*.sql")
        if MIGRATION_RE.match(p.name) and not p.name.endswith(".rollback.sql")
    )


def expected_schema_version() -> int:
    """The schema version this code knows: the number of migrations in migrations/."""
    return len(migration_files())


EXPECTED_SCHEMA_VERSION: Final = expected_schema_version()


def functions_checksum(files: list[Path] | None = None, base: Path | None = None) -> str:
    """sha256 over the function bundle: each file's path relative to sql/, then its bytes."""
    root = base or paths.sql_dir()
    bundle = paths.function_files() if files is None else files
    digest = hashlib.sha256()
    for path in sorted(bundle, key=lambda p: p.relative_to(root).as_posix()):
        rel = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        digest.update(f"{len(rel)}:".encode() + rel + f"{len(content)}:".encode() + content)
    return digest.hexdigest()


def read_meta(conn: psycopg.Connection[Any]) -> tuple[int, str | None] | None:
    """(schema_version, functions_checksum) from hewer.meta; None if there is no hewer schema."""
    row = conn.execute(TOOLING["schema_exists"]).fetchone()
    if not row or not _first(row):
        return None
    meta = conn.execute(TOOLING["schema_meta"]).fetchone()
    if meta is None:
        return None
    values = list(meta.values()) if isinstance(meta, dict) else list(meta)
    return int(values[0]), values[1]


def check_schema(conn: psycopg.Connection[Any]) -> None:
    """Raise SchemaMismatchError, saying which command fixes it, unless the database matches."""
    expected = expected_schema_version()
    meta = read_meta(conn)
    dbname = conn.info.dbname
    if meta is None:
        raise SchemaMismatchError(
            f"database {dbname!r} has no hewer schema: run `hewer migrate up`"
        )
    version, checksum = meta
    if version < expected:
        raise SchemaMismatchError(
            f"database {dbname!r} is at schema version {version}, this hewer needs "
            f"{expected}: run `hewer migrate up`"
        )
    if version > expected:
        raise SchemaMismatchError(
            f"this hewer is older than the database (schema {version}, this code knows "
            f"{expected}): upgrade hewer"
        )
    if checksum != functions_checksum():
        raise SchemaMismatchError(
            f"the SQL functions in database {dbname!r} differ from this hewer's sql/ "
            f"(checksum {(checksum or 'none')[:12]}, expected {functions_checksum()[:12]}): "
            f"run `hewer migrate up` to reload the SQL functions"
        )


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
