"""Runs through their states: trigger, claim, start, complete, DAG progression, cancel."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.engine import (
    DIAMOND,
    claim,
    complete,
    fail,
    register,
    run,
    snapshot,
    task_states,
    trigger,
    worker,
)


def test_single_task_run_goes_through_every_state(conn: psycopg.Connection[Any]) -> None:
    register(conn, "one", {"steps": [{"name": "only"}]})
    [r] = trigger(conn, "one", [{"x": 1}])
    assert run(conn, r["run_id"])["status"] == "queued"
    assert task_states(conn, r["run_id"]) == {"only": "queued"}

    w = worker(conn, ["one:only"])
    [t] = claim(conn, w)
    assert t["attempt"] == 1 and t["input"] == {"x": 1} and t["parents"] == {}
    assert t["workflow"] == "one" and t["step"] == "only" and t["action"] == "one:only"
    assert task_states(conn, r["run_id"]) == {"only": "assigned"}
    assert run(conn, r["run_id"])["status"] == "running"
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]

    started = conn.execute(
        "SELECT * FROM hewer.task_start(%s, %s)", ([t["task_id"]], [1])
    ).fetchall()
    assert started[0]["accepted"]
    assert task_states(conn, r["run_id"]) == {"only": "running"}

    [ok] = complete(conn, [t], [{"answer": 42}])
    assert ok["accepted"] and ok["reason"] is None
    final = run(conn, r["run_id"])
    assert final["status"] == "succeeded" and final["finished_at"] is not None
    assert final["output"] == {"only": {"answer": 42}}

    kinds = [
        e["kind"]
        for e in conn.execute("SELECT * FROM hewer.task_history(%s)", ([t["task_id"]],)).fetchall()
    ]
    assert kinds == ["created", "assigned", "started", "succeeded"]


def test_a_completion_without_a_start_report_records_the_start(
    conn: psycopg.Connection[Any],
) -> None:
    """Workers skip `started` for a task that ends quickly: the completion records it."""
    register(conn, "quick", {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]})
    [r] = trigger(conn, "quick", [{}])
    w = worker(conn, ["quick:a", "quick:b"])
    [a] = claim(conn, w)
    [ok] = complete(conn, [a])
    assert ok["accepted"]
    [b] = claim(conn, w)
    conn.execute("SELECT * FROM hewer.task_start(%s, %s)", ([b["task_id"]], [1]))
    [ok] = complete(conn, [b])
    assert ok["accepted"] and run(conn, r["run_id"])["status"] == "succeeded"

    tasks = conn.execute(
        "SELECT step, assigned_at, started_at, finished_at FROM hewer.tasks"
        " WHERE run_id = %s ORDER BY step",
        (r["run_id"],),
    ).fetchall()
    # a: started when it was assigned; b: when its start report came.
    assert tasks[0]["started_at"] == tasks[0]["assigned_at"] < tasks[0]["finished_at"]
    assert tasks[1]["assigned_at"] < tasks[1]["started_at"] < tasks[1]["finished_at"]
    for t in (a, b):
        history = conn.execute(
            "SELECT kind, status, created_at FROM hewer.task_history(%s)", ([t["task_id"]],)
        ).fetchall()
        assert [(e["kind"], e["status"]) for e in history] == [
            ("created", "pending" if t is b else "queued"),
            *([("queued", "queued")] if t is b else []),
            ("assigned", "assigned"),
            ("started", "running"),
            ("succeeded", "succeeded"),
        ]
    events = conn.execute(
        "SELECT e.kind, e.created_at FROM hewer.task_events e WHERE e.task_id = %s ORDER BY e.id",
        (a["task_id"],),
    ).fetchall()
    assert [e["kind"] for e in events][-2:] == ["started", "succeeded"]
    assert events[-2]["created_at"] == tasks[0]["started_at"]


def test_diamond_passes_parent_outputs_and_finishes(conn: psycopg.Connection[Any]) -> None:
    register(conn, "diamond", DIAMOND)
    [r] = trigger(conn, "diamond", [{"n": 1}])
    w = worker(conn, [f"diamond:{s}" for s in "abcd"])
    assert task_states(conn, r["run_id"]) == {
        "a": "queued",
        "b": "pending",
        "c": "pending",
        "d": "pending",
    }

    [a] = claim(conn, w)
    assert a["step"] == "a"
    assert claim(conn, w) == []  # b and c wait for a
    complete(conn, [a], [{"from": "a"}])

    bc = claim(conn, w)
    assert sorted(t["step"] for t in bc) == ["b", "c"]
    assert all(t["parents"] == {"a": {"from": "a"}} for t in bc)
    complete(conn, bc[:1])
    assert claim(conn, w) == []  # d waits for both
    complete(conn, bc[1:])

    [d] = claim(conn, w)
    assert d["step"] == "d"
    assert d["parents"] == {"b": {"done": "b"}, "c": {"done": "c"}}
    assert run(conn, r["run_id"])["status"] == "running"
    complete(conn, [d])
    assert run(conn, r["run_id"])["status"] == "succeeded"


def test_fan_out_of_100_and_fan_in(conn: psycopg.Connection[Any]) -> None:
    steps: list[dict[str, Any]] = [{"name": "root"}]
    steps += [{"name": f"leaf{i}", "parents": ["root"]} for i in range(100)]
    steps += [{"name": "gather", "parents": [f"leaf{i}" for i in range(100)]}]
    register(conn, "fan", {"steps": steps})
    [r] = trigger(conn, "fan", [{}])
    w = worker(conn, [f"fan:{s['name']}" for s in steps], slots=1000)

    [root] = claim(conn, w)
    complete(conn, [root])
    leaves = claim(conn, w, limit=1000)
    assert len(leaves) == 100 and {t["step"] for t in leaves} == {f"leaf{i}" for i in range(100)}

    # Complete the leaves in three batches of different sizes.
    complete(conn, leaves[:1])
    complete(conn, leaves[1:60])
    assert claim(conn, w) == []
    complete(conn, leaves[60:])
    [gather] = claim(conn, w)
    assert gather["step"] == "gather" and len(gather["parents"]) == 100
    complete(conn, [gather])
    assert run(conn, r["run_id"])["status"] == "succeeded"


def test_many_runs_in_one_trigger_and_one_claim(conn: psycopg.Connection[Any]) -> None:
    register(conn, "batch", {"steps": [{"name": "s"}]})
    rows = trigger(conn, "batch", [{"i": i} for i in range(250)])
    assert [r["ord"] for r in rows] == list(range(1, 251)) and all(r["created"] for r in rows)
    w = worker(conn, ["batch:s"], slots=1000)
    tasks = claim(conn, w, limit=1000)
    assert sorted(t["input"]["i"] for t in tasks) == list(range(250))
    assert all(r["accepted"] for r in complete(conn, tasks))
    statuses = conn.execute("SELECT status, count(*) AS n FROM hewer.runs GROUP BY 1").fetchall()
    assert statuses == [{"status": "succeeded", "n": 250}]


def test_a_large_trigger_stays_linear_under_a_cached_generic_plan(
    conn: psycopg.Connection[Any],
) -> None:
    # PL/pgSQL runs a function's statements with a cached generic plan from a session's
    # sixth call on (forced here from the first), which takes a batch for one row. When
    # run_trigger linked a batch's tasks by joining them with themselves, that plan made it
    # quadratic: 1,000 runs of a 3-step chain took 5.5 s, 10,000 took 15 minutes.
    register(conn, "diamond", DIAMOND)
    conn.execute("SET plan_cache_mode = force_generic_plan")
    started = time.monotonic()
    rows = trigger(conn, "diamond", [{"i": i} for i in range(3000)])
    elapsed = time.monotonic() - started
    conn.execute("RESET plan_cache_mode")
    assert len(rows) == 3000
    assert elapsed < 20, f"3,000 runs of a diamond took {elapsed:.1f} s"
    # Every task links the tasks of its own run of its spec's parent and child steps, in
    # id order.
    links = conn.execute(
        """
        SELECT t.step,
               array_agg(DISTINCT (SELECT coalesce(string_agg(p.step, ',' ORDER BY p.step), '')
                                   FROM hewer.tasks p
                                   WHERE p.id = ANY (t.parent_ids) AND p.run_id = t.run_id
                                   HAVING count(*) = cardinality(t.parent_ids))) AS parents,
               array_agg(DISTINCT (SELECT coalesce(string_agg(c.step, ',' ORDER BY c.step), '')
                                   FROM hewer.tasks c
                                   WHERE c.id = ANY (t.child_ids) AND c.run_id = t.run_id
                                   HAVING count(*) = cardinality(t.child_ids))) AS children,
               bool_and(t.parent_ids = ARRAY(SELECT unnest(t.parent_ids) ORDER BY 1)
                        AND t.child_ids = ARRAY(SELECT unnest(t.child_ids) ORDER BY 1)) AS sorted,
               count(*) AS n
        FROM hewer.tasks t GROUP BY t.step ORDER BY t.step
        """
    ).fetchall()
    assert [(r["step"], r["parents"], r["children"], r["sorted"], r["n"]) for r in links] == [
        ("a", [""], ["b,c"], True, 3000),
        ("b", ["a"], ["d"], True, 3000),
        ("c", ["a"], ["d"], True, 3000),
        ("d", ["b,c"], [""], True, 3000),
    ]


def test_priority_then_fifo(conn: psycopg.Connection[Any]) -> None:
    register(conn, "p", {"steps": [{"name": "s"}]})
    low = trigger(conn, "p", [{"i": i} for i in range(3)], priorities=[0, 0, 0])
    high = trigger(conn, "p", [{"i": 10}], priorities=[5])
    w = worker(conn, ["p:s"])
    order = [t["run_id"] for t in claim(conn, w, limit=10)]
    assert order == [high[0]["run_id"]] + [r["run_id"] for r in low]


def test_worker_slots_cap_claims(conn: psycopg.Connection[Any]) -> None:
    register(conn, "slots", {"steps": [{"name": "s"}]})
    trigger(conn, "slots", [{}] * 5)
    w = worker(conn, ["slots:s"], slots=2)
    first = claim(conn, w, limit=10)
    assert len(first) == 2
    assert claim(conn, w) == []
    complete(conn, first[:1])
    assert len(claim(conn, w, limit=10)) == 1


def test_claim_only_for_the_workers_actions(conn: psycopg.Connection[Any]) -> None:
    register(conn, "x", {"steps": [{"name": "s"}]})
    register(conn, "y", {"steps": [{"name": "s", "action": "shared"}]})
    trigger(conn, "x", [{}])
    trigger(conn, "y", [{}])
    w = worker(conn, ["shared"])
    [t] = claim(conn, w, limit=10)
    assert t["workflow"] == "y" and t["action"] == "shared"


def test_idempotent_trigger(conn: psycopg.Connection[Any]) -> None:
    register(conn, "idem", {"steps": [{"name": "s"}]})
    first = trigger(conn, "idem", [{"a": 1}, {"a": 2}], keys=["k1", None])
    again = trigger(conn, "idem", [{"a": 99}, {"a": 3}], keys=["k1", "k2"])
    assert again[0]["run_id"] == first[0]["run_id"] and not again[0]["created"]
    assert again[1]["created"]
    assert run(conn, first[0]["run_id"])["input"] == {"a": 1}
    assert conn.execute("SELECT count(*) AS n FROM hewer.runs").fetchone()["n"] == 3  # type: ignore[index]


def test_trigger_joins_the_callers_transaction(conn: psycopg.Connection[Any]) -> None:
    register(conn, "tx", {"steps": [{"name": "s"}]})
    conn.execute("CREATE TABLE public.orders (id int)")

    def enqueue_then_crash() -> None:
        with conn.transaction():
            conn.execute("INSERT INTO public.orders VALUES (1)")
            trigger(conn, "tx", [{"order": 1}])
            raise RuntimeError("application error after enqueue")

    with pytest.raises(RuntimeError):
        enqueue_then_crash()
    assert conn.execute("SELECT count(*) AS n FROM hewer.runs").fetchone()["n"] == 0  # type: ignore[index]
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]
    with conn.transaction():
        conn.execute("INSERT INTO public.orders VALUES (2)")
        trigger(conn, "tx", [{"order": 2}])
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 1  # type: ignore[index]


def _tag(value: str) -> str:
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()[:16]


def test_notify_once_per_statement(conn: psycopg.Connection[Any], connect: Any) -> None:
    register(conn, "n", {"steps": [{"name": "a"}, {"name": "b"}, {"name": "c", "parents": ["a"]}]})
    listener = connect()
    listener.execute("LISTEN hewer_ready")
    listener.execute("LISTEN hewer_run_done")
    trigger(conn, "n", [{}] * 20)
    notes = list(listener.notifies(timeout=0.5, stop_after=100))
    assert len(notes) == 1
    payload = json.loads(notes[0].payload)
    # Tags, not names: any login may LISTEN (hewer.notify_tag('<tenant>:<action>')).
    tenant = "00000000-0000-0000-0000-000000000000"
    assert sorted(payload["tags"]) == sorted([_tag(f"{tenant}:n:a"), _tag(f"{tenant}:n:b")])
    assert payload["tenant"] == _tag(tenant) and "n:a" not in notes[0].payload

    w = worker(conn, ["n:a", "n:b", "n:c"], slots=1000)
    tasks = claim(conn, w, limit=1000)
    complete(conn, tasks)
    notes = list(listener.notifies(timeout=0.5, stop_after=100))
    channels = sorted(n.channel for n in notes)
    assert channels == ["hewer_ready"]  # the c tasks of 20 runs, one notification
    assert json.loads(notes[0].payload)["tags"] == [_tag(f"{tenant}:n:c")]
    complete(conn, claim(conn, w, limit=1000))
    notes = list(listener.notifies(timeout=0.5, stop_after=100))
    assert [n.channel for n in notes] == ["hewer_run_done"]
    assert len(json.loads(notes[0].payload)["runs"]) == 20


def test_cancel_run(conn: psycopg.Connection[Any], connect: Any) -> None:
    register(conn, "c", {"steps": [{"name": "a"}, {"name": "a2"}, {"name": "b", "parents": ["a"]}]})
    [r] = trigger(conn, "c", [{}])
    w = worker(conn, ["c:a", "c:a2", "c:b"])
    listener = connect()
    listener.execute("LISTEN hewer_cancel")
    [a] = claim(conn, w, limit=1)
    res = conn.execute("SELECT * FROM hewer.run_cancel(%s)", ([r["run_id"]],)).fetchall()
    assert res == [{"run_id": r["run_id"], "cancelled": True, "status": "cancelled"}]
    states = task_states(conn, r["run_id"])
    # The claimed task keeps running until its worker stops it; the rest are cancelled.
    assert states[a["step"]] == "assigned"
    assert [s for k, s in states.items() if k != a["step"]] == ["cancelled", "cancelled"]
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()["n"] == 0  # type: ignore[index]
    [note] = list(listener.notifies(timeout=0.5, stop_after=10))
    assert json.loads(note.payload) == {"workers": [_tag(str(w))]}
    todo = conn.execute("SELECT * FROM hewer.task_cancellations(%s)", ([w],)).fetchall()
    assert todo == [{"worker_id": w, "task_id": a["task_id"], "attempt": 1}]
    # The worker stops the task and reports it failed: it ends cancelled, never retried.
    fail(conn, [a], "cancelled by user")
    assert task_states(conn, r["run_id"])[a["step"]] == "cancelled"
    assert run(conn, r["run_id"])["status"] == "cancelled"
    # Cancelling again changes nothing.
    again = conn.execute("SELECT * FROM hewer.run_cancel(%s)", ([r["run_id"]],)).fetchall()
    assert again[0]["cancelled"] is False


def test_late_completion_of_cancelled_run_keeps_output(conn: psycopg.Connection[Any]) -> None:
    register(conn, "late", {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]})
    [r] = trigger(conn, "late", [{}])
    w = worker(conn, ["late:a", "late:b"])
    [a] = claim(conn, w)
    conn.execute("SELECT * FROM hewer.run_cancel(%s)", ([r["run_id"]],))
    complete(conn, [a], [{"kept": True}])
    assert task_states(conn, r["run_id"]) == {"a": "succeeded", "b": "cancelled"}
    assert run(conn, r["run_id"])["status"] == "cancelled"
    assert claim(conn, w) == []


@pytest.mark.parametrize("strict", [True, False])
def test_fencing_rejects_stale_attempts(conn: psycopg.Connection[Any], strict: bool) -> None:
    register(conn, "f", {"steps": [{"name": "s", "retries": 3, "backoff": {"base": 0, "max": 0}}]})
    [r] = trigger(conn, "f", [{}])
    w = worker(conn, ["f:s"])
    [t1] = claim(conn, w)
    fail(conn, [t1])  # retried: attempt 2 is next
    [t2] = claim(conn, w)
    assert t2["attempt"] == 2
    before = snapshot(conn)
    if strict:
        with pytest.raises(psycopg.Error) as err:
            complete(conn, [t1], strict=True)
        assert err.value.sqlstate == "HW006"
        assert "attempt 1" in str(err.value) and "at attempt 2" in str(err.value)
    else:
        [res] = complete(conn, [t1], strict=False)
        assert res["accepted"] is False and res["reason"] == "stale_attempt"
    assert snapshot(conn) == before
    # The current attempt is accepted.
    assert complete(conn, [t2])[0]["accepted"]
    assert run(conn, r["run_id"])["status"] == "succeeded"
    # And a second report of the same attempt is stale too.
    with pytest.raises(psycopg.Error) as err2:
        complete(conn, [t2])
    assert err2.value.sqlstate == "HW006"


def test_batch_reports_mix_accepted_and_rejected(conn: psycopg.Connection[Any]) -> None:
    register(conn, "mix", {"steps": [{"name": "s"}]})
    trigger(conn, "mix", [{}] * 3)
    w = worker(conn, ["mix:s"])
    tasks = claim(conn, w, limit=3)
    ghost = {
        "task_id": uuid.UUID("01900000-0000-7000-8000-000000000000"),
        "attempt": 1,
        "step": "s",
    }
    res = complete(conn, [tasks[0], ghost, tasks[1], tasks[1]], strict=False)
    assert [(x["accepted"], x["reason"]) for x in res] == [
        (True, None),
        (False, "unknown_task"),
        (True, None),
        (False, "duplicate"),
    ]
    statuses = sorted(
        r["status"] for r in conn.execute("SELECT status FROM hewer.tasks").fetchall()
    )
    assert statuses == ["assigned", "succeeded", "succeeded"]


def test_a_stale_report_does_not_mask_the_current_one_in_the_same_batch(
    conn: psycopg.Connection[Any],
) -> None:
    """A worker that was frozen may report attempt 1 in the same batch as attempt 2 of the
    same task (reassigned to it after it came back): attempt 2 must land, whatever the order."""
    register(conn, "mask", {"steps": [{"name": "s", "retries": 1, "backoff": {"base": 0}}]})
    trigger(conn, "mask", [{}])
    w = worker(conn, ["mask:s"])
    [first] = claim(conn, w)
    fail(conn, [first], retryable=True)
    [second] = claim(conn, w)
    assert second["attempt"] == 2
    res = complete(conn, [first, second], strict=False)
    assert [(x["accepted"], x["reason"]) for x in res] == [
        (False, "stale_attempt"),
        (True, None),
    ]
    row = conn.execute("SELECT status, attempt FROM hewer.tasks").fetchone()
    assert row == {"status": "succeeded", "attempt": 2}


BAD_CALLS: list[tuple[str, str, tuple[Any, ...], str]] = [
    (
        "unknown workflow",
        "SELECT * FROM hewer.run_trigger('nope', ARRAY['{}'::jsonb])",
        (),
        "HW003",
    ),
    (
        "input not object",
        "SELECT * FROM hewer.run_trigger('ok', ARRAY['{}'::jsonb, '[1]'::jsonb])",
        (),
        "HW004",
    ),
    (
        "null input",
        "SELECT * FROM hewer.run_trigger('ok', ARRAY[NULL::jsonb])",
        (),
        "HW004",
    ),
    (
        "malformed json input",
        "SELECT * FROM hewer.run_trigger('ok', ARRAY['{oops'::jsonb])",
        (),
        "22P02",
    ),
    (
        "priority out of range",
        "SELECT * FROM hewer.run_trigger('ok', ARRAY['{}'::jsonb], ARRAY[5000])",
        (),
        "HW007",
    ),
    (
        "arrays differ",
        "SELECT * FROM hewer.run_trigger('ok', ARRAY['{}'::jsonb], ARRAY[1, 2])",
        (),
        "HW007",
    ),
    (
        "unknown task",
        "SELECT * FROM hewer.task_complete(ARRAY['01900000-0000-7000-8000-000000000000'::uuid],"
        " ARRAY[1], ARRAY['{}'::jsonb])",
        (),
        "HW005",
    ),
    (
        "wrong attempt",
        "SELECT * FROM hewer.task_complete(ARRAY[(SELECT id FROM hewer.tasks LIMIT 1)],"
        " ARRAY[7], ARRAY['{}'::jsonb])",
        (),
        "HW006",
    ),
    (
        "null attempt",
        "SELECT * FROM hewer.task_fail(ARRAY[(SELECT id FROM hewer.tasks LIMIT 1)],"
        " ARRAY[NULL::int], ARRAY['{}'::jsonb])",
        (),
        "HW006",
    ),
    (
        "complete arrays differ",
        "SELECT * FROM hewer.task_complete(ARRAY[(SELECT id FROM hewer.tasks LIMIT 1)],"
        " ARRAY[1, 2], ARRAY['{}'::jsonb])",
        (),
        "HW007",
    ),
    ("unknown worker", "SELECT * FROM hewer.task_claim(gen_random_uuid(), 1)", (), "HW008"),
    (
        "claim limit",
        "SELECT * FROM hewer.task_claim((SELECT id FROM hewer.workers LIMIT 1), 0)",
        (),
        "HW007",
    ),
    ("unknown run", "SELECT * FROM hewer.run_cancel(ARRAY[gen_random_uuid()])", (), "HW009"),
    ("no actions", "SELECT hewer.worker_register('w', ARRAY[]::text[], 1)", (), "HW007"),
    ("bad slots", "SELECT hewer.worker_register('w', ARRAY['a'], 0)", (), "HW007"),
    (
        "heartbeat extend",
        "SELECT * FROM hewer.task_heartbeat(ARRAY[]::uuid[], ARRAY[]::int[], interval '-1 s')",
        (),
        "HW007",
    ),
]


@pytest.mark.parametrize(
    ("case", "sql", "params", "code"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS]
)
def test_bad_calls_raise_documented_codes_and_change_nothing(
    conn: psycopg.Connection[Any], case: str, sql: str, params: tuple[Any, ...], code: str
) -> None:
    register(conn, "ok", {"steps": [{"name": "s"}]})
    trigger(conn, "ok", [{}])
    w = worker(conn, ["ok:s"])
    claim(conn, w)
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute(sql, params).fetchall()
    assert err.value.sqlstate == code, (case, str(err.value))
    assert snapshot(conn) == before


def test_claim_uses_the_queue_index_not_a_scan_of_the_backlog(
    conn: psycopg.Connection[Any],
) -> None:
    register(conn, "big", {"steps": [{"name": "s"}]})
    register(conn, "other", {"steps": [{"name": "s"}]})
    for _ in range(6):
        trigger(conn, "big", [{}] * 1000)
    conn.execute("ANALYZE hewer.queue")
    w = worker(conn, ["big:s", "other:s"])

    def scans() -> dict[str, int]:
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT seq_scan, idx_scan FROM pg_stat_user_tables "
            "WHERE schemaname = 'hewer' AND relname = 'queue'"
        ).fetchone()
        assert row is not None
        return dict(row)

    before = scans()
    for _ in range(5):
        assert len(claim(conn, w, limit=1)) == 1
    after = scans()
    assert after["seq_scan"] == before["seq_scan"]
    assert after["idx_scan"] > before["idx_scan"]


def test_reports_are_fenced_by_the_reporting_worker(conn: psycopg.Connection[Any]) -> None:
    register(conn, "own", {"steps": [{"name": "s"}]})
    trigger(conn, "own", [{}])
    holder = worker(conn, ["own:s"])
    other = worker(conn, ["own:s"])
    [t] = claim(conn, holder)
    before = snapshot(conn)
    [res] = conn.execute(
        "SELECT * FROM hewer.task_complete(%s, %s, ARRAY['1'::jsonb], false, now(), %s)",
        ([t["task_id"]], [t["attempt"]], [other]),
    ).fetchall()
    assert res["accepted"] is False and res["reason"] == "not_owner"
    with pytest.raises(psycopg.Error) as err:
        conn.execute(
            "SELECT * FROM hewer.task_fail(%s, %s, ARRAY['1'::jsonb], NULL, true, now(), %s)",
            ([t["task_id"]], [t["attempt"]], [other]),
        )
    assert err.value.sqlstate == "HW006" and "another worker" in str(err.value)
    assert snapshot(conn) == before
    [ok] = conn.execute(
        "SELECT * FROM hewer.task_complete(%s, %s, ARRAY['1'::jsonb], true, now(), %s)",
        ([t["task_id"]], [t["attempt"]], [holder]),
    ).fetchall()
    assert ok["accepted"]
