"""Worker affinity (docs/affinity.md) with real processes: `hewer worker --label` subprocesses
and a dispatcher, the workflows of tests/affinity_flows.py defined with the Python SDK's
worker_labels and sticky."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hewer_tools.processes import Processes, trigger_when_registered, wait_until
from pyworker import SyncClient

TARGET = "tests.affinity_flows:flows"


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path)
    try:
        yield p
    finally:
        p.close()


def test_a_step_with_worker_labels_runs_only_on_a_worker_with_them(
    procs: Processes, conn: psycopg.Connection[Any]
) -> None:
    address, _ = procs.dispatcher()
    cpu = procs.start_worker(address, target=TARGET, name="cpu", labels={"gpu": "none"})
    with SyncClient([address]) as client:
        # The cpu worker is live and claims: it runs a step that needs no label.
        first = trigger_when_registered(client, "aff_anywhere", {"n": 1})
        assert client.result(first, timeout=30) == {"plain": 1}
        gpu_runs = [client.trigger("aff_gpu", {"n": n}) for n in range(4)]
        # Work queued behind the gpu tasks still runs on the cpu worker; they wait.
        later = client.trigger("aff_anywhere", {"n": 2})
        assert client.result(later, timeout=30) == {"plain": 2}
        assert not [e for e in procs.effects() if e[0] == "render"], procs.output()
        queued = conn.execute(
            "SELECT count(*) AS n FROM hewer.tasks WHERE step = 'render' AND status = 'queued'"
        ).fetchone()
        assert queued is not None and queued["n"] == 4

        gpu = procs.start_worker(address, target=TARGET, name="gpu", labels={"gpu": "a100"})
        assert [client.result(r, timeout=60) for r in gpu_runs] == [{"render": n} for n in range(4)]
    renders = [e for e in procs.effects() if e[0] == "render"]
    # Every attempt (3 per run: two fail, the third succeeds) ran on the gpu worker.
    assert sorted(attempt for _, attempt, _, _ in renders) == [1] * 4 + [2] * 4 + [3] * 4
    assert {pid for _, _, pid, _ in renders} == {gpu.pid}, procs.output()
    assert cpu.alive() and gpu.alive(), procs.output()
    # The worker ids the attempts were claimed by say the same.
    names = conn.execute(
        "SELECT DISTINCT w.name FROM hewer.task_events e JOIN hewer.tasks t ON t.id = e.task_id"
        " JOIN hewer.workers w ON w.id = e.worker_id WHERE t.step = 'render'"
    ).fetchall()
    assert [r["name"] for r in names] == ["gpu"]


def test_a_hard_sticky_run_stays_on_one_worker(
    procs: Processes, conn: psycopg.Connection[Any]
) -> None:
    address, _ = procs.dispatcher()
    workers = [procs.start_worker(address, target=TARGET, name=f"w{i}", slots=2) for i in range(2)]
    with SyncClient([address]) as client:
        runs = [trigger_when_registered(client, "aff_sticky", {"n": 0})]
        # Both workers registered before the rest, so either may start a run.
        wait_until(lambda: _active_workers(conn) == 2, 30, "both workers to register", pause=0.2)
        runs += [client.trigger("aff_sticky", {"n": n}) for n in range(1, 12)]
        assert [client.result(r, timeout=60)["third"] for r in runs] == [n + 2 for n in range(12)]
    by_run: dict[str, set[int]] = {}
    for _, _, pid, n in procs.effects():
        by_run.setdefault(n, set()).add(pid)
    assert len(by_run) == 12
    assert all(len(pids) == 1 for pids in by_run.values()), by_run
    assert {pid for pids in by_run.values() for pid in pids} <= {w.pid for w in workers}


def _active_workers(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) AS n FROM hewer.workers WHERE status = 'active'").fetchone()
    return int(row["n"]) if row is not None else 0
