"""Retries with backoff, and every timeout, driven by an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.engine import claim, complete, fail, register, run, task_states, trigger, worker

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def reap(
    conn: psycopg.Connection[Any],
    now: datetime,
    worker_timeout: str = "30 seconds",
    grace: timedelta | None = None,
) -> list[Any]:
    return conn.execute(
        "SELECT * FROM hewer.reap(%s, %s::interval,"
        " p_disconnect_grace => coalesce(%s::interval, '6 seconds'))",
        (now, worker_timeout, grace),
    ).fetchall()


def queue_ready_at(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT ready_at FROM hewer.queue").fetchone()
    assert row is not None
    return row["ready_at"]  # type: ignore[no-any-return]


def test_exponential_backoff_without_jitter(conn: psycopg.Connection[Any]) -> None:
    backoff = {"base": "2s", "factor": 3, "max": "30s", "jitter": 0}
    register(conn, "r", {"steps": [{"name": "s", "retries": 4, "backoff": backoff}]})
    [r] = trigger(conn, "r", [{}], now=T0)
    w = worker(conn, ["r:s"])
    now = T0
    delays = []
    for attempt in range(1, 5):
        [t] = claim(conn, w, now=now)
        assert t["attempt"] == attempt
        fail(conn, [t], {"message": f"try {attempt}"}, now=now)
        ready = queue_ready_at(conn)
        delays.append((ready - now).total_seconds())
        # Not claimable before its time, claimable at it.
        assert claim(conn, w, now=ready - timedelta(milliseconds=10)) == []
        now = ready
    assert delays == [2, 6, 18, 30]  # 2*3^0, 2*3^1, 2*3^2, capped at 30
    [t] = claim(conn, w, now=now)
    assert t["attempt"] == 5
    fail(conn, [t], "last", now=now)  # attempts exhausted
    assert task_states(conn, r["run_id"]) == {"s": "failed"}
    final = run(conn, r["run_id"])
    assert final["status"] == "failed" and final["error"]["error"] == "last"
    history = conn.execute(
        "SELECT kind, attempt FROM hewer.task_history(%s)", ([t["task_id"]],)
    ).fetchall()
    assert [h["kind"] for h in history].count("retrying") == 4
    assert history[-1] == {"kind": "failed", "attempt": 5}


def test_backoff_jitter_stays_within_bounds(conn: psycopg.Connection[Any]) -> None:
    backoff = {"base": "10s", "factor": 2, "max": "1h", "jitter": 0.2}
    register(conn, "j", {"steps": [{"name": "s", "retries": 1, "backoff": backoff}]})
    trigger(conn, "j", [{}] * 50, now=T0)
    w = worker(conn, ["j:s"])
    tasks = claim(conn, w, now=T0)
    fail(conn, tasks, now=T0)
    delays = [
        (r["ready_at"] - T0).total_seconds()
        for r in conn.execute("SELECT ready_at FROM hewer.queue").fetchall()
    ]
    assert len(delays) == 50 and all(8 <= d <= 12 for d in delays)
    assert len(set(delays)) > 10  # jittered, not all equal


def test_non_retryable_failure_fails_run_and_cancels_the_rest(
    conn: psycopg.Connection[Any],
) -> None:
    spec = {
        "steps": [
            {"name": "a", "retries": 5},
            {"name": "b"},
            {"name": "c", "parents": ["a"]},
            {"name": "d"},
        ]
    }
    register(conn, "nr", spec)
    [r] = trigger(conn, "nr", [{}])
    w = worker(conn, ["nr:a", "nr:b", "nr:c"])  # nobody runs d: it stays queued
    tasks = {t["step"]: t for t in claim(conn, w, limit=10)}
    assert set(tasks) == {"a", "b"}
    fail(conn, [tasks["a"]], "bad input", retryable=False)
    assert task_states(conn, r["run_id"]) == {
        "a": "failed",
        "b": "assigned",
        "c": "cancelled",
        "d": "cancelled",
    }
    assert conn.execute(
        "SELECT cancel_requested FROM hewer.tasks WHERE id = %s", (tasks["b"]["task_id"],)
    ).fetchone() == {"cancel_requested": True}
    assert run(conn, r["run_id"])["status"] == "failed"
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]


def test_execution_timeout_retries_then_fails(conn: psycopg.Connection[Any]) -> None:
    register(
        conn,
        "slow",
        {
            "steps": [
                {"name": "s", "timeout": "10s", "retries": 1, "backoff": {"base": 0, "max": 0}}
            ]
        },
    )
    [r] = trigger(conn, "slow", [{}], now=T0)
    w = worker(conn, ["slow:s"])
    conn.execute("SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([w], T0))
    [t] = claim(conn, w, now=T0)
    assert t["timeout_at"] == T0 + timedelta(seconds=10)
    assert reap(conn, T0 + timedelta(seconds=9), "1 hour") == []
    reaped = reap(conn, T0 + timedelta(seconds=11), "1 hour")
    assert reaped == [
        {"task_id": t["task_id"], "attempt": 1, "cause": "execution_timeout", "outcome": "queued"}
    ]
    # The late report of the expired attempt is rejected.
    assert complete(conn, [t], strict=False)[0]["reason"] == "stale_attempt"
    [t2] = claim(conn, w, now=T0 + timedelta(seconds=11))
    assert t2["attempt"] == 2
    reaped = reap(conn, T0 + timedelta(seconds=30), "1 hour")
    assert reaped[0]["outcome"] == "failed"
    assert run(conn, r["run_id"])["status"] == "failed"
    assert run(conn, r["run_id"])["tasks"][0]["error"]["type"] == "execution_timeout"


def test_heartbeat_extends_the_lease(conn: psycopg.Connection[Any]) -> None:
    register(conn, "hb", {"steps": [{"name": "s", "timeout": "10s"}]})
    trigger(conn, "hb", [{}], now=T0)
    w = worker(conn, ["hb:s"])
    [t] = claim(conn, w, now=T0)
    conn.execute("SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([w], T0 + timedelta(seconds=20)))
    [beat] = conn.execute(
        "SELECT * FROM hewer.task_heartbeat(%s, %s, interval '60 seconds', true, %s)",
        ([t["task_id"]], [1], T0 + timedelta(seconds=8)),
    ).fetchall()
    assert beat["accepted"] and beat["timeout_at"] == T0 + timedelta(seconds=68)
    assert reap(conn, T0 + timedelta(seconds=30), "1 hour") == []
    # A heartbeat never shortens a lease.
    [beat] = conn.execute(
        "SELECT * FROM hewer.task_heartbeat(%s, %s, NULL, true, %s)",
        ([t["task_id"]], [1], T0 + timedelta(seconds=9)),
    ).fetchall()
    assert beat["timeout_at"] == T0 + timedelta(seconds=68)


def test_schedule_timeout_fails_queued_task(conn: psycopg.Connection[Any]) -> None:
    register(conn, "st", {"steps": [{"name": "s", "schedule_timeout": "1 minute", "retries": 3}]})
    [r] = trigger(conn, "st", [{}], now=T0)
    assert reap(conn, T0 + timedelta(seconds=59)) == []
    [reaped] = reap(conn, T0 + timedelta(seconds=61))
    assert reaped["cause"] == "schedule_timeout" and reaped["outcome"] == "failed"
    assert run(conn, r["run_id"])["status"] == "failed"
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]


def test_dead_worker_tasks_are_retried(conn: psycopg.Connection[Any]) -> None:
    register(conn, "dw", {"steps": [{"name": "s", "timeout": "1h", "retries": 2}]})
    [r] = trigger(conn, "dw", [{}], now=T0)
    w1 = conn.execute(
        "SELECT hewer.worker_register('w1', ARRAY['dw:s'], 4, '{}', NULL, NULL, %s) AS id", (T0,)
    ).fetchone()["id"]  # type: ignore[index]
    [t] = claim(conn, w1, now=T0)
    conn.execute("SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([w1], T0 + timedelta(seconds=20)))
    assert reap(conn, T0 + timedelta(seconds=45)) == []  # heartbeat 25 s ago: alive
    [reaped] = reap(conn, T0 + timedelta(seconds=51))
    assert reaped["cause"] == "worker_lost" and reaped["outcome"] == "queued"
    status = conn.execute("SELECT status FROM hewer.workers WHERE id = %s", (w1,)).fetchone()
    assert status == {"status": "dead"}
    beat = conn.execute("SELECT * FROM hewer.worker_heartbeat(%s)", ([w1],)).fetchall()
    assert beat[0]["status"] == "dead"  # told to re-register
    assert claim(conn, w1, now=T0 + timedelta(seconds=60)) == []  # dead workers claim nothing
    w2 = worker(conn, ["dw:s"])
    [t2] = claim(conn, w2, now=T0 + timedelta(minutes=5))
    assert t2["task_id"] == t["task_id"] and t2["attempt"] == 2
    complete(conn, [t2], now=T0 + timedelta(minutes=5))
    assert run(conn, r["run_id"])["status"] == "succeeded"


def test_a_worker_whose_stream_broke_is_dead_after_the_disconnect_grace(
    conn: psycopg.Connection[Any],
) -> None:
    register(conn, "dc", {"steps": [{"name": "s", "timeout": "1h", "retries": 2}]})
    trigger(conn, "dc", [{}, {}], now=T0)
    ids = [
        conn.execute(
            "SELECT hewer.worker_register(%s, ARRAY['dc:s'], 1, '{}', NULL, NULL, %s) AS id",
            (name, T0),
        ).fetchone()["id"]  # type: ignore[index]
        for name in ("crashed", "came_back")
    ]
    held = [claim(conn, w, now=T0)[0] for w in ids]
    # A dispatcher saw both streams break at T0 + 1 s; the second worker heartbeats again.
    marked = conn.execute(
        "SELECT hewer.worker_disconnect(%s, %s) AS id", (ids, T0 + timedelta(seconds=1))
    ).fetchall()
    assert sorted(r["id"] for r in marked) == sorted(ids)
    conn.execute(
        "SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([ids[1]], T0 + timedelta(seconds=3))
    )
    grace = timedelta(seconds=6)
    assert reap(conn, T0 + timedelta(seconds=6), grace=grace) == []  # within the grace
    [reaped] = reap(conn, T0 + timedelta(seconds=8), grace=grace)  # far within the 30 s timeout
    assert (reaped["task_id"], reaped["cause"]) == (held[0]["task_id"], "worker_lost")
    statuses = conn.execute(
        "SELECT id, status, disconnected_at FROM hewer.workers WHERE id = ANY (%s)", (ids,)
    ).fetchall()
    by_id = {s["id"]: s for s in statuses}
    assert by_id[ids[0]]["status"] == "dead"
    assert by_id[ids[1]]["status"] == "active" and by_id[ids[1]]["disconnected_at"] is None


def test_workers_gone_for_a_day_and_holding_nothing_are_forgotten(
    conn: psycopg.Connection[Any],
) -> None:
    register(conn, "gone", {"steps": [{"name": "s", "timeout": "7 days", "retries": 2}]})
    trigger(conn, "gone", [{}], now=T0)

    def register_at(name: str, at: datetime, worker_id: Any = None) -> Any:
        return conn.execute(
            "SELECT hewer.worker_register(%s, ARRAY['gone:s'], 4, '{}', NULL, %s, %s) AS id",
            (name, worker_id, at),
        ).fetchone()["id"]  # type: ignore[index]

    stopped, busy, back = (
        register_at("stopped", T0),
        register_at("busy", T0),
        register_at("back", T0),
    )
    conn.execute("SELECT * FROM hewer.worker_stop(%s, p_now => %s)", ([stopped], T0))
    [held] = claim(conn, busy, now=T0)
    day = T0 + timedelta(days=2)

    def names() -> list[str]:
        rows = conn.execute("SELECT name FROM hewer.workers ORDER BY name").fetchall()
        return [r["name"] for r in rows]

    # First pass: the stopped one goes; busy and back are only now declared dead, and busy's
    # task is reaped. A dead worker that still holds a task is never deleted.
    [reaped] = reap(conn, day)
    assert reaped["task_id"] == held["task_id"] and reaped["cause"] == "worker_lost"
    assert names() == ["back", "busy"]
    register_at("back", day, back)  # a dead worker that comes back is active again
    reap(conn, day + timedelta(hours=1))
    assert names() == ["back"]
    # A worker that was forgotten registers anew under its id.
    register_at("busy", day, busy)
    assert names() == ["back", "busy"]
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM hewer.reap(p_worker_retention => interval '0')")
    assert info.value.sqlstate == "HW007" and "worker_retention" in str(info.value)


def test_cancel_requested_task_is_cancelled_when_its_lease_expires(
    conn: psycopg.Connection[Any],
) -> None:
    register(conn, "cx", {"steps": [{"name": "s", "timeout": "10s", "retries": 5}]})
    [r] = trigger(conn, "cx", [{}], now=T0)
    w = worker(conn, ["cx:s"])
    claim(conn, w, now=T0)
    conn.execute("SELECT * FROM hewer.run_cancel(%s, %s)", ([r["run_id"]], T0))
    [reaped] = reap(conn, T0 + timedelta(seconds=11), "1 hour")
    assert reaped["outcome"] == "cancelled"
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]


@pytest.mark.parametrize("reapers", [4])
def test_concurrent_reapers_reap_each_task_once(
    conn: psycopg.Connection[Any], connect: Any, reapers: int
) -> None:
    import threading

    register(conn, "cr", {"steps": [{"name": "s", "timeout": "1s", "retries": 3}]})
    trigger(conn, "cr", [{}] * 200, now=T0)
    w = worker(conn, ["cr:s"], slots=1000)
    assert len(claim(conn, w, limit=1000, now=T0)) == 200
    results: list[list[Any]] = []
    errors: list[BaseException] = []
    conns = [connect() for _ in range(reapers)]
    barrier = threading.Barrier(reapers)

    def go(c: psycopg.Connection[Any]) -> None:
        try:
            barrier.wait()
            results.append(reap(c, T0 + timedelta(seconds=5), "1 hour"))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=go, args=(c,)) for c in conns]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    reaped = [row["task_id"] for res in results for row in res]
    assert len(reaped) == 200 and len(set(reaped)) == 200
    assert conn.execute(
        "SELECT count(*) AS n FROM hewer.tasks WHERE status = 'queued' AND attempt = 1"
    ).fetchone() == {"n": 200}
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone() == {"n": 200}


def test_reaper_skips_a_locked_run_and_a_racing_heartbeat_wins(
    conn: psycopg.Connection[Any], connect: Any
) -> None:
    register(conn, "race", {"steps": [{"name": "s", "timeout": "10s", "retries": 3}]})
    [r] = trigger(conn, "race", [{}], now=T0)
    w = worker(conn, ["race:s"])
    conn.execute("SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([w], T0 + timedelta(seconds=20)))
    [t] = claim(conn, w, now=T0)
    holder = connect()
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM hewer.runs WHERE id = %s FOR UPDATE", (r["run_id"],))
    # The reaper never waits for a row lock: the locked run is left to a later pass
    # (a session holding it, such as a tenant's open transaction, stalls nothing).
    assert reap(connect(), T0 + timedelta(seconds=11), "1 hour") == []
    holder.execute(
        "SELECT * FROM hewer.task_heartbeat(%s, %s, interval '1 hour', true, %s)",
        ([t["task_id"]], [1], T0 + timedelta(seconds=10)),
    )
    holder.execute("COMMIT")
    # The heartbeat that raced ahead wins: the lease is no longer expired.
    assert reap(connect(), T0 + timedelta(seconds=11), "1 hour") == []
    assert task_states(conn, r["run_id"]) == {"s": "assigned"}
    # Once the lease does run out, the next pass reaps it.
    reaped = reap(connect(), T0 + timedelta(hours=2), "1 hour")
    assert [(x["task_id"], x["cause"]) for x in reaped] == [(t["task_id"], "execution_timeout")]
