"""Hewer in `hewer bench`: the real system, a `hewer dispatcher` and `hewer worker` processes
talking gRPC, on its own database; W4 and W7 go through the SQL claim+complete path instead.

Workers run the example workflows of pyworker.examples.noop. Times that the workers
report (W2, W3) are wall-clock times taken inside the task functions; drain times (W1)
and runs/s (W3) are taken in the database's clock from the tasks' own timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb

from hewer_tools import dev
from hewer_tools.bench import run as bench
from hewer_tools.bench.common import DrainRun, RssSampler, Serving, System
from pydispatch import db, migrate, olap
from pyworker import Client, Workflow
from pyworker.examples.noop import bulky, diamond, noop, stamp, talk

if TYPE_CHECKING:
    import httpx

_EXAMPLES = "pyworker.examples.noop"
#: W4 registers its own one-step workflow, as `hewer bench cycles` does.
_W4_WORKFLOW = "bench"


@dataclass
class DagRun:
    """One W3 repetition: runs/s with all runs triggered at once, hops when paced."""

    runs_per_second: float
    hops_ms: list[float]


@dataclass
class Talk:
    """One W13 run: per chunk, in seq order, its send and arrival wall times (s) and the
    time it was stored (the chunk's `at`, ms precision)."""

    sent: list[float]
    arrived: list[float]
    stored: list[float]

    def latencies_ms(self) -> list[float]:
        return [(a - s) * 1000 for s, a in zip(self.sent, self.arrived, strict=True)]

    def follower_rate(self) -> float:
        return len(self.sent) / (self.arrived[-1] - self.sent[0])

    def stored_rate(self) -> float:
        if len(self.stored) < 2 or self.stored[-1] <= min(self.stored):
            return float("nan")
        return len(self.stored) / (max(self.stored) - min(self.stored))


class HewerSystem(System):
    """Hewer through its dispatcher and worker processes."""

    name = "hewer"
    has_dag = True
    batching = (
        "dispatcher claims up to the worker's free slots (50) per task_claim; start and "
        "complete reports applied in batches of up to 200 (what arrived while the last was applied)"
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.address = ""
        self.dispatcher_pid: int | None = None
        self._drain_marker: uuid.UUID | None = None
        self._seen: uuid.UUID | None = None
        self._grpc: Client | None = None
        self._http: httpx.AsyncClient | None = None

    def _env(self) -> dict[str, str]:
        return {**os.environ, "HEWER_DATABASE_URL": self.url()}

    async def _main(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None:
            self._conn = await psycopg.AsyncConnection.connect(self.url(), autocommit=True)
        return self._conn

    async def _scalar(self, query: str, params: Any = None) -> Any:
        conn = await self._main()
        row = await (await conn.execute(query, params)).fetchone()
        return row[0] if row else None

    async def install(self, url: str) -> None:
        await asyncio.to_thread(migrate.up, url)
        if not olap.feed_enabled():
            # HEWER_OLAP_FEED=off: no analytics at all, to measure what the feed costs.
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(bench.OLAP_CAPTURE_OFF)
        await self.register_workflows(url)

    async def register_workflows(self, url: str) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for wf in (noop, stamp, diamond, talk):
                await conn.execute(
                    "SELECT * FROM hewer.workflow_register(%s, %s::jsonb)",
                    (wf.name, wf.spec_json()),
                )
            await conn.execute(
                "SELECT * FROM hewer.workflow_register(%s, %s)",
                (_W4_WORKFLOW, Jsonb({"steps": [{"name": "noop", "timeout": "1h"}]})),
            )

    # -- processes ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def engine(self) -> AsyncIterator[None]:
        """One `hewer dispatcher` on a free port, for the whole workload."""
        async with self.dispatchers(1):
            yield

    @contextlib.asynccontextmanager
    async def dispatchers(self, count: int) -> AsyncIterator[list[str]]:
        """`count` `hewer dispatcher` processes on free ports, all on this database; their
        addresses. Workers started meanwhile use the first unless told otherwise (W8)."""
        addresses: list[str] = []
        procs: list[asyncio.subprocess.Process] = []
        try:
            for n in range(count):
                port = dev.free_port()
                address = f"127.0.0.1:{port}"
                name = "hewer-dispatcher" + (str(n) if n else "")
                log = os.path.join(self.logdir, f"{name}.log")
                with open(log, "ab") as out:
                    proc = await asyncio.create_subprocess_exec(
                        *dev.hewer_command("dispatcher", "--listen", address),
                        env=self._env(),
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                procs.append(proc)
                await _wait_for_port(port, proc, log)
                addresses.append(address)
            self.address, self.dispatcher_pid = addresses[0], procs[0].pid
            yield addresses
        finally:
            self.dispatcher_pid = None
            await asyncio.gather(*(_terminate(p) for p in procs))

    def _worker_env(self, wf: Workflow) -> dict[str, str]:
        """The environment of the worker processes running `wf` (W9 gives each tenant's
        workers its token)."""
        return self._env()

    @contextlib.asynccontextmanager
    async def workers(
        self,
        wf: Workflow,
        rss: RssSampler | None = None,
        count: int | None = None,
        addresses: list[str] | None = None,
    ) -> AsyncIterator[list[asyncio.subprocess.Process]]:
        """`count` (default `sizes.workers`) `hewer worker` processes running `wf`, registered
        and listening; worker n uses dispatcher `addresses[n % len(addresses)]` (default the
        engine's)."""
        since = await self._scalar("SELECT clock_timestamp()")
        targets = addresses or [self.address]
        procs: list[asyncio.subprocess.Process] = []
        try:
            for n in range(self.sizes.workers if count is None else count):
                log = os.path.join(self.logdir, f"hewer-worker{n}.log")
                argv = dev.hewer_command(
                    "worker",
                    f"{_EXAMPLES}:{_attr(wf)}",
                    "--dispatcher",
                    targets[n % len(targets)],
                    "--slots",
                    str(self.sizes.concurrency),
                )
                with open(log, "ab") as out:
                    proc = await asyncio.create_subprocess_exec(
                        *argv,
                        env=self._worker_env(wf),
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                procs.append(proc)
                if rss is not None:
                    rss.track("worker", proc.pid)
            await self._wait_registered(wf, since, procs)
            yield procs
        finally:
            if rss is not None:
                for proc in procs:
                    rss.untrack(proc.pid)
            await asyncio.gather(*(_terminate(p) for p in procs))

    async def _wait_registered(
        self, wf: Workflow, since: Any, procs: list[asyncio.subprocess.Process]
    ) -> None:
        action = f"{wf.name}:{wf.tasks[0].name}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for proc in procs:
                if proc.returncode is not None:
                    raise RuntimeError(
                        f"a hewer worker exited with code {proc.returncode}; "
                        f"see {self.logdir}/hewer-worker*.log"
                    )
            count = await self._scalar(
                "SELECT count(*) FROM hewer.workers WHERE status = 'active' "
                "AND %s = ANY (actions) AND registered_at >= %s",
                (action, since),
            )
            if count >= len(procs):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{len(procs)} hewer workers did not register {wf.name} within 60 s")

    # -- W1 ---------------------------------------------------------------------------------------

    async def enqueue(self, n: int, batch: int) -> None:
        conn = await self._main()
        self._drain_marker = await self._scalar("SELECT hewer.uuidv7()")
        for first in range(0, n, batch):
            inputs = [Jsonb({"i": i}) for i in range(first, min(n, first + batch))]
            await conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])", (noop.name, inputs)
            )

    async def enqueue_at_once(self, n: int, batch: int, conn: Any = None) -> None:
        """Enqueue `n` noop runs, `batch` per call, in one transaction, so that workers that
        are already running see them all at once (W8, W9)."""
        conn = conn or await self._main()
        self._drain_marker = await self._scalar("SELECT hewer.uuidv7()")
        async with conn.transaction():
            for first in range(0, n, batch):
                inputs = [Jsonb({"i": i}) for i in range(first, min(n, first + batch))]
                await conn.execute(
                    "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])", (noop.name, inputs)
                )

    async def drain(self, n: int, rss: RssSampler) -> DrainRun:
        """Start the workers on the queued tasks; the drain is timed in the database from
        the first assignment to the last completion (worker start-up is not counted)."""
        if self.dispatcher_pid is not None:
            rss.track("dispatcher", self.dispatcher_pid)
        try:
            async with self.workers(noop, rss):
                await self.wait_idle(timeout=600)
        finally:
            if self.dispatcher_pid is not None:
                rss.untrack(self.dispatcher_pid)
        return DrainRun(seconds=await self.drain_seconds())

    async def drain_seconds(self, tenant: Any = None) -> float:
        """From the first assignment to the last completion of the tasks made since the last
        enqueue (of `tenant`'s only, when given), in the database's clock."""
        seconds = await self._scalar(
            "SELECT extract(epoch FROM max(finished_at) - min(assigned_at))::float8 "
            "FROM hewer.tasks WHERE id > %s AND (%s::uuid IS NULL OR tenant_id = %s::uuid)",
            (self._drain_marker, tenant, tenant),
        )
        return float(seconds)

    async def pending(self) -> int:
        return int(
            await self._scalar(
                "SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')"
            )
        )

    async def wait_idle(self, timeout: float, interval: float = 0.2) -> None:
        """Until no run is queued or running. Checked with EXISTS, not counted: the check
        runs during the drains it waits for, and should cost them as little as it can
        (times come from the tasks' timestamps, not from when this notices)."""
        deadline = time.monotonic() + timeout
        while await self._scalar(
            "SELECT EXISTS (SELECT FROM hewer.runs WHERE status IN ('queued', 'running'))"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"hewer: runs still unfinished after {timeout:g} s")
            await asyncio.sleep(interval)

    # -- W2, W5 -----------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Serving]:
        self._seen = await self._scalar("SELECT hewer.uuidv7()")
        async with self.workers(stamp) as procs:
            yield _HewerServing(self, [p.pid for p in procs])

    async def enqueue_stamped(self, n: int = 1) -> None:
        conn = await self._main()
        await conn.execute(
            "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])",
            (stamp.name, [Jsonb({"t": time.time()})] * n),
            prepare=True,
        )

    async def stamped_latencies(self) -> list[float]:
        """Latencies of the stamp runs finished since the last call (ms)."""
        conn = await self._main()
        cur = await conn.execute(
            "SELECT r.id, ((t.output->>'started')::float8 - (r.input->>'t')::float8) * 1000 "
            "FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id "
            "WHERE r.id > %s AND t.status = 'succeeded' AND r.input ? 't' ORDER BY r.id",
            (self._seen,),
        )
        rows = await cur.fetchall()
        if rows:
            self._seen = rows[-1][0]
        return [float(r[1]) for r in rows]

    # -- W10 --------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def trigger_paths(self) -> AsyncIterator[None]:
        """`hewer api` on a free port beside the dispatcher, a gRPC client of the dispatcher
        and an HTTP client of the API (one keep-alive connection)."""
        import httpx  # noqa: PLC0415 - W10 only

        port = dev.free_port()
        log = os.path.join(self.logdir, "hewer-api.log")
        argv = dev.hewer_command("api", "--listen", f"127.0.0.1:{port}", "--log-level", "WARNING")
        with open(log, "ab") as out:
            proc = await asyncio.create_subprocess_exec(
                *argv, env=self._env(), stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        try:
            await _wait_for_port(port, proc, log, "the HTTP API")
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            async with (
                Client([self.address]) as grpc_client,
                httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30.0
                ) as http_client,
            ):
                self._grpc, self._http = grpc_client, http_client
                yield
        finally:
            self._grpc = self._http = None
            await _terminate(proc)

    async def _trigger(self, path: str, workflow: str, payload: dict[str, Any]) -> None:
        if path == "sql":
            conn = await self._main()
            await conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, ARRAY[%s::jsonb])",
                (workflow, Jsonb(payload)),
                prepare=True,
            )
        elif self._grpc is None or self._http is None:
            raise RuntimeError("open trigger_paths() first")
        elif path == "grpc":
            await self._grpc.trigger(workflow, payload)
        else:
            response = await self._http.post(
                "/v1/runs", json={"workflow": workflow, "input": payload}
            )
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/runs: {response.status_code} {response.text}")

    async def trigger_stamped(self, path: str) -> None:
        """One stamp run through `path`, carrying the wall time just before the call."""
        await self._trigger(path, stamp.name, {"t": time.time()})

    async def trigger_rate(self, path: str, n: int) -> float:
        """`n` noop runs through `path`, one call awaited after another; runs/s."""
        started = time.perf_counter()
        for i in range(n):
            await self._trigger(path, noop.name, {"i": i})
        return n / (time.perf_counter() - started)

    # -- W13 --------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def talkers(self) -> AsyncIterator[None]:
        """One `hewer worker` process running `talk` and a gRPC client of the dispatcher."""
        async with self.workers(talk, count=1), Client([self.address]) as client:
            self._grpc = client
            try:
                yield
            finally:
                self._grpc = None

    async def talk(self, chunks: int, rate: float) -> Talk:
        """One talk run of `chunks` chunks at `rate`/s (0: as fast as it can), followed with
        Client.output from before it starts; checks each chunk came once, in order."""
        if self._grpc is None:
            raise RuntimeError("open talkers() first")
        run_id = await self._grpc.trigger(talk.name, {"chunks": chunks, "rate": rate})
        sent: list[float] = []
        arrived: list[float] = []
        stored: list[float] = []
        async for chunk in self._grpc.output(run_id):
            arrived.append(time.time())
            body = json.loads(chunk.data)
            if chunk.seq != len(sent) + 1 or body["n"] != chunk.seq:
                raise RuntimeError(
                    f"hewer W13: chunk seq {chunk.seq} (n {body['n']}) after {len(sent)} chunks"
                )
            sent.append(float(body["t"]))
            if chunk.at is not None:
                stored.append(chunk.at.timestamp())
        rows = await self._scalar(
            "SELECT count(*) FROM hewer.task_streams WHERE run_id = %s", (run_id,)
        )
        if len(sent) != chunks or rows != chunks:
            raise RuntimeError(
                f"hewer W13: {len(sent)} chunks followed, {rows} stored, of {chunks}"
            )
        return Talk(sent=sent, arrived=arrived, stored=stored)

    # -- W3 ---------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def dag_workers(self) -> AsyncIterator[None]:
        async with self.workers(diamond):
            yield

    async def dag_bulk(self, runs: int) -> float:
        """Trigger `runs` diamonds in one call; runs/s from the first run's creation to the
        last run's end, in the database's clock."""
        conn = await self._main()
        marker = await self._scalar("SELECT hewer.uuidv7()")
        await conn.execute(
            "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])",
            (diamond.name, [Jsonb({"i": i}) for i in range(runs)]),
        )
        await self.wait_idle(timeout=600)
        seconds = await self._scalar(
            "SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8 "
            "FROM hewer.runs WHERE id > %s",
            (marker,),
        )
        return runs / float(seconds)

    async def dag_paced(self, runs: int, rate: float) -> list[float]:
        """Trigger `runs` diamonds at `rate`/s; every parent-done->child-start hop (ms)."""
        conn = await self._main()
        marker = await self._scalar("SELECT hewer.uuidv7()")
        interval = 1.0 / rate
        next_at = time.perf_counter()
        for i in range(runs):
            await conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, ARRAY[%s::jsonb])",
                (diamond.name, Jsonb({"i": i})),
                prepare=True,
            )
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await self.wait_idle(timeout=600)
        cur = await conn.execute(
            "SELECT t.run_id, t.step, (t.output->>'started')::float8, (t.output->>'done')::float8 "
            "FROM hewer.tasks t WHERE t.run_id > %s AND t.status = 'succeeded'",
            (marker,),
        )
        return diamond_hops(await cur.fetchall())

    # -- W7 ---------------------------------------------------------------------------------------

    async def limits_fill(self, url: str, limited: bool, n: int) -> None:
        """W7: register the plain or the limited workflow and queue `n` runs of it."""
        await asyncio.to_thread(_limits_fill, url, limited, n)

    async def limits_cycles(self, url: str, limited: bool, k: int, batch: int) -> float:
        """W7: claim+complete `k` tasks of the plain or the limited workflow; tasks/s."""
        return await asyncio.to_thread(_limits_cycles, url, limited, k, batch)

    async def rate_hold(self, url: str, rate: float, seconds: float) -> float:
        """W7: claims per second through a `rate`/s limit over `seconds`, over `rate`."""
        return await asyncio.to_thread(_rate_hold, url, rate, seconds)

    # -- W4 ---------------------------------------------------------------------------------------

    async def fill(self, url: str, n: int) -> None:
        # run_trigger's cost grows with the square of its batch (see docs/benchmarks.md),
        # so the backlog goes in batches of 500.
        await asyncio.to_thread(_fill, url, n)

    async def cycles(self, url: str, k: int, batch: int) -> float:
        """hewer.task_claim + hewer.task_complete (non-strict), as `hewer bench cycles`."""
        return await asyncio.to_thread(_cycles, url, k, batch)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


class _HewerServing(Serving):
    def __init__(self, system: HewerSystem, pids: list[int]) -> None:
        self.system = system
        self._pids = pids

    async def collect(self) -> list[float]:
        return await self.system.stamped_latencies()

    def pids(self) -> list[int]:
        return list(self._pids)


def _fill(url: str, n: int) -> None:
    with db.connect(url) as conn:
        bench.enqueue_noops(conn, n, chunk=500)
        conn.execute("VACUUM ANALYZE hewer.queue")
        conn.execute("ANALYZE hewer.tasks")


def _cycles(url: str, k: int, batch: int) -> float:
    with db.connect(url) as conn:
        row = conn.execute(
            "SELECT hewer.worker_register('bench-w4', ARRAY[%s], 10000)", (f"{_W4_WORKFLOW}:noop",)
        ).fetchone()
        if row is None:
            raise RuntimeError("hewer.worker_register returned nothing")
        done, _, seconds = bench.claim_complete(conn, row[0], batch, limit=k)
        conn.execute("SELECT count(*) FROM hewer.worker_stop(ARRAY[%s]::uuid[])", (row[0],))
    if done < k:
        raise RuntimeError(f"hewer: the backlog ran out after {done} of {k} tasks")
    return done / seconds


#: W7: the same one-step workflow without limits and with a workflow key limit, a step key
#: limit, an action limit and a rate limit, each in a database of its own; the limits are
#: far above what one connection holds at once, so they gate every claim without ever
#: stopping one.
_W7_PLAIN = "bench_w7_plain"
_W7_LIMITED = "bench_w7_limited"
_W7_RATE = "bench_w7_rate"


def _limits_fill(url: str, limited: bool, n: int) -> None:
    with db.connect(url) as conn:
        if limited:
            conn.execute("SELECT hewer.rate_limit_set('bench-w7', 1e9, '1 second', 1e9)")
            conn.execute(
                "SELECT hewer.concurrency_limit_set('action', %s, 100000)", (f"{_W7_LIMITED}:s",)
            )
        specs = {
            _W7_PLAIN: {"steps": [{"name": "s", "timeout": "1h"}]},
            _W7_LIMITED: {
                "concurrency": {"key": "input.user", "max": 10000},
                "steps": [
                    {
                        "name": "s",
                        "timeout": "1h",
                        "concurrency": {"key": 'input.user + ":" + input.model', "max": 10000},
                        "rate_limits": [{"limit": "bench-w7"}],
                    }
                ],
            },
        }
        inputs = [Jsonb({"user": f"u{i % 100}", "model": f"m{i % 3}"}) for i in range(n)]
        name = _W7_LIMITED if limited else _W7_PLAIN
        for spec in [specs[name]]:
            conn.execute("SELECT * FROM hewer.workflow_register(%s, %s)", (name, Jsonb(spec)))
            for start in range(0, n, 500):
                conn.execute(
                    "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])",
                    (name, inputs[start : start + 500]),
                )
        conn.execute("VACUUM ANALYZE hewer.queue")
        conn.execute("ANALYZE hewer.tasks")


def _limits_cycles(url: str, limited: bool, k: int, batch: int) -> float:
    action = f"{_W7_LIMITED if limited else _W7_PLAIN}:s"
    with db.connect(url) as conn:
        row = conn.execute(
            "SELECT hewer.worker_register('bench-w7', ARRAY[%s], 10000)", (action,)
        ).fetchone()
        if row is None:
            raise RuntimeError("hewer.worker_register returned nothing")
        done, _, seconds = bench.claim_complete(conn, row[0], batch, limit=k)
        conn.execute("SELECT count(*) FROM hewer.worker_stop(ARRAY[%s]::uuid[])", (row[0],))
    if done < k:
        raise RuntimeError(f"hewer: the W7 backlog ran out after {done} of {k} tasks")
    return done / seconds


def _rate_hold(url: str, rate: float, seconds: float) -> float:
    """Claim as fast as one connection can through a limit of `rate`/s for `seconds`, from
    an empty bucket; the claims per second over `rate`. The bucket saves up a tenth of a
    second (at least 2 tokens), so a claim that comes a little late loses nothing."""
    backlog = int(rate * seconds * 1.5) + 100
    burst = max(2.0, rate / 10)
    with db.connect(url) as conn:
        conn.execute(
            "SELECT hewer.rate_limit_set('bench-w7-rate', %s, '1 second', %s)", (rate, burst)
        )
        spec = {
            "steps": [{"name": "s", "timeout": "1h", "rate_limits": [{"limit": "bench-w7-rate"}]}]
        }
        conn.execute("SELECT * FROM hewer.workflow_register(%s, %s)", (_W7_RATE, Jsonb(spec)))
        for start in range(0, backlog, 500):
            conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])",
                (_W7_RATE, [Jsonb({"i": i}) for i in range(start, min(backlog, start + 500))]),
            )
        row = conn.execute(
            "SELECT hewer.worker_register('bench-w7-rate', ARRAY[%s], 10000)", (f"{_W7_RATE}:s",)
        ).fetchone()
        if row is None:
            raise RuntimeError("hewer.worker_register returned nothing")
        claim = "SELECT task_id, attempt FROM hewer.task_claim(%s, 50)"
        done = "SELECT count(*) FROM hewer.task_complete(%s, %s, %s::jsonb[], false)"
        # The bucket starts full: spend it, then count from an empty bucket.
        while conn.execute(claim, (row[0],), prepare=True).fetchall():
            pass
        claimed = 0
        started = time.monotonic()
        while (now := time.monotonic()) - started < seconds:
            rows = conn.execute(claim, (row[0],), prepare=True).fetchall()
            if rows:
                claimed += len(rows)
                conn.execute(
                    done,
                    ([r[0] for r in rows], [r[1] for r in rows], ["{}"] * len(rows)),
                    prepare=True,
                )
            else:
                time.sleep(0.002)
        elapsed = now - started
        conn.execute("SELECT count(*) FROM hewer.worker_stop(ARRAY[%s]::uuid[])", (row[0],))
    return claimed / elapsed / rate


def diamond_hops(rows: list[tuple[Any, str, float, float]]) -> list[float]:
    """Parent-done->child-start hops (ms) of diamond runs from (run, step, started, done):
    b, c and d each wait for a; e waits for the last of b, c and d."""
    runs: dict[Any, dict[str, tuple[float, float]]] = {}
    for run_id, step, begun, done in rows:
        runs.setdefault(run_id, {})[step] = (float(begun), float(done))
    hops: list[float] = []
    for steps in runs.values():
        if len(steps) != 5:
            continue
        for child in ("b", "c", "d"):
            hops.append((steps[child][0] - steps["a"][1]) * 1000)
        last_parent = max(steps[p][1] for p in ("b", "c", "d"))
        hops.append((steps["e"][0] - last_parent) * 1000)
    return hops


def _attr(wf: Workflow) -> str:
    names = {
        noop.name: "noop",
        stamp.name: "stamp",
        diamond.name: "diamond",
        talk.name: "talk",
        bulky.name: "bulky",
    }
    return names[wf.name]


async def _wait_for_port(
    port: int, proc: asyncio.subprocess.Process, log: str, name: str = "the dispatcher"
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}; see {log}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise RuntimeError(f"{name} did not listen on port {port} within 30 s; see {log}")


async def _terminate(proc: asyncio.subprocess.Process, timeout: float = 20) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
