"""Run management and workflow versions through the Python client (a real dispatcher over
gRPC) and the `hewer workflows` / `hewer runs` commands (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from pydispatch.settings import DispatcherSettings
from pyworker import SyncClient
from pyworker.errors import RpcError
from tests.engine import DIAMOND, claim, complete, fail, register, task_states, trigger, worker
from tests.test_cli import _env
from tests.test_dispatcher import FAST, ServerThread

Conn = psycopg.Connection[Any]
Hewer = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def client(dsn: str) -> Iterator[SyncClient]:
    server = ServerThread(
        DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST)
    ).start()
    try:
        with SyncClient([server.address]) as c:
            yield c
    finally:
        server.stop()


@pytest.fixture
def hewer(dsn: str) -> Hewer:
    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=_env(HEWER_DATABASE_URL=dsn),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return call


def failed_diamond(conn: Conn, run_id: Any) -> None:
    """Run a diamond run's a and c to success and fail b for good."""
    w = worker(conn, ["wf:a", "wf:b", "wf:c", "wf:d"])
    complete(conn, [t for t in claim(conn, w) if str(t["run_id"]) == str(run_id)], [{"a": 1}])
    tasks = {t["step"]: t for t in claim(conn, w) if str(t["run_id"]) == str(run_id)}
    complete(conn, [tasks["c"]], [{"c": 3}])
    fail(conn, [tasks["b"]], "bad", retryable=False)


def test_client_lists_cancels_by_filter_and_replays(conn: Conn, client: SyncClient) -> None:
    register(conn, "wf", DIAMOND)
    register(conn, "other", {"steps": [{"name": "x"}]})
    first = client.trigger("wf", {"shop": "a"})
    second = client.trigger("wf", {"shop": "b"})
    third = client.trigger("wf", {"shop": "a"})
    elsewhere = client.trigger("other", {"shop": "a"})

    listed = client.list_runs("wf")
    assert [r.run_id for r in listed] == [third, second, first]
    assert listed[0].status == "queued" and listed[0].tasks == {"pending": 3, "queued": 1}
    assert [r.run_id for r in client.list_runs(input={"shop": "a"})] == [elsewhere, third, first]
    assert [r.run_id for r in client.list_runs("wf", limit=1, before=third)] == [second]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert client.list_runs(since=future) == []

    assert sorted(client.cancel_many("wf", input={"shop": "a"})) == sorted([first, third])
    assert client.get(first).status == "cancelled" and client.get(second).status == "queued"
    assert client.get(elsewhere).status == "queued"
    with pytest.raises(RpcError) as err:
        client.cancel_many()
    assert err.value.code == "INVALID_ARGUMENT" and "HW082" in str(err.value)

    failed_diamond(conn, second)
    assert client.get(second).status == "failed"
    replay = client.replay(second)
    assert task_states(conn, replay) == {
        "a": "succeeded",
        "b": "queued",
        "c": "succeeded",
        "d": "pending",
    }
    [summary] = client.list_runs(replay_of=second)
    assert summary.run_id == replay and summary.replay_of == second and summary.version == 1
    fresh = client.replay(first, start_from="start")
    assert set(task_states(conn, fresh).values()) == {"queued", "pending"}
    with pytest.raises(RpcError) as err:
        client.replay(elsewhere)
    assert err.value.code == "FAILED_PRECONDITION" and "HW083" in str(err.value)
    with pytest.raises(RpcError) as err:
        client.replay(second, start_from="middle")
    assert err.value.code == "INVALID_ARGUMENT"


def test_cli_workflows_versions_and_rollback(conn: Conn, hewer: Hewer) -> None:
    register(conn, "wf", {"steps": [{"name": "a"}]})
    register(conn, "wf", DIAMOND | {"description": "the diamond"})

    listed = hewer("workflows", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[2].split()[:4] == ["wf", "2", "2", "2"]
    versions = hewer("workflows", "versions", "wf")
    assert [line.split()[:2] for line in versions.stdout.splitlines()[2:]] == [
        ["1", "1"],
        ["2", "*"],
    ]

    back = hewer("workflows", "rollback", "wf", "--to", "1")
    assert back.returncode == 0 and "version 1 is current (was 2)" in back.stdout
    shown = hewer("workflows", "show", "wf")
    assert "version:    1" in shown.stdout and '"name": "a"' in shown.stdout
    older = hewer("workflows", "show", "wf", "--version", "2")
    assert "no (current: version 1)" in older.stdout and "the diamond" in older.stdout

    bad = hewer("workflows", "rollback", "wf", "--to", "5")
    assert bad.returncode == 1 and "HW081" in bad.stderr and "no version 5" in bad.stderr


def test_cli_runs_list_show_cancel_replay(conn: Conn, hewer: Hewer) -> None:
    register(conn, "wf", DIAMOND)
    rows = trigger(conn, "wf", [{"n": 1}, {"n": 2}, {"n": 3}])
    one, two, three = (str(r["run_id"]) for r in rows)

    listed = hewer("runs", "list", "--workflow", "wf", "--json")
    assert [json.loads(line)["run_id"] for line in listed.stdout.splitlines()] == [three, two, one]

    cancelled = hewer("runs", "cancel", "--workflow", "wf", "--input", '{"n": 3}')
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.split() == [three] and "cancelled 1 runs" in cancelled.stderr
    assert hewer("runs", "cancel").returncode == 1
    again = hewer("runs", "cancel", three)
    assert "already cancelled" in again.stderr

    failed_diamond(conn, two)
    replayed = hewer("runs", "replay", two)
    assert replayed.returncode == 0, replayed.stderr
    new = replayed.stdout.strip()
    assert "2 steps kept, 2 to run" in replayed.stderr
    assert task_states(conn, new)["a"] == "succeeded"

    shown = hewer("runs", "show", two)
    assert shown.returncode == 0, shown.stderr
    assert "status:" in shown.stdout and "failed" in shown.stdout and new in shown.stdout
    assert "replayed" in shown.stdout and '"bad"' in shown.stdout
    as_json = json.loads(hewer("runs", "show", new, "--json").stdout)
    assert as_json["replay_of"] == two and as_json["output"] == {"a": {"a": 1}, "c": {"c": 3}}

    failed_only = hewer("runs", "list", "--status", "failed")
    assert two in failed_only.stdout and one not in failed_only.stdout
    assert hewer("runs", "replay", one).returncode == 1
