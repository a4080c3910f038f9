"""`hewer bench`: the same workloads on the same PostgreSQL, one system after another.

Workloads run in order (W1 to W5, then W7 and W10 to W14; W6 is measured during W1), and
within each workload the systems run one after another, each on a fresh database of its own.
Every workload but W5's idle window does a discarded warm-up and then `repetitions` measured
runs; a cell is the median of those runs. A system that fails a workload gets `error` cells
there and the bench goes on with the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hewer_tools.bench import dashboard, feed, neighbours, payloads
from hewer_tools.bench.common import RssSampler, Sizes, System, percentile
from hewer_tools.bench.hewer import HewerSystem
from hewer_tools.bench.peers import PEERS
from hewer_tools.bench.pg import STATS_DELAY, BenchServer
from hewer_tools.bench.report import HEWER, METRICS, Cell, Cells, Report
from hewer_tools.bench.report import write as write_report
from hewer_tools.bench.run import WORKLOADS
from pydispatch import embedded
from pyworker.examples.noop import noop

Echo = Callable[[str], None]

METHODS = {
    "W1": (
        "Tasks are enqueued in bulk from the bench process through each system's own API "
        "(Hewer hewer.run_trigger, procrastinate batch_defer_async, PgQueuer "
        "Queries.enqueue with lists, raw SQL INSERT ... unnest) with no worker running; "
        "enqueue rate = tasks / wall time of those calls. Then the worker processes drain "
        "them. Peers: their processes are started, connected and told to go at once; drain "
        "time runs from `go` to the last process reporting it found the queue empty. "
        "Hewer: the worker processes start against a running dispatcher; drain time runs "
        "from the first task's assigned_at to the last finished_at (database clock), so "
        "worker start-up is not counted."
    ),
    "W2": (
        "At latency_rate/s, then at latency_rate_high/s (cells ending _1000), for "
        "latency_seconds each: every 10 ms one call enqueues rate/100 tasks (one at 100/s, "
        "ten at 1,000/s), each carrying the wall time just before its call; the task "
        "function records the wall time it starts; latency = start - enqueue. sent_1000 is "
        "the rate achieved: tasks / wall time of the pacing loop."
    ),
    "W3": (
        "Hewer only (the peers have no DAGs). runs/s: all runs triggered in one call, from "
        "the first run's created_at to the last run's finished_at. Hops: runs triggered one "
        "at a time at dag_rate runs/s; each step records its start and end wall time; hop = "
        "child start - parent end (for e, the last of b, c, d)."
    ),
    "W4": (
        "The SQL claim+complete path on one connection, no worker processes: Hewer "
        "hewer.task_claim + hewer.task_complete; procrastinate JobManager.fetch_job + "
        "finish_job (one job per call: it has no batch fetch); PgQueuer Queries.dequeue + "
        "log_jobs; raw SQL claim + DELETE. The small backlog is topped up after each run."
    ),
    "W5": (
        "commits per task: pg_stat_database.xact_commit of the system's database over a W1 "
        "repetition (enqueue + drain) / tasks. statements per task: pg_stat_statements "
        "top-level calls over the same window (only when pg_stat_statements is loaded). "
        "Idle: the worker processes (and Hewer's dispatcher) run with nothing to do; after "
        "settling, queries/s = pg_stat_statements top-level calls / window when loaded, "
        "else (xact_commit + xact_rollback) / window."
    ),
    "W6": (
        "psutil RSS of each process sampled every 50 ms during each W1 drain; the peak per "
        "process, the largest worker process for workers."
    ),
    "W7": (
        "Hewer only (the peers have no concurrency or rate limits). The W4 SQL path on one "
        "connection over two one-step workflows with the same backlog, each in a database of "
        "its own: one without any limits, one with a workflow key limit, a step key limit, "
        "an action limit and a rate limit, all far above what is running, so every claim is "
        "gated but none is stopped; cost = plain tasks/s / limited tasks/s. Rate: from an "
        "empty bucket (burst a tenth of a second), one connection claims as fast as it can "
        "through a limit of rate_limit/s for rate_seconds; claims/s / limit."
    ),
    "W8": (
        "Hewer only. Scaling out: W1's drain of scale_tasks no-op tasks by scale_workers "
        "hewer worker processes (concurrency slots each) with 1, 2 and 4 hewer dispatcher "
        "processes on one database, worker n on dispatcher n mod the count. Dispatchers and "
        "workers start and register first; then the tasks are enqueued (enqueue_batch per "
        "call) in one transaction, so all become claimable at once; drain time from the "
        "first task's assigned_at to the last finished_at (database clock). Each repetition "
        "runs every dispatcher count in turn."
    ),
    "W9": (
        "Hewer only. A noisy neighbour: two tenants on one database, one dispatcher; "
        "tenant A's workers (workers processes, its token) run W2's stamp task, tenant B's "
        "(as many, its token) a no-op. Each repetition enqueues noisy_backlog tasks for B "
        "in one transaction, then at once W2 for A (latency_rate/s for latency_seconds); "
        "p50 and p99 of A's enqueue->start latencies. B's backlog must outlast A's window "
        "(else the repetition fails); noisy_drain = B's tasks / (first assigned_at to last "
        "finished_at)."
    ),
    "W10": (
        "Hewer only. The three ways to start a run, beside each other: SQL (hewer.run_trigger "
        "on one connection, prepared), gRPC (pyworker.Client.trigger through the dispatcher) "
        "and HTTP (POST /v1/runs to `hewer api`, one keep-alive connection). Latency first: "
        "W2's stamp runs at W2's rate and duration through each path, with the worker "
        "processes serving; trigger->start = the task's start - the wall time just before the "
        "call. Then rates, with no worker running: trigger_runs runs started one call after "
        "another, each awaited before the next; runs/s = runs / wall time."
    ),
    "W11": (
        "Hewer only. The analytics feed. Cost: W1 (same sizes, same method: drain time from "
        "the first assigned_at to the last finished_at) on two fresh databases, one with the "
        "feed on (capture trigger on, HEWER_OLAP_FEED=on, the store in that database) and "
        "one with it off (trigger disabled, HEWER_OLAP_FEED=off), both dispatchers running "
        "throughout; each repetition drains both, in turn, the order alternating from one "
        "repetition to the next; feed cost = 1 - on/off per repetition, in percent. Lag: "
        "during both sides' drains a separate connection runs pydispatch.olap.lag (messages "
        "waiting, age of the oldest) every 100 ms with the database's time; the feed-on "
        "samples between the drain's first assignment and its last completion give the lag "
        "percentiles; catch-up = from the last completion to the first of the final "
        "empty-queue samples (to the 100 ms of the sampling). Week: a fresh database, the "
        "store made as the feeder makes it (pydispatch.olap.store_sql, partitions_ensure), "
        "hewer_olap.minutes filled with generate_series: 2 tenants x week_workflows "
        "workflows x week_steps steps x week_minutes minutes, 60 attempts a minute each, "
        "21-bucket histograms, and the store's hour and day rollups summed from them; "
        "ANALYZE; then on one connection week_calls calls (or as many "
        "as fit in week_budget seconds, at least 3) of workflow_stats(now() - the window) "
        "and of step_latency(one workflow, the same window) for one tenant, after one "
        "discarded call each; p50 and p99 of the calls."
    ),
    "W12": (
        "Hewer only. The dashboard over a large history. Fill (timed as fill_s): a fresh "
        "database (analytics capture off), two 3-step chain workflows; a tenth of the "
        "finished runs (at least 1,000, at most 10,000) started with hewer.run_trigger 1,000 "
        "inputs a call (a quarter of the calls for the second workflow) and then finished "
        "through the SQL API a worker uses, on 4 connections: hewer.task_claim 500 at a "
        "time, hewer.task_complete, or for one task in 30 hewer.task_fail (not retryable), "
        "so about a tenth of the runs fail (fill_engine_s); then copies of those runs with "
        "their tasks and task events, INSERT ... SELECT on 4 connections, each row under "
        "new UUIDv7 ids and times moved back by its run's offset, the copies spread evenly "
        "over the 28 days before, in daily partitions made first (hewer.partition_create "
        "on each day, then hewer.partition_drop), until dashboard_runs less 2 % are "
        "finished (fill_copy_s); the last 2 % are triggered after and left unfinished, "
        "half of them running; ANALYZE. Then "
        "pydispatch.api.create_app under uvicorn (pool of 4, no token: the default tenant) "
        "and, on one keep-alive connection, dashboard_calls timed calls of each after "
        "dashboard_warmup discarded ones: GET /v1/runs?limit=50 (the runs page's first "
        "page), the same filtered by the second workflow and status failed, the same with "
        "before = the run 90 % down the newest-first list, and the 7 calls of a run's page "
        "for the run in the middle of the list, in sequence (the run, lineage, children, "
        "events, workflow version, the first step's attempts and logs). Pages: Debian's "
        "headless Chromium driven by Playwright, logged in, one tab; dashboard_loads timed "
        "loads of each page after dashboard_warmup discarded ones, wall time from "
        "page.goto to the runs table showing 50 rows (/runs), and to the run's DAG showing "
        "its 3 steps, the first step clicked and its attempts showing (/runs/<id>). "
        "p50 and p99 of the samples. Without /usr/bin/chromium or playwright the page "
        "cells are n/a."
    ),
    "W13": (
        "Hewer only. Streamed output: one dispatcher, one worker process running the "
        "bench_talk task, which streams numbered chunks with ctx.stream, each carrying the "
        "wall time of its send; the bench process triggers a run with pyworker.Client and "
        "follows it with Client.output from the start, recording each chunk's arrival wall "
        "time. Latency: talk_chunks chunks paced at talk_rate/s; latency = arrival - send "
        "(same host, same clock). Throughput: talk_burst chunks sent as fast as the task "
        "can; follower chunks/s = chunks / (last arrival - first send); stored chunks/s = "
        "chunks / (last - first stored time, the chunks' at). Every chunk must arrive once, "
        "in seq order, and be stored once, or the run fails."
    ),
    "W14": (
        "Hewer only. Large payloads: W1's bulk enqueue and drain of the bench_bulky task, "
        "which returns payload_bytes characters of random base64 (it does not compress), "
        "once with payload offload on (HEWER_PAYLOAD_OFFLOAD=on, a local directory store) "
        "and once off (outputs inline in hewer.tasks), each on a database of its own with "
        "its own dispatcher and workers, alternating which goes first. Tasks/s as W1's "
        "drain (first assigned_at to last finished_at); database growth = "
        "pg_database_size after - before the enqueue and drain; WAL = "
        "pg_wal_lsn_diff(pg_current_wal_lsn()) over the same span (the whole server's: it "
        "counts background work for the other side's database too); both per 1,000 tasks."
    ),
}


def make_system(name: str, server: BenchServer, sizes: Sizes, logdir: str) -> System:
    if name == HEWER:
        return HewerSystem(server, sizes, logdir)
    return PEERS[name](server, sizes, logdir)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _cell(samples: Sequence[float]) -> Cell:
    return Cell(value=_median(samples), samples=[float(s) for s in samples])


def _runs(sizes: Sizes) -> list[bool]:
    """Which runs are measured: a discarded warm-up first when the sizes ask for one."""
    return ([False] if sizes.warmup else []) + [True] * sizes.repetitions


async def w1(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Bulk enqueue, then drain; commits per task; peak RSS."""
    server = system.server
    await system.prepare()
    enq: list[float] = []
    drain: list[float] = []
    commits: list[float] = []
    statements: list[float] = []
    rss_dispatcher: list[float] = []
    rss_workers: list[float] = []
    async with system.engine():
        for measured in _runs(sizes):
            n = sizes.drain_tasks if measured else sizes.warmup_tasks
            await asyncio.sleep(STATS_DELAY)
            c0 = await asyncio.to_thread(server.commits, system.dbname)
            s0 = await asyncio.to_thread(server.statement_calls, system.dbname)
            t0 = time.perf_counter()
            await system.enqueue(n, sizes.enqueue_batch)
            enqueue_s = time.perf_counter() - t0
            with RssSampler() as rss:
                run = await system.drain(n, rss)
            await asyncio.sleep(STATS_DELAY)
            c1 = await asyncio.to_thread(server.commits, system.dbname)
            s1 = await asyncio.to_thread(server.statement_calls, system.dbname)
            if not measured:
                continue
            enq.append(n / enqueue_s)
            drain.append(n / run.seconds)
            commits.append((c1 - c0) / n)
            if s0 is not None and s1 is not None:
                statements.append((s1 - s0) / n)
            if "dispatcher" in rss.peaks:
                rss_dispatcher.append(rss.peaks["dispatcher"])
            rss_workers.append(rss.peaks.get("worker", float("nan")))
    return {
        "W1.enqueue": _cell(enq),
        "W1.drain": _cell(drain),
        "W5.commits": _cell(commits),
        "W5.statements": (
            _cell(statements) if statements else Cell(na="pg_stat_statements is not loaded")
        ),
        "W6.dispatcher": (
            _cell(rss_dispatcher) if rss_dispatcher else Cell(na="no dispatcher process")
        ),
        "W6.workers": _cell(rss_workers),
    }


async def _wait_pending(system: System, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while await system.pending():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{system.name}: tasks still pending after {timeout:g} s")
        await asyncio.sleep(0.05)


#: W2 paces its enqueues in ticks of this many seconds (or 1/rate, when longer): at 100/s one
#: task a tick, at 1,000/s ten in one call.
TICK = 0.01


async def _paced(system: System, rate: float, seconds: float, path: str = "") -> float:
    """Stamped tasks at `rate`/s for `seconds`, each carrying the wall time just before its
    call: `rate * TICK` tasks a call every TICK s (at least one a call, every 1/rate s);
    Hewer's through `path`, one run a call (default SQL). The rate achieved, tasks/s."""
    per_call = 1 if path else max(1, round(rate * TICK))
    tick = per_call / rate
    calls = max(1, round(rate * seconds / per_call))
    started = next_at = time.perf_counter()
    for _ in range(calls):
        if path and isinstance(system, HewerSystem):
            await system.trigger_stamped(path)
        else:
            await system.enqueue_stamped(per_call)
        next_at += tick
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return calls * per_call / (time.perf_counter() - started)


async def w2(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Steady rates (latency_rate, then latency_rate_high); enqueue->start percentiles.

    The cells of the high rate end in `_1000` (W2.p50_1000, ...); W2.sent_1000 is the rate
    the bench achieved, to show that it was that rate."""
    await system.prepare()
    figures: dict[str, list[float]] = {}
    rates = ((sizes.latency_rate, ""), (sizes.latency_rate_high, "_1000"))
    async with system.engine(), system.serving() as serving:
        for measured in _runs(sizes):
            seconds = sizes.latency_seconds if measured else min(2.0, sizes.latency_seconds)
            for rate, tag in rates:
                sent = await _paced(system, rate, seconds)
                expected = max(1, round(rate * seconds))
                await _wait_pending(system, timeout=max(120.0, expected / 50))
                latencies = await serving.collect()
                if not measured:
                    continue
                if len(latencies) < expected:
                    raise RuntimeError(
                        f"{system.name}: {len(latencies)} latencies for {expected} tasks"
                    )
                for q in (50, 95, 99):
                    figures.setdefault(f"W2.p{q}{tag}", []).append(percentile(latencies, q))
                if tag:
                    figures.setdefault(f"W2.sent{tag}", []).append(sent)
    return {k: _cell(v) for k, v in figures.items()}


async def w3(system: System, sizes: Sizes) -> dict[str, Cell]:
    """DAGs: runs/s with all runs at once, hop latencies when paced."""
    if not isinstance(system, HewerSystem):
        na = Cell(na="no DAGs")
        return {"W3.hop_p50": na, "W3.hop_p99": na, "W3.runs": na}
    await system.prepare()
    rates: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    async with system.engine(), system.dag_workers():
        for measured in _runs(sizes):
            runs = sizes.dag_runs if measured else max(1, sizes.dag_runs // 5)
            rate = await system.dag_bulk(runs)
            hops = await system.dag_paced(runs, sizes.dag_rate)
            if not measured:
                continue
            if len(hops) < 4 * runs:
                raise RuntimeError(f"hewer: {len(hops)} hops for {runs} diamond runs")
            rates.append(rate)
            p50.append(percentile(hops, 50))
            p99.append(percentile(hops, 99))
    return {"W3.hop_p50": _cell(p50), "W3.hop_p99": _cell(p99), "W3.runs": _cell(rates)}


async def w4(system: System, sizes: Sizes, echo: Echo) -> dict[str, Cell]:
    """Claim+complete throughput with a small and a large backlog."""
    k = sizes.backlog_measured
    small = await system.prepare("_w4_small")
    large = await system.prepare("_w4_large")
    small_rates: list[float] = []
    large_rates: list[float] = []
    ratios: list[float] = []
    try:
        t0 = time.perf_counter()
        await system.fill(small, sizes.backlog_small)
        await system.fill(large, sizes.backlog_large)
        echo(f"  backlogs queued in {time.perf_counter() - t0:.0f} s")
        for measured in _runs(sizes):
            n = k if measured else max(1, k // 5)
            r_small = await system.cycles(small, n, sizes.backlog_batch)
            await system.fill(small, n)
            r_large = await system.cycles(large, n, sizes.backlog_batch)
            if not measured:
                continue
            small_rates.append(r_small)
            large_rates.append(r_large)
            ratios.append(r_large / r_small)
    finally:
        for suffix in ("_w4_small", "_w4_large"):
            await asyncio.to_thread(system.server.drop, system.dbname + suffix)
    return {
        "W4.small": _cell(small_rates),
        "W4.large": _cell(large_rates),
        "W4.ratio": _cell(ratios),
    }


async def w7(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Claim+complete with and without limits; a rate limit held over time."""
    if not isinstance(system, HewerSystem):
        na = Cell(na="no concurrency or rate limits")
        return {"W7.plain": na, "W7.limited": na, "W7.cost": na, "W7.rate": na}
    url_plain = await system.prepare("_w7_plain")
    url_limited = await system.prepare("_w7_limited")
    plain: list[float] = []
    limited: list[float] = []
    costs: list[float] = []
    try:
        await system.limits_fill(url_plain, False, sizes.limits_backlog)
        await system.limits_fill(url_limited, True, sizes.limits_backlog)
        for measured in _runs(sizes):
            n = sizes.limits_measured if measured else max(1, sizes.limits_measured // 5)
            r_plain = await system.limits_cycles(url_plain, False, n, sizes.backlog_batch)
            r_limited = await system.limits_cycles(url_limited, True, n, sizes.backlog_batch)
            if not measured:
                continue
            plain.append(r_plain)
            limited.append(r_limited)
            costs.append(r_plain / r_limited)
        rate = await system.rate_hold(url_limited, sizes.rate_limit, sizes.rate_seconds)
    finally:
        for suffix in ("_w7_plain", "_w7_limited"):
            await asyncio.to_thread(system.server.drop, system.dbname + suffix)
    return {
        "W7.plain": _cell(plain),
        "W7.limited": _cell(limited),
        "W7.cost": _cell(costs),
        "W7.rate": _cell([rate]),
    }


async def w8(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Scaling out: W1's drain with 1, 2 and 4 dispatchers on one database."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's dispatchers") for k in _KEYS["W8"]}
    await system.prepare()
    rates: dict[int, list[float]] = {k: [] for k in sizes.scale_dispatchers}
    for measured in _runs(sizes):
        n = sizes.scale_tasks if measured else max(1, sizes.scale_tasks // 5)
        # Each repetition goes through every count in turn, so drift hits them all.
        for count in sizes.scale_dispatchers:
            async with (
                system.dispatchers(count) as addresses,
                system.workers(noop, count=sizes.scale_workers, addresses=addresses),
            ):
                await system.enqueue_at_once(n, sizes.enqueue_batch)
                await system.wait_idle(timeout=1800)
            if measured:
                rates[count].append(n / await system.drain_seconds())
    return {f"W8.drain_{k}": _cell(v) for k, v in rates.items()}


async def w9(system: System, sizes: Sizes) -> dict[str, Cell]:
    """A noisy neighbour: W2 in tenant A while tenant B's backlog drains."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's tenants") for k in _KEYS["W9"]}
    both = neighbours.NeighbourSystem(system.server, sizes, system.logdir)
    figures: dict[str, list[float]] = {}
    try:
        await both.prepare()
        noisy_id = both.tenants[neighbours.NOISY]
        async with (
            both.engine(),
            both.serving() as serving,
            both.workers(noop, count=sizes.workers),
        ):
            for measured in _runs(sizes):
                backlog = sizes.noisy_backlog if measured else max(1, sizes.noisy_backlog // 5)
                seconds = sizes.latency_seconds if measured else min(2.0, sizes.latency_seconds)
                await both.enqueue_at_once(backlog, sizes.enqueue_batch, await both.noisy())
                await _paced(both, sizes.latency_rate, seconds)
                left = await both.noisy_left()
                await _wait_pending(both, timeout=1800)
                latencies = await serving.collect()
                if not measured:
                    continue
                expected = max(1, round(sizes.latency_rate * seconds))
                if len(latencies) < expected:
                    raise RuntimeError(f"hewer W9: {len(latencies)} latencies for {expected}")
                if left == 0:
                    raise RuntimeError(
                        f"hewer W9: tenant B's {backlog} tasks drained before tenant A's "
                        f"{seconds:g} s were over; a larger noisy_backlog is needed"
                    )
                figures.setdefault("W9.p50", []).append(percentile(latencies, 50))
                figures.setdefault("W9.p99", []).append(percentile(latencies, 99))
                rate = backlog / await both.drain_seconds(noisy_id)
                figures.setdefault("W9.noisy_drain", []).append(rate)
    finally:
        await both.close()
        await asyncio.to_thread(system.server.drop, both.dbname)
    return {k: _cell(v) for k, v in figures.items()}


TRIGGER_PATHS = ("sql", "grpc", "http")


async def w10(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Starting runs through SQL, gRPC and HTTP: one-at-a-time rates, trigger->start."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's own trigger paths") for k in _KEYS["W10"]}
    await system.prepare()
    rates: dict[str, list[float]] = {p: [] for p in TRIGGER_PATHS}
    p50: dict[str, list[float]] = {p: [] for p in TRIGGER_PATHS}
    p99: dict[str, list[float]] = {p: [] for p in TRIGGER_PATHS}
    async with system.engine(), system.trigger_paths():
        async with system.serving() as serving:
            for measured in _runs(sizes):
                seconds = sizes.latency_seconds if measured else min(2.0, sizes.latency_seconds)
                for path in TRIGGER_PATHS:
                    await _paced(system, sizes.latency_rate, seconds, path)
                    await _wait_pending(system)
                    latencies = await serving.collect()
                    expected = max(1, round(sizes.latency_rate * seconds))
                    if len(latencies) < expected:
                        raise RuntimeError(
                            f"hewer {path}: {len(latencies)} latencies for {expected} runs"
                        )
                    if measured:
                        p50[path].append(percentile(latencies, 50))
                        p99[path].append(percentile(latencies, 99))
        for measured in _runs(sizes):
            n = sizes.trigger_runs if measured else max(1, sizes.trigger_runs // 5)
            for path in TRIGGER_PATHS:
                rate = await system.trigger_rate(path, n)
                if measured:
                    rates[path].append(rate)
    cells = {f"W10.{p}": _cell(rates[p]) for p in TRIGGER_PATHS}
    for path in TRIGGER_PATHS:
        cells[f"W10.{path}_p50"] = _cell(p50[path])
        cells[f"W10.{path}_p99"] = _cell(p99[path])
    return cells


async def w11(system: System, sizes: Sizes) -> dict[str, Cell]:
    """The analytics feed: W1's drain with the feed on and off, its lag, a week of rollups."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's analytics feed") for k in _KEYS["W11"]}
    args = (system.server, sizes, system.logdir)
    on = feed.FeedSystem(*args, feed=True)
    off = feed.FeedSystem(*args, feed=False)
    week_db = system.dbname + "_w11_week"
    rates: dict[bool, list[float]] = {True: [], False: []}
    costs: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    catchup: list[float] = []
    try:
        await on.prepare()
        await off.prepare()
        async with feed.engines(on, off):
            for i, measured in enumerate(_runs(sizes)):
                n = sizes.drain_tasks if measured else sizes.warmup_tasks
                order = (on, off) if i % 2 == 0 else (off, on)
                runs = {s.feed: await feed.feed_drain(s, n, sizes.enqueue_batch) for s in order}
                if not measured:
                    continue
                for side, run in runs.items():
                    rates[side].append(run.tasks_per_second)
                costs.append((1 - runs[True].tasks_per_second / runs[False].tasks_per_second) * 100)
                p50.append(percentile(runs[True].lags_ms, 50))
                p99.append(percentile(runs[True].lags_ms, 99))
                catchup.append(runs[True].catchup_ms)
        await asyncio.to_thread(system.server.recreate, week_db)
        week = await asyncio.to_thread(
            feed.week_of_rollups,
            system.server.url(week_db),
            sizes.week_minutes,
            sizes.week_workflows,
            sizes.week_steps,
            sizes.week_calls,
            sizes.week_budget,
        )
    finally:
        for one in (on, off):
            await one.close()
        for name in (on.dbname, off.dbname, week_db):
            await asyncio.to_thread(system.server.drop, name)
    return {
        "W11.drain_on": _cell(rates[True]),
        "W11.drain_off": _cell(rates[False]),
        "W11.feed_cost": _cell(costs),
        "W11.lag_p50": _cell(p50),
        "W11.lag_p99": _cell(p99),
        "W11.catchup": _cell(catchup),
        "W11.week_workflows_p50": Cell(
            value=percentile(week.workflows_ms, 50), samples=week.workflows_ms
        ),
        "W11.week_workflows_p99": Cell(
            value=percentile(week.workflows_ms, 99), samples=week.workflows_ms
        ),
        "W11.week_steps_p50": Cell(value=percentile(week.steps_ms, 50), samples=week.steps_ms),
        "W11.week_steps_p99": Cell(value=percentile(week.steps_ms, 99), samples=week.steps_ms),
    }


async def w12(system: System, sizes: Sizes) -> dict[str, Cell]:
    """The dashboard over dashboard_runs runs: the fill, the API calls, the pages."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's dashboard") for k in _KEYS["W12"]}
    name = system.dbname + "_w12"
    try:
        await asyncio.to_thread(system.server.recreate, name)
        made, timings = await asyncio.to_thread(
            dashboard.measure,
            system.server.url(name),
            sizes.dashboard_runs,
            sizes.dashboard_calls,
            sizes.dashboard_loads,
            sizes.dashboard_warmup,
        )
    finally:
        await asyncio.to_thread(system.server.drop, name)

    def spread(samples: list[float], q: float) -> Cell:
        return Cell(value=percentile(samples, q), samples=samples)

    cells = {
        "W12.fill_s": Cell(value=made.seconds, samples=[made.seconds]),
        "W12.fill_engine_s": Cell(value=made.engine_seconds, samples=[made.engine_seconds]),
        "W12.fill_copy_s": Cell(value=made.copy_seconds, samples=[made.copy_seconds]),
    }
    for what in ("runs_api", "filter_api", "deep_api", "run_api", "runs_page", "run_page"):
        samples = getattr(timings, what)
        if what.endswith("_page") and timings.browser_na is not None:
            cells[f"W12.{what}_p50"] = cells[f"W12.{what}_p99"] = Cell(na=timings.browser_na)
            continue
        cells[f"W12.{what}_p50"] = spread(samples, 50)
        cells[f"W12.{what}_p99"] = spread(samples, 99)
    return cells


async def w13(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Streamed output: chunk->follower latency when paced, chunks/s when not."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's streamed output") for k in _KEYS["W13"]}
    await system.prepare()
    p50: list[float] = []
    p99: list[float] = []
    follower: list[float] = []
    stored: list[float] = []
    async with system.engine(), system.talkers():
        for measured in _runs(sizes):
            scale = 1 if measured else 5
            paced = await system.talk(max(1, sizes.talk_chunks // scale), sizes.talk_rate)
            burst = await system.talk(max(2, sizes.talk_burst // scale), 0)
            if measured:
                latencies = paced.latencies_ms()
                p50.append(percentile(latencies, 50))
                p99.append(percentile(latencies, 99))
                follower.append(burst.follower_rate())
                stored.append(burst.stored_rate())
    return {
        "W13.latency_p50": _cell(p50),
        "W13.latency_p99": _cell(p99),
        "W13.chunks_per_s": _cell(follower),
        "W13.stored_per_s": _cell(stored),
    }


async def w14(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Large payloads: W1's drain with 1 MB outputs, offload on and off."""
    if not isinstance(system, HewerSystem):
        return {k: Cell(na="Hewer's payload offload") for k in _KEYS["W14"]}
    args = (system.server, sizes, system.logdir)
    sides = {True: payloads.PayloadSystem(*args, offload=True)}
    sides[False] = payloads.PayloadSystem(*args, offload=False)
    figures: dict[str, list[float]] = {}
    try:
        for side in sides.values():
            await side.prepare()
        async with payloads.engines(*sides.values()):
            for i, measured in enumerate(_runs(sizes)):
                n = sizes.payload_tasks if measured else max(sizes.payload_tasks // 5, 1)
                order = (True, False) if i % 2 == 0 else (False, True)
                runs = {o: await payloads.payload_drain(sides[o], n, sizes) for o in order}
                if not measured:
                    continue
                for on, run in runs.items():
                    tag = "on" if on else "off"
                    figures.setdefault(f"W14.drain_{tag}", []).append(run.tasks_per_second)
                    figures.setdefault(f"W14.db_{tag}", []).append(run.db_bytes / n * 1000 / 1e6)
                    figures.setdefault(f"W14.wal_{tag}", []).append(run.wal_bytes / n * 1000 / 1e6)
    finally:
        for side in sides.values():
            await side.close()
            await asyncio.to_thread(system.server.drop, side.dbname)
    return {k: _cell(v) for k, v in figures.items()}


async def w5_idle(system: System, sizes: Sizes) -> dict[str, Cell]:
    """Queries per second against an idle engine."""
    server = system.server
    await system.prepare()
    async with system.engine(), system.serving():
        await asyncio.sleep(max(sizes.idle_settle, STATS_DELAY))
        q0 = await asyncio.to_thread(server.statement_calls, system.dbname)
        x0 = await asyncio.to_thread(server.transactions, system.dbname)
        t0 = time.monotonic()
        await asyncio.sleep(sizes.idle_seconds)
        q1 = await asyncio.to_thread(server.statement_calls, system.dbname)
        x1 = await asyncio.to_thread(server.transactions, system.dbname)
        elapsed = time.monotonic() - t0
    count = q1 - q0 if q0 is not None and q1 is not None else x1 - x0
    return {"W5.idle": _cell([count / elapsed])}


def _versions() -> dict[str, str]:
    out = {}
    for name in ("hewer", "procrastinate", "pgqueuer", "psycopg", "asyncpg"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def _workload(
    workload: str, system: System, sizes: Sizes, echo: Echo
) -> Coroutine[Any, Any, dict[str, Cell]]:
    if workload == "W4":
        return w4(system, sizes, echo)
    plain = {
        "W1": w1, "W2": w2, "W3": w3, "W7": w7, "W8": w8, "W9": w9, "W10": w10, "W11": w11,
        "W12": w12, "W13": w13, "W14": w14,
    }  # fmt: skip
    return plain.get(workload, w5_idle)(system, sizes)


def _relative_drain(cells: Cells, systems: Sequence[str]) -> None:
    """W1.vs_hewer: Hewer's drain rate over each system's, from the same invocation."""
    ours = cells.get(HEWER, {}).get("W1.drain")
    for name in systems:
        theirs = cells[name].get("W1.drain", Cell())
        if ours is None:
            cells[name]["W1.vs_hewer"] = Cell(na="hewer was not run")
        elif ours.value is None or theirs.value is None:
            cells[name]["W1.vs_hewer"] = Cell(error="no drain rate to compare")
        else:
            cells[name]["W1.vs_hewer"] = Cell(value=ours.value / theirs.value)


def _failed(keys: Sequence[str], exc: BaseException) -> dict[str, Cell]:
    message = f"{type(exc).__name__}: {exc}"
    return {k: Cell(error=message) for k in keys}


_KEYS = {w: tuple(m.key for m in METRICS if m.workload == w) for w in WORKLOADS}
#: The cells each workload fills (W1 also measures W5's commits and W6's memory).
_STEP_KEYS = {
    "W1": (*_KEYS["W1"], "W5.commits", "W5.statements", *_KEYS["W6"]),
    "W2": _KEYS["W2"],
    "W3": _KEYS["W3"],
    "W4": _KEYS["W4"],
    "W5": ("W5.idle",),
    "W7": _KEYS["W7"],
    "W8": _KEYS["W8"],
    "W9": _KEYS["W9"],
    "W10": _KEYS["W10"],
    "W11": _KEYS["W11"],
    "W12": _KEYS["W12"],
    "W13": _KEYS["W13"],
    "W14": _KEYS["W14"],
}


async def run_suite(
    server: BenchServer,
    sizes: Sizes,
    systems: Sequence[str],
    workloads: Sequence[str],
    echo: Echo,
    quick: bool = False,
) -> Report:
    """Run `workloads` on `systems`; the report (also for the parts that failed)."""
    started = time.monotonic()
    wanted = set(workloads)
    # Commits per task (W5) and memory (W6) are measured during W1's drains.
    if wanted & {"W5", "W6"}:
        wanted.add("W1")
    shown = [w for w in WORKLOADS if w in wanted]
    logdir = tempfile.mkdtemp(prefix="hewer-bench-")
    cells: Cells = {s: {} for s in systems}
    errors: list[str] = []
    batching: dict[str, str] = {}
    objects = {s: make_system(s, server, sizes, logdir) for s in systems}
    for name, system in objects.items():
        batching[name] = system.batching
    echo(f"logs: {logdir}")

    async def step(
        workload: str, name: str, keys: Sequence[str], run: Coroutine[Any, Any, dict[str, Cell]]
    ) -> None:
        echo(f"{workload} {name} ...")
        t0 = time.monotonic()
        try:
            cells[name].update(await run)
        except Exception as exc:  # noqa: BLE001 - one system's failure must not sink the rest
            cells[name].update(_failed(keys, exc))
            errors.append(f"{workload} {name}: {type(exc).__name__}: {exc}")
            echo(f"  failed: {exc}")
            echo("".join(traceback.format_exception(exc, limit=-3)).rstrip())
        else:
            echo(f"  done in {time.monotonic() - t0:.1f} s")

    try:
        for workload in ("W1", "W2", "W3", "W4", "W5", *WORKLOADS[6:]):
            if workload not in wanted:
                continue
            for name, system in objects.items():
                await step(
                    workload, name, _STEP_KEYS[workload], _workload(workload, system, sizes, echo)
                )
    finally:
        for system in objects.values():
            with contextlib.suppress(Exception):
                await system.close()
    if "W1" in wanted:
        _relative_drain(cells, systems)
    return Report(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        quick=quick,
        sizes=asdict(sizes),
        server=await asyncio.to_thread(server.settings),
        systems=list(systems),
        workloads=shown,
        cells=cells,
        methods={w: METHODS[w] for w in shown},
        batching=batching,
        versions=_versions(),
        errors=errors,
        seconds=time.monotonic() - started,
    )


def main(
    server: BenchServer,
    quick: bool,
    systems: Sequence[str],
    workloads: Sequence[str],
    repetitions: int | None,
    echo: Echo,
) -> tuple[Report, Sizes]:
    """`hewer bench`: run the suite at full or quick sizes; the report and the sizes used."""
    sizes = Sizes.quick() if quick else Sizes.full()
    if repetitions:
        sizes = replace(sizes, repetitions=repetitions)
    report = asyncio.run(run_suite(server, sizes, systems, workloads, echo, quick))
    return report, sizes


def write(report: Report, out: str | None) -> tuple[Path, Path]:
    """Write bench.json and bench.png to `out` (default $HEWER_HOME/bench)."""
    return write_report(report, Path(out) if out else embedded.hewer_home() / "bench")
