"""Concurrency strategies, rate limits, slot cost, priorities and bad limits, step by step
with an injected clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.engine import claim, complete, fail, register, snapshot, trigger, worker

Conn = psycopg.Connection[Any]
T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _status(conn: Conn, run_id: Any) -> tuple[str, Any]:
    row = conn.execute("SELECT status, error FROM hewer.runs WHERE id = %s", (run_id,)).fetchone()
    assert row is not None
    return row["status"], row["error"]


def _held(conn: Conn) -> dict[str, int]:
    row = conn.execute(
        "SELECT (SELECT coalesce(sum(running), 0) FROM hewer.semaphores)::int AS sems, "
        "(SELECT count(*) FROM hewer.run_holds)::int AS runs"
    ).fetchone()
    assert row is not None
    return row  # type: ignore[no-any-return]


def test_workflow_limit_holds_a_slot_per_run_until_it_finishes(conn: Conn) -> None:
    register(
        conn,
        "w",
        {
            "concurrency": {"key": "input.user", "max": 1},
            "steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}],
        },
    )
    r1, r2, r3 = trigger(conn, "w", [{"user": "x"}, {"user": "x"}, {"user": "y"}])
    w = worker(conn, ["w:a", "w:b"])
    got = claim(conn, w)
    assert sorted(t["run_id"] for t in got) == sorted([r1["run_id"], r3["run_id"]])
    # r1 moves on to b while r2 still waits: the slot is the run's, not the task's.
    complete(conn, [t for t in got if t["run_id"] == r1["run_id"]])
    got = claim(conn, w)
    assert [(t["run_id"], t["step"]) for t in got] == [(r1["run_id"], "b")]
    complete(conn, got)
    got = claim(conn, w)
    assert [(t["run_id"], t["step"]) for t in got] == [(r2["run_id"], "a")]


@pytest.mark.parametrize("next_task", ["retry", "later step"])
def test_a_full_workflow_slot_is_not_starved_by_the_runs_waiting_for_it(
    conn: Conn, next_task: str
) -> None:
    # The slot's holder gets its next task (a retry, or its second step) queued
    # behind more waiting runs than one claim looks at: that task must still be
    # claimed, since only it can ever free the slot.
    register(
        conn,
        "st",
        {
            "concurrency": {"key": "input.k", "max": 1},
            "steps": [
                {"name": "a", "retries": 1, "backoff": {"base": 0, "max": 0, "jitter": 0}},
                {"name": "b", "parents": ["a"]},
            ],
        },
    )
    (holder,) = trigger(conn, "st", [{"k": "x"}])
    w = worker(conn, ["st:a", "st:b"])
    got = claim(conn, w, limit=1)
    assert [t["run_id"] for t in got] == [holder["run_id"]]
    waiting = trigger(conn, "st", [{"k": "x"}] * 40)
    if next_task == "retry":
        fail(conn, got, retryable=True)
    else:
        complete(conn, got)
    for _ in range(3 if next_task == "retry" else 2):
        got = claim(conn, w, limit=1)
        assert [t["run_id"] for t in got] == [holder["run_id"]], "the slot's holder was starved"
        if got[0]["step"] == "b":
            complete(conn, got)
            break
        complete(conn, got)
    assert _status(conn, holder["run_id"])[0] == "succeeded"
    # The slot is free again: the first waiting run takes it.
    got = claim(conn, w, limit=1)
    assert [t["run_id"] for t in got] == [waiting[0]["run_id"]]


def test_cancel_newest_cancels_a_new_run_while_its_key_is_full(conn: Conn) -> None:
    register(
        conn,
        "cn",
        {
            "concurrency": {"key": "input.k", "max": 1, "strategy": "CANCEL_NEWEST"},
            "steps": [{"name": "s"}],
        },
    )
    (a,) = trigger(conn, "cn", [{"k": "x"}])
    b, c = trigger(conn, "cn", [{"k": "x"}, {"k": "y"}])
    assert _status(conn, a["run_id"])[0] == "queued"
    status, error = _status(conn, b["run_id"])
    assert status == "cancelled"
    assert error["type"] == "concurrency" and error["strategy"] == "CANCEL_NEWEST"
    assert _status(conn, c["run_id"])[0] == "queued"
    w = worker(conn, ["cn:s"])
    got = claim(conn, w)
    assert sorted(t["run_id"] for t in got) == sorted([a["run_id"], c["run_id"]])
    complete(conn, got)
    (d,) = trigger(conn, "cn", [{"k": "x"}])
    assert _status(conn, d["run_id"])[0] == "queued"


def test_cancel_in_progress_cancels_the_oldest_running_run(conn: Conn) -> None:
    register(
        conn,
        "cp",
        {
            "concurrency": {"key": "input.k", "max": 1, "strategy": "CANCEL_IN_PROGRESS"},
            "steps": [{"name": "s"}],
        },
    )
    (a,) = trigger(conn, "cp", [{"k": "x"}])
    w = worker(conn, ["cp:s"])
    (task_a,) = claim(conn, w)
    (b,) = trigger(conn, "cp", [{"k": "x"}])
    status, error = _status(conn, a["run_id"])
    assert status == "cancelled" and error["strategy"] == "CANCEL_IN_PROGRESS"
    flagged = conn.execute(
        "SELECT cancel_requested FROM hewer.tasks WHERE id = %s", (task_a["task_id"],)
    ).fetchone()
    assert flagged == {"cancel_requested": True}
    # The new run takes the key's slot at once.
    got = claim(conn, w)
    assert [t["run_id"] for t in got] == [b["run_id"]]
    fail(conn, [task_a])
    complete(conn, got)
    assert _held(conn) == {"sems": 0, "runs": 0}


def test_cancel_newest_holds_under_concurrent_triggers(conn: Conn, connect: Any) -> None:
    register(
        conn,
        "cc",
        {
            "concurrency": {"key": "input.k", "max": 2, "strategy": "CANCEL_NEWEST"},
            "steps": [{"name": "s"}],
        },
    )
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def go() -> None:
        c = connect()
        try:
            barrier.wait()
            with c.transaction():
                trigger(c, "cc", [{"k": "same"}])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    counts = conn.execute(
        "SELECT status, count(*) AS n FROM hewer.runs GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert {r["status"]: r["n"] for r in counts} == {"queued": 2, "cancelled": 4}


def test_every_exit_path_releases_holds(conn: Conn) -> None:
    conn.execute("SELECT hewer.concurrency_limit_set('action', 'x:s', 5)")
    conn.execute("SELECT hewer.concurrency_limit_set('tenant', '', 50)")
    register(
        conn,
        "x",
        {
            "concurrency": {"key": "input.k", "max": 3},
            "steps": [{"name": "s", "concurrency": {"key": "input.k", "max": 2}, "retries": 1}],
        },
    )
    runs = trigger(conn, "x", [{"k": "a"} for _ in range(4)])
    w = worker(conn, ["x:s"])
    got = claim(conn, w, now=T0)
    assert len(got) == 2
    # Per task: tenant, action, step; per run: its workflow key.
    assert _held(conn) == {"sems": 2 * 3 + 2, "runs": 2}
    fail(conn, [got[0]], retryable=True, now=T0)  # retried: task holds back, run keeps its slot
    assert _held(conn) == {"sems": 3 + 2, "runs": 2}
    conn.execute("SELECT * FROM hewer.reap(%s)", (T0 + timedelta(hours=1),))  # lease expired
    assert _held(conn) == {"sems": 2, "runs": 2}
    conn.execute("SELECT * FROM hewer.run_cancel(%s)", ([r["run_id"] for r in runs],))
    assert _held(conn) == {"sems": 0, "runs": 0}
    runs = trigger(conn, "x", [{"k": "a"}])
    got = claim(conn, worker(conn, ["x:s"]))  # the reaper found the first worker silent
    assert len(got) == 1
    fail(conn, got, retryable=False)
    assert _status(conn, runs[0]["run_id"])[0] == "failed"
    assert _held(conn) == {"sems": 0, "runs": 0}


def test_a_sibling_of_a_failed_step_holds_its_limits_until_it_is_reported(conn: Conn) -> None:
    # b fails for good while its sibling c runs: the run fails and gives back its
    # workflow slot, but c still runs on its worker, so it keeps counting against
    # the tenant and action limits until that worker reports it.
    conn.execute("SELECT hewer.concurrency_limit_set('tenant', '', 6)")
    conn.execute("SELECT hewer.concurrency_limit_set('action', 'shared', 1)")
    register(
        conn,
        "sib",
        {
            "concurrency": {"key": "input.k", "max": 1},
            "steps": [
                {"name": "a"},
                {"name": "b", "parents": ["a"]},
                {"name": "c", "parents": ["a"], "action": "shared"},
            ],
        },
    )
    (r,) = trigger(conn, "sib", [{"k": "x"}])
    w = worker(conn, ["sib:a", "sib:b", "shared"])
    complete(conn, claim(conn, w, now=T0), now=T0)
    got = {t["step"]: t for t in claim(conn, w, now=T0)}
    # b: the tenant's; c: the tenant's and the action's; the run: its key's.
    assert _held(conn) == {"sems": 4, "runs": 1}
    fail(conn, [got["b"]], retryable=False, now=T0)
    assert _status(conn, r["run_id"])[0] == "failed"
    assert _held(conn) == {"sems": 2, "runs": 0}
    # The action's one slot is still c's: another run's c waits for it.
    trigger(conn, "sib", [{"k": "y"}])
    complete(conn, claim(conn, w, now=T0), now=T0)
    other = worker(conn, ["shared"])
    assert claim(conn, other, now=T0) == []
    complete(conn, [got["c"]], now=T0)
    assert _held(conn) == {"sems": 1, "runs": 1}  # the new run's workflow slot
    assert [t["step"] for t in claim(conn, other, now=T0)] == ["c"]


def test_static_rate_limit_defers_without_blocking_the_work_behind(conn: Conn) -> None:
    conn.execute("SELECT hewer.rate_limit_set('rpm', 2, '1 second', 2)")
    register(
        conn,
        "r",
        {
            "steps": [
                {"name": "llm", "action": "shared", "rate_limits": [{"limit": "rpm"}]},
            ]
        },
    )
    register(conn, "free", {"steps": [{"name": "s", "action": "shared"}]})
    trigger(conn, "r", [{"i": i} for i in range(5)], now=T0)
    trigger(conn, "free", [{"i": 0}], now=T0)
    w = worker(conn, ["shared"])
    got = claim(conn, w, now=T0)
    # Two tokens: two LLM calls; the unlimited task behind the others runs too.
    assert sorted(t["workflow"] for t in got) == ["free", "r", "r"]
    # The waiting ones are spread out as the tokens will come: 2 per second.
    waiting = conn.execute("SELECT ready_at FROM hewer.queue ORDER BY id").fetchall()
    assert [q["ready_at"] for q in waiting] == [T0 + timedelta(seconds=s) for s in (0.5, 1, 1.5)]
    assert claim(conn, w, now=T0 + timedelta(seconds=0.4)) == []
    assert len(claim(conn, w, now=T0 + timedelta(seconds=0.5))) == 1
    assert len(claim(conn, w, now=T0 + timedelta(seconds=1.5))) == 2


def test_dynamic_rate_limit_has_a_bucket_per_key(conn: Conn) -> None:
    conn.execute("SELECT hewer.rate_limit_set('per-user', 1, '1 minute', 1)")
    register(
        conn,
        "d",
        {
            "steps": [
                {
                    "name": "s",
                    "rate_limits": [{"limit": "per-user", "key": "input.user", "units": 1}],
                }
            ]
        },
    )
    trigger(conn, "d", [{"user": "a"}, {"user": "a"}, {"user": "b"}], now=T0)
    w = worker(conn, ["d:s"])
    got = claim(conn, w, now=T0)
    assert sorted(t["input"]["user"] for t in got) == ["a", "b"]
    listed = conn.execute("SELECT * FROM hewer.rate_limit_list(%s)", (T0,)).fetchall()
    assert [(r["name"], r["buckets"]) for r in listed] == [("per-user", 2)]
    # Raising the rate at runtime takes effect at the next claim.
    conn.execute("SELECT hewer.rate_limit_set('per-user', 60, '1 minute', 1)")
    assert len(claim(conn, w, now=T0 + timedelta(seconds=1))) == 1


def test_units_spend_several_tokens(conn: Conn) -> None:
    conn.execute("SELECT hewer.rate_limit_set('tpm', 10, '1 second', 10)")
    register(conn, "u", {"steps": [{"name": "s", "rate_limits": [{"limit": "tpm", "units": 4}]}]})
    trigger(conn, "u", [{} for _ in range(4)], now=T0)
    w = worker(conn, ["u:s"])
    assert len(claim(conn, w, now=T0)) == 2  # 8 of 10 tokens
    assert len(claim(conn, w, now=T0 + timedelta(seconds=0.2))) == 1  # 2 + 2 refilled


def test_slot_cost_caps_a_workers_running_tasks(conn: Conn) -> None:
    register(conn, "big", {"steps": [{"name": "s", "action": "gpu", "slots": 3}]})
    register(conn, "small", {"steps": [{"name": "s", "action": "gpu"}]})
    trigger(conn, "big", [{}, {}])
    trigger(conn, "small", [{}, {}])
    w = worker(conn, ["gpu"], slots=4)
    got = claim(conn, w)
    assert sorted(t["workflow"] for t in got) == ["big", "small"]
    assert claim(conn, w) == []
    complete(conn, [t for t in got if t["workflow"] == "small"])
    assert [t["workflow"] for t in claim(conn, w)] == ["small"]


def test_priority_across_workflows_sharing_an_action_and_on_trigger(conn: Conn) -> None:
    register(conn, "lo", {"priority": 1, "steps": [{"name": "s", "action": "shared"}]})
    register(conn, "hi", {"steps": [{"name": "s", "action": "shared", "priority": 5}]})
    trigger(conn, "lo", [{"i": 1}])
    trigger(conn, "hi", [{"i": 2}])
    trigger(conn, "lo", [{"i": 3}], priorities=[9])
    w = worker(conn, ["shared"])
    order = [claim(conn, w, limit=1)[0]["input"]["i"] for _ in range(3)]
    assert order == [3, 2, 1]


def test_a_retried_task_goes_behind_the_tasks_already_waiting(conn: Conn) -> None:
    register(
        conn,
        "rt",
        {"steps": [{"name": "s", "retries": 3, "backoff": {"base": 0, "max": 0, "jitter": 0}}]},
    )
    trigger(conn, "rt", [{"i": i} for i in range(3)])
    w = worker(conn, ["rt:s"])
    (first,) = claim(conn, w, limit=1)
    assert first["input"]["i"] == 0
    fail(conn, [first], retryable=True)
    assert [t["input"]["i"] for t in claim(conn, w)] == [1, 2, 0]


BAD_SPECS = [
    (
        {"concurrency": {"key": "input.k", "max": 0}, "steps": [{"name": "s"}]},
        "HW022",
        '"max" must be',
    ),
    ({"concurrency": {"max": -3}, "steps": [{"name": "s"}]}, "HW022", "got -3"),
    ({"concurrency": {"key": "input.k"}, "steps": [{"name": "s"}]}, "HW022", "got nothing"),
    (
        {"concurrency": {"max": 1, "strategy": "LIFO"}, "steps": [{"name": "s"}]},
        "HW022",
        'strategy "LIFO" is not one of',
    ),
    (
        {"steps": [{"name": "s", "concurrency": {"max": 1, "strategy": "CANCEL_NEWEST"}}]},
        "HW022",
        "is not one of GROUP_ROUND_ROBIN",
    ),
    (
        {"steps": [{"name": "s", "concurrency": {"key": "has(input.k)", "max": 1}}]},
        "HW020",
        "has()",
    ),
    (
        {"steps": [{"name": "s", "rate_limits": [{"limit": "nope"}]}]},
        "HW023",
        'rate limit "nope" does not exist',
    ),
    (
        {"steps": [{"name": "s", "rate_limits": [{"limit": "rl", "units": 0}]}]},
        "HW022",
        '"units" must be',
    ),
    ({"steps": [{"name": "s", "slots": 0}]}, "HW001", '"slots" must be'),
]


@pytest.mark.parametrize(("spec", "code", "message"), BAD_SPECS)
def test_bad_limits_in_a_spec_are_refused_and_change_nothing(
    conn: Conn, spec: dict[str, Any], code: str, message: str
) -> None:
    conn.execute("SELECT hewer.rate_limit_set('rl', 1)")
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        register(conn, "bad", spec)
    assert err.value.sqlstate == code
    assert message in str(err.value)
    assert snapshot(conn) == before


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("SELECT hewer.rate_limit_set('rl', 0)", "rate must be a positive number, got 0"),
        ("SELECT hewer.rate_limit_set('rl', -5)", "got -5"),
        ("SELECT hewer.rate_limit_set('rl', 1, '0 seconds')", "period must be more than 0"),
        ("SELECT hewer.rate_limit_set('rl', 1, '1 second', 0.5)", "burst must be at least 1"),
        ("SELECT hewer.rate_limit_set('bad name', 1)", "invalid rate limit name"),
        ("SELECT hewer.rate_limit_delete('nope')", "rate limit 'nope' does not exist"),
        (
            "SELECT hewer.concurrency_limit_set('action', 'call_openai', 0)",
            "max must be at least 1, got 0",
        ),
        ("SELECT hewer.concurrency_limit_set('tenant', '', -1)", "got -1"),
        ("SELECT hewer.concurrency_limit_set('planet', 'x', 1)", "unknown scope 'planet'"),
    ],
)
def test_bad_runtime_limits_get_clear_errors(conn: Conn, call: str, message: str) -> None:
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute(call)
    assert err.value.sqlstate in ("HW022", "HW023")
    assert message in str(err.value)
    assert snapshot(conn) == before


def test_an_input_without_a_key_field_is_refused_at_trigger(conn: Conn) -> None:
    register(
        conn, "k", {"concurrency": {"key": "input.user.id", "max": 1}, "steps": [{"name": "s"}]}
    )
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        trigger(conn, "k", [{"user": {"id": 1}}, {"user": "flat"}])
    assert err.value.sqlstate == "HW021"
    assert "input #2" in str(err.value) and "input.user.id" in str(err.value)
    assert snapshot(conn) == before


def test_runs_triggered_from_plain_sql_get_their_keys(conn: Conn) -> None:
    conn.execute(
        """SELECT hewer.workflow_register('sqlwf', '{
             "concurrency": {"key": "input.org + \\":\\" + input.model", "max": 1},
             "steps": [{"name": "s"}]}')"""
    )
    conn.execute(
        """SELECT hewer.run_trigger('sqlwf', ARRAY['{"org": "acme", "model": "gpt"}'::jsonb])"""
    )
    row = conn.execute("SELECT concurrency_key FROM hewer.runs").fetchone()
    assert row == {"concurrency_key": "acme:gpt"}
