"""Child workflows in SQL: run_spawn (fenced, idempotent per child key), the parent link,
the cancel cascade, metadata propagation and filtering (hewer.runs_by_metadata)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from hewer_tools.chaos.invariants import database_violations
from tests.engine import claim, complete, fail, register, run, snapshot, trigger, worker

Row = dict[str, Any]
NO_BACKOFF = {"base": "1s", "factor": 1, "max": "1s", "jitter": 0}


def spawn(
    conn: psycopg.Connection[Any],
    task: Row,
    workflow: str,
    inputs: list[dict[str, Any]],
    keys: list[str | None] | None = None,
    metadata: list[dict[str, Any] | None] | None = None,
) -> list[Row]:
    return conn.execute(
        "SELECT * FROM hewer.run_spawn(%s, %s, %s, %s::jsonb[], %s, %s::jsonb[])",
        (
            task["task_id"],
            task["attempt"],
            workflow,
            [json.dumps(i) for i in inputs],
            keys,
            None if metadata is None else [None if m is None else json.dumps(m) for m in metadata],
        ),
    ).fetchall()


def children(conn: psycopg.Connection[Any], run_id: Any) -> list[Row]:
    return conn.execute("SELECT * FROM hewer.run_children(ARRAY[%s::uuid])", (run_id,)).fetchall()


def setup(conn: psycopg.Connection[Any]) -> Any:
    register(conn, "parent", {"steps": [{"name": "fan", "retries": 2, "backoff": NO_BACKOFF}]})
    register(conn, "child", {"steps": [{"name": "work"}]})
    return worker(conn, ["parent:fan", "child:work"])


def test_retried_parent_spawns_each_keyed_child_once_and_reads_their_results(
    conn: psycopg.Connection[Any],
) -> None:
    w = setup(conn)
    [p] = conn.execute(
        "SELECT * FROM hewer.run_trigger('parent', ARRAY['{}'::jsonb], p_metadata => %s::jsonb[])",
        ([json.dumps({"team": "search", "batch": 7})],),
    ).fetchall()
    [t1] = claim(conn, w)
    first = spawn(conn, t1, "child", [{"i": i} for i in range(3)], [f"c{i}" for i in range(3)])
    assert [r["created"] for r in first] == [True, True, True]
    [failed] = fail(conn, [t1], "crashed after spawning")
    assert failed["accepted"]

    # The failed attempt can spawn no more: fenced like any report.
    with pytest.raises(psycopg.Error) as stale:
        spawn(conn, t1, "child", [{"i": 9}], ["c9"])
    assert stale.value.sqlstate == "HW006"

    later = datetime.now(UTC) + timedelta(seconds=5)
    tasks = claim(conn, w, now=later)
    [t2] = [t for t in tasks if t["action"] == "parent:fan"]
    assert t2["attempt"] == 2
    again = spawn(conn, t2, "child", [{"i": i} for i in range(3)], [f"c{i}" for i in range(3)])
    assert [r["run_id"] for r in again] == [r["run_id"] for r in first]
    assert [r["created"] for r in again] == [False, False, False]

    kids = children(conn, p["run_id"])
    assert [k["run_id"] for k in kids] == [r["run_id"] for r in first]
    assert [k["child_key"] for k in kids] == ["c0", "c1", "c2"]
    assert {k["parent_task_id"] for k in kids} == {t1["task_id"]}
    assert all(k["additional_metadata"] == {"team": "search", "batch": 7} for k in kids)
    count = conn.execute(
        "SELECT count(*) AS n FROM hewer.runs WHERE parent_run_id = %s", (p["run_id"],)
    ).fetchone()
    assert count is not None and count["n"] == 3

    work = [t for t in tasks if t["action"] == "child:work"]
    work += claim(conn, w, now=later)
    assert len(work) == 3
    complete(conn, work, [{"double": t["input"]["i"] * 2} for t in work], now=later)
    outputs = sorted(run(conn, r["run_id"])["output"]["work"]["double"] for r in again)
    assert outputs == [0, 2, 4]
    assert run(conn, p["run_id"])["status"] == "running"
    complete(conn, [t2], [{"sum": sum(outputs)}], now=later)
    assert run(conn, p["run_id"])["status"] == "succeeded"


def test_same_key_twice_in_one_batch_and_unkeyed_children(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    trigger(conn, "parent", [{}])
    [t] = claim(conn, w)
    rows = spawn(conn, t, "child", [{"a": 1}, {"a": 2}, {}, {}], ["k", "k", None, None])
    assert rows[0]["run_id"] == rows[1]["run_id"] and [r["created"] for r in rows][:2] == [
        True,
        False,
    ]
    assert rows[2]["created"] and rows[3]["created"] and rows[2]["run_id"] != rows[3]["run_id"]
    assert len(children(conn, t["run_id"])) == 3


def test_metadata_merges_over_the_parents_and_is_filterable(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    [p] = conn.execute(
        "SELECT * FROM hewer.run_trigger('parent', ARRAY['{}'::jsonb], p_metadata => %s::jsonb[])",
        ([json.dumps({"customer": "acme", "tier": "gold"})],),
    ).fetchall()
    trigger(conn, "parent", [{}])  # no metadata: {}
    [t] = [x for x in claim(conn, w) if x["run_id"] == p["run_id"]]
    [a, b] = spawn(conn, t, "child", [{}, {}], metadata=[{"tier": "silver", "part": 1}, None])
    meta = {k["run_id"]: k["additional_metadata"] for k in children(conn, p["run_id"])}
    assert meta[a["run_id"]] == {"customer": "acme", "tier": "silver", "part": 1}
    assert meta[b["run_id"]] == {"customer": "acme", "tier": "gold"}

    def by(tags: dict[str, Any], statuses: list[str] | None = None) -> set[Any]:
        rows = conn.execute(
            "SELECT * FROM hewer.runs_by_metadata(%s::jsonb, %s::hewer.run_status[])",
            (json.dumps(tags), statuses),
        ).fetchall()
        return {r["run_id"] for r in rows}

    assert by({"customer": "acme"}) == {p["run_id"], a["run_id"], b["run_id"]}
    assert by({"tier": "silver"}) == {a["run_id"]}
    assert by({"customer": "acme", "tier": "gold"}) == {p["run_id"], b["run_id"]}
    assert by({"customer": "acme"}, ["running"]) == {p["run_id"]}
    assert by({"customer": "other"}) == set()
    assert len(by({})) == 4


TRIGGER = "SELECT * FROM hewer.run_trigger('child', ARRAY['{}'::jsonb], p_metadata => "


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (TRIGGER + "ARRAY['[1]'::jsonb])", "HW090"),
        (TRIGGER + 'ARRAY[\'{"a": {"b": 1}}\'::jsonb])', "HW090"),
        (TRIGGER + "ARRAY['{}'::jsonb, '{}'])", "HW007"),
        ("SELECT * FROM hewer.runs_by_metadata('\"x\"')", "HW090"),
        ("SELECT * FROM hewer.runs_by_metadata('{}', NULL, 0)", "HW007"),
    ],
)
def test_bad_metadata_is_rejected_and_changes_nothing(
    conn: psycopg.Connection[Any], call: str, code: str
) -> None:
    setup(conn)
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute(call)
    assert err.value.sqlstate == code
    assert snapshot(conn) == before


def test_bad_spawns_change_nothing(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    trigger(conn, "parent", [{}])
    [t] = claim(conn, w)
    before = snapshot(conn)
    for bad, code in [
        ({**t, "attempt": 5}, "HW006"),
        ({**t, "task_id": "00000000-0000-7000-8000-000000000000"}, "HW005"),
    ]:
        with pytest.raises(psycopg.Error) as err:
            spawn(conn, bad, "child", [{}], ["k"])
        assert err.value.sqlstate == code
    with pytest.raises(psycopg.Error) as err:
        spawn(conn, t, "nope", [{}], ["k"])
    assert err.value.sqlstate == "HW003"
    with pytest.raises(psycopg.Error) as err:
        spawn(conn, t, "child", [{}], ["k"], [{"x": None}])
    assert err.value.sqlstate == "HW090"
    assert snapshot(conn) == before


def test_cancelling_a_parent_cancels_its_descendants(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    register(conn, "mid", {"steps": [{"name": "m"}]})
    w2 = worker(conn, ["mid:m"])
    [p] = trigger(conn, "parent", [{}])
    [t] = claim(conn, w)
    [mid] = spawn(conn, t, "mid", [{}], ["mid"])
    [tm] = claim(conn, w2)
    [leaf_a, leaf_b] = spawn(conn, tm, "child", [{}, {}], ["a", "b"])
    [done] = spawn(conn, t, "child", [{}], ["done"])
    [tl] = [x for x in claim(conn, w) if x["run_id"] == done["run_id"]]
    complete(conn, [tl])
    assert run(conn, done["run_id"])["status"] == "succeeded"

    [c] = conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (p["run_id"],)).fetchall()
    assert c["cancelled"]
    for r in (mid, leaf_a, leaf_b):
        got = run(conn, r["run_id"])
        assert got["status"] == "cancelled", got
        assert got["error"]["type"] == "parent"
    assert run(conn, mid["run_id"])["error"]["parent_run_id"] == str(p["run_id"])
    assert run(conn, leaf_a["run_id"])["error"]["parent_run_id"] == str(mid["run_id"])
    assert run(conn, done["run_id"])["status"] == "succeeded"  # finished children stay as they are
    assert database_violations(conn) == []
    # The running parent task and mid task are asked to stop; spawning is refused now.
    with pytest.raises(psycopg.Error) as err:
        spawn(conn, t, "child", [{}], ["late"])
    assert err.value.sqlstate == "HW091"


def test_a_failed_parent_cancels_its_children(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    [p] = trigger(conn, "parent", [{}])
    [t] = claim(conn, w)
    kids = spawn(conn, t, "child", [{}, {}], ["a", "b"])
    fail(conn, [t], "fatal", retryable=False)
    assert run(conn, p["run_id"])["status"] == "failed"
    for k in kids:
        got = run(conn, k["run_id"])
        assert got["status"] == "cancelled" and got["error"]["parent_status"] == "failed"
    assert database_violations(conn) == []


def test_a_failed_child_leaves_its_parent_running(conn: psycopg.Connection[Any]) -> None:
    w = setup(conn)
    [p] = trigger(conn, "parent", [{}])
    [t] = claim(conn, w)
    [k] = spawn(conn, t, "child", [{}], ["a"])
    [tk] = claim(conn, w)
    fail(conn, [tk], "child broke", retryable=False)
    assert run(conn, k["run_id"])["status"] == "failed"
    assert run(conn, p["run_id"])["status"] == "running"
