"""`hewer bench events`: event->run-start latency and how many events/s SQL ingests.

Latency: a real `hewer dispatcher` (its leader routes events) and a `hewer worker` running
pyworker/examples/noop.py:event_stamp; events with key bench.stamp are pushed through
`hewer.push_event` at a steady rate, each carrying the wall time just before its push; the
task records the wall time it starts; latency = start - push. Everything is on one machine,
one clock.

Ingest: events/s through SQL on one connection, `push_event` one call (one transaction) per
event, and `push_events` with 1,000 events per call. No workflow subscribes to the keys.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from hewer_tools import dev
from hewer_tools.bench import run as bench
from pydispatch import db
from pydispatch.errors import HewerError

BENCH_DB = "hewer_bench_events"


@dataclass
class EventsBenchResult:
    events: int
    rate_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    routed_p50_ms: float  # event pushed -> its run created, in the database's clock
    direct_p50_ms: float  # the same workflow started by run_trigger instead: the baseline
    direct_p99_ms: float
    ingest_single: int
    ingest_single_per_second: float
    ingest_batch: int
    ingest_batch_per_second: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        return [
            f"event->run-start latency, {self.events} events at {self.rate_per_second:.0f}/s: "
            f"p50 {self.latency_p50_ms:.1f} ms, p99 {self.latency_p99_ms:.1f} ms, "
            f"max {self.latency_max_ms:.1f} ms (event->run created p50 "
            f"{self.routed_p50_ms:.1f} ms)",
            f"baseline, the same runs started by run_trigger: p50 {self.direct_p50_ms:.1f} ms, "
            f"p99 {self.direct_p99_ms:.1f} ms",
            f"SQL ingest, push_event one per transaction: {self.ingest_single_per_second:,.0f} "
            f"events/s ({self.ingest_single} events)",
            f"SQL ingest, push_events 1,000 per call: {self.ingest_batch_per_second:,.0f} "
            f"events/s ({self.ingest_batch} events)",
        ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(quick: bool = False, url: str | None = None) -> EventsBenchResult:
    """Run both measurements on a fresh database `hewer_bench_events`."""
    target = bench.fresh_database(url, BENCH_DB)
    events, rate = (50, 50.0) if quick else (1000, 50.0)
    latencies, routed, direct = _latency(target, events, rate)
    single, batch = (300, 5000) if quick else (5000, 100_000)
    single_rate, batch_rate = _ingest(target, single, batch)
    return EventsBenchResult(
        events=len(latencies),
        rate_per_second=rate,
        latency_p50_ms=statistics.median(latencies),
        latency_p99_ms=_percentile(latencies, 0.99),
        latency_max_ms=max(latencies),
        routed_p50_ms=statistics.median(routed),
        direct_p50_ms=statistics.median(direct),
        direct_p99_ms=_percentile(direct, 0.99),
        ingest_single=single,
        ingest_single_per_second=single_rate,
        ingest_batch=batch,
        ingest_batch_per_second=batch_rate,
    )


def _latency(url: str, events: int, rate: float) -> tuple[list[float], list[float], list[float]]:
    env = {**os.environ, db.URL_ENV: url}
    logs = Path(tempfile.mkdtemp(prefix="hewer-bench-events-"))
    port = dev.free_port()
    address = f"127.0.0.1:{port}"
    with (
        dev.child(
            "dispatcher", dev.hewer_command("dispatcher", "--listen", address), env, logs
        ) as dispatcher,
        dev.child(
            "worker",
            dev.hewer_command(
                "worker", "pyworker.examples.noop:event_stamp", "--dispatcher", address
            ),
            env,
            logs,
        ),
        db.connect(url) as conn,
    ):
        dev.wait_for_port(port, dispatcher, logs / "dispatcher.log", 30)
        _wait(
            lambda: (
                conn.execute(
                    "SELECT count(*) FROM hewer.workers WHERE status = 'active'"
                ).fetchone()
                == (1,)
            ),
            60,
            f"the worker to register (see {logs})",
        )
        push = "SELECT hewer.push_event('bench.stamp', %s)"
        _paced(conn, push, events, rate)
        _wait_done(conn, events, logs)
        rows = conn.execute(
            "SELECT ((t.output->>'started')::float8 - (r.input->>'t')::float8) * 1000, "
            "extract(epoch FROM r.created_at - e.created_at) * 1000 "
            "FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id "
            "JOIN hewer.event_matches m ON m.run_id = r.id "
            "JOIN hewer.events e ON e.id = m.event_id"
        ).fetchall()
        trigger = "SELECT count(*) FROM hewer.run_trigger('bench_event_stamp', ARRAY[%s::jsonb])"
        _paced(conn, trigger, events, rate)
        _wait_done(conn, 2 * events, logs)
        direct = conn.execute(
            "SELECT ((t.output->>'started')::float8 - (r.input->>'t')::float8) * 1000 "
            "FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id "
            "WHERE NOT EXISTS (SELECT 1 FROM hewer.event_matches m WHERE m.run_id = r.id)"
        ).fetchall()
    return (
        [float(r[0]) for r in rows],
        [float(r[1]) for r in rows],
        [float(r[0]) for r in direct],
    )


def _paced(conn: Any, query: str, n: int, rate: float) -> None:
    """`n` calls of `query` with {"t": wall time} at a steady `rate` per second."""
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        conn.execute(query, (Jsonb({"t": time.time()}),), prepare=True)


def _wait_done(conn: Any, n: int, logs: Path) -> None:
    count = (
        "SELECT count(*) FROM hewer.tasks t JOIN hewer.runs r ON r.id = t.run_id "
        "JOIN hewer.workflows w ON w.id = r.workflow_id "
        "WHERE w.name = 'bench_event_stamp' AND t.status = 'succeeded'"
    )
    _wait(
        lambda: (conn.execute(count).fetchone() or (0,))[0] >= n,
        120,
        f"{n} runs to finish (see {logs})",
    )


def _ingest(url: str, single: int, batch: int) -> tuple[float, float]:
    with db.connect(url) as conn:
        payload = Jsonb({"order_id": 1, "total": 150, "items": ["a", "b"]})
        push = "SELECT hewer.push_event('bench.ingest', %s)"
        started = time.perf_counter()
        for _ in range(single):
            conn.execute(push, (payload,), prepare=True)
        single_rate = single / (time.perf_counter() - started)
        chunk = 1000
        keys = ["bench.ingest"] * chunk
        payloads = [payload] * chunk
        pushes = "SELECT count(*) FROM hewer.push_events(%s::text[], %s::jsonb[])"
        started = time.perf_counter()
        for _ in range(batch // chunk):
            conn.execute(pushes, (keys, payloads), prepare=True)
        batch_rate = (batch // chunk) * chunk / (time.perf_counter() - started)
    return single_rate, batch_rate


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise HewerError(f"hewer bench events: timed out waiting for {what}")
