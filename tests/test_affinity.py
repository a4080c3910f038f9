"""Worker affinity in the claim (docs/affinity.md): required labels, preferred labels with
weights, soft and hard sticky runs; SQL only, with injected time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.engine import claim, complete, register, trigger

Conn = psycopg.Connection[Any]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _worker(conn: Conn, name: str, actions: list[str], labels: dict[str, str],
            worker_id: Any = None, now: datetime = T0) -> Any:  # fmt: skip
    row = conn.execute(
        "SELECT hewer.worker_register(%s, %s, 10, %s::jsonb, NULL, %s, %s) AS id",
        (name, actions, json.dumps(labels), worker_id, now),
    ).fetchone()
    assert row is not None
    return row["id"]


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_required_label_never_lands_on_a_worker_without_it(conn: Conn) -> None:
    register(conn, "gpu", {"steps": [{"name": "render", "worker_labels": {"gpu": "a100"}}]})
    trigger(conn, "gpu", [{}] * 3, now=T0)
    cpu = _worker(conn, "cpu", ["gpu:render"], {"gpu": "none", "zone": "a"})
    other = _worker(conn, "t4", ["gpu:render"], {"gpu": "t4"})
    big = _worker(conn, "a100", ["gpu:render"], {"gpu": "a100", "zone": "b"})
    # However long they wait, the others get nothing.
    assert claim(conn, cpu, now=_at(3600)) == []
    assert claim(conn, other, now=_at(3600)) == []
    assert len(claim(conn, big, now=_at(1))) == 3


def test_a_preferred_worker_gets_the_task_first_and_others_after_the_wait(conn: Conn) -> None:
    spec = {
        "steps": [
            {
                "name": "ask",
                "preferred_labels": {
                    "model": {"value": "llama-3-70b", "weight": 3},
                    "zone": {"value": "eu"},
                },
            }
        ]
    }
    register(conn, "pref", spec)
    trigger(conn, "pref", [{}], now=T0)
    none = _worker(conn, "none", ["pref:ask"], {})
    partial = _worker(conn, "partial", ["pref:ask"], {"model": "llama-3-70b"})  # 3/4 of it
    # At once only a full match may take it: neither of these.
    assert claim(conn, none, now=_at(0.1)) == []
    assert claim(conn, partial, now=_at(0.1)) == []
    # The partial match after (1 - 3/4) x 2 s = 0.5 s, before the one without any.
    assert claim(conn, none, now=_at(0.6)) == []
    [got] = claim(conn, partial, now=_at(0.6))
    assert got["step"] == "ask"
    # A second run: the worker with none of the labels takes it after the full 2 s.
    trigger(conn, "pref", [{}], now=_at(10))
    assert claim(conn, none, now=_at(11.9)) == []
    assert len(claim(conn, none, now=_at(12.1))) == 1
    # A full match takes it at once.
    trigger(conn, "pref", [{}], now=_at(20))
    full = _worker(conn, "full", ["pref:ask"], {"model": "llama-3-70b", "zone": "eu"})
    assert len(claim(conn, full, now=_at(20))) == 1


CHAIN = {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}, {"name": "c", "parents": ["b"]}]}


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_a_sticky_runs_tasks_follow_its_first_worker(conn: Conn, mode: str) -> None:
    register(conn, "st", {**CHAIN, "sticky": mode})
    [run] = trigger(conn, "st", [{}], now=T0)
    actions = ["st:a", "st:b", "st:c"]
    first = _worker(conn, "first", actions, {})
    second = _worker(conn, "second", actions, {})
    [a] = claim(conn, first, now=T0)
    sticky = conn.execute(
        "SELECT sticky_worker_id FROM hewer.runs WHERE id = %s", (run["run_id"],)
    ).fetchone()
    assert sticky == {"sticky_worker_id": first}
    complete(conn, [a], now=_at(1))
    # b is the first worker's: the second gets nothing while it has not waited 2 s.
    assert claim(conn, second, now=_at(1.5)) == []
    if mode == "soft":
        [b] = claim(conn, second, now=_at(3.5))  # soft: after 2 s anyone may
        assert b["step"] == "b"
    else:
        assert claim(conn, second, now=_at(3600)) == []  # hard: never while first lives
        [b] = claim(conn, first, now=_at(3601))
        assert b["step"] == "b"


def test_hard_stickiness_survives_a_restart_under_the_same_id_and_ends_with_the_worker(
    conn: Conn,
) -> None:
    register(conn, "hs", {**CHAIN, "sticky": "hard"})
    trigger(conn, "hs", [{}], now=T0)
    actions = ["hs:a", "hs:b", "hs:c"]
    first = _worker(conn, "first", actions, {})
    other = _worker(conn, "other", actions, {})
    [a] = claim(conn, first, now=T0)
    complete(conn, [a], now=_at(1))
    # The first worker restarts: it registers again under its id, and b is still its own.
    assert _worker(conn, "first", actions, {}, worker_id=first, now=_at(5)) == first
    assert claim(conn, other, now=_at(10)) == []
    [b] = claim(conn, first, now=_at(10))
    complete(conn, [b], now=_at(11))
    # Then it dies: c goes to anyone.
    conn.execute("SELECT * FROM hewer.worker_heartbeat(%s, %s)", ([other], _at(100)))
    conn.execute("SELECT * FROM hewer.reap(%s, interval '30 seconds')", (_at(100),))
    dead = conn.execute("SELECT status FROM hewer.workers WHERE id = %s", (first,)).fetchone()
    assert dead == {"status": "dead"}
    [c] = claim(conn, other, now=_at(100))
    assert c["step"] == "c"


def test_affinity_fields_are_checked_at_registration(conn: Conn) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"steps": [{"name": "s", "worker_labels": {}}]}, "1 to 20 labels"),
        ({"steps": [{"name": "s", "worker_labels": {"gpu": 1}}]}, "text of 1 to 256"),
        ({"steps": [{"name": "s", "worker_labels": {"bad name": "x"}}]}, "invalid label name"),
        ({"steps": [{"name": "s", "preferred_labels": {"m": "x"}}]}, '{"value": ...,'),
        ({"steps": [{"name": "s", "preferred_labels": {"m": {"value": "x", "weight": 0}}}]},
         "not an integer from 1 to 100"),
        ({"steps": [{"name": "s"}], "sticky": "always"}, '"sticky" must be "soft" or "hard"'),
    ]  # fmt: skip
    for spec, message in bad:
        with pytest.raises(psycopg.Error) as caught:
            register(conn, "bad", spec)
        assert caught.value.sqlstate == "HW001", spec
        assert message in str(caught.value), (spec, str(caught.value))
    assert conn.execute("SELECT count(*) AS n FROM hewer.workflows").fetchone() == {"n": 0}
