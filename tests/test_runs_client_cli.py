"""Run management and workflow versions through the Python client (a real dispatcher over
gRPC) and the `hewer workflows` / `hewer runs` commands (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import psycopg
import pytest

from pydispatch.settings import DispatcherSettings
from pyworker import SyncClient
from pyworker.errors import RpcError
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from tests.engine import (
    DIAMOND,
    claim,
    complete,
    fail,
    register,
    snapshot,
    task_states,
    trigger,
    worker,
)
from tests.test_cli import _env
from tests.test_dispatcher import FAST, ServerThread

Conn = psycopg.Connection[Any]
Hewer = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def server(dsn: str) -> Iterator[ServerThread]:
    thread = ServerThread(
        DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST)
    ).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def client(server: ServerThread) -> Iterator[SyncClient]:
    with SyncClient([server.address]) as c:
        yield c


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

    # A failure from a worker reads as a traceback, once, not as JSON in a table cell.
    trace = "Traceback (most recent call last):\n  File \"w.py\", line 3, in f\nKeyError: 'docs'\n"
    register(conn, "one_step", {"steps": [{"name": "a"}]})
    (single,) = trigger(conn, "one_step", [{"n": 9}])
    w = worker(conn, ["one_step:a"])
    got = claim(conn, w)
    fail(conn, got, {"type": "KeyError", "message": "'docs'", "traceback": trace}, retryable=False)
    shown = hewer("runs", "show", str(single["run_id"]))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines.count("Traceback (most recent call last):") == 1, shown.stdout
    assert '  File "w.py", line 3, in f' in lines and "\\n" not in shown.stdout
    assert max(len(line) for line in lines) < 200, shown.stdout
    assert any(line.startswith("error:") and "KeyError: 'docs'" in line for line in lines)

    failed_only = hewer("runs", "list", "--status", "failed")
    assert two in failed_only.stdout and one not in failed_only.stdout
    assert hewer("runs", "replay", one).returncode == 1


def test_client_lists_and_cancels_by_metadata(
    conn: Conn, client: SyncClient, server: ServerThread
) -> None:
    register(conn, "wf", DIAMOND)
    b1 = client.trigger("wf", {"n": 1}, metadata={"batch": "b1", "team": "x"})
    b1_too = client.trigger("wf", {"n": 2}, metadata={"batch": "b1", "size": 7})
    b2 = client.trigger("wf", {"n": 3}, metadata={"batch": "b2"})
    bare = client.trigger("wf", {"n": 4})

    assert [r.run_id for r in client.list_runs(metadata={"batch": "b1"})] == [b1_too, b1]
    assert [r.run_id for r in client.list_runs("wf", metadata={"size": 7})] == [b1_too]
    assert client.list_runs(metadata={"batch": "b1", "team": "y"}) == []
    listed = {r.run_id: r.metadata for r in client.list_runs("wf")}
    assert listed == {
        b1: {"batch": "b1", "team": "x"},
        b1_too: {"batch": "b1", "size": 7},
        b2: {"batch": "b2"},
        bare: {},
    }

    # The runs' first tasks are held by a worker (b1's running): cancelling asks it to stop.
    w = worker(conn, ["wf:a"])
    held = {str(t["run_id"]): t for t in claim(conn, w)}
    conn.execute(
        "SELECT * FROM hewer.task_start(%s::uuid[], %s::integer[])",
        ([held[b1]["task_id"]], [held[b1]["attempt"]]),
    )
    before = snapshot(conn)
    for bad in ({"batch": ["b1"]}, {"batch": None}):
        with pytest.raises(RpcError) as err:
            client.cancel_many(metadata=bad)
        assert err.value.code == "INVALID_ARGUMENT" and "HW082" in str(err.value)
        assert "metadata filter" in str(err.value)
    with pytest.raises(RpcError) as err:
        client.cancel_many(metadata={})  # {} is no filter
    assert err.value.code == "INVALID_ARGUMENT" and "no filter given" in str(err.value)
    channel = grpc.insecure_channel(server.address)
    with pytest.raises(grpc.RpcError) as raw:
        pb_grpc.RunsStub(channel).List(
            pb.ListRunsRequest(filter=pb.RunFilter(metadata_json='{"batch": '))
        )
    channel.close()
    assert raw.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "filter.metadata_json is not valid JSON" in (raw.value.details() or "")
    assert snapshot(conn) == before

    assert sorted(client.cancel_many(metadata={"batch": "b1"})) == sorted([b1, b1_too])
    assert client.get(b1).status == "cancelled" and client.get(b1_too).status == "cancelled"
    assert client.get(b2).status == "running" and client.get(bare).status == "running"
    asked = conn.execute("SELECT * FROM hewer.task_cancellations(ARRAY[%s::uuid])", (w,)).fetchall()
    assert {x["task_id"] for x in asked} == {held[b1]["task_id"], held[b1_too]["task_id"]}

    replay = client.replay(b1_too, start_from="start")
    [summary] = client.list_runs(replay_of=b1_too)
    assert summary.run_id == replay and summary.metadata == {"batch": "b1", "size": 7}


def test_cli_runs_list_and_cancel_by_metadata(conn: Conn, hewer: Hewer) -> None:
    register(conn, "wf", DIAMOND)
    rows = conn.execute(
        "SELECT * FROM hewer.run_trigger('wf', array_fill('{}'::jsonb, ARRAY[4]), "
        "p_metadata => %s::jsonb[])",
        (
            [
                json.dumps({"customer": "acme", "batch": 7}),
                json.dumps({"customer": "acme"}),
                json.dumps({"customer": "globex", "batch": 7}),
                None,
            ],
        ),
    ).fetchall()
    acme7, acme, globex7, _bare = (str(r["run_id"]) for r in rows)

    def listed(*args: str) -> list[str]:
        result = hewer("runs", "list", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["run_id"] for line in result.stdout.splitlines()]

    assert listed("--metadata", "customer=acme") == [acme, acme7]
    assert listed("--metadata", "customer=acme", "--metadata", '{"batch": 7}') == [acme7]
    assert listed("--metadata", '{"batch": 7}') == [globex7, acme7]
    assert listed("--metadata", "batch=7") == []  # KEY=VALUE is a string tag
    as_json = hewer("runs", "list", "--json", "--metadata", "customer=globex")
    assert json.loads(as_json.stdout)["additional_metadata"] == {"customer": "globex", "batch": 7}
    table = hewer("runs", "list", "--metadata", "customer=globex")
    assert '{"batch":7,"customer":"globex"}' in table.stdout.splitlines()[2]

    for bad, message in [
        (["--metadata", "customer"], "--metadata 'customer' is not KEY=VALUE or a JSON object"),
        (["--metadata", "=acme"], "--metadata '=acme' is not KEY=VALUE"),
        (["--metadata", "{nope"], "--metadata is not valid JSON"),
        (["--metadata", "a=1", "--metadata", "a=2"], 'gives tag \'a\' twice ("1" and "2")'),
        (["--metadata", '{"a": [1]}'], "HW082"),
    ]:
        for command in ("list", "cancel"):
            result = hewer("runs", command, *bad)
            assert result.returncode == 1, (command, bad, result.stdout)
            assert message in result.stderr, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--metadata" in hewer("runs", "cancel", "--metadata", "{}").stderr  # no filter
    assert {r["status"] for r in conn.execute("SELECT status FROM hewer.runs")} == {"queued"}

    cancelled = hewer("runs", "cancel", "--metadata", "batch=x", "--metadata", '{"batch": 7}')
    assert cancelled.returncode == 1 and "gives tag 'batch' twice" in cancelled.stderr
    cancelled = hewer("runs", "cancel", "--metadata", '{"batch": 7}', "--workflow", "wf")
    assert cancelled.returncode == 0, cancelled.stderr
    assert sorted(cancelled.stdout.split()) == sorted([acme7, globex7])
    assert "cancelled 2 runs" in cancelled.stderr
    assert listed("--status", "queued", "--metadata", "customer=acme") == [acme]


def test_a_run_no_worker_can_serve_says_so(conn: Conn, hewer: Hewer) -> None:
    register(conn, "lonely", {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]})
    (run,) = trigger(conn, "lonely", [{}])
    run_id = str(run["run_id"])
    waiting = "waiting: step 'a' needs action 'lonely:a', which no live worker serves"
    shown = hewer("runs", "show", run_id)
    assert waiting in shown.stdout, shown.stdout
    # A worker for it: no longer said.
    worker(conn, ["lonely:a"])
    assert "waiting:" not in hewer("runs", "show", run_id).stdout


def test_run_wait_says_what_the_run_waits_for(
    conn: Conn, hewer: Hewer, server: ServerThread
) -> None:
    register(conn, "lonely", {"steps": [{"name": "a"}]})
    waited = hewer("run", "lonely", "--wait", "--timeout", "5", "--dispatcher", server.address)
    assert waited.returncode == 1, waited
    lines = waited.stderr.splitlines()
    said = [line for line in lines if line.startswith("waiting:")]
    assert said == [
        "waiting: step 'a' needs action 'lonely:a', which no live worker serves; start a "
        "worker that registers it (hewer worker MODULE:ATTR)"
    ], waited.stderr
    assert "still going after 5.0s" in lines[-1]


def test_runs_watch_follows_a_run_live(conn: Conn, hewer: Hewer, server: ServerThread) -> None:
    register(conn, "watched", {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]})
    (run,) = trigger(conn, "watched", [{}])
    run_id = str(run["run_id"])
    w = worker(conn, ["watched:a", "watched:b"])
    complete(conn, claim(conn, w))
    complete(conn, claim(conn, w))
    watched = hewer("runs", "watch", run_id, "--dispatcher", server.address)
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert lines[-1] == f"run {run_id} succeeded"
    assert any(" a " in line and "succeeded" in line for line in lines), lines
    assert any(" b " in line and "succeeded" in line for line in lines), lines
    (failing,) = trigger(conn, "watched", [{}])
    fail(conn, claim(conn, w), retryable=False)
    watched = hewer("runs", "watch", str(failing["run_id"]), "--dispatcher", server.address)
    assert watched.returncode == 1 and watched.stdout.splitlines()[-1].endswith(" failed")


def test_run_of_an_unknown_workflow_says_how_a_cli_user_fixes_it(
    hewer: Hewer, server: ServerThread
) -> None:
    ran = hewer("run", "nope", "--dispatcher", server.address)
    assert ran.returncode == 1
    assert ran.stderr.strip() == (
        "hewer: workflow 'nope' does not exist: start a worker that defines it "
        "(hewer worker MODULE:ATTR) and run this again; names are case-sensitive"
    )
