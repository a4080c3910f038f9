"""The system as separate processes: `hewer dispatcher` and `hewer worker` subprocesses,
killed with real signals. Workflows are in tests/flows.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pyworker import SyncClient

ROOT = Path(__file__).resolve().parent.parent
FAST = [
    "--worker-timeout", "2", "--reap-interval", "0.3", "--poll-interval", "0.3",
    "--heartbeat-interval", "0.3", "--shutdown-grace", "2",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Processes:
    """Starts hewer subprocesses against the test database and kills them all at the end."""

    def __init__(self, dsn: str, tmp: Path) -> None:
        self.log = tmp / "effects.log"
        self.log.touch()
        self.tmp = tmp
        self.env = {
            **os.environ,
            "HEWER_DATABASE_URL": dsn,
            "HEWER_TEST_LOG": str(self.log),
            "PYTHONPATH": str(ROOT),
        }
        self.procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        out = (self.tmp / f"{name}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", *args], env=self.env, cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def dispatcher(self) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        proc = self._spawn("dispatcher", "dispatcher", "--listen", f"127.0.0.1:{port}", *FAST)

        def listening() -> bool:
            assert proc.poll() is None, self.output()
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, 30, "the dispatcher to listen")
        return f"127.0.0.1:{port}", proc

    def worker(self, *addresses: str, slots: int = 4) -> subprocess.Popen[bytes]:
        return self._spawn(
            "worker", "worker", "tests.flows:flows", "--dispatcher", ",".join(addresses),
            "--slots", str(slots), "--shutdown-grace", "2",
        )  # fmt: skip

    def effects(self) -> list[tuple[str, int, int, str]]:
        rows = []
        for line in self.log.read_text().splitlines():
            step, attempt, pid, what = line.split()
            rows.append((step, int(attempt), int(pid), what))
        return rows

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.tmp.glob("*-*.log"))
        )

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path)
    try:
        yield p
    finally:
        p.close()


def trigger_when_registered(client: SyncClient, workflow: str, payload: Any) -> str:
    """Trigger once a worker has registered the workflow (it does so when it starts)."""

    def attempt() -> str | None:
        try:
            return client.trigger(workflow, payload)
        except Exception:  # noqa: BLE001 - not registered yet
            return None

    return str(wait_until(attempt, 30, f"workflow {workflow} to be registered"))


def test_dag_runs_through_dispatcher_and_worker_processes(procs: Processes) -> None:
    address, _ = procs.dispatcher()
    procs.worker(address)
    with SyncClient([address]) as client:
        first = trigger_when_registered(client, "proc_pipeline", {"n": 3})
        runs = [first] + [client.trigger("proc_pipeline", {"n": n}) for n in range(4, 8)]
        results = [client.result(r, timeout=60) for r in runs]
    assert [r["total"] for r in results] == [2 * n + n * n for n in range(3, 8)]
    effects = procs.effects()
    assert len(effects) == 4 * 5, procs.output()
    assert {attempt for _, attempt, _, _ in effects} == {1}


def test_worker_killed_mid_task_is_replaced(
    procs: Processes, conn: psycopg.Connection[Any]
) -> None:
    address, _ = procs.dispatcher()
    first = procs.worker(address)
    with SyncClient([address]) as client:
        run_id = trigger_when_registered(client, "proc_slow", {})
        wait_until(lambda: Path(f"{procs.log}.crunch.started").exists(), 30, "the first attempt")
        second = procs.worker(address)
        first.send_signal(signal.SIGKILL)
        first.wait()
        output = client.result(run_id, timeout=60)
    assert output == {"crunch": "crunched on attempt 2"}
    effects = procs.effects()
    assert ("crunch", 1, first.pid, "begin") in effects
    assert ("crunch", 2, second.pid, "done") in effects
    assert not any(a == 1 and what == "done" for _, a, _, what in effects)  # never finished
    # A late report from the killed attempt is rejected by the fence.
    task = conn.execute("SELECT id, attempt FROM hewer.tasks WHERE step = 'crunch'").fetchone()
    assert task is not None and task["attempt"] == 2
    [late] = conn.execute(
        "SELECT * FROM hewer.task_complete(%s, ARRAY[1], ARRAY['\"late\"'::jsonb], false)",
        ([task["id"]],),
    ).fetchall()
    assert late["accepted"] is False and late["reason"] == "stale_attempt"
    causes = [
        e["data"]["cause"]
        for e in conn.execute("SELECT * FROM hewer.task_history(%s)", ([task["id"]],)).fetchall()
        if e["kind"] == "retrying"
    ]
    assert causes == ["worker_lost"]


def test_killed_dispatcher_workers_move_to_the_other(procs: Processes) -> None:
    first_address, first = procs.dispatcher()
    second_address, _ = procs.dispatcher()
    procs.worker(first_address, second_address)
    with SyncClient([second_address]) as client:
        run_id = trigger_when_registered(client, "proc_pipeline", {"n": 1})
        assert client.result(run_id, timeout=60)["total"] == 3
        first.send_signal(signal.SIGKILL)
        first.wait()
        later = [client.trigger("proc_pipeline", {"n": n}) for n in range(10, 15)]
        assert [client.result(r, timeout=60)["total"] for r in later] == [
            2 * n + n * n for n in range(10, 15)
        ]


def test_cancel_reaches_a_running_async_task(procs: Processes) -> None:
    address, _ = procs.dispatcher()
    procs.worker(address)
    with SyncClient([address]) as client:
        run_id = trigger_when_registered(client, "proc_sleepy", {})
        wait_until(lambda: Path(f"{procs.log}.nap.started").exists(), 30, "the task to start")
        assert client.cancel(run_id)
        wait_until(
            lambda: any(what == "cancelled" for *_, what in procs.effects()), 15,
            "the task to see its cancellation",
        )  # fmt: skip
        info = wait_until(
            lambda: (i := client.get(run_id)) and i.tasks and i.tasks[0]["status"] == "cancelled"
            and i, 15, "the task to end cancelled",
        )  # fmt: skip
        assert info.status == "cancelled"
