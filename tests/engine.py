"""Small wrappers over the SQL API for the engine tests: each is one SQL call."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

Row = dict[str, Any]


def register(conn: psycopg.Connection[Any], name: str, spec: dict[str, Any]) -> Row:
    row = conn.execute(
        "SELECT * FROM hewer.workflow_register(%s, %s)", (name, Jsonb(spec))
    ).fetchone()
    assert row is not None
    return row  # type: ignore[no-any-return]


def trigger(
    conn: psycopg.Connection[Any],
    workflow: str,
    inputs: list[dict[str, Any]],
    *,
    priorities: list[int | None] | None = None,
    keys: list[str | None] | None = None,
    now: datetime | None = None,
) -> list[Row]:
    return conn.execute(
        "SELECT * FROM hewer.run_trigger(%s, %s::jsonb[], %s, %s, coalesce(%s, now()))",
        (workflow, [json.dumps(i) for i in inputs], priorities, keys, now),
    ).fetchall()


def worker(conn: psycopg.Connection[Any], actions: list[str], slots: int = 100) -> Any:
    row = conn.execute(
        "SELECT hewer.worker_register('test-worker', %s, %s) AS id", (actions, slots)
    ).fetchone()
    assert row is not None
    return row["id"]


def claim(
    conn: psycopg.Connection[Any], worker_id: Any, limit: int = 100, now: datetime | None = None
) -> list[Row]:
    return conn.execute(
        "SELECT * FROM hewer.task_claim(%s, %s, coalesce(%s, now()))", (worker_id, limit, now)
    ).fetchall()


def complete(
    conn: psycopg.Connection[Any],
    tasks: list[Row],
    outputs: list[Any] | None = None,
    *,
    strict: bool = True,
    now: datetime | None = None,
) -> list[Row]:
    outs = outputs if outputs is not None else [{"done": t["step"]} for t in tasks]
    return conn.execute(
        "SELECT * FROM hewer.task_complete(%s, %s, %s::jsonb[], %s, coalesce(%s, now()))",
        (
            [t["task_id"] for t in tasks],
            [t["attempt"] for t in tasks],
            [json.dumps(o) for o in outs],
            strict,
            now,
        ),
    ).fetchall()


def fail(
    conn: psycopg.Connection[Any],
    tasks: list[Row],
    error: Any = "boom",
    *,
    retryable: bool | None = None,
    strict: bool = True,
    now: datetime | None = None,
) -> list[Row]:
    return conn.execute(
        "SELECT * FROM hewer.task_fail(%s, %s, %s::jsonb[], %s, %s, coalesce(%s, now()))",
        (
            [t["task_id"] for t in tasks],
            [t["attempt"] for t in tasks],
            [json.dumps(error) for _ in tasks],
            None if retryable is None else [retryable for _ in tasks],
            strict,
            now,
        ),
    ).fetchall()


def run(conn: psycopg.Connection[Any], run_id: Any) -> Row:
    row = conn.execute("SELECT * FROM hewer.run_get(ARRAY[%s::uuid])", (run_id,)).fetchone()
    assert row is not None
    return row  # type: ignore[no-any-return]


def task_states(conn: psycopg.Connection[Any], run_id: Any) -> dict[str, str]:
    return {t["step"]: t["status"] for t in run(conn, run_id)["tasks"]}


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Every row of every hewer table, to show that a failed call changed nothing. The
    maintenance lease is left out: a running dispatcher renews it on every pass."""
    tables = [
        r["relname"]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'hewer' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND c.relname <> 'leases' ORDER BY 1"
        )
    ]
    return {
        t: conn.execute(
            f"SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text), '[]') AS rows "  # noqa: S608
            f"FROM hewer.{t} x"
        ).fetchone()["rows"]  # type: ignore[index]
        for t in tables
    }


DIAMOND = {
    "steps": [
        {"name": "a"},
        {"name": "b", "parents": ["a"]},
        {"name": "c", "parents": ["a"]},
        {"name": "d", "parents": ["b", "c"]},
    ]
}
