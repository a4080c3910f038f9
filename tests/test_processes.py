"""The system as separate processes: `hewer dispatcher` and `hewer worker` subprocesses,
killed with real signals. Workflows are in tests/flows.py."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hewer_tools.processes import Processes, trigger_when_registered, wait_until
from pyworker import SyncClient


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path)
    try:
        yield p
    finally:
        p.close()


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


def test_a_killed_workers_task_runs_again_within_seconds_with_the_defaults(
    procs: Processes, conn: psycopg.Connection[Any]
) -> None:
    # The default timings (worker timeout 30 s): the broken stream, not the silence, is
    # what gets the task retried, within the disconnect grace (6 s) and a reap pass (2 s).
    address, _ = procs.dispatcher(flags=[])
    first = procs.worker(address)
    second = procs.worker(address)
    with SyncClient([address]) as client:
        run_id = trigger_when_registered(client, "proc_slow", {})
        wait_until(lambda: Path(f"{procs.log}.crunch.started").exists(), 30, "the first attempt")
        [holder] = [p for p in (first, second) if ("crunch", 1, p.pid, "begin") in procs.effects()]
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        output = client.result(run_id, timeout=60)
    assert output == {"crunch": "crunched on attempt 2"}
    task = conn.execute("SELECT id FROM hewer.tasks WHERE step = 'crunch'").fetchone()
    assert task is not None
    history = conn.execute("SELECT * FROM hewer.task_history(%s)", ([task["id"]],)).fetchall()
    [retry] = [e for e in history if e["kind"] == "retrying"]
    [first_assigned] = [e for e in history if e["kind"] == "assigned" and e["attempt"] == 1]
    assert retry["data"]["cause"] == "worker_lost"
    # Reaped for its broken stream: its last heartbeat was well within the worker timeout
    # (30 s) of the reap, and a dispatcher had recorded the disconnection.
    worker = conn.execute(
        "SELECT status, last_heartbeat_at, disconnected_at FROM hewer.workers WHERE id = %s",
        (first_assigned["worker_id"],),
    ).fetchone()
    assert worker is not None and worker["status"] == "dead"
    assert worker["disconnected_at"] is not None
    assert (retry["created_at"] - worker["last_heartbeat_at"]).total_seconds() < 20


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
