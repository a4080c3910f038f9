"""Durable waits: a step waits for an event or a sleep in status 'waiting', outside the ready
queue, and is released by the router (events pushed from plain SQL) or the ticker (deadlines,
with an injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pyworker import DefinitionError, Wait, Workflow
from tests import engine
from tests.test_cron import tick
from tests.test_events import route

Conn = psycopg.Connection[Any]
T0 = datetime(2030, 1, 1, tzinfo=UTC)

CHECKOUT = {
    "steps": [
        {"name": "reserve"},
        {
            "name": "ship",
            "parents": ["reserve"],
            "wait": {
                "event": "payment.settled",
                "match": "payload.order_id == input.order_id",
                "timeout": "1h",
            },
        },
        {"name": "notify", "parents": ["ship"]},
    ]
}


def queue_size(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()
    assert row is not None
    return int(row["n"])


def start(conn: Conn, workflow: str, inputs: list[dict[str, Any]]) -> list[Any]:
    return [r["run_id"] for r in engine.trigger(conn, workflow, inputs, now=T0)]


def finish_step(conn: Conn, worker: Any, step: str, now: datetime = T0) -> list[Any]:
    claimed = [t for t in engine.claim(conn, worker, now=now) if t["step"] == step]
    engine.complete(conn, claimed, now=now)
    return [t["run_id"] for t in claimed]


def test_an_event_pushed_from_sql_releases_only_the_correlated_run(dsn: str, conn: Conn) -> None:
    engine.register(conn, "checkout", CHECKOUT)
    worker = engine.worker(conn, ["checkout:reserve", "checkout:ship", "checkout:notify"])
    first, second = start(conn, "checkout", [{"order_id": 1}, {"order_id": 2}])
    assert len(finish_step(conn, worker, "reserve")) == 2
    # Parents done, but ship waits: in 'waiting', not on the ready queue.
    assert engine.task_states(conn, first)["ship"] == "waiting"
    assert queue_size(conn) == 0
    assert engine.claim(conn, worker, now=T0) == []

    # An unrelated key and a non-matching order change nothing.
    conn.execute(
        "SELECT hewer.push_event('payment.failed', '{\"order_id\": 1}', p_now => %s)", (T0,)
    )
    conn.execute(
        "SELECT hewer.push_event('payment.settled', '{\"order_id\": 3}', p_now => %s)", (T0,)
    )
    assert route(dsn).released == 0
    assert engine.task_states(conn, first)["ship"] == "waiting"

    conn.execute(
        "SELECT hewer.push_event('payment.settled', '{\"order_id\": 2}', p_now => %s)",
        (T0 + timedelta(minutes=5),),
    )
    assert route(dsn).released == 1
    assert engine.task_states(conn, first)["ship"] == "waiting"
    assert engine.task_states(conn, second)["ship"] == "queued"
    assert finish_step(conn, worker, "ship") == [second]
    assert finish_step(conn, worker, "notify") == [second]
    assert engine.run(conn, second)["status"] == "succeeded"
    kinds = [
        r["kind"]
        for r in conn.execute(
            "SELECT e.kind FROM hewer.task_events e JOIN hewer.tasks t ON t.id = e.task_id "
            "WHERE t.run_id = %s AND t.step = 'ship' ORDER BY e.id",
            (second,),
        ).fetchall()
    ]
    # Completing reserve logs 'queued', and the same transaction diverts ship to 'waiting'.
    assert kinds[:4] == ["created", "queued", "waiting", "wait_satisfied"]
    # The same event routed again (or another one) releases nothing twice.
    conn.execute(
        "SELECT hewer.push_event('payment.settled', '{\"order_id\": 2}', p_now => %s)",
        (T0 + timedelta(minutes=6),),
    )
    assert route(dsn).released == 0


def test_an_event_before_the_wait_began_does_not_count(dsn: str, conn: Conn) -> None:
    engine.register(conn, "checkout", CHECKOUT)
    worker = engine.worker(conn, ["checkout:reserve"])
    [run_id] = start(conn, "checkout", [{"order_id": 9}])
    conn.execute(
        "SELECT hewer.push_event('payment.settled', '{\"order_id\": 9}', p_now => %s)",
        (T0 - timedelta(seconds=1),),
    )
    finish_step(conn, worker, "reserve")
    assert route(dsn).released == 0
    assert engine.task_states(conn, run_id)["ship"] == "waiting"


def test_a_sleep_ends_on_the_ticker_with_an_injected_clock(dsn: str, conn: Conn) -> None:
    engine.register(conn, "nap", {"steps": [{"name": "a", "wait": {"sleep": "10 minutes"}}]})
    [run_id] = start(conn, "nap", [{}])
    assert engine.task_states(conn, run_id) == {"a": "waiting"}
    assert queue_size(conn) == 0
    tick(dsn, T0 + timedelta(minutes=9))
    assert engine.task_states(conn, run_id) == {"a": "waiting"}
    tick(dsn, T0 + timedelta(minutes=10))
    assert engine.task_states(conn, run_id) == {"a": "queued"}
    worker = engine.worker(conn, ["nap:a"])
    claimed = engine.claim(conn, worker, now=T0 + timedelta(minutes=10))
    assert [t["step"] for t in claimed] == ["a"]


def test_a_retry_does_not_wait_again(dsn: str, conn: Conn) -> None:
    engine.register(conn, "nap", {"steps": [{"name": "a", "retries": 1, "wait": {"sleep": 60}}]})
    [run_id] = start(conn, "nap", [{}])
    tick(dsn, T0 + timedelta(minutes=1))
    worker = engine.worker(conn, ["nap:a"])
    later = T0 + timedelta(minutes=1)
    engine.fail(conn, engine.claim(conn, worker, now=later), retryable=True, now=later)
    assert engine.task_states(conn, run_id) == {"a": "queued"}


@pytest.mark.parametrize("on_timeout", ["fail", "skip"])
def test_an_event_wait_times_out(dsn: str, conn: Conn, on_timeout: str) -> None:
    spec = {
        "steps": [
            {"name": "ship", "wait": {"event": "paid", "timeout": "1h", "on_timeout": on_timeout}},
            {"name": "notify", "parents": ["ship"]},
        ]
    }
    engine.register(conn, "timed", spec)
    [run_id] = start(conn, "timed", [{}])
    tick(dsn, T0 + timedelta(minutes=59))
    assert engine.task_states(conn, run_id)["ship"] == "waiting"
    tick(dsn, T0 + timedelta(hours=1))
    states = engine.task_states(conn, run_id)
    if on_timeout == "fail":
        assert states == {"ship": "failed", "notify": "cancelled"}
        run = engine.run(conn, run_id)
        assert run["status"] == "failed"
        assert run["error"]["error"]["type"] == "wait_timeout"
    else:
        assert states == {"ship": "succeeded", "notify": "queued"}
        ship = next(t for t in engine.run(conn, run_id)["tasks"] if t["step"] == "ship")
        assert ship["output"] == {"skipped": "wait_timeout"}
    # An event after the timeout changes nothing.
    conn.execute("SELECT hewer.push_event('paid', p_now => %s)", (T0 + timedelta(hours=2),))
    assert route(dsn).released == 0


def test_cancelling_a_run_cancels_its_waiting_task(dsn: str, conn: Conn) -> None:
    engine.register(conn, "nap", {"steps": [{"name": "a", "wait": {"sleep": 60}}]})
    [run_id] = start(conn, "nap", [{}])
    conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (run_id,))
    assert engine.task_states(conn, run_id) == {"a": "cancelled"}
    tick(dsn, T0 + timedelta(hours=1))
    assert engine.task_states(conn, run_id) == {"a": "cancelled"}
    row = conn.execute("SELECT status FROM hewer.task_waits").fetchone()
    assert row == {"status": "cancelled"}


def test_a_wait_match_error_is_recorded_and_the_task_keeps_waiting(dsn: str, conn: Conn) -> None:
    spec = {"steps": [{"name": "a", "wait": {"event": "e", "match": "payload.n > input.min"}}]}
    engine.register(conn, "typed_wait", spec)
    [run_id] = start(conn, "typed_wait", [{"min": 5}])
    conn.execute("SELECT hewer.push_event('e', '{\"n\": \"x\"}', p_now => %s)", (T0,))
    route(dsn)
    row = conn.execute("SELECT status, error FROM hewer.task_waits").fetchone()
    assert row is not None and row["status"] == "waiting" and "no matching overload" in row["error"]
    conn.execute("SELECT hewer.push_event('e', %s, p_now => %s)", (Jsonb({"n": 6}), T0))
    assert route(dsn).released == 1
    assert engine.task_states(conn, run_id) == {"a": "queued"}


def test_bad_waits_are_rejected(conn: Conn) -> None:
    for wait, words in [
        ({"event": "e", "sleep": 1}, "either"),
        ({}, "either"),
        ({"event": "bad key"}, "wait.event"),
        ({"event": "e", "match": "(x"}, "never closed"),
        ({"event": "e", "on_timeout": "retry"}, "on_timeout"),
        ({"event": "e", "timeout": "forever"}, "duration"),
        ({"sleep": "1 minute", "timeout": 5}, "unknown field"),
    ]:
        with pytest.raises(psycopg.Error) as exc:
            engine.register(conn, "w", {"steps": [{"name": "a", "wait": wait}]})
        assert exc.value.sqlstate == "HW001"
        assert words in str(exc.value), (wait, str(exc.value))


def test_sdk_declares_waits() -> None:
    wf = Workflow("sdk_waits")

    @wf.task
    def reserve(inp: Any, ctx: Any) -> None: ...

    @wf.task(
        parents=[reserve],
        wait=Wait.event("payment.settled", "payload.order_id == input.order_id", timeout="1h"),
    )
    def ship(inp: Any, ctx: Any) -> None: ...

    @wf.task(parents=[ship], wait=Wait.sleep("10m"))
    def notify(inp: Any, ctx: Any) -> None: ...

    steps = {s["name"]: s for s in wf.spec()["steps"]}
    assert steps["ship"]["wait"] == {
        "event": "payment.settled",
        "match": "payload.order_id == input.order_id",
        "timeout": 3600,
    }
    assert steps["notify"]["wait"] == {"sleep": 600}
    with pytest.raises(DefinitionError, match="invalid CEL"):
        Wait.event("k", "payload.x ==")
    with pytest.raises(DefinitionError, match="on_timeout"):
        Wait.event("k", on_timeout="retry")
