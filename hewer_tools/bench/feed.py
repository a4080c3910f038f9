"""W11 in `hewer bench`: what the analytics feed (pydispatch/olap.py) costs and how far it lags.

Three parts:

- W1's drain on two databases of one server, one with the feed on (the capture trigger
  queues a message per statement writing task events, the dispatcher's leader moves them
  into the store) and one with it off (trigger disabled, HEWER_OLAP_FEED=off), both
  dispatchers running throughout, the drains taking turns;
- the feed's lag, sampled from a connection of its own while the drains run, and how long
  the store takes to catch up once the last task has finished;
- the store's query functions over a week of minute rollups, written straight into a
  fresh store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from hewer_tools.bench import run as bench
from hewer_tools.bench.common import DrainRun, RssSampler
from hewer_tools.bench.hewer import HewerSystem
from pydispatch import db, migrate, olap

#: How often the feed's lag is sampled (s).
LAG_INTERVAL = 0.1
#: How long the store may take to catch up after a drain (s).
CATCHUP_TIMEOUT = 600.0


class FeedSystem(HewerSystem):
    """Hewer on a database of its own with the analytics feed forced on or off, whatever
    the bench's environment says; the store is that database's own schema hewer_olap."""

    def __init__(self, *args: Any, feed: bool) -> None:
        super().__init__(*args)
        self.feed = feed
        self.name = f"hewer_w11_{'on' if feed else 'off'}"
        self.logdir = os.path.join(self.logdir, self.name)
        os.makedirs(self.logdir, exist_ok=True)

    def _env(self) -> dict[str, str]:
        env = {**super()._env(), olap.FEED_ENV: "on" if self.feed else "off"}
        env.pop(olap.STORE_ENV, None)
        return env

    async def install(self, url: str) -> None:
        await asyncio.to_thread(migrate.up, url)
        if not self.feed:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(bench.OLAP_CAPTURE_OFF)
        await self.register_workflows(url)

    async def drain_window(self) -> tuple[datetime, datetime]:
        """The last drain's first assignment and last completion (database clock)."""
        conn = await self._main()
        cur = await conn.execute(
            "SELECT min(assigned_at), max(finished_at) FROM hewer.tasks WHERE id > %s",
            (self._drain_marker,),
        )
        row = await cur.fetchone()
        if row is None or row[0] is None or row[1] is None:
            raise RuntimeError(f"{self.name}: the drain left no task times")
        return row[0], row[1]


@dataclass
class LagSample:
    at: datetime  # database clock
    messages: int
    oldest_ms: float


@dataclass
class FeedDrain:
    """One W11 drain: its rate, the lag samples inside it, the catch-up after it."""

    tasks_per_second: float
    lags_ms: list[float] = field(default_factory=list)
    catchup_ms: float = float("nan")


class LagSampler:
    """olap.lag every LAG_INTERVAL s on a connection of its own, with the database's time
    of each sample; `finish` waits for the first empty queue after it is called."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[LagSample] = []
        self._finish = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: psycopg.AsyncConnection[DictRow] | None = None

    async def __aenter__(self) -> LagSampler:
        self._conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, row_factory=dict_row
        )
        self._task = asyncio.create_task(self._run(self._conn))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            await self._conn.close()

    async def _sample(self, conn: psycopg.AsyncConnection[DictRow]) -> LagSample:
        async with conn.transaction():
            messages, oldest = await olap.lag(conn)
            cur = await conn.execute("SELECT now() AS at")
            row = await cur.fetchone()
        if row is None:
            raise RuntimeError("SELECT now() returned nothing")
        return LagSample(row["at"], messages, oldest * 1000)

    async def _run(self, conn: psycopg.AsyncConnection[DictRow]) -> None:
        next_at = time.monotonic()
        while True:
            finishing = self._finish.is_set()
            sample = await self._sample(conn)
            self.samples.append(sample)
            if finishing and sample.messages == 0:
                return
            next_at += LAG_INTERVAL
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def finish(self, timeout: float = CATCHUP_TIMEOUT) -> None:
        """Sample on until a sample taken from now on finds the queue empty."""
        if self._task is None:
            raise RuntimeError("LagSampler: not started")
        self._finish.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            raise RuntimeError(
                f"the analytics feed had not caught up {timeout:g} s after a drain"
            ) from None


def lag_figures(
    samples: list[LagSample], first: datetime, last: datetime
) -> tuple[list[float], float]:
    """The lags (ms) sampled while the drain ran (from its first assignment to its last
    completion), and the catch-up (ms): from the last completion to the first sample of
    the final run of empty-queue samples taken after it."""
    margin = LAG_INTERVAL
    during = [s.oldest_ms for s in samples if first <= s.at <= last]
    if not during:  # a drain shorter than the sampling interval
        during = [
            s.oldest_ms
            for s in samples
            if abs((s.at - first).total_seconds()) <= margin
            or abs((s.at - last).total_seconds()) <= margin
        ]
    empty_from: LagSample | None = None
    for sample in reversed([s for s in samples if s.at >= last]):
        if sample.messages:
            break
        empty_from = sample
    if empty_from is None:
        raise RuntimeError("no empty-queue sample after the drain's last task")
    return during, (empty_from.at - last).total_seconds() * 1000


async def feed_drain(system: FeedSystem, n: int, batch: int) -> FeedDrain:
    """W1's enqueue and drain on `system`, its feed's lag sampled throughout (on either
    side, so that the sampling costs both alike), then until the store has caught up."""
    await system.enqueue(n, batch)
    async with LagSampler(system.url()) as sampler:
        run: DrainRun = await system.drain(n, RssSampler())
        await sampler.finish()
    first, last = await system.drain_window()
    lags, catchup = lag_figures(sampler.samples, first, last)
    return FeedDrain(n / run.seconds, lags, catchup)


@contextlib.asynccontextmanager
async def engines(*systems: FeedSystem) -> AsyncIterator[None]:
    """Every system's dispatcher, all running at once."""
    async with contextlib.AsyncExitStack() as stack:
        for system in systems:
            await stack.enter_async_context(system.engine())
        yield


# -- a week of rollups -------------------------------------------------------------------------

#: The tenants of the rollups; queries ask for the first one's.
TENANTS = ("00000000-0000-4000-8000-00000000b011", "00000000-0000-4000-8000-00000000b012")

# Rollups of every (tenant, workflow, step) for each minute of the window: 60 attempts a
# minute (57 succeeded, 2 retried, 1 failed), queue wait and run time histograms of the
# store's bucket count, 15/30/15 around a bucket that moves with the workflow and the step.
_WEEK_INSERT = """
INSERT INTO hewer_olap.minutes
SELECT (m AT TIME ZONE 'UTC')::date, m, t.id, format('bench_w11_%%s', lpad(w::text, 2, '0')),
       's' || s, 60, 57, 2, 1, 0,
       ARRAY(SELECT CASE abs(b - (3 + w %% 4)) WHEN 0 THEN 30 WHEN 1 THEN 15 ELSE 0 END
             FROM generate_series(1, cardinality(hewer_olap.hist_bounds()) + 1) AS b
             ORDER BY b),
       ARRAY(SELECT CASE abs(b - (6 + s %% 5)) WHEN 0 THEN 30 WHEN 1 THEN 15 ELSE 0 END
             FROM generate_series(1, cardinality(hewer_olap.hist_bounds()) + 1) AS b
             ORDER BY b)
FROM unnest(%(tenants)s::uuid[]) AS t(id),
     generate_series(%(start)s::timestamptz, %(end)s::timestamptz, interval '1 minute') AS m,
     generate_series(0, %(workflows)s - 1) AS w,
     generate_series(0, %(steps)s - 1) AS s
"""

WORKFLOWS_QUERY = (
    "SELECT * FROM hewer_olap.workflow_stats(now() - make_interval(mins => %s), now(), %s)"
)
STEPS_QUERY = (
    "SELECT * FROM hewer_olap.step_latency(%s, now() - make_interval(mins => %s), now(), %s)"
)


@dataclass
class WeekTimes:
    rows: int
    workflows_ms: list[float]
    steps_ms: list[float]


#: The fewest timed calls of each query, whatever the budget.
MIN_CALLS = 3


def week_of_rollups(
    url: str, minutes: int, workflows: int, steps: int, calls: int, budget: float
) -> WeekTimes:
    """Make the store in the empty database at `url` as the feeder does, fill `minutes` of
    rollups for every tenant, workflow and step, ANALYZE; then time `calls` calls of
    workflow_stats and of step_latency for one tenant over the window (after one
    discarded call each), on one connection; fewer (not under MIN_CALLS) when they take
    more than `budget` seconds in all."""
    with db.connect(url) as conn:
        conn.execute(olap.store_sql())
        # The minutes before this one, in UTC days: [start, end].
        start, end, first, last = conn.execute(
            "SELECT s, e, (s AT TIME ZONE 'UTC')::date, (e AT TIME ZONE 'UTC')::date "
            "FROM (SELECT date_trunc('minute', now()) - make_interval(mins => %s) AS s, "
            "date_trunc('minute', now()) - interval '1 minute' AS e) AS w",
            (minutes,),
        ).fetchall()[0]
        # Partitions up to the day after, as the feeder keeps them.
        conn.execute(
            "SELECT hewer_olap.partitions_ensure(%s, %s)", (first, (last - first).days + 2)
        )
        conn.execute(
            _WEEK_INSERT,
            {
                "tenants": list(TENANTS),
                "start": start,
                "end": end,
                "workflows": workflows,
                "steps": steps,
            },
        )
        rows = int(conn.execute("SELECT count(*) FROM hewer_olap.minutes").fetchall()[0][0])
        if rows != len(TENANTS) * minutes * workflows * steps:
            raise RuntimeError(f"{rows} rollups written for {minutes} minutes")
        for table, statement in _COARSER:
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchall()[0][0] is not None:
                conn.execute(statement)
        conn.execute("ANALYZE")
        tenant = TENANTS[0]
        workflow = f"bench_w11_{workflows // 2:02d}"

        def timed(query: str, params: tuple[Any, ...], keys: int, per_key: int) -> list[float]:
            out: list[float] = []
            started = time.perf_counter()
            for i in range(calls + 1):
                if len(out) >= MIN_CALLS and time.perf_counter() - started > budget:
                    break
                t0 = time.perf_counter()
                got = conn.execute(query, params).fetchall()
                elapsed = (time.perf_counter() - t0) * 1000
                # Every key, each with (about: the window's edges move) all its attempts:
                # a query that missed the rollups would be timed for nothing.
                short = [r for r in got if r[2] < 0.95 * per_key]
                if len(got) != keys or short:
                    raise RuntimeError(
                        f"{query[:40]}...: {len(got)} rows, expected {keys} of about "
                        f"{per_key} attempts each; short: {short[:1]}"
                    )
                if i:  # the first call is a warm-up
                    out.append(elapsed)
            return out

        wf_ms = timed(WORKFLOWS_QUERY, (minutes, tenant), workflows, 60 * minutes * steps)
        step_ms = timed(STEPS_QUERY, (workflow, minutes, tenant), steps, 60 * minutes)
    return WeekTimes(rows, wf_ms, step_ms)


#: The store's hour and day rollups, summed from the minutes as hewer_olap.rollups_refresh
#: sums them (each only when the store has the table).
_COARSER = (
    (
        "hewer_olap.hours",
        "INSERT INTO hewer_olap.hours "
        "SELECT m.day, date_trunc('hour', m.minute, 'UTC'), m.tenant_id, m.workflow, m.step, "
        "sum(m.attempts), sum(m.succeeded), sum(m.retried), sum(m.failed), sum(m.cancelled), "
        "hewer_olap.hist_sum(m.wait_hist), hewer_olap.hist_sum(m.run_hist) "
        "FROM hewer_olap.minutes m GROUP BY 1, 2, 3, 4, 5",
    ),
    (
        "hewer_olap.days",
        "INSERT INTO hewer_olap.days "
        "SELECT h.day, h.day::timestamp AT TIME ZONE 'UTC', h.tenant_id, h.workflow, h.step, "
        "sum(h.attempts), sum(h.succeeded), sum(h.retried), sum(h.failed), sum(h.cancelled), "
        "hewer_olap.hist_sum(h.wait_hist), hewer_olap.hist_sum(h.run_hist) "
        "FROM hewer_olap.hours h GROUP BY 1, 2, 3, 4, 5",
    ),
)
