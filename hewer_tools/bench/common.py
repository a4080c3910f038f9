"""What every system in `hewer bench` shares: the System interface, sizes, child processes
that speak a line protocol, an RSS sampler and percentiles.

A peer's worker process (see hewer_tools.bench.peers) talks to the bench over its stdin and
stdout, one line per message: it prints `ready` once connected, then waits for `go`
(drain mode) or starts working at once (serve mode). In serve mode `report` makes it print
the enqueue->start latencies it saw since the last report, as JSON, and `stop` ends it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]

from hewer_tools.bench.pg import BenchServer
from hewer_tools.bench.run import percentile

__all__ = ["percentile"]  # shared with `hewer bench e2e`
# The longest line a bench child may write (its report, JSON): 64 MiB.
CHILD_LINE_LIMIT = 64 << 20


def optional(module: str) -> Any:
    """Import a module of the optional `bench` extra; the peers' APIs are used untyped."""
    return importlib.import_module(module)


@dataclass(frozen=True)
class Sizes:
    """How big each workload is. `full()` is the issue's sizes, `quick()` runs in seconds."""

    repetitions: int = 3
    warmup: bool = True
    #: W1: tasks enqueued and drained per repetition, enqueued `enqueue_batch` per call.
    drain_tasks: int = 20_000
    enqueue_batch: int = 1000
    #: worker processes, and the concurrency of each (Hewer slots, procrastinate
    #: concurrency, PgQueuer max_concurrent_tasks, raw SQL claim batch).
    workers: int = 2
    concurrency: int = 50
    #: W2: a steady rate for so many seconds, then `latency_rate_high` for as long.
    latency_rate: float = 100.0
    latency_seconds: float = 20.0
    latency_rate_high: float = 1000.0
    #: W3: runs of the 5-step diamond, triggered at once (runs/s) and then at a pace (hops):
    #: 20 runs/s is 100 tasks/s, W2's rate.
    dag_runs: int = 500
    dag_rate: float = 20.0
    #: W4: claim+complete `backlog_measured` tasks with each backlog queued, `backlog_batch`
    #: per call, on one connection.
    backlog_small: int = 10_000
    backlog_large: int = 1_000_000
    backlog_measured: int = 5000
    backlog_batch: int = 50
    #: W5: idle window and the settling time before it.
    idle_seconds: float = 60.0
    idle_settle: float = 3.0
    #: W7: claim+complete `limits_measured` tasks of `limits_backlog` queued, with and
    #: without limits, `backlog_batch` per call; then a rate limit of `rate_limit` per
    #: second held for `rate_seconds`.
    limits_backlog: int = 20_000
    limits_measured: int = 5000
    rate_limit: float = 100.0
    rate_seconds: float = 30.0
    #: W10: runs triggered one call at a time through each path (SQL, gRPC, HTTP); then
    #: trigger->start latencies at W2's rate and duration through each.
    trigger_runs: int = 2000
    #: W11: minutes of rollups (a week) for 2 tenants x `week_workflows` x `week_steps`,
    #: then `week_calls` timed calls of each query function, or as many as fit in
    #: `week_budget` seconds (at least 3).
    week_minutes: int = 10_080
    week_workflows: int = 20
    week_steps: int = 5
    week_calls: int = 20
    week_budget: float = 60.0
    #: W12: runs in the dashboard's database; then `dashboard_calls` timed calls of each
    #: API measure and `dashboard_loads` timed loads of each page, after
    #: `dashboard_warmup` discarded ones each.
    dashboard_runs: int = 1_000_000
    dashboard_calls: int = 50
    dashboard_loads: int = 50
    dashboard_warmup: int = 3
    #: W13: a run streaming `talk_chunks` chunks at `talk_rate`/s (latency), then one
    #: streaming `talk_burst` as fast as it can (chunks/s), one worker process.
    talk_chunks: int = 1000
    talk_rate: float = 200.0
    talk_burst: int = 20_000
    #: W14: W1's drain of `payload_tasks` tasks, each returning `payload_bytes` of output,
    #: with payload offload on and off.
    payload_tasks: int = 1000
    payload_bytes: int = 1_000_000
    #: W8: W1's drain of `scale_tasks` tasks by `scale_workers` worker processes spread over
    #: each number of dispatchers in `scale_dispatchers`, all on one database.
    scale_tasks: int = 20_000
    scale_workers: int = 8
    scale_dispatchers: tuple[int, ...] = (1, 2, 4)
    #: W9: W2 at `latency_rate` for `latency_seconds` in one tenant while another tenant's
    #: backlog of `noisy_backlog` tasks drains. It must outlast W2's window: Hewer drained
    #: 20,000 in under 20 s once it passed 1,000 tasks/s.
    noisy_backlog: int = 100_000

    @classmethod
    def full(cls) -> Sizes:
        return cls()

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            repetitions=1,
            warmup=False,
            drain_tasks=400,
            enqueue_batch=200,
            latency_seconds=1.0,
            dag_runs=10,
            dag_rate=40.0,
            backlog_small=300,
            backlog_large=3000,
            backlog_measured=200,
            idle_seconds=2.0,
            idle_settle=0.5,
            limits_backlog=600,
            limits_measured=200,
            rate_limit=50.0,
            rate_seconds=2.0,
            trigger_runs=100,
            week_minutes=1440,
            week_calls=5,
            week_budget=10.0,
            dashboard_runs=20_000,
            dashboard_calls=10,
            dashboard_loads=5,
            dashboard_warmup=1,
            talk_chunks=100,
            talk_rate=100.0,
            talk_burst=2000,
            payload_tasks=40,
            scale_tasks=1000,
            noisy_backlog=3000,
        )

    @property
    def warmup_tasks(self) -> int:
        """A warm-up drain is a fifth of a measured one."""
        return max(self.drain_tasks // 5, 1)


@dataclass
class RssSampler:
    """Peak resident memory of tracked processes, sampled every `interval` s in a thread."""

    interval: float = 0.05
    peaks: dict[str, float] = field(default_factory=dict)  # role -> MiB, max over its processes
    _procs: dict[int, tuple[str, psutil.Process]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def track(self, role: str, pid: int) -> None:
        """Sample process `pid` as `role` (e.g. dispatcher, worker) from now on."""
        with contextlib.suppress(psutil.Error), self._lock:
            self._procs[pid] = (role, psutil.Process(pid))
        self._sample()

    def untrack(self, pid: int) -> None:
        self._sample()
        with self._lock:
            self._procs.pop(pid, None)

    def _sample(self) -> None:
        with self._lock:
            procs = list(self._procs.values())
        for role, proc in procs:
            with contextlib.suppress(psutil.Error):
                mib = proc.memory_info().rss / 2**20
                self.peaks[role] = max(self.peaks.get(role, 0.0), mib)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()


class ChildError(RuntimeError):
    """A bench child process failed or broke the protocol."""


class Child:
    """A worker process of a peer system, driven over its stdin/stdout (see module doc)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: str) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def readline(self, timeout: float) -> str:
        """The next protocol line (other output is the library's own logging and goes by)."""
        if self.proc.stdout is None:
            raise ChildError(f"{self.name} has no stdout pipe")
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildError(f"{self.name}: no answer within {timeout:g} s; see {self.log}")
            try:
                raw = await asyncio.wait_for(self.proc.stdout.readline(), left)
            except TimeoutError:
                continue
            if not raw:
                code = await self.proc.wait()
                raise ChildError(f"{self.name} exited with code {code}; see {self.log}")
            line = raw.decode().strip()
            if line.startswith("@bench "):
                return line.removeprefix("@bench ")

    async def send(self, command: str) -> None:
        if self.proc.stdin is None:
            raise ChildError(f"{self.name} has no stdin pipe")
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()

    async def result(self, timeout: float) -> dict[str, Any]:
        data = json.loads(await self.readline(timeout))
        if not isinstance(data, dict):
            raise ChildError(f"{self.name}: expected a JSON object, got {data!r}")
        return data

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@contextlib.asynccontextmanager
async def children(
    names: Sequence[str], argv: Sequence[Sequence[str]], logdir: str, ready_timeout: float = 60
) -> AsyncIterator[list[Child]]:
    """Start one child per argv, wait for each to say `ready`; terminate them all on exit.

    Their stderr goes to LOGDIR/NAME.log; stdout carries the protocol.
    """
    started: list[Child] = []
    try:
        for name, args in zip(names, argv, strict=True):
            log_path = os.path.join(logdir, f"{name}.log")
            with open(log_path, "ab") as log:
                proc = await asyncio.create_subprocess_exec(
                    *args,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log,
                    # A child's report is one JSON line: at 1,000 tasks/s its latencies
                    # are far over asyncio's default 64 KiB line limit.
                    limit=CHILD_LINE_LIMIT,
                )
            started.append(Child(name, proc, log_path))
        for child in started:
            line = await child.readline(ready_timeout)
            if line != "ready":
                raise ChildError(f"{child.name}: expected 'ready', got {line!r}")
        yield started
    finally:
        await asyncio.gather(*(c.close() for c in started), return_exceptions=True)


def python_module(module: str, *args: str) -> list[str]:
    """The argv that runs `python -m MODULE ARGS` with this interpreter."""
    return [sys.executable, "-m", module, *args]


@dataclass
class DrainRun:
    """One W1 drain: how long the workers took, measured how."""

    seconds: float


class System(abc.ABC):
    """One queue system under test, on its own fresh database of the bench server.

    The bench calls, per workload: `prepare`, then inside `engine()` (long-lived processes
    such as Hewer's dispatcher) the workload's primitives. Everything runs in the bench's
    event loop; worker processes are children of the bench.
    """

    name: str = ""
    #: Whether the system runs DAGs (W3); the others are marked n/a there.
    has_dag: bool = False
    #: How W1 and W4 claim and complete, for the report.
    batching: str = ""

    def __init__(self, server: BenchServer, sizes: Sizes, logdir: str) -> None:
        self.server = server
        self.sizes = sizes
        self.logdir = logdir

    @property
    def dbname(self) -> str:
        return f"hewer_bench_{self.name}"

    def url(self, suffix: str = "") -> str:
        return self.server.url(self.dbname + suffix)

    async def prepare(self, suffix: str = "") -> str:
        """(Re)create this system's database (`dbname + suffix`) with its schema; its URL."""
        if not suffix:
            await self.close()  # its connections to the main database are about to go
        await asyncio.to_thread(self.server.recreate, self.dbname + suffix)
        await self.install(self.url(suffix))
        return self.url(suffix)

    @abc.abstractmethod
    async def install(self, url: str) -> None:
        """Create the system's schema in the empty database at `url`."""

    @contextlib.asynccontextmanager
    async def engine(self) -> AsyncIterator[None]:
        """Processes that live across a workload's repetitions (none by default)."""
        yield

    @abc.abstractmethod
    async def enqueue(self, n: int, batch: int) -> None:
        """Enqueue `n` no-op tasks, `batch` per call, on the main database."""

    @abc.abstractmethod
    async def drain(self, n: int, rss: RssSampler) -> DrainRun:
        """Start the worker processes and let them run the `n` queued tasks."""

    @abc.abstractmethod
    def serving(self) -> contextlib.AbstractAsyncContextManager[Serving]:
        """Worker processes that run tasks as they come (W2 and the idle W5)."""

    @abc.abstractmethod
    async def enqueue_stamped(self, n: int = 1) -> None:
        """Enqueue `n` tasks in one call, each payload carrying the wall time now (for W2)."""

    @abc.abstractmethod
    async def pending(self) -> int:
        """Tasks queued or running on the main database."""

    @abc.abstractmethod
    async def fill(self, url: str, n: int) -> None:
        """W4: enqueue `n` no-op tasks in the database at `url` (no workers running)."""

    @abc.abstractmethod
    async def cycles(self, url: str, k: int, batch: int) -> float:
        """W4: claim+complete `k` tasks through the SQL path on one connection; tasks/s."""

    async def close(self) -> None:  # noqa: B027 - a hook; most systems hold nothing
        """Release what the system holds in the bench process."""


class Serving(abc.ABC):
    """Running workers (W2, W5): latencies seen since the last collect()."""

    @abc.abstractmethod
    async def collect(self) -> list[float]:
        """Enqueue->start latencies in ms of the tasks started since the last call."""

    def pids(self) -> list[int]:
        return []
