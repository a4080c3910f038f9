"""Workflow versions (rollback, in-flight binding), run management (list, cancel by filter,
replay) and the immutability of versions and finished history."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pydispatch import migrate
from pyworker import Workflows
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

Conn = psycopg.Connection[Any]
V1 = {"steps": [{"name": "a"}]}
V2 = {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}], "description": "two steps"}


def sqlstate(conn: Conn, query: str, params: Any = None) -> str | None:
    with pytest.raises(psycopg.Error) as err:
        conn.execute(query, params)
    return err.value.sqlstate


def versions(conn: Conn, name: str) -> list[dict[str, Any]]:
    return conn.execute("SELECT * FROM hewer.workflow_versions(%s)", (name,)).fetchall()


def test_rollback_binds_new_runs_while_runs_in_flight_finish_on_their_version(conn: Conn) -> None:
    register(conn, "wf", V1)
    [old] = trigger(conn, "wf", [{"n": 1}])
    assert register(conn, "wf", V2)["version"] == 2
    [new] = trigger(conn, "wf", [{"n": 2}])
    assert run(conn, old["run_id"])["version"] == 1 and run(conn, new["run_id"])["version"] == 2
    assert [
        (v["version"], v["is_current"], v["steps"], v["active_runs"]) for v in versions(conn, "wf")
    ] == [
        (1, False, 1, 1),
        (2, True, 2, 1),
    ]

    back = conn.execute("SELECT * FROM hewer.workflow_rollback('wf', 1)").fetchone()
    assert back is not None and back["version"] == 1 and back["previous_version"] == 2
    [after] = trigger(conn, "wf", [{"n": 3}])
    assert run(conn, after["run_id"])["version"] == 1

    # The version-2 run in flight finishes on version 2: both of its steps run.
    w = worker(conn, ["wf:a", "wf:b"])
    for _ in range(2):
        complete(conn, claim(conn, w))
    assert task_states(conn, new["run_id"]) == {"a": "succeeded", "b": "succeeded"}
    assert run(conn, new["run_id"])["status"] == "succeeded"
    assert task_states(conn, after["run_id"]) == {"a": "succeeded"}

    # Re-registering the newer spec (a worker restarting) keeps the rollback.
    assert register(conn, "wf", V2)["created"] is False
    [listed] = conn.execute("SELECT * FROM hewer.workflow_list()").fetchall()
    assert (
        listed["name"],
        listed["current_version"],
        listed["latest_version"],
        listed["versions"],
    ) == (
        "wf",
        1,
        2,
        2,
    )
    shown = conn.execute("SELECT * FROM hewer.workflow_get('wf', 2)").fetchone()
    assert shown is not None and shown["spec"] == V2 and shown["is_current"] is False
    current = conn.execute("SELECT * FROM hewer.workflow_get('wf')").fetchone()
    assert current is not None and current["version"] == 1 and current["spec"] == V1

    # Rolling forward is a rollback to the newer version.
    conn.execute("SELECT * FROM hewer.workflow_rollback('wf', 2)")
    [fwd] = trigger(conn, "wf", [{}])
    assert run(conn, fwd["run_id"])["version"] == 2


def test_rollback_syncs_cron_triggers(conn: Conn) -> None:
    register(conn, "c", {"steps": [{"name": "a"}], "cron": ["*/5 * * * *"]})
    register(conn, "c", {"steps": [{"name": "a"}], "cron": ["0 * * * *"]})
    before = conn.execute("SELECT * FROM hewer.cron_list()").fetchall()
    conn.execute("SELECT * FROM hewer.workflow_rollback('c', 1)")
    after = conn.execute("SELECT * FROM hewer.cron_list()").fetchall()
    assert [c["expression"] for c in before] == ["0 * * * *"]
    assert [c["expression"] for c in after] == ["*/5 * * * *"]


def test_rollback_errors_change_nothing(conn: Conn) -> None:
    register(conn, "wf", V1)
    register(conn, "wf", V2)
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT * FROM hewer.workflow_rollback('wf', 7)")
    assert err.value.sqlstate == "HW081"
    assert "no version 7" in str(err.value) and "1, 2" in (err.value.diag.message_hint or "")
    assert sqlstate(conn, "SELECT * FROM hewer.workflow_rollback('nope', 1)") == "HW003"
    assert sqlstate(conn, "SELECT * FROM hewer.workflow_get('wf', 9)") == "HW081"
    assert sqlstate(conn, "SELECT * FROM hewer.workflow_versions('nope')") == "HW003"
    assert snapshot(conn) == before


def test_a_version_can_never_change(conn: Conn) -> None:
    register(conn, "wf", V1)
    assert (
        sqlstate(conn, "UPDATE hewer.workflow_versions SET spec = %s", (Jsonb({"steps": []}),))
        == "HW080"
    )
    assert sqlstate(conn, "UPDATE hewer.workflow_versions SET checksum = 'x'") == "HW080"
    assert sqlstate(conn, "DELETE FROM hewer.workflow_versions") == "HW080"
    assert conn.execute("SELECT * FROM hewer.workflow_get('wf')").fetchone()["spec"] == V1  # type: ignore[index]


def test_finished_runs_tasks_and_events_are_immutable(conn: Conn) -> None:
    register(conn, "wf", DIAMOND)
    [ok, bad, live] = trigger(conn, "wf", [{"i": 1}, {"i": 2}, {"i": 3}])
    w = worker(conn, ["wf:a", "wf:b", "wf:c", "wf:d"])
    tasks = {t["run_id"]: t for t in claim(conn, w)}
    complete(conn, [tasks[ok["run_id"]]])
    fail(conn, [tasks[bad["run_id"]]], retryable=False)
    complete(conn, [t for t in claim(conn, w) if t["run_id"] == ok["run_id"]])
    complete(conn, [t for t in claim(conn, w) if t["run_id"] == ok["run_id"]])
    assert run(conn, ok["run_id"])["status"] == "succeeded"
    assert run(conn, bad["run_id"])["status"] == "failed"
    before = snapshot(conn)

    for run_id in (ok["run_id"], bad["run_id"]):
        assert (
            sqlstate(conn, "UPDATE hewer.runs SET status = 'running' WHERE id = %s", (run_id,))
            == "HW080"
        )
        assert (
            sqlstate(conn, "UPDATE hewer.runs SET error = NULL WHERE id = %s", (run_id,)) == "HW080"
        )
        assert sqlstate(conn, "DELETE FROM hewer.runs WHERE id = %s", (run_id,)) == "HW080"
        assert (
            sqlstate(conn, "UPDATE hewer.tasks SET output = '{}' WHERE run_id = %s", (run_id,))
            == "HW080"
        )
        assert sqlstate(conn, "DELETE FROM hewer.tasks WHERE run_id = %s", (run_id,)) == "HW080"
        assert (
            sqlstate(conn, "UPDATE hewer.task_events SET data = '{}' WHERE run_id = %s", (run_id,))
            == "HW080"
        )
        assert (
            sqlstate(conn, "DELETE FROM hewer.task_events WHERE run_id = %s", (run_id,)) == "HW080"
        )
    # Events of unfinished tasks are append-only too.
    assert (
        sqlstate(conn, "DELETE FROM hewer.task_events WHERE run_id = %s", (live["run_id"],))
        == "HW080"
    )
    with pytest.raises(psycopg.Error) as err:
        conn.execute("UPDATE hewer.runs SET priority = 5 WHERE id = %s", (ok["run_id"],))
    assert f"run {ok['run_id']}" in str(err.value) and "succeeded" in str(err.value)
    assert snapshot(conn) == before

    # Unfinished rows still change the ordinary way.
    conn.execute("UPDATE hewer.runs SET priority = 5 WHERE id = %s", (live["run_id"],))
    assert run(conn, live["run_id"])["priority"] == 5


def test_a_late_report_on_a_cancelled_run_still_records_its_task(conn: Conn) -> None:
    register(conn, "wf", V2)
    [r] = trigger(conn, "wf", [{}])
    w = worker(conn, ["wf:a"])
    [t] = claim(conn, w)
    conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (r["run_id"],))
    [res] = complete(conn, [t])
    assert res["accepted"] is True
    assert task_states(conn, r["run_id"]) == {"a": "succeeded", "b": "cancelled"}
    assert run(conn, r["run_id"])["status"] == "cancelled"


def test_list_runs_by_filter(conn: Conn) -> None:
    register(conn, "wf", V1)
    register(conn, "other", V1)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    early = trigger(conn, "wf", [{"c": 1}, {"c": 2}], now=t0)
    late = trigger(conn, "wf", [{"c": 1}], now=t0 + timedelta(hours=1))
    trigger(conn, "other", [{"c": 1}], now=t0)

    def ids(**kw: Any) -> list[uuid.UUID]:
        args = ", ".join(f"p_{k} => %({k})s" for k in kw)
        return [r["run_id"] for r in conn.execute(f"SELECT * FROM hewer.run_list({args})", kw)]  # noqa: S608

    assert ids(workflow="wf") == [late[0]["run_id"], early[1]["run_id"], early[0]["run_id"]]
    assert ids(workflow="wf", input=Jsonb({"c": 1})) == [late[0]["run_id"], early[0]["run_id"]]
    assert ids(workflow="wf", until=t0 + timedelta(minutes=30)) == [
        early[1]["run_id"],
        early[0]["run_id"],
    ]
    assert ids(since=t0 + timedelta(minutes=30)) == [late[0]["run_id"]]
    assert ids(workflow="wf", limit=1) == [late[0]["run_id"]]
    assert ids(workflow="wf", limit=1, before=late[0]["run_id"]) == [early[1]["run_id"]]
    assert ids(statuses=["succeeded"]) == []
    [row] = conn.execute("SELECT * FROM hewer.run_list(p_limit => 1)").fetchall()
    assert row["tasks"] == {"queued": 1} and row["version"] == 1 and row["replay_of"] is None
    assert sqlstate(conn, "SELECT * FROM hewer.run_list(p_limit => 0)") == "HW082"
    assert sqlstate(conn, "SELECT * FROM hewer.run_list(p_input => '[1]')") == "HW082"
    assert (
        sqlstate(
            conn,
            "SELECT * FROM hewer.run_list(p_since => now(), p_until => now() - interval '1 hour')",
        )
        == "HW082"
    )
    assert sqlstate(conn, "SELECT * FROM hewer.run_list('nope')") == "HW003"


def test_cancel_by_filter_cancels_only_the_matching_active_runs(conn: Conn) -> None:
    register(conn, "wf", V2)
    register(conn, "other", V1)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    [a, b, c] = trigger(conn, "wf", [{"tenant": "x"}, {"tenant": "x"}, {"tenant": "y"}], now=t0)
    [later] = trigger(conn, "wf", [{"tenant": "x"}], now=t0 + timedelta(hours=2))
    [other] = trigger(conn, "other", [{"tenant": "x"}], now=t0)
    w = worker(conn, ["wf:a"])
    at = t0 + timedelta(hours=3)
    held = {t["run_id"]: t for t in claim(conn, w, now=at)}
    complete(conn, [held[a["run_id"]]], now=at)  # a moves on to b (queued)
    before_c = snapshot(conn)

    cancelled = conn.execute(
        "SELECT * FROM hewer.run_cancel_matching(p_workflow => 'wf', p_input => %s, p_until => %s,"
        " p_now => %s)",
        (Jsonb({"tenant": "x"}), t0 + timedelta(hours=1), at),
    ).fetchall()
    assert {r["run_id"] for r in cancelled} == {a["run_id"], b["run_id"]}
    assert all(r["cancelled"] and r["status"] == "cancelled" for r in cancelled)
    assert task_states(conn, a["run_id"]) == {"a": "succeeded", "b": "cancelled"}
    # b's task was held by the worker: asked to stop, on its worker's stream.
    assert run(conn, b["run_id"])["tasks"][0]["cancel_requested"] is True
    asked = conn.execute("SELECT * FROM hewer.task_cancellations(ARRAY[%s::uuid])", (w,)).fetchall()
    assert [x["task_id"] for x in asked] == [held[b["run_id"]]["task_id"]]
    for untouched in (c, later, other):
        assert run(conn, untouched["run_id"])["status"] in ("queued", "running")
    assert before_c != snapshot(conn)

    # Nothing matching: nothing cancelled. No filter, or a finished status: refused.
    assert (
        conn.execute(
            "SELECT * FROM hewer.run_cancel_matching(p_workflow => 'wf', p_input => %s)",
            (Jsonb({"tenant": "z"}),),
        ).fetchall()
        == []
    )
    before = snapshot(conn)
    assert sqlstate(conn, "SELECT * FROM hewer.run_cancel_matching()") == "HW082"
    assert (
        sqlstate(conn, "SELECT * FROM hewer.run_cancel_matching(p_statuses => '{failed}')")
        == "HW082"
    )
    assert snapshot(conn) == before
    everything = conn.execute(
        "SELECT * FROM hewer.run_cancel_matching(p_statuses => '{queued,running}')"
    ).fetchall()
    assert {r["run_id"] for r in everything} == {c["run_id"], later["run_id"], other["run_id"]}


def fail_b(conn: Conn) -> tuple[Any, Any]:
    """A diamond run where a and c succeed and b fails for good: d is cancelled."""
    register(conn, "wf", DIAMOND)
    [r] = trigger(conn, "wf", [{"k": 1}])
    w = worker(conn, ["wf:a", "wf:b", "wf:c", "wf:d"])
    complete(conn, claim(conn, w), [{"a": 1}])
    tasks = {t["step"]: t for t in claim(conn, w)}
    complete(conn, [tasks["c"]], [{"c": 3}])
    fail(conn, [tasks["b"]], {"message": "bad"}, retryable=False)
    assert task_states(conn, r["run_id"]) == {
        "a": "succeeded",
        "b": "failed",
        "c": "succeeded",
        "d": "cancelled",
    }
    return r["run_id"], w


def test_replay_from_failed_keeps_succeeded_outputs(conn: Conn) -> None:
    original, w = fail_b(conn)
    before = run(conn, original)
    [rep] = conn.execute("SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (original,)).fetchall()
    assert rep["run_id"] == original and rep["kept"] == 2 and rep["to_run"] == 2
    new = rep["replay_run_id"]
    assert task_states(conn, new) == {
        "a": "succeeded",
        "b": "queued",
        "c": "succeeded",
        "d": "pending",
    }
    assert run(conn, new)["output"] == {"a": {"a": 1}, "c": {"c": 3}}
    assert run(conn, original) == before  # the original is untouched

    [b] = claim(conn, w)
    assert b["step"] == "b" and b["attempt"] == 1 and b["parents"] == {"a": {"a": 1}}
    complete(conn, [b], [{"b": 2}])
    [d] = claim(conn, w)
    assert d["parents"] == {"b": {"b": 2}, "c": {"c": 3}}
    complete(conn, [d])
    assert run(conn, new)["status"] == "succeeded"

    # The replay is in the original's history, and the new run points back.
    events = conn.execute(
        "SELECT kind, status, data FROM hewer.task_events WHERE run_id = %s AND kind = 'replayed'",
        (original,),
    ).fetchall()
    assert len(events) == 4 and all(e["data"]["replay_run_id"] == str(new) for e in events)
    assert {e["data"]["kept"] for e in events if e["status"] == "succeeded"} == {True}
    [listed] = conn.execute(
        "SELECT * FROM hewer.run_list(p_replay_of => %s)", (original,)
    ).fetchall()
    assert listed["run_id"] == new and listed["replay_of"] == original


def test_replay_from_start_runs_every_step(conn: Conn) -> None:
    original, w = fail_b(conn)
    [rep] = conn.execute(
        "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid], 'start')", (original,)
    ).fetchall()
    assert rep["kept"] == 0 and rep["to_run"] == 4
    assert task_states(conn, rep["replay_run_id"]) == {
        "a": "queued",
        "b": "pending",
        "c": "pending",
        "d": "pending",
    }
    [a] = claim(conn, w)
    assert a["step"] == "a" and a["run_id"] == rep["replay_run_id"]


def test_replay_of_a_cancelled_run_and_refusals(conn: Conn) -> None:
    register(conn, "wf", V2)
    [r, live] = trigger(conn, "wf", [{}, {}])
    conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (r["run_id"],))
    [rep] = conn.execute(
        "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (r["run_id"],)
    ).fetchall()
    assert task_states(conn, rep["replay_run_id"]) == {"a": "queued", "b": "pending"}

    before = snapshot(conn)
    assert (
        sqlstate(conn, "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (live["run_id"],))
        == "HW083"
    )
    assert (
        sqlstate(conn, "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (uuid.uuid4(),))
        == "HW009"
    )
    assert (
        sqlstate(conn, "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid], 'middle')", (r["run_id"],))
        == "HW084"
    )
    assert sqlstate(conn, "SELECT * FROM hewer.run_replay(NULL)") == "HW007"
    assert snapshot(conn) == before


def test_replay_runs_on_the_original_version_after_a_new_one(conn: Conn) -> None:
    register(conn, "wf", V2)
    [r] = trigger(conn, "wf", [{}])
    conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (r["run_id"],))
    register(conn, "wf", V1)
    [rep] = conn.execute(
        "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (r["run_id"],)
    ).fetchall()
    assert run(conn, rep["replay_run_id"])["version"] == run(conn, r["run_id"])["version"]


def test_python_workflows_api(conn: Conn) -> None:
    register(conn, "wf", V1)
    register(conn, "wf", V2)
    workflows = Workflows(conn)
    assert [(w["name"], w["current_version"]) for w in workflows.list()] == [("wf", 2)]
    assert workflows.rollback("wf", 1) == 2
    assert [v["is_current"] for v in workflows.versions("wf")] == [True, False]
    assert workflows.show("wf")["spec"] == V1 and workflows.show("wf", 2)["spec"] == V2
    with pytest.raises(psycopg.Error) as err:
        workflows.rollback("wf", 3)
    assert err.value.sqlstate == "HW081"


# --- filtering by metadata (key/value tags) -----------------------------------------


def tagged(
    conn: Conn, workflow: str, tags: list[dict[str, Any] | None], now: datetime | None = None
) -> list[uuid.UUID]:
    rows = conn.execute(
        "SELECT * FROM hewer.run_trigger(%s, array_fill('{}'::jsonb, ARRAY[%s]), "
        "p_now => coalesce(%s, now()), p_metadata => %s::jsonb[])",
        (workflow, len(tags), now, [None if t is None else json.dumps(t) for t in tags]),
    ).fetchall()
    return [r["run_id"] for r in rows]


BAD_METADATA_FILTERS = [
    ('"acme"', "must be a JSON object of tags, got string"),
    ("[1]", "must be a JSON object of tags, got array"),
    ("null", "must be a JSON object of tags, got null"),
    ('{"customer": {"id": 1}}', 'tag customer is {"id": 1}'),
    ('{"customer": "acme", "batch": [7]}', "tag batch is [7]"),
    ('{"customer": null}', "tag customer is null"),
]


def test_list_runs_by_metadata(conn: Conn) -> None:
    register(conn, "wf", V1)
    register(conn, "other", V1)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    acme, globex, acme7, bare = tagged(
        conn,
        "wf",
        [{"customer": "acme"}, {"customer": "globex"}, {"customer": "acme", "batch": 7}, None],
        now=t0,
    )
    [acme_late] = tagged(conn, "wf", [{"customer": "acme"}], now=t0 + timedelta(hours=1))
    [acme_other] = tagged(
        conn, "other", [{"customer": "acme", "vip": True}], now=t0 + timedelta(minutes=1)
    )

    def ids(**kw: Any) -> list[uuid.UUID]:
        args = ", ".join(f"p_{k} => %({k})s" for k in kw)
        return [r["run_id"] for r in conn.execute(f"SELECT * FROM hewer.run_list({args})", kw)]  # noqa: S608

    everything = [acme_late, acme_other, bare, acme7, globex, acme]
    assert set(ids(metadata=Jsonb({"customer": "acme"}))) == {acme, acme7, acme_late, acme_other}
    assert ids(workflow="wf", metadata=Jsonb({"customer": "acme"})) == [acme_late, acme7, acme]
    assert ids(metadata=Jsonb({"customer": "acme", "batch": 7})) == [acme7]
    assert ids(metadata=Jsonb({"batch": "7"})) == []  # a tag's value keeps its JSON type
    assert ids(metadata=Jsonb({"vip": True})) == [acme_other]
    assert ids(metadata=Jsonb({"customer": "initech"})) == []
    assert ids(metadata=Jsonb({"customer": "acme"}), until=t0 + timedelta(minutes=30)) == [
        acme_other,
        acme7,
        acme,
    ]
    assert ids(metadata=Jsonb({"customer": "acme"}), statuses=["succeeded"]) == []
    assert ids(metadata=Jsonb({"customer": "acme"}), limit=1, before=acme7) == [acme]
    assert sorted(ids(metadata=Jsonb({}))) == sorted(everything)  # {} matches every run
    # The run's tags come back with it.
    rows = conn.execute(
        "SELECT run_id, additional_metadata FROM hewer.run_list(p_workflow => 'wf')"
    ).fetchall()
    assert {r["run_id"]: r["additional_metadata"] for r in rows}[acme7] == {
        "customer": "acme",
        "batch": 7,
    }
    assert {r["run_id"]: r["additional_metadata"] for r in rows}[bare] == {}
    # A call written before the metadata filter (every argument by position) still works.
    old_style = conn.execute(
        "SELECT run_id FROM hewer.run_list('wf', NULL, NULL, NULL, NULL, NULL, 100, NULL)"
    ).fetchall()
    assert [r["run_id"] for r in old_style] == [acme_late, bare, acme7, globex, acme]

    for bad, problem in BAD_METADATA_FILTERS:
        with pytest.raises(psycopg.Error) as err:
            conn.execute("SELECT * FROM hewer.run_list(p_metadata => %s::jsonb)", (bad,))
        assert err.value.sqlstate == "HW082", bad
        assert err.value.diag.message_primary is not None
        assert "run_list: the metadata filter" in err.value.diag.message_primary
        assert problem in err.value.diag.message_primary, err.value.diag.message_primary
        assert err.value.diag.message_hint is not None and "customer" in err.value.diag.message_hint


def test_cancel_by_metadata_cancels_only_the_tagged_active_runs(conn: Conn) -> None:
    register(conn, "wf", V2)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    b1, b1_too, b2, bare = tagged(
        conn,
        "wf",
        [{"batch": "b1", "team": "x"}, {"batch": "b1"}, {"batch": "b2"}, None],
        now=t0,
    )
    w = worker(conn, ["wf:a"])
    at = t0 + timedelta(minutes=1)
    held = {t["run_id"]: t for t in claim(conn, w, now=at)}
    assert set(held) == {b1, b1_too, b2, bare}
    complete(conn, [held[b1_too]], now=at)  # b1_too moves on to b (queued); b1 stays running
    conn.execute(
        "SELECT * FROM hewer.task_start(%s::uuid[], %s::integer[])",
        ([held[b1]["task_id"]], [held[b1]["attempt"]]),
    )

    # A bad metadata filter, or {} and nothing else: refused, nothing changes.
    before = snapshot(conn)
    for bad, problem in BAD_METADATA_FILTERS:
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "SELECT * FROM hewer.run_cancel_matching(p_workflow => 'wf', "
                "p_metadata => %s::jsonb)",
                (bad,),
            )
        assert err.value.sqlstate == "HW082" and problem in str(err.value), bad
    assert sqlstate(conn, "SELECT * FROM hewer.run_cancel_matching(p_metadata => '{}')") == "HW082"
    assert snapshot(conn) == before

    cancelled = conn.execute(
        "SELECT * FROM hewer.run_cancel_matching(p_metadata => %s, p_now => %s)",
        (Jsonb({"batch": "b1"}), at),
    ).fetchall()
    assert {r["run_id"] for r in cancelled} == {b1, b1_too}
    assert all(r["cancelled"] and r["status"] == "cancelled" for r in cancelled)
    assert task_states(conn, b1_too) == {"a": "succeeded", "b": "cancelled"}
    # b1's task was running on the worker: asked to stop, on its worker's stream.
    assert run(conn, b1)["tasks"][0]["cancel_requested"] is True
    asked = conn.execute("SELECT * FROM hewer.task_cancellations(ARRAY[%s::uuid])", (w,)).fetchall()
    assert [x["task_id"] for x in asked] == [held[b1]["task_id"]]
    for untouched in (b2, bare):
        assert run(conn, untouched)["status"] == "running"
        assert run(conn, untouched)["tasks"][0]["cancel_requested"] is False

    # Combined with the other filters; a positional call from before metadata still works.
    assert (
        conn.execute(
            "SELECT * FROM hewer.run_cancel_matching(p_metadata => %s, p_statuses => '{queued}')",
            (Jsonb({"batch": "b2"}),),
        ).fetchall()
        == []
    )
    rest = conn.execute(
        "SELECT * FROM hewer.run_cancel_matching('wf', '{running}', NULL, NULL, NULL, %s)", (at,)
    ).fetchall()
    assert {r["run_id"] for r in rest} == {b2, bare}


def test_the_run_filters_have_one_signature_after_a_reload(conn: Conn) -> None:
    """The reload drops the signatures of an older release: no stale overload lingers."""
    conn.execute(
        """
        CREATE OR REPLACE FUNCTION hewer.run_list(
            p_workflow text DEFAULT NULL, p_statuses hewer.run_status[] DEFAULT NULL,
            p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL,
            p_input jsonb DEFAULT NULL, p_replay_of uuid DEFAULT NULL,
            p_limit integer DEFAULT 100, p_before uuid DEFAULT NULL)
        RETURNS SETOF uuid LANGUAGE sql AS 'SELECT NULL::uuid';
        CREATE OR REPLACE FUNCTION hewer.run_cancel_matching(
            p_workflow text DEFAULT NULL, p_statuses hewer.run_status[] DEFAULT NULL,
            p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL,
            p_input jsonb DEFAULT NULL, p_now timestamptz DEFAULT now())
        RETURNS SETOF uuid LANGUAGE sql AS 'SELECT NULL::uuid';
        """
    )
    migrate.load_functions(conn)
    signatures = conn.execute(
        "SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args FROM pg_proc p "
        "WHERE p.pronamespace = 'hewer'::regnamespace "
        "AND p.proname IN ('run_list', 'run_cancel_matching', '_runs_matching') ORDER BY 1"
    ).fetchall()
    assert [(s["proname"], s["args"].split(", ")[-1]) for s in signatures] == [
        ("_runs_matching", "p_limit integer"),
        ("run_cancel_matching", "p_metadata jsonb"),
        ("run_list", "p_metadata jsonb"),
    ]
    # Unambiguous: every argument left out still resolves to the one function.
    assert conn.execute("SELECT count(*) AS n FROM hewer.run_list()").fetchone() == {"n": 0}


def test_a_metadata_filter_uses_the_tags_index_and_prunes_partitions(conn: Conn) -> None:
    register(conn, "wf", V1)
    now = datetime.now(UTC)
    conn.execute("SELECT * FROM hewer.partition_create(%s)", (now - timedelta(days=3),))
    conn.execute("SELECT * FROM hewer.partition_create(%s)", (now,))
    for days in (3, 0):
        tagged(
            conn,
            "wf",
            [{"c": f"x{i % 20}"} if i % 2 else None for i in range(200)],
            now=now - timedelta(days=days),
        )
    old = conn.execute(
        "SELECT tableoid::regclass::text AS part FROM hewer.runs WHERE id < hewer.uuid_floor(%s)",
        (now - timedelta(days=1),),
    ).fetchone()
    assert old is not None and old["part"] != "hewer.runs_default"
    conn.execute("ANALYZE hewer.runs")
    plans: list[str] = []
    conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
    for setting in (
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 0",
        "SET auto_explain.log_nested_statements = on",
        "SET auto_explain.log_level = notice",
        "SET client_min_messages = notice",
        "SET enable_seqscan = off",  # so few rows would otherwise be read whole
    ):
        conn.execute(setting)
    rows = conn.execute(
        'SELECT * FROM hewer.run_list(p_metadata => \'{"c": "x3"}\', p_since => %s)',
        (now - timedelta(hours=1),),
    ).fetchall()
    conn.execute("RESET client_min_messages")
    assert len(rows) == 10
    [plan] = [p for p in plans if "additional_metadata @> p_metadata" in p]
    assert "additional_metadata_idx" in plan  # the partial GIN index runs_metadata_idx
    assert old["part"].removeprefix("hewer.") not in plan  # the older partition is pruned


def test_a_replay_keeps_the_metadata_and_is_a_root_run(conn: Conn) -> None:
    register(conn, "parent", V1)
    register(conn, "child", V1)
    [p] = tagged(conn, "parent", [{"customer": "acme"}])
    w = worker(conn, ["parent:a", "child:a"])
    [fan] = claim(conn, w)
    [kid] = conn.execute(
        "SELECT * FROM hewer.run_spawn(%s, %s, 'child', ARRAY['{}'::jsonb], ARRAY['k1'], "
        "ARRAY['{\"part\": 1}'::jsonb])",
        (fan["task_id"], fan["attempt"]),
    ).fetchall()
    conn.execute("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (p,))
    assert run(conn, kid["run_id"])["status"] == "cancelled"  # the cascade

    replays = conn.execute(
        "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid, %s::uuid])", (p, kid["run_id"])
    ).fetchall()
    new = {r["run_id"]: r["replay_run_id"] for r in replays}
    stored = {
        r["id"]: r
        for r in conn.execute(
            "SELECT id, additional_metadata, parent_run_id, parent_task_id, idempotency_key "
            "FROM hewer.runs WHERE replay_of IS NOT NULL"
        )
    }
    assert stored[new[p]]["additional_metadata"] == {"customer": "acme"}
    child_replay = stored[new[kid["run_id"]]]
    assert child_replay["additional_metadata"] == {"customer": "acme", "part": 1}
    # A root run: no parent link, and the child key stays with the original.
    assert child_replay["parent_run_id"] is None and child_replay["parent_task_id"] is None
    assert child_replay["idempotency_key"] is None
    assert [
        c["run_id"] for c in conn.execute("SELECT * FROM hewer.run_children(ARRAY[%s::uuid])", (p,))
    ] == [kid["run_id"]]
    # Found by the original's tags, and cancelled by them.
    listed = conn.execute(
        "SELECT run_id FROM hewer.run_list(p_metadata => %s, p_statuses => '{queued}')",
        (Jsonb({"customer": "acme"}),),
    ).fetchall()
    assert {r["run_id"] for r in listed} == set(new.values())
    cancelled = conn.execute(
        "SELECT * FROM hewer.run_cancel_matching(p_metadata => %s)", (Jsonb({"part": 1}),)
    ).fetchall()
    assert [r["run_id"] for r in cancelled] == [new[kid["run_id"]]]
