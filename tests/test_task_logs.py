"""Task log lines in the database: hewer.task_log writes them, hewer.run_logs reads them back."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import psycopg
import pytest

from pydispatch.settings import DispatcherSettings
from pyworker import Client, Context, Worker, Workflow
from pyworker.proto import hewer_pb2 as pb
from tests.engine import claim, complete, fail, register, snapshot, trigger, worker
from tests.test_cli import _env
from tests.test_dispatcher import FAST, ONE, RawWorker, ServerThread, trigger_run

Conn = psycopg.Connection[Any]


@pytest.fixture
def start_server(dsn: str) -> Iterator[Callable[..., ServerThread]]:
    """Factory: start_server(**settings) runs a dispatcher on 127.0.0.1:0 for this test."""
    started: list[ServerThread] = []

    def make(**overrides: Any) -> ServerThread:
        settings = DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **(FAST | overrides))
        started.append(ServerThread(settings).start())
        return started[-1]

    yield make
    for server in started:
        server.stop()


def log(
    conn: Conn,
    task: dict[str, Any],
    messages: list[str],
    *,
    levels: list[str | None] | None = None,
    attempt: int | None = None,
    worker_id: Any = None,
    logged_at: list[datetime | None] | None = None,
) -> list[dict[str, Any]]:
    n = len(messages)
    return conn.execute(
        "SELECT * FROM hewer.task_log(%s, %s, %s, %s, %s, %s)",
        (
            [task["task_id"]] * n,
            [attempt or task["attempt"]] * n,
            levels or ["info"] * n,
            messages,
            logged_at,
            None if worker_id is None else [worker_id] * n,
        ),
    ).fetchall()


def logs(conn: Conn, run_id: Any, after: Any = None, limit: int = 1000) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM hewer.run_logs(%s, %s, %s)", (run_id, after, limit)
    ).fetchall()


def test_lines_come_back_in_order_with_step_attempt_and_level(conn: Conn) -> None:
    register(conn, "wf", {"steps": [{"name": "fetch", "retries": 1}]})
    [r] = trigger(conn, "wf", [{}])
    w = worker(conn, ["wf:fetch"])
    [t1] = claim(conn, w)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    written = log(
        conn,
        t1,
        [f"line {i}" for i in range(50)],
        levels=["WARN", "fatal", "debug", None, "nonsense"] * 10,
        worker_id=w,
        logged_at=[at] * 50,
    )
    assert [(x["ord"], x["accepted"], x["reason"]) for x in written] == [
        (i, True, None) for i in range(1, 51)
    ]
    fail(conn, [t1])
    later = datetime.now(UTC) + timedelta(hours=1)  # past the retry's backoff
    [t2] = claim(conn, w, now=later)
    assert t2["attempt"] == 2
    log(conn, t2, ["second try"])
    complete(conn, [t2], now=later)
    # A line sent just before the completion, applied after it, still lands.
    assert [x["accepted"] for x in log(conn, t2, ["late but mine"], worker_id=w)] == [True]

    lines = logs(conn, r["run_id"])
    assert [x["message"] for x in lines] == [
        *(f"line {i}" for i in range(50)),
        "second try",
        "late but mine",
    ]
    assert [x["level"] for x in lines[:5]] == ["warning", "critical", "debug", "info", "info"]
    assert {(x["step"], x["attempt"]) for x in lines[:50]} == {("fetch", 1)}
    assert (lines[50]["step"], lines[50]["attempt"]) == ("fetch", 2)
    assert lines[0]["logged_at"] == at
    assert lines[50]["written_at"] <= lines[51]["written_at"]
    # Paging: after a line id, exclusive.
    page = logs(conn, r["run_id"], after=lines[9]["log_id"], limit=3)
    assert [x["message"] for x in page] == ["line 10", "line 11", "line 12"]


def test_lines_of_other_attempts_workers_or_tasks_are_refused_and_not_written(
    conn: Conn,
) -> None:
    register(conn, "wf", {"steps": [{"name": "s"}]})
    [r] = trigger(conn, "wf", [{}])
    w = worker(conn, ["wf:s"])
    other = worker(conn, ["wf:s"])
    [t] = claim(conn, w)
    stranger = {"task_id": uuid.uuid4(), "attempt": 1}
    assert [x["reason"] for x in log(conn, t, ["x"], attempt=2)] == ["stale_attempt"]
    assert [x["reason"] for x in log(conn, t, ["x"], worker_id=other)] == ["not_owner"]
    assert [x["reason"] for x in log(conn, stranger, ["x"])] == ["unknown_task"]
    assert logs(conn, r["run_id"]) == []


def test_a_long_message_is_cut_and_says_how_much(conn: Conn) -> None:
    register(conn, "wf", {"steps": [{"name": "s"}]})
    [r] = trigger(conn, "wf", [{}])
    w = worker(conn, ["wf:s"])
    [t] = claim(conn, w)
    log(conn, t, ["é" * 20000])
    [line] = logs(conn, r["run_id"])
    assert line["message"] == "é" * 16384 + " [cut: 3616 more characters]"


@pytest.mark.parametrize(
    ("statement", "params", "message"),
    [
        (
            "SELECT * FROM hewer.task_log(%s, ARRAY[1, 1], ARRAY['info'], ARRAY['x'])",
            ([uuid.uuid4()],),
            "array arguments differ in length",
        ),
        (
            "SELECT * FROM hewer.task_log(%s, %s, %s, %s)",
            ([uuid.uuid4()] * 1001, [1] * 1001, ["info"] * 1001, ["x"] * 1001),
            "1001 lines in one call, at most 1000",
        ),
        (
            "SELECT * FROM hewer.run_logs(%s, NULL, 0)",
            (uuid.uuid4(),),
            "limit must be between 1 and 10000",
        ),
    ],
)
def test_bad_calls_raise_hw007_and_change_nothing(
    conn: Conn, statement: str, params: tuple[Any, ...], message: str
) -> None:
    before = snapshot(conn)
    with pytest.raises(psycopg.Error, match=message) as err:
        conn.execute(statement, params)
    assert err.value.sqlstate == "HW007"
    assert snapshot(conn) == before


# -- through a dispatcher ---------------------------------------------------------------------


def test_a_streams_log_lines_are_stored_in_order_and_its_excess_refused(
    start_server: Callable[..., ServerThread], conn: Conn
) -> None:
    # Half a line a second, in bursts of 2: the third line of a quick run of five is over.
    server = start_server(task_log_rate=0.5)
    channel = grpc.insecure_channel(server.address)
    register(conn, "one", ONE)
    worker_ = RawWorker(channel, ["one:only"]).connect()
    run_id = trigger_run(channel, "one", {})
    a = worker_.assignment()
    assert worker_.ack(worker_.started(a)).accepted
    rids = [
        worker_.send(log=pb.LogLine(task_id=a.task_id, attempt=1, level="info", message=f"n{i}"))
        for i in range(5)
    ]
    acks = [worker_.ack(rid) for rid in rids]
    assert [(x.accepted, x.reason) for x in acks] == [(True, "")] * 2 + [(False, "log_rate")] * 3
    # A refused log line (here: of an attempt that is not current) leaves the task the
    # worker's: its completion still counts.
    time.sleep(2.1)
    stale = worker_.ack(worker_.send(log=pb.LogLine(task_id=a.task_id, attempt=2, message="stale")))
    assert (stale.accepted, stale.reason) == (False, "stale_attempt")
    assert worker_.ack(worker_.complete(a, "done")).accepted
    assert [x["message"] for x in logs(conn, run_id)] == ["n0", "n1"]
    worker_.close()
    channel.close()


def test_hewer_runs_logs_reads_and_follows_what_a_python_task_logged(
    start_server: Callable[..., ServerThread], dsn: str
) -> None:
    server = start_server()
    wf = Workflow("logged")
    go_on = threading.Event()

    @wf.task()
    def fetch(input: Any, ctx: Context) -> Any:
        ctx.log.info("fetching %s", input["url"])
        assert go_on.wait(60)
        try:
            raise ValueError("page 3 is empty")
        except ValueError:
            ctx.log.exception("page failed")
        ctx.log.warning("done with %d pages", 3)
        return "ok"

    env = _env(HEWER_DATABASE_URL=dsn)
    hewer = [sys.executable, "-m", "cli", "runs", "logs"]

    async def scenario() -> None:
        w = Worker("w", [wf], dispatchers=[server.address])
        await asyncio.wait_for(w.start(), 15)
        try:
            async with Client([server.address]) as client:
                run_id = await client.trigger(wf, {"url": "u"})
                follower = subprocess.Popen(
                    [*hewer, run_id, "--follow"], env=env, stdout=subprocess.PIPE, text=True
                )
                assert follower.stdout is not None
                first = await asyncio.to_thread(follower.stdout.readline)
                assert first.rstrip().endswith("fetch#1  INFO     fetching u"), first
                go_on.set()
                assert await client.result(run_id, timeout=30) == {"fetch": "ok"}
                rest, _ = await asyncio.to_thread(follower.communicate, timeout=30)
                assert follower.returncode == 0
                lines = rest.splitlines()
                assert "fetch#1  ERROR    page failed" in lines[0]
                assert lines[1].strip() == "Traceback (most recent call last):"
                assert lines[-2].strip() == "ValueError: page 3 is empty"
                assert lines[-1].endswith("fetch#1  WARNING  done with 3 pages")
                # The same lines afterwards, as JSON and for one step only.
                done = await asyncio.to_thread(
                    subprocess.run,
                    [*hewer, run_id, "--json", "--step", "fetch"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                )
                rows = [json.loads(line) for line in done.stdout.splitlines()]
                assert [(r["level"], r["message"].split("\n")[0]) for r in rows] == [
                    ("info", "fetching u"),
                    ("error", "page failed"),
                    ("warning", "done with 3 pages"),
                ]
                other = await asyncio.to_thread(
                    subprocess.run,
                    [*hewer, run_id, "--step", "nope"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                )
                assert other.stdout == ""
                assert other.stderr.strip() == (
                    f"run {run_id} (succeeded) has no log lines of step 'nope'"
                )
        finally:
            go_on.set()
            w.stop()
            await asyncio.wait_for(w.wait_closed(), 30)

    asyncio.run(scenario())


def test_hewer_runs_logs_of_an_unknown_run_says_so(dsn: str) -> None:
    missing = uuid.uuid4()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "runs", "logs", str(missing)],
        env=_env(HEWER_DATABASE_URL=dsn),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"run {missing} does not exist" in done.stderr
