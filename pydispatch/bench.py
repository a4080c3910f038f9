"""Benchmarks of the SQL engine itself, with no dispatcher or worker process.

`cycles` measures how many claim+complete cycles one connection sustains: a
backlog is enqueued first (not timed), then one connection claims `batch`
tasks and completes them, call after call, each call its own transaction.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pydispatch import db, migrate

BENCH_DB = "hewer_bench"


@dataclass
class CyclesResult:
    """Throughput of claim+complete at one batch size (median of the repetitions)."""

    batch: int
    tasks: int
    repetitions: int
    tasks_per_second: float
    calls_per_second: float
    seconds: float
    all_tasks_per_second: list[float]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fresh_database(url: str | None = None, name: str = BENCH_DB) -> str:
    """(Re)create database `name` on the configured server, migrated; returns its URL."""
    base = url or db.database_url()
    with db.connect(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    target = db.with_dbname(base, name)
    migrate.up(target)
    return target


def _enqueue(conn: psycopg.Connection[Any], tasks: int) -> None:
    inputs = [Jsonb({"i": i}) for i in range(tasks)]
    for start in range(0, tasks, 5000):
        conn.execute(
            "SELECT count(*) FROM hewer.run_trigger('bench', %s::jsonb[])",
            (inputs[start : start + 5000],),
        )


def _drain(conn: psycopg.Connection[Any], worker_id: Any, batch: int) -> tuple[int, int, float]:
    claim = "SELECT task_id, attempt FROM hewer.task_claim(%s, %s)"
    done = "SELECT count(*) FROM hewer.task_complete(%s, %s, %s::jsonb[], false)"
    output = json.dumps({"ok": True})
    tasks = calls = 0
    started = time.perf_counter()
    while True:
        rows = conn.execute(claim, (worker_id, batch), prepare=True).fetchall()
        calls += 1
        if not rows:
            break
        ids = [r[0] for r in rows]
        conn.execute(done, (ids, [r[1] for r in rows], [output] * len(rows)), prepare=True)
        calls += 1
        tasks += len(rows)
    return tasks, calls, time.perf_counter() - started


def cycles(url: str, batch: int, tasks: int, repetitions: int = 3) -> CyclesResult:
    """Claim+complete throughput of one connection at `batch`, median of `repetitions`.

    A warm-up drain of a tenth of the tasks runs first and is discarded.
    """
    with db.connect(url) as conn:
        conn.execute(
            "SELECT * FROM hewer.workflow_register('bench', %s)",
            (Jsonb({"steps": [{"name": "noop", "timeout": "1h"}]}),),
        )
        worker_id = conn.execute(
            "SELECT hewer.worker_register('bench', ARRAY['bench:noop'], 10000)"
        ).fetchall()[0][0]
        _enqueue(conn, max(tasks // 10, batch))
        _drain(conn, worker_id, batch)
        rates: list[float] = []
        call_rates: list[float] = []
        elapsed: list[float] = []
        for _ in range(repetitions):
            _enqueue(conn, tasks)
            conn.execute("ANALYZE hewer.queue")
            done, calls, seconds = _drain(conn, worker_id, batch)
            rates.append(done / seconds)
            call_rates.append(calls / seconds)
            elapsed.append(seconds)
    return CyclesResult(
        batch=batch,
        tasks=tasks,
        repetitions=repetitions,
        tasks_per_second=statistics.median(rates),
        calls_per_second=statistics.median(call_rates),
        seconds=statistics.median(elapsed),
        all_tasks_per_second=rates,
    )
