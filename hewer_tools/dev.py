"""`hewer dev`: the whole system on one machine, driving the bundled example pipeline.

It migrates the database (the embedded PostgreSQL unless HEWER_DATABASE_URL is set), starts a
dispatcher, the HTTP API and a worker as child processes, triggers the example workflow
(`hewer-demo`: names of its own, so it never meets the user's), prints its task events as they
happen and then its result. The children's logs go to $HEWER_HOME/logs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydispatch import db, embedded, migrate
from pydispatch.cli.common import event_line
from pydispatch.errors import HewerError
from pyworker.client import SyncClient
from pyworker.errors import RpcError

EXAMPLE_TARGET = "pyworker.examples.digest:digest"
EXAMPLE_WORKFLOW = "hewer-demo"
Echo = Callable[[str], None]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hewer_command(*args: str) -> list[str]:
    """The argv that runs `hewer ARGS` with this interpreter."""
    return [sys.executable, "-m", "pydispatch.cli", *args]


class Stopped(Exception):  # noqa: N818 - a stop, not an error
    """`hewer dev` got SIGTERM (or SIGHUP): its children are stopped on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, frame: Any) -> None:
    raise Stopped(signum)


def _die_with(parent: int) -> Callable[[], None] | None:
    """For Popen's preexec_fn (Linux): the child gets SIGTERM when its parent dies, whatever
    killed the parent, SIGKILL included; a parent already gone by then means exit at once."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return arm


_PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def child(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Iterator[Any]:
    """A child process whose output goes to logs/NAME.log; SIGTERM (then SIGKILL) on exit.

    It runs in a session of its own, so a Ctrl-C at the terminal reaches `hewer dev` alone,
    which then stops its children in order; and it dies with `hewer dev`, whatever the signal.
    """
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 - no threads run yet here
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float, name: str = "dispatcher"
) -> None:
    """Wait until something accepts connections on 127.0.0.1:port, or fail with the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HewerError(f"the {name} exited with code {proc.returncode}; see {log}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise HewerError(f"the {name} did not listen on port {port} within {timeout:.0f}s; see {log}")


def run(text: str | None, keep: bool, echo: Echo, timeout: float = 120.0) -> dict[str, Any]:
    """Run the example end to end; returns the run's output. With keep, serve until Ctrl-C.

    SIGTERM and SIGHUP raise Stopped, and Ctrl-C KeyboardInterrupt, after the children are
    stopped; the caller says so in one line."""
    previous = {s: signal.signal(s, _raise_stopped) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _run(text, keep, echo, timeout)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(text: str | None, keep: bool, echo: Echo, timeout: float) -> dict[str, Any]:
    url = db.database_url()
    echo(f"database: {db.redact(url)}")
    result = migrate.up(url)
    echo(f"schema migrated ({len(result.applied)} new migrations, functions loaded)")
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "HEWER_DATABASE_URL": url}
    logs = embedded.hewer_home() / "logs"
    with child(
        "dispatcher", hewer_command("dispatcher", "--listen", address), env, logs
    ) as dispatcher:
        wait_for_port(port, dispatcher, logs / "dispatcher.log", 30)
        echo(f"dispatcher listening on {address} (log: {logs / 'dispatcher.log'})")
        api_port = free_port()
        api_argv = hewer_command("api", "--listen", f"127.0.0.1:{api_port}")
        worker_argv = hewer_command("worker", EXAMPLE_TARGET, "--dispatcher", address)
        with (
            child("api", api_argv, env, logs) as api,
            child("worker", worker_argv, env, logs) as worker,
            SyncClient([address]) as client,
        ):
            wait_for_port(api_port, api, logs / "api.log", 30, name="HTTP API")
            api_url = f"http://127.0.0.1:{api_port}"
            echo(f"HTTP API on {api_url} (docs: {api_url}/docs; log: {logs / 'api.log'})")
            echo(f"dashboard on {api_url}/ (no token while none exists: Log in with it empty)")
            echo(f"worker started: {EXAMPLE_TARGET} (log: {logs / 'worker.log'})")
            run_id = _trigger_when_registered(client, text, worker, timeout=30)
            echo(f"triggered {EXAMPLE_WORKFLOW} run {run_id}")
            started = time.monotonic()
            first: datetime | None = None
            for event in client.watch(run_id):
                first = first or event.at
                at = (event.at - first).total_seconds() if event.at and first else 0.0
                echo(event_line(event.step, event.kind, event.attempt, at))
            output: dict[str, Any] = client.result(run_id, timeout=timeout)
            echo(f"run succeeded in {time.monotonic() - started:.2f}s")
            echo(f"digest: {output['combine']['digest']}")
            if keep:
                echo(f"still running: dispatcher {address}, API {api_url}; Ctrl-C to stop")
                try_it = f"hewer run {EXAMPLE_WORKFLOW} --input '{{}}' --wait"
                echo(f"  try: {try_it} --dispatcher {address}")
                echo(f"  or:  curl -s {api_url}/v1/runs/{run_id}")
                echo(f"  or open {api_url}/runs/{run_id} in a browser")
                with contextlib.suppress(KeyboardInterrupt):
                    while all(p.poll() is None for p in (dispatcher, worker, api)):
                        time.sleep(0.5)
            return output


def _trigger_when_registered(
    client: SyncClient, text: str | None, worker: subprocess.Popen[bytes], timeout: float
) -> str:
    """Trigger the example once the worker has registered its workflow."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return str(client.trigger(EXAMPLE_WORKFLOW, {"text": text} if text else {}))
        except RpcError as exc:
            if worker.poll() is not None:
                raise HewerError(f"the worker exited with code {worker.returncode}") from exc
            if time.monotonic() > deadline:
                raise HewerError(
                    f"the worker did not register the {EXAMPLE_WORKFLOW} workflow: {exc}"
                ) from exc
            time.sleep(0.2)
