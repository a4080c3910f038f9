"""What a running task knows and can do: its input, its parents' outputs, logging, cancellation,
and child runs (spawn them, await their results).

A Context is built by the worker for each assignment. Tests of task functions can build one
directly: `Context(input={...}, parents={"fetch": {...}})` logs locally and refreshes nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator, Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from pyworker.children import ChildRun, workflow_name
from pyworker.durations import Duration, parse_duration
from pyworker.errors import TaskCancelledError

if TYPE_CHECKING:
    from pyworker.client import Client, RunInfo
    from pyworker.workflow import Task, Workflow


#: The longest chunk hewer.task_stream stores; ctx.stream splits longer text.
MAX_CHUNK_CHARS = 65_536


class TaskLink(Protocol):
    """The worker side of a Context: where its log lines and lease refreshes go.

    Both methods are called from the task's own thread (or the event loop) and must be
    thread-safe.
    """

    def send_log(self, level: str, message: str, at_unix_ms: int) -> None: ...

    def send_refresh(self, extend_by_ms: int) -> concurrent.futures.Future[datetime]: ...

    def send_stream(self, data: str) -> None: ...


class Refresh:
    """A lease refresh on its way: `await` it in async code, or `.result()` in a thread.

    The request is sent as soon as `refresh_timeout` is called; waiting is optional. Either way
    gives the new lease end, or raises LeaseLostError if the dispatcher rejected the refresh.
    """

    def __init__(self, future: concurrent.futures.Future[datetime]) -> None:
        self._future = future

    def __await__(self) -> Generator[Any, None, datetime]:
        return asyncio.wrap_future(self._future).__await__()

    def result(self, timeout: float | None = None) -> datetime:
        """Block until the dispatcher answers (never call this on the event loop's thread)."""
        return self._future.result(timeout)

    def done(self) -> bool:
        """Whether the dispatcher has answered."""
        return self._future.done()


class TaskLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for one task attempt: records go to local logging and up the stream as LogLines.

    Records at `stream_level` and above are streamed whatever the local logging configuration.
    """

    def __init__(
        self,
        logger: logging.Logger,
        extra: Mapping[str, object],
        link: TaskLink | None,
        stream_level: int,
    ) -> None:
        super().__init__(logger, extra)
        self._link = link
        self._stream_level = stream_level

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self._link is not None and level >= self._stream_level:
            try:
                text = str(msg) % args if args else str(msg)
            except (TypeError, ValueError):
                text = f"{msg} {args}"
            exc_info = kwargs.get("exc_info")
            if exc_info:
                if isinstance(exc_info, BaseException):
                    text += "\n" + "".join(traceback.format_exception(exc_info))
                elif exc_info is True and sys.exc_info()[1] is not None:
                    text += "\n" + traceback.format_exc()
            self._link.send_log(logging.getLevelName(level), text, int(time.time() * 1000))
        super().log(level, msg, *args, **kwargs)


class Context:
    """One task attempt, as the task function sees it (its second argument, `ctx`)."""

    def __init__(
        self,
        *,
        input: Any = None,
        parents: Mapping[str, Any] | None = None,
        run_id: str = "",
        task_id: str = "",
        attempt: int = 1,
        workflow: str = "",
        step: str = "",
        action: str = "",
        timeout_at: datetime | None = None,
        link: TaskLink | None = None,
        stream_log_level: int = logging.INFO,
        runs: Callable[[], Client] | None = None,
    ) -> None:
        self.input = input
        """The run's input (a Pydantic model when the task declares one)."""
        self.parents: Mapping[str, Any] = MappingProxyType(dict(parents or {}))
        """The outputs of this step's parents, by step name."""
        self.run_id = run_id
        self.task_id = task_id
        self.attempt = attempt
        """1 for the first attempt, 2 for the first retry, ..."""
        self.workflow = workflow
        self.step = step
        self.action = action
        self.timeout_at = timeout_at
        """When the lease ends: past it the server reclaims the task (see refresh_timeout)."""
        self._link = link
        self._runs = runs
        self._cancelled = threading.Event()
        self.cancel_reason: str | None = None
        """Why the task was told to stop, once it was."""
        self.log: logging.LoggerAdapter[logging.Logger] = TaskLogger(
            logging.getLogger(f"pyworker.tasks.{workflow or 'local'}.{step or 'task'}"),
            {"run_id": run_id, "task_id": task_id, "attempt": attempt, "step": step},
            link,
            stream_log_level,
        )
        """A logger: records go to local logging and to the dispatcher (LogLine)."""

    def __repr__(self) -> str:
        return f"<Context {self.workflow}.{self.step} task={self.task_id} attempt={self.attempt}>"

    def parent(self, task: Task[..., Any] | str) -> Any:
        """The output of a parent step, given as its task object or its name."""
        name = task if isinstance(task, str) else task.name
        try:
            return self.parents[name]
        except KeyError:
            known = ", ".join(self.parents) or "none"
            raise KeyError(
                f"step {self.step!r} has no parent output {name!r} (parents: {known}); "
                "list the step in parents=[...] of this task"
            ) from None

    @property
    def cancelled(self) -> bool:
        """True once the task was told to stop (cancel, timeout, worker shutdown)."""
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise TaskCancelledError if the task was told to stop: call it often in sync tasks."""
        if self._cancelled.is_set():
            raise TaskCancelledError(self.cancel_reason or "cancelled")

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Sleep up to `timeout` seconds, waking early on cancellation; returns `cancelled`."""
        return self._cancelled.wait(timeout)

    def stream(self, data: str) -> None:
        """Send a chunk of this attempt's output to whoever follows the run's output
        (`Client.output`, `GET /v1/runs/{id}/output`, the dashboard), e.g. an LLM's tokens as
        they come. Chunks are stored in order (a late follower gets them all) and kept 3 days;
        text over 65,536 characters goes as several chunks. Returns at once, from sync or
        async code; the chunks go out in the background and survive a reconnect."""
        if not isinstance(data, str):
            raise TypeError(f"ctx.stream takes text, got {type(data).__name__}: send str(data)")
        if self._link is None or not data:
            return
        for start in range(0, len(data), MAX_CHUNK_CHARS):
            self._link.send_stream(data[start : start + MAX_CHUNK_CHARS])

    def refresh_timeout(self, extend_by: Duration) -> Refresh:
        """Extend the lease: it ends `extend_by` from now (never earlier than it already does).

        Long tasks call this before their lease runs out so the server does not reclaim them.
        Works from sync and async code: `await ctx.refresh_timeout("30s")` waits for the answer.
        """
        seconds = parse_duration(extend_by, "extend_by")
        if seconds <= 0:
            raise ValueError(f"extend_by must be more than 0 seconds, got {extend_by!r}")
        if self._link is not None:
            return Refresh(self._link.send_refresh(max(1, round(seconds * 1000))))
        future: concurrent.futures.Future[datetime] = concurrent.futures.Future()
        new_end = datetime.now(UTC) + timedelta(seconds=seconds)
        if self.timeout_at is None or new_end > self.timeout_at:
            self.timeout_at = new_end
        future.set_result(self.timeout_at)
        return Refresh(future)

    # --- child runs ---------------------------------------------------------------------------

    def _client(self, method: str) -> Client:
        if self._runs is None:
            raise RuntimeError(
                f"ctx.{method} needs a worker: child runs are started through a dispatcher, "
                "so run the task in a Worker (a Context built by hand has no dispatcher)"
            )
        return self._runs()

    async def spawn(
        self,
        workflow: str | Workflow | Task[..., Any],
        input: Any = None,
        *,
        key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ChildRun:
        """Start a child run of `workflow` (its current version) with `input`; async tasks only.

        key: the child key. The same key in this run (and workflow) gives back the same child,
        so a retried task does not spawn twice: give a key to every child that must exist once.
        metadata: tags merged over this run's metadata for the child. The child is cancelled
        if this run is cancelled or fails. Await it with `ctx.wait_for` or `ctx.result`.
        """
        client = self._client("spawn")
        run_id, created = await client.spawn(
            self.task_id, self.attempt, workflow, input, key=key, metadata=metadata
        )
        return ChildRun(run_id=run_id, workflow=workflow_name(workflow), key=key, created=created)

    async def wait_for(self, child: ChildRun | str, timeout: Duration | None = None) -> RunInfo:
        """The child run's state once it is terminal (or when `timeout` runs out).

        The task keeps its worker slot while it waits; refresh the lease for long waits.
        """
        return await self._client("wait_for").wait(str(child), timeout)

    async def result(self, child: ChildRun | str, timeout: Duration | None = None) -> Any:
        """The child run's output ({"step": output}) once it succeeds.

        Raises RunFailedError or RunCancelledError if it did not, TimeoutError after `timeout`.
        """
        return await self._client("result").result(str(child), timeout)

    def _cancel(self, reason: str) -> None:
        """Mark the task as told to stop (the worker also cancels the asyncio task if async)."""
        if not self._cancelled.is_set():
            self.cancel_reason = reason
            self._cancelled.set()
