"""The systems Hewer is compared with in `hewer bench`: procrastinate 3.x, PgQueuer 1.x and
raw SQL, each on its own database, used through its own public API.

Each system has two halves. The bench side (a `System`) creates the schema, enqueues
and runs the single-connection claim+complete loop of W4. The worker side runs in child
processes (`python -m hewer_tools.bench.peers SYSTEM MODE URL ...`), exactly as a user
would run the library's worker, speaking the line protocol of hewer_tools.bench.common.

Raw SQL is the floor under every queue: one table, a bulk INSERT, a claim of up to
`batch` rows with FOR UPDATE SKIP LOCKED that marks them running, and a DELETE of the
batch when done; one connection per worker process (plus one that LISTENs in serve mode).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from hewer_tools.bench.common import (
    Child,
    DrainRun,
    RssSampler,
    Serving,
    System,
    children,
    optional,
    python_module,
)

QUEUE = "bench"
TASK = "noop"
RAW_CHANNEL = "bench_ready"
#: Raw SQL's fallback poll while idle (it is woken by NOTIFY otherwise), like Hewer's default.
RAW_POLL = 1.0

RAW_SCHEMA = """
CREATE TABLE bench_jobs (
    id bigserial PRIMARY KEY,
    status text NOT NULL DEFAULT 'queued',
    payload jsonb NOT NULL
);
CREATE INDEX bench_jobs_queued ON bench_jobs (id) WHERE status = 'queued';
"""
RAW_ENQUEUE = (
    "WITH ins AS (INSERT INTO bench_jobs (payload) SELECT * FROM unnest(%s::jsonb[]) "
    "RETURNING 1) SELECT pg_notify('bench_ready', count(*)::text) FROM ins"
)
RAW_CLAIM = (
    "UPDATE bench_jobs SET status = 'running' WHERE id IN ("
    "SELECT id FROM bench_jobs WHERE status = 'queued' ORDER BY id LIMIT %s "
    "FOR UPDATE SKIP LOCKED) RETURNING id, payload"
)
RAW_COMPLETE = "DELETE FROM bench_jobs WHERE id = ANY (%s)"


# -- the bench side --------------------------------------------------------------------------


class PeerSystem(System):
    """A system whose workers are `python -m hewer_tools.bench.peers` children."""

    def worker_argv(self, mode: str) -> list[list[str]]:
        return [
            python_module(
                "hewer_tools.bench.peers",
                self.name,
                mode,
                self.url(),
                "--concurrency",
                str(self.sizes.concurrency),
            )
            for _ in range(self.sizes.workers)
        ]

    def _names(self, mode: str) -> list[str]:
        return [f"{self.name}-{mode}-{n}" for n in range(self.sizes.workers)]

    async def drain(self, n: int, rss: RssSampler) -> DrainRun:
        async with children(self._names("drain"), self.worker_argv("drain"), self.logdir) as kids:
            for kid in kids:
                rss.track("worker", kid.pid)
            go_at = time.monotonic()
            for kid in kids:
                await kid.send("go")
            results = [await kid.result(timeout=600) for kid in kids]
            for kid in kids:
                rss.untrack(kid.pid)
        left = await self.pending()
        if left:
            raise RuntimeError(f"{self.name}: the workers stopped with {left} tasks left")
        return DrainRun(seconds=max(float(r["done_at"]) for r in results) - go_at)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Serving]:
        async with children(self._names("serve"), self.worker_argv("serve"), self.logdir) as kids:
            yield ChildServing(kids)
            for kid in kids:
                with contextlib.suppress(OSError, ConnectionError):
                    await kid.send("stop")


class ChildServing(Serving):
    """Serve-mode children: latencies come from their `report` answers."""

    def __init__(self, kids: list[Child]) -> None:
        self.kids = kids

    async def collect(self) -> list[float]:
        latencies: list[float] = []
        for kid in self.kids:
            await kid.send("report")
            latencies.extend(float(v) for v in (await kid.result(timeout=30))["latencies_ms"])
        return latencies

    def pids(self) -> list[int]:
        return [k.pid for k in self.kids]


class RawSystem(PeerSystem):
    """The practical ceiling: the least SQL a durable queue can do per task."""

    name = "raw"
    batching = "claim up to 50 per statement per connection, one DELETE per claimed batch"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def _main(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None:
            self._conn = await psycopg.AsyncConnection.connect(self.url(), autocommit=True)
        return self._conn

    async def install(self, url: str) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(RAW_SCHEMA)

    async def enqueue(self, n: int, batch: int) -> None:
        conn = await self._main()
        for first in range(0, n, batch):
            payloads = [Jsonb({"i": i}) for i in range(first, min(n, first + batch))]
            await conn.execute(RAW_ENQUEUE, (payloads,))

    async def enqueue_stamped(self, n: int = 1) -> None:
        conn = await self._main()
        await conn.execute(RAW_ENQUEUE, ([Jsonb({"t": time.time()})] * n,))

    async def pending(self) -> int:
        conn = await self._main()
        row = await (await conn.execute("SELECT count(*) FROM bench_jobs")).fetchone()
        return int(row[0]) if row else 0

    async def fill(self, url: str, n: int) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(
                "INSERT INTO bench_jobs (payload) "
                "SELECT jsonb_build_object('i', g) FROM generate_series(1, %s) g",
                (n,),
            )
        await _vacuum(url, "bench_jobs")

    async def cycles(self, url: str, k: int, batch: int) -> float:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            done = 0
            started = time.perf_counter()
            while done < k:
                cur = await conn.execute(RAW_CLAIM, (min(batch, k - done),), prepare=True)
                ids = [r[0] for r in await cur.fetchall()]
                if not ids:
                    raise RuntimeError(f"raw: the backlog ran out after {done} of {k} tasks")
                await conn.execute(RAW_COMPLETE, (ids,), prepare=True)
                done += len(ids)
            return done / (time.perf_counter() - started)

    def worker_argv(self, mode: str) -> list[list[str]]:
        return [
            [*argv, "--batch", str(self.sizes.concurrency)] for argv in super().worker_argv(mode)
        ]

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


async def _vacuum(url: str, table: str) -> None:
    """VACUUM ANALYZE a freshly filled backlog, as autovacuum eventually would."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


def _procrastinate_app(url: str, latencies: list[float] | None = None) -> Any:
    """A procrastinate App on `url` with the bench's one task, `noop` on queue `bench`."""
    procrastinate = optional("procrastinate")
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=10)
    )

    async def noop(i: int | None = None, t: float | None = None) -> None:
        if t is not None and latencies is not None:
            latencies.append((time.time() - t) * 1000)

    app.task(name=TASK, queue=QUEUE)(noop)
    return app


class ProcrastinateSystem(PeerSystem):
    """procrastinate 3.x with its PsycopgConnector (a pool of up to 10 per process)."""

    name = "procrastinate"
    batching = (
        "worker fetches one job per query (concurrency 50 per process); finishes one job per query"
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._app: Any = None

    async def _open(self) -> Any:
        if self._app is None:
            self._app = _procrastinate_app(self.url())
            await self._app.open_async()
        return self._app

    async def install(self, url: str) -> None:
        app = _procrastinate_app(url)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()

    async def enqueue(self, n: int, batch: int) -> None:
        app = await self._open()
        task = app.tasks[TASK]
        for first in range(0, n, batch):
            await task.batch_defer_async(*({"i": i} for i in range(first, min(n, first + batch))))

    async def enqueue_stamped(self, n: int = 1) -> None:
        app = await self._open()
        if n == 1:
            await app.tasks[TASK].defer_async(t=time.time())
        else:
            await app.tasks[TASK].batch_defer_async(*[{"t": time.time()}] * n)

    async def pending(self) -> int:
        app = await self._open()
        row = await app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        )
        return int(row["n"])

    async def fill(self, url: str, n: int) -> None:
        app = _procrastinate_app(url)
        async with app.open_async():
            task = app.tasks[TASK]
            for first in range(0, n, 5000):
                await task.batch_defer_async(
                    *({"i": i} for i in range(first, min(n, first + 5000)))
                )
        await _vacuum(url, "procrastinate_jobs")

    async def cycles(self, url: str, k: int, batch: int) -> float:
        status = optional("procrastinate.jobs").Status
        app = _procrastinate_app(url)
        async with app.open_async():
            manager = app.job_manager
            worker_id = await manager.register_worker()
            done = 0
            started = time.perf_counter()
            while done < k:
                job = await manager.fetch_job(queues=[QUEUE], worker_id=worker_id)
                if job is None:
                    raise RuntimeError(f"procrastinate: the backlog ran out after {done} tasks")
                await manager.finish_job(job, status.SUCCEEDED, delete_job=False)
                done += 1
            rate = done / (time.perf_counter() - started)
            await manager.unregister_worker(worker_id)
            return rate

    async def close(self) -> None:
        if self._app is not None:
            await self._app.close_async()
            self._app = None


#: PgQueuer's batch: its cap on tasks in flight must be at least twice the batch.
PGQ_BATCH = 25


class PgQueuerSystem(PeerSystem):
    """PgQueuer 1.x on one asyncpg connection per process, durable (logged) tables."""

    name = "pgqueuer"
    batching = (
        f"dequeue {PGQ_BATCH} per query, max_concurrent_tasks 50 per process; "
        f"completions buffered and logged in batches (W4: dequeue 50, log the 50)"
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._conn: Any = None
        self._queries: Any = None

    async def _open(self) -> Any:
        if self._queries is None:
            self._conn, self._queries = await _pgq_queries(self.url())
        return self._queries

    async def install(self, url: str) -> None:
        conn, queries = await _pgq_queries(url)
        try:
            await queries.install()
        finally:
            await conn.close()

    async def enqueue(self, n: int, batch: int) -> None:
        queries = await self._open()
        for first in range(0, n, batch):
            size = min(n, first + batch) - first
            await queries.enqueue(
                [TASK] * size,
                [json.dumps({"i": i}).encode() for i in range(first, first + size)],
                [0] * size,
            )

    async def enqueue_stamped(self, n: int = 1) -> None:
        queries = await self._open()
        payload = json.dumps({"t": time.time()}).encode()
        if n == 1:
            await queries.enqueue(TASK, payload)
        else:
            await queries.enqueue([TASK] * n, [payload] * n, [0] * n)

    async def pending(self) -> int:
        await self._open()
        return int(await self._conn.fetchval("SELECT count(*) FROM pgqueuer"))

    async def fill(self, url: str, n: int) -> None:
        conn, queries = await _pgq_queries(url)
        try:
            for first in range(0, n, 5000):
                size = min(n, first + 5000) - first
                await queries.enqueue(
                    [TASK] * size,
                    [json.dumps({"i": i}).encode() for i in range(first, first + size)],
                    [0] * size,
                )
        finally:
            await conn.close()
        await _vacuum(url, "pgqueuer")

    async def cycles(self, url: str, k: int, batch: int) -> float:
        parameter = optional("pgqueuer.ports.repository").EntrypointExecutionParameter
        conn, queries = await _pgq_queries(url)
        entrypoints = {TASK: parameter(concurrency_limit=0)}
        manager = uuid.uuid4()
        try:
            done = 0
            started = time.perf_counter()
            while done < k:
                jobs = await queries.dequeue(
                    batch_size=min(batch, k - done),
                    entrypoints=entrypoints,
                    queue_manager_id=manager,
                    global_concurrency_limit=None,
                    heartbeat_timeout=timedelta(seconds=30),
                )
                if not jobs:
                    raise RuntimeError(f"pgqueuer: the backlog ran out after {done} tasks")
                await queries.log_jobs([(job, "successful", None) for job in jobs])
                done += len(jobs)
            return done / (time.perf_counter() - started)
        finally:
            await conn.close()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = self._queries = None


async def _pgq_queries(url: str) -> tuple[Any, Any]:
    conn = await optional("asyncpg").connect(_asyncpg_dsn(url))
    pgqueuer = optional("pgqueuer")
    return conn, pgqueuer.Queries(pgqueuer.AsyncpgDriver(conn))


def _asyncpg_dsn(url: str) -> str:
    """asyncpg takes URLs only: turn a key=value conninfo into one."""
    from urllib.parse import quote  # noqa: PLC0415

    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    if "://" in url:
        return url
    params = {k: str(v) for k, v in conninfo_to_dict(url).items()}
    user = quote(params.pop("user", "postgres"))
    password = params.pop("password", None)
    dbname = quote(params.pop("dbname", "postgres"))
    auth = f"{user}:{quote(password)}@" if password else f"{user}@"
    query = "&".join(f"{k}={quote(v, safe='/')}" for k, v in params.items())
    return f"postgresql://{auth}/{dbname}" + (f"?{query}" if query else "")


PEERS: dict[str, type[PeerSystem]] = {
    "procrastinate": ProcrastinateSystem,
    "pgqueuer": PgQueuerSystem,
    "raw": RawSystem,
}


# -- the worker side (child processes) -------------------------------------------------------


def _emit(line: str) -> None:
    sys.stdout.write(f"@bench {line}\n")
    sys.stdout.flush()


def _commands() -> asyncio.Queue[str]:
    """Lines from stdin, read in a thread; EOF reads as `stop`."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, "stop")

    threading.Thread(target=read, name="bench-stdin", daemon=True).start()
    return queue


async def _protocol(
    mode: str,
    work: Callable[[], Coroutine[Any, Any, None]],
    stop: Callable[[asyncio.Task[None]], Awaitable[None]],
    latencies: list[float],
) -> None:
    """Drain: wait for `go`, run `work` to the end, report when. Serve: run `work` until
    `stop`, answering `report` with the latencies seen."""
    commands = _commands()
    _emit("ready")
    if mode == "drain":
        if await commands.get() != "go":
            return
        await work()
        _emit(json.dumps({"done_at": time.monotonic()}))
        return
    task = asyncio.create_task(work())
    while True:
        waiter = asyncio.create_task(commands.get())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            waiter.cancel()
            task.result()
            raise RuntimeError("the worker stopped on its own")
        command = waiter.result()
        if command == "report":
            _emit(json.dumps({"latencies_ms": latencies[:]}))
            latencies.clear()
        elif command == "stop":
            break
    await stop(task)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _run_procrastinate(mode: str, url: str, concurrency: int) -> None:
    latencies: list[float] = []
    app = _procrastinate_app(url, latencies)
    async with app.open_async():

        async def work() -> None:
            await app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, wait=mode != "drain"
            )

        await _protocol(mode, work, _cancel, latencies)


async def _run_pgqueuer(mode: str, url: str, concurrency: int) -> None:
    mode_enum = optional("pgqueuer.types").QueueExecutionMode
    latencies: list[float] = []
    conn = await optional("asyncpg").connect(_asyncpg_dsn(url))
    pgq = optional("pgqueuer").PgQueuer.from_asyncpg_connection(conn)

    async def noop(job: Any) -> None:
        if job.payload:
            t = json.loads(job.payload).get("t")
            if t is not None:
                latencies.append((time.time() - float(t)) * 1000)

    pgq.entrypoint(TASK)(noop)

    async def work() -> None:
        await pgq.run(
            mode=mode_enum.drain if mode == "drain" else mode_enum.continuous,
            batch_size=PGQ_BATCH,
            max_concurrent_tasks=max(concurrency, 2 * PGQ_BATCH),
        )

    async def stop(task: asyncio.Task[None]) -> None:
        pgq.shutdown.set()
        await task

    try:
        await _protocol(mode, work, stop, latencies)
    finally:
        await conn.close()


async def _run_raw(mode: str, url: str, batch: int) -> None:
    latencies: list[float] = []
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    listener = await psycopg.AsyncConnection.connect(url, autocommit=True)
    ready = asyncio.Event()
    stopping = asyncio.Event()

    async def listen() -> None:
        await listener.execute(f"LISTEN {RAW_CHANNEL}")
        async for _ in listener.notifies():
            ready.set()

    async def work() -> None:
        while not stopping.is_set():
            ready.clear()
            cur = await conn.execute(RAW_CLAIM, (batch,), prepare=True)
            rows = await cur.fetchall()
            if rows:
                now = time.time()
                for _, payload in rows:
                    if "t" in payload:
                        latencies.append((now - float(payload["t"])) * 1000)
                await conn.execute(RAW_COMPLETE, ([r[0] for r in rows],), prepare=True)
                continue
            if mode == "drain":
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), RAW_POLL)

    async def stop(task: asyncio.Task[None]) -> None:
        stopping.set()
        ready.set()
        await task

    listening = asyncio.create_task(listen()) if mode == "serve" else None
    try:
        await _protocol(mode, work, stop, latencies)
    finally:
        if listening is not None:
            await _cancel(listening)
        await listener.close()
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    """`python -m hewer_tools.bench.peers SYSTEM MODE URL`: one worker process of a peer."""
    parser = argparse.ArgumentParser(prog="python -m hewer_tools.bench.peers")
    parser.add_argument("system", choices=sorted(PEERS))
    parser.add_argument("mode", choices=["drain", "serve"])
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args(argv)
    if args.system == "procrastinate":
        asyncio.run(_run_procrastinate(args.mode, args.url, args.concurrency))
    elif args.system == "pgqueuer":
        asyncio.run(_run_pgqueuer(args.mode, args.url, args.concurrency))
    else:
        asyncio.run(_run_raw(args.mode, args.url, args.batch))


if __name__ == "__main__":
    main()
