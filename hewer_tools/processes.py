"""Real `hewer dispatcher` and `hewer worker` subprocesses for tests and the chaos suite.

`Processes` starts them against one database, logs each one's output to its own file,
sends them real signals (kill -9, SIGSTOP/SIGCONT) and kills whatever is left at the end.
Task functions append their side effects to the file named by $HEWER_TEST_LOG (see
tests/flows.py and hewer_tools/chaos/workload.py). Used by tests/test_processes.py and tests/chaos/;
plain classes, so `hewer chaos` uses them outside pytest too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyworker import SyncClient

ROOT = Path(__file__).resolve().parent.parent
LOG_ENV = "HEWER_TEST_LOG"

# Dispatcher loops sped up for tests: dead workers are found within seconds.
FAST = [
    "--worker-timeout", "2", "--reap-interval", "0.3", "--poll-interval", "0.3",
    "--heartbeat-interval", "0.3", "--shutdown-grace", "2",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "the condition",
    pause: float = 0.05,
) -> Any:
    """Poll `check` until it returns something true, and return that; AssertionError naming
    `what` after `timeout` seconds. Tests and tools wait on a condition, never a fixed time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Child:
    """One hewer subprocess: its role, name, argv and log file."""

    role: str
    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes]
    port: int = 0
    frozen: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_bytes(self) -> int:
        """Resident memory (VmRSS) of the process, 0 once it has exited."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


class Processes:
    """Starts hewer subprocesses against one database and kills them all at the end."""

    def __init__(self, dsn: str, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.log = tmp / "effects.log"
        self.log.touch()
        self.tmp = tmp
        self.dsn = dsn
        self.env = {
            **os.environ,
            "HEWER_DATABASE_URL": dsn,
            LOG_ENV: str(self.log),
            "PYTHONPATH": str(ROOT),
            # A home of its own: the dispatchers record their address there, not in the tree's.
            "HEWER_HOME": str(tmp / "home"),
            **(env or {}),
        }
        self.children: list[Child] = []

    @property
    def procs(self) -> list[subprocess.Popen[bytes]]:
        return [c.proc for c in self.children]

    def _spawn(self, role: str, name: str, *args: str) -> Child:
        log = self.tmp / f"{role}-{len(self.children)}-{name}.log"
        argv = [sys.executable, "-m", "pydispatch.cli", *args]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        child = Child(role, name, argv, log, proc)
        self.children.append(child)
        return child

    def start_dispatcher(
        self,
        *,
        port: int | None = None,
        flags: Sequence[str] = FAST,
        name: str = "d",
        wait: bool = True,
    ) -> Child:
        """A dispatcher on 127.0.0.1:port (a free one by default); with wait, returns once it
        listens (else see wait_listening)."""
        port = port or free_port()
        child = self._spawn(
            "dispatcher", name, "dispatcher", "--listen", f"127.0.0.1:{port}", *flags
        )
        child.port = port
        if wait:
            self.wait_listening(child)
        return child

    def wait_listening(self, child: Child, timeout: float = 60) -> None:
        def listening() -> bool:
            assert child.alive(), self.output()
            return port_open(child.port)

        wait_until(listening, timeout, f"dispatcher {child.name} to listen")

    def dispatcher(self, *, flags: Sequence[str] = FAST) -> tuple[str, subprocess.Popen[bytes]]:
        """A dispatcher on a free port: its address and process."""
        child = self.start_dispatcher(flags=flags)
        return child.address, child.proc

    def start_worker(
        self,
        *addresses: str,
        slots: int = 4,
        target: str = "tests.flows:flows",
        name: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Child:
        """A worker for `target` that knows these dispatchers (tried in this order), with
        these labels (`--label NAME=VALUE`)."""
        name = name or f"worker-{len(self.children)}"
        label_args = [arg for k, v in (labels or {}).items() for arg in ("--label", f"{k}={v}")]
        return self._spawn(
            "worker", name, "worker", target, "--dispatcher", ",".join(addresses),
            "--slots", str(slots), "--shutdown-grace", "2", "--name", name, *label_args,
        )  # fmt: skip

    def worker(self, *addresses: str, slots: int = 4) -> subprocess.Popen[bytes]:
        return self.start_worker(*addresses, slots=slots).proc

    def restart(self, child: Child) -> Child:
        """Start the same command again (a dispatcher on the same port) once it has exited."""
        assert not child.alive(), f"{child.name} still runs"
        again = self._spawn(child.role, child.name, *child.argv[3:])
        again.port = child.port
        if child.role == "dispatcher":
            self.wait_listening(again)
        return again

    # -- signals ---------------------------------------------------------------------------------

    @staticmethod
    def kill(child: Child) -> None:
        """kill -9, and reap it."""
        child.proc.send_signal(signal.SIGKILL)
        child.proc.wait()

    @staticmethod
    def freeze(child: Child) -> None:
        """SIGSTOP: the process stops dead, its sockets stay open."""
        child.proc.send_signal(signal.SIGSTOP)
        child.frozen = True

    @staticmethod
    def thaw(child: Child) -> None:
        """SIGCONT after freeze()."""
        child.proc.send_signal(signal.SIGCONT)
        child.frozen = False

    # -- output ----------------------------------------------------------------------------------

    def effects(self) -> list[tuple[str, int, int, str]]:
        """The lines tests/flows.py tasks wrote: (step, attempt, pid, what)."""
        rows = []
        for line in self.log.read_text().splitlines():
            step, attempt, pid, what = line.split()
            rows.append((step, int(attempt), int(pid), what))
        return rows

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.tmp.glob("*-*.log"))
            if p.name != self.log.name
        )

    def close(self) -> None:
        for child in self.children:
            if child.alive():
                child.proc.kill()  # works on stopped processes too
            child.proc.wait()


def trigger_when_registered(client: SyncClient, workflow: str, payload: Any) -> str:
    """Trigger once a worker has registered the workflow (it does so when it starts)."""

    def attempt() -> str | None:
        try:
            return client.trigger(workflow, payload)
        except Exception:  # noqa: BLE001 - not registered yet
            return None

    return str(wait_until(attempt, 30, f"workflow {workflow} to be registered"))
