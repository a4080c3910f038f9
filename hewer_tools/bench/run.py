"""Benchmarks: `hewer bench cycles`, `hewer bench e2e`, and what `hewer bench` needs first.

`cycles` measures how many claim+complete cycles one connection sustains: a
backlog is enqueued first (not timed), then one connection claims `batch`
tasks and completes them, call after call, each call its own transaction.

`hewer bench` itself (Hewer against procrastinate, PgQueuer and raw SQL) lives in the
pydispatch.bench_* modules, which need the optional `bench` extra and so are imported
only when it runs; the names it accepts are here, for the CLI to parse without them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from hewer_tools import dev
from pydispatch import db, migrate
from pydispatch.errors import HewerError

BENCH_DB = "hewer_bench"

#: With HEWER_OLAP_FEED=off, the bench's databases keep no analytics feed either.
OLAP_CAPTURE_OFF = "ALTER TABLE hewer.task_events DISABLE TRIGGER olap_capture"

#: The systems and workloads of `hewer bench`, in the order they run and print.
SYSTEMS = ("hewer", "procrastinate", "pgqueuer", "raw")
WORKLOADS = (
    "W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13", "W14",
)  # fmt: skip

#: module -> distribution, for what `hewer bench` imports from the `bench` extra.
_EXTRA = {
    "hewer": {"matplotlib": "matplotlib", "psutil": "psutil"},
    "procrastinate": {"procrastinate": "procrastinate"},
    "pgqueuer": {"pgqueuer": "pgqueuer", "asyncpg": "asyncpg"},
}


def require_extra(systems: list[str]) -> None:
    """Fail with the install command when a package `hewer bench` needs is missing."""
    needed = {**_EXTRA["hewer"]}
    for system in systems:
        needed.update(_EXTRA.get(system, {}))
    missing = sorted(
        {dist for module, dist in needed.items() if importlib.util.find_spec(module) is None}
    )
    if missing:
        raise HewerError(
            f"hewer bench needs {', '.join(missing)}: pip install -e '.[bench]' "
            f"(or leave those systems out with --systems)"
        )


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


def enqueue_noops(conn: psycopg.Connection[Any], tasks: int, chunk: int = 5000) -> None:
    """Trigger `tasks` runs of the one-step workflow `bench`, `chunk` per call."""
    inputs = [Jsonb({"i": i}) for i in range(tasks)]
    for start in range(0, tasks, chunk):
        conn.execute(
            "SELECT count(*) FROM hewer.run_trigger('bench', %s::jsonb[])",
            (inputs[start : start + chunk],),
        )


def claim_complete(
    conn: psycopg.Connection[Any], worker_id: Any, batch: int, limit: int | None = None
) -> tuple[int, int, float]:
    """Claim `batch` tasks and complete them, call after call, until the queue is empty (or
    `limit` tasks are done); (tasks, calls, seconds)."""
    claim = "SELECT task_id, attempt FROM hewer.task_claim(%s, %s)"
    done = "SELECT count(*) FROM hewer.task_complete(%s, %s, %s::jsonb[], false)"
    output = json.dumps({"ok": True})
    tasks = calls = 0
    started = time.perf_counter()
    while limit is None or tasks < limit:
        size = batch if limit is None else min(batch, limit - tasks)
        rows = conn.execute(claim, (worker_id, size), prepare=True).fetchall()
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
        enqueue_noops(conn, max(tasks // 10, batch))
        claim_complete(conn, worker_id, batch)
        rates: list[float] = []
        call_rates: list[float] = []
        elapsed: list[float] = []
        for _ in range(repetitions):
            enqueue_noops(conn, tasks)
            conn.execute("ANALYZE hewer.queue")
            done, calls, seconds = claim_complete(conn, worker_id, batch)
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


@dataclass
class EndToEndResult:
    """The whole system on this machine: dispatcher and worker processes, real gRPC."""

    workers: int
    slots: int
    tasks: int
    drain_seconds: float
    tasks_per_second: float
    latency_rate: float
    latency_tasks: int
    start_p50_ms: float
    start_p95_ms: float
    start_p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank on the sorted values); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def end_to_end(
    url: str, tasks: int, workers: int = 2, slots: int = 50, rate: float = 100, seconds: float = 10
) -> EndToEndResult:
    """No-op throughput (bulk enqueue, then drain) and enqueue->start latency at `rate`/s.

    Latency is measured in the database's own clock: from the run's creation to the task's
    'started' event (the worker began running it).
    """
    logs = Path(tempfile.mkdtemp(prefix="hewer-bench-"))
    port = dev.free_port()
    address = f"127.0.0.1:{port}"
    env = {**os.environ, "HEWER_DATABASE_URL": url}
    worker_argv = dev.hewer_command(
        "worker", "pyworker.examples.noop:noop", "--dispatcher", address, "--slots", str(slots)
    )
    with contextlib.ExitStack() as stack:
        proc = stack.enter_context(
            dev.child("dispatcher", dev.hewer_command("dispatcher", "--listen", address), env, logs)
        )
        dev.wait_for_port(port, proc, logs / "dispatcher.log", 30)
        for n in range(workers):
            stack.enter_context(dev.child(f"worker{n}", worker_argv, env, logs))
        with db.connect(url) as conn:
            _wait_registered(conn, "bench_noop", workers)
            drain = _drain_through_workers(conn, tasks)
            latencies = _paced_latency(conn, rate, seconds)
    return EndToEndResult(
        workers=workers,
        slots=slots,
        tasks=tasks,
        drain_seconds=drain,
        tasks_per_second=tasks / drain,
        latency_rate=rate,
        latency_tasks=len(latencies),
        start_p50_ms=percentile(latencies, 50),
        start_p95_ms=percentile(latencies, 95),
        start_p99_ms=percentile(latencies, 99),
    )


def _wait_registered(conn: psycopg.Connection[Any], workflow: str, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT count(*) FROM hewer.workers w WHERE w.status = 'active' "
            "AND %s = ANY (w.actions)",
            (f"{workflow}:nothing",),
        ).fetchone()
        if row and row[0] >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{workers} workers did not register {workflow} within 60 s")


def _unfinished(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')"
    ).fetchone()
    return int(row[0]) if row else 0


def _drain_through_workers(conn: psycopg.Connection[Any], tasks: int) -> float:
    started = time.perf_counter()
    inputs = [Jsonb({"i": i}) for i in range(tasks)]
    for first in range(0, tasks, 5000):
        conn.execute(
            "SELECT count(*) FROM hewer.run_trigger('bench_noop', %s::jsonb[])",
            (inputs[first : first + 5000],),
        )
    while _unfinished(conn):
        time.sleep(0.05)
    return time.perf_counter() - started


def _paced_latency(conn: psycopg.Connection[Any], rate: float, seconds: float) -> list[float]:
    marker = conn.execute("SELECT hewer.uuidv7()").fetchall()[0][0]
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for _ in range(round(rate * seconds)):
        conn.execute("SELECT count(*) FROM hewer.run_trigger('bench_noop', ARRAY['{}'::jsonb])")
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    while _unfinished(conn):
        time.sleep(0.05)
    rows = conn.execute(
        "SELECT extract(epoch FROM e.created_at - r.created_at) * 1000 "
        "FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id "
        "JOIN hewer.task_events e ON e.task_id = t.id AND e.kind = 'started' "
        "WHERE r.id > %s",
        (marker,),
    ).fetchall()
    return [float(r[0]) for r in rows]
