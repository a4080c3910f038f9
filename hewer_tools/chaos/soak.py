"""A soak: steady load for minutes, with worker churn, sampling memory and table sizes.

Two dispatchers and two long-lived workers run the chaos workload (hewer_tools/chaos/workload.py)
while runs are triggered at a constant rate; every `churn` seconds a third, short-lived
worker is killed with kill -9 and replaced, so reaping and re-registration go on all along.
Every `every` seconds a sample records the resident memory of each long-lived process, the
size of each hewer table (partitions included) and the rows that should stay bounded (runs
in flight, queue rows). At the end the load stops, every run must finish, and the invariants
of the crash scenarios are checked.

Verdict: memory of a long-lived process may not keep growing (its growth over the second
half of the soak must stay under a few MB and a few percent), runs in flight and queue rows
may not trend upward, and the hot tables (queue) may not keep growing on disk. History
tables grow with the work done, by design (partitions are dropped after their retention);
their bytes per run are reported.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

from psycopg.types.json import Jsonb

from hewer_tools.chaos import workload
from hewer_tools.chaos.invariants import check_effects, database_violations, read_effects
from hewer_tools.chaos.stage import Db, Load, run_input
from hewer_tools.processes import Child, Processes, wait_until
from pydispatch.table import format_table

TABLES = ("runs", "tasks", "task_events", "queue", "workers", "idempotency_keys")
MB = 1024 * 1024
# Allowed growth of a long-lived process's memory over the second half of the soak.
RSS_SLACK_MB = 8.0
RSS_SLACK_SHARE = 0.05


@dataclass
class Sample:
    at: float  # seconds since the load began
    rss: dict[str, float]  # MB by process name
    tables: dict[str, float]  # MB by table
    in_flight: int
    queue_rows: int
    queue_dead: int  # dead row versions in hewer.queue, waiting for vacuum
    queue_vacuums: int  # (auto)vacuums of hewer.queue so far
    runs: int
    workers_rows: int

    def line(self) -> str:
        """One progress line."""
        rss = " ".join(f"{name} {mb:.0f}MB" for name, mb in self.rss.items())
        tables = " ".join(f"{t} {mb:.1f}MB" for t, mb in self.tables.items())
        return (
            f"t={self.at:5.0f}s  rss: {rss}  in flight {self.in_flight}  queue rows "
            f"{self.queue_rows} (dead {self.queue_dead}, vacuums {self.queue_vacuums})  "
            f"runs {self.runs}  tables: {tables}"
        )

    def row(self) -> dict[str, Any]:
        return {
            "t s": round(self.at),
            **{f"{name} MB": round(mb, 1) for name, mb in self.rss.items()},
            "in flight": self.in_flight,
            "queue rows": self.queue_rows,
            "queue dead": self.queue_dead,
            "vacuums": self.queue_vacuums,
            "runs": self.runs,
            **{f"{t} MB": round(mb, 2) for t, mb in self.tables.items()},
            "workers rows": self.workers_rows,
        }


@dataclass
class SoakResult:
    seconds: float
    rate: float
    samples: list[Sample] = field(default_factory=list)
    runs: int = 0
    tasks: int = 0
    churned: int = 0
    findings: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    logs: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def table(self) -> str:
        return format_table([s.row() for s in self.samples])

    def summary(self) -> str:
        lines = [
            f"soak: {self.seconds:.0f} s at {self.rate:g} runs/s: {self.runs} runs, "
            f"{self.tasks} tasks, {self.churned} workers killed and replaced: "
            + ("ok" if self.ok else "FAILED")
        ]
        lines += [f"  {f}" for f in self.findings]
        lines += [f"  violation: {v}" for v in self.violations]
        if self.logs is not None:
            lines.append(f"  logs: {self.logs}")
        return "\n".join(lines)


def _table_sizes(db: Db) -> dict[str, float]:
    rows = db.rows(
        "SELECT coalesce(p.relname, c.relname) AS name, "
        "sum(pg_total_relation_size(c.oid)) AS bytes "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
        "LEFT JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE n.nspname = 'hewer' AND c.relkind = 'r' GROUP BY 1"
    )
    sizes = {r["name"]: int(r["bytes"]) / MB for r in rows}
    return {t: sizes.get(t, 0.0) for t in TABLES}


def _sample(db: Db, started: float, processes: dict[str, Child]) -> Sample:
    counts = db.rows(
        "SELECT (SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')) AS live, "
        "(SELECT count(*) FROM hewer.queue) AS queue, (SELECT count(*) FROM hewer.runs) AS runs, "
        "(SELECT count(*) FROM hewer.workers) AS workers, "
        "(SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'hewer.queue'::regclass) "
        "AS dead, (SELECT vacuum_count + autovacuum_count FROM pg_stat_user_tables "
        "WHERE relid = 'hewer.queue'::regclass) AS vacuums"
    )[0]
    return Sample(
        at=time.monotonic() - started,
        rss={name: c.rss_bytes() / MB for name, c in processes.items()},
        tables=_table_sizes(db),
        in_flight=int(counts["live"]),
        queue_rows=int(counts["queue"]),
        queue_dead=int(counts["dead"] or 0),
        queue_vacuums=int(counts["vacuums"] or 0),
        runs=int(counts["runs"]),
        workers_rows=int(counts["workers"]),
    )


def run(
    dsn: str,
    tmp: Path,
    seconds: float,
    *,
    rate: float = 10.0,
    every: float = 10.0,
    churn: float = 60.0,
    echo: Callable[[str], None] = print,
) -> SoakResult:
    """Soak the system on database `dsn` (fresh, migrated) for `seconds`."""
    load = Load(runs=0, trickle=0, slots=8, worker_timeout=5.0)
    result = SoakResult(seconds=seconds, rate=rate, logs=tmp)
    procs = Processes(dsn, tmp)
    db = Db(dsn)
    rng = random.Random(11)
    try:
        flags = load.dispatcher_flags()
        dispatchers = [procs.start_dispatcher(flags=flags, name=f"d{i}") for i in range(2)]
        addresses = [d.address for d in dispatchers]
        workers = [
            procs.start_worker(
                *addresses[i:], *addresses[:i], slots=load.slots, target=workload.TARGET,
                name=f"w{i}",
            )
            for i in range(2)
        ]  # fmt: skip

        def churner(n: int) -> Child:
            return procs.start_worker(
                *addresses, slots=load.slots, target=workload.TARGET, name=f"churn{n}"
            )

        short = churner(0)
        names = [w.name for w in workers] + [short.name]
        active: LiteralString = (
            "SELECT count(*) FROM hewer.workers WHERE status = 'active' AND name = ANY (%s)"
        )
        wait_until(
            lambda: db.value(active, (names,)) == len(names),
            90,
            "workers to register",
            pause=0.2,
        )
        watched = {d.name: d for d in dispatchers} | {w.name: w for w in workers}
        started = time.monotonic()
        next_batch = next_sample = started
        next_churn = started + churn
        n = 0
        while (now := time.monotonic()) < started + seconds:
            if now >= next_batch:
                count = max(1, round(rate))
                db.rows(
                    "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])",
                    (workload.WORKFLOW, [Jsonb(run_input(rng, load)) for _ in range(count)]),
                )
                next_batch += count / rate
            if now >= next_sample:
                sample = _sample(db, started, watched)
                result.samples.append(sample)
                echo(sample.line())
                next_sample += every
            if now >= next_churn:
                procs.kill(short)
                result.churned += 1
                n += 1
                short = churner(n)
                next_churn += churn
            time.sleep(0.05)
        deadline = time.monotonic() + 300
        while db.value("SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')"):
            if time.monotonic() > deadline:
                result.violations.append("runs still unfinished 300 s after the load stopped")
                break
            time.sleep(0.5)
        result.samples.append(_sample(db, started, watched))
        _verdict(result, db, procs, watched)
    finally:
        procs.close()
        db.close()
    return result


def _verdict(result: SoakResult, db: Db, procs: Processes, watched: dict[str, Child]) -> None:
    run_ids = [r["id"] for r in db.rows("SELECT id FROM hewer.runs")]
    verdict = check_effects(db.conn, run_ids, read_effects(procs.log))
    result.runs, result.tasks = verdict.runs, verdict.tasks
    result.violations += verdict.violations
    result.violations += database_violations(db.conn)
    for name, child in watched.items():
        if not child.alive():
            result.violations.append(f"{name} exited (code {child.proc.returncode})")
    samples = result.samples[:-1]  # the last one is after the drain
    if len(samples) < 4:
        result.findings.append("too few samples to judge growth")
        return
    half = samples[len(samples) // 2]
    last = samples[-1]
    for name in last.rss:
        grew = last.rss[name] - half.rss[name]
        limit = max(RSS_SLACK_MB, half.rss[name] * RSS_SLACK_SHARE)
        line = (
            f"{name}: {samples[0].rss[name]:.1f} MB at start, {half.rss[name]:.1f} MB at "
            f"half time, {last.rss[name]:.1f} MB at the end ({grew:+.1f} MB in the second half)"
        )
        result.findings.append(line)
        if grew > limit:
            result.violations.append(f"memory keeps growing: {line}")
    first_half = samples[: len(samples) // 2]
    second_half = samples[len(samples) // 2 :]
    bounded: dict[str, Callable[[Sample], int]] = {
        "runs in flight": lambda s: s.in_flight,
        "queue rows": lambda s: s.queue_rows,
    }
    for what, get in bounded.items():
        before = max(get(s) for s in first_half)
        after = max(get(s) for s in second_half)
        result.findings.append(f"{what}: at most {before} in the first half, {after} after")
        if after > 2 * before + 50:
            result.violations.append(f"{what} keep growing: {before} then {after}")
    queue_before = max(s.tables["queue"] for s in first_half)
    queue_after = max(s.tables["queue"] for s in second_half)
    result.findings.append(
        f"queue table: at most {queue_before:.2f} MB in the first half, {queue_after:.2f} MB "
        f"after; {last.queue_vacuums} vacuums, {last.queue_dead} dead rows at the end"
    )
    if queue_after > 2 * queue_before + 1:
        result.violations.append("the queue table keeps growing on disk")
    runs = max(1, last.runs - samples[0].runs)
    per_run = {
        t: (last.tables[t] - samples[0].tables[t]) * MB / runs
        for t in ("runs", "tasks", "task_events")
    }
    result.findings.append(
        "history grows with the work, as designed (dropped with its partitions): "
        + ", ".join(f"{t} {b / 1024:.1f} kB/run" for t, b in per_run.items())
    )
    result.findings.append(
        f"workers table: {samples[0].workers_rows} rows at start, {last.workers_rows} at the "
        f"end: one row per worker process ever started, never removed"
    )
