"""Triggering runs and reading their results over gRPC (the Runs service of any dispatcher).

`Client` is async; `SyncClient` offers the same calls for sync code by running a Client on a
private event loop thread. Calls go to the first dispatcher of the list and move on to the next
one when a dispatcher is unreachable (UNAVAILABLE).
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
import grpc.aio
from opentelemetry.trace import SpanKind

from pyworker import codec, rpc, tracing
from pyworker.children import workflow_name
from pyworker.durations import Duration, parse_duration
from pyworker.errors import (
    AuthenticationError,
    RpcError,
    RunCancelledError,
    RunFailedError,
    RunNotFoundError,
    UnreachableError,
)
from pyworker.proto import hewer_pb2 as pb
from pyworker.workflow import Task, Workflow

T = TypeVar("T")

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

# Wait is asked for at most this long per call, so a lost connection is noticed.
_WAIT_CHUNK = 55.0


def _time(unix_ms: int) -> datetime | None:
    return datetime.fromtimestamp(unix_ms / 1000, UTC) if unix_ms else None


@dataclass(frozen=True)
class RunInfo:
    """A run's state: its status, input, output ({"step": output}), error and tasks."""

    run_id: str
    workflow: str
    version: int
    status: str
    input: Any
    output: Any
    error: Any
    tasks: list[dict[str, Any]]
    created_at: datetime | None
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        """Whether the run is terminal (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def unserved(self) -> list[tuple[str, str]]:
        """(step, action) of each queued task whose action no live worker serves: the run
        waits for a worker that may never come."""
        return [
            (str(t.get("step")), str(t.get("action")))
            for t in self.tasks
            if t.get("status") == "queued" and t.get("served") is False
        ]

    @classmethod
    def from_proto(cls, run: pb.Run) -> RunInfo:
        tasks = codec.loads(run.tasks_json, [])
        return cls(
            run_id=run.run_id,
            workflow=run.workflow,
            version=run.version,
            status=run.status,
            input=codec.loads(run.input_json),
            output=codec.loads(run.output_json),
            error=codec.loads(run.error_json),
            tasks=tasks if isinstance(tasks, list) else [],
            created_at=_time(run.created_at_unix_ms),
            finished_at=_time(run.finished_at_unix_ms),
        )


@dataclass(frozen=True)
class RunEvent:
    """A task event of a run (queued, started, succeeded, failed, retrying, ...)."""

    run_id: str
    task_id: str
    step: str
    attempt: int
    kind: str
    status: str
    data: Any
    at: datetime | None
    run_status: str
    """Set on the last event of a watch: the run's terminal status."""

    @classmethod
    def from_proto(cls, event: pb.RunEvent) -> RunEvent:
        return cls(
            run_id=event.run_id,
            task_id=event.task_id,
            step=event.step,
            attempt=event.attempt,
            kind=event.kind,
            status=event.status,
            data=codec.loads(event.data_json),
            at=_time(event.at_unix_ms),
            run_status=event.run_status,
        )


@dataclass(frozen=True)
class OutputChunk:
    """A chunk of a task attempt's streamed output (ctx.stream)."""

    chunk_id: str
    task_id: str
    step: str
    attempt: int
    seq: int
    """The chunk's number in its attempt's stream, from 1."""
    data: str
    at: datetime | None

    @classmethod
    def from_proto(cls, chunk: pb.OutputChunk) -> OutputChunk:
        return cls(
            chunk_id=chunk.chunk_id,
            task_id=chunk.task_id,
            step=chunk.step,
            attempt=chunk.attempt,
            seq=chunk.seq,
            data=chunk.data,
            at=_time(chunk.at_unix_ms),
        )


@dataclass(frozen=True)
class RunSummary:
    """A run as listed (Client.list_runs): no outputs; tasks counts its tasks by status."""

    run_id: str
    workflow: str
    version: int
    status: str
    priority: int
    input: Any
    error: Any
    replay_of: str | None
    """The run this one replays (Client.replay), if it is a replay."""
    tasks: dict[str, int]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    metadata: dict[str, Any] = field(default_factory=dict)
    """The run's key/value tags (Client.trigger(metadata=...)); {} for none."""

    @classmethod
    def from_proto(cls, run: pb.RunSummary) -> RunSummary:
        tasks = codec.loads(run.tasks_json, {})
        metadata = codec.loads(run.metadata_json, {})
        return cls(
            run_id=run.run_id,
            workflow=run.workflow,
            version=run.version,
            status=run.status,
            priority=run.priority,
            input=codec.loads(run.input_json),
            error=codec.loads(run.error_json),
            replay_of=run.replay_of or None,
            tasks=tasks if isinstance(tasks, dict) else {},
            created_at=_time(run.created_at_unix_ms),
            started_at=_time(run.started_at_unix_ms),
            finished_at=_time(run.finished_at_unix_ms),
            metadata=metadata if isinstance(metadata, dict) else {},
        )


def _unix_ms(value: datetime | None, name: str) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:
        raise TypeError(f"{name} must be a timezone-aware datetime, e.g. datetime.now(UTC)")
    return int(value.timestamp() * 1000)


def _run_filter(
    workflow: str | Workflow | Task[..., Any] | None,
    statuses: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
    input: Any,
    metadata: Mapping[str, Any] | None,
) -> pb.RunFilter:
    return pb.RunFilter(
        workflow="" if workflow is None else workflow_name(workflow),
        statuses=list(statuses or []),
        since_unix_ms=_unix_ms(since, "since"),
        until_unix_ms=_unix_ms(until, "until"),
        input_json="" if input is None else _input_json(input),
        metadata_json=_metadata_json(metadata),
    )


def _input_json(value: Any) -> str:
    text = codec.dumps({} if value is None else value)
    if not text.startswith("{"):
        raise TypeError(
            f"a run input must be a JSON object (a dict or a Pydantic model), got {value!r}"
        )
    return text


def _metadata_json(value: Mapping[str, Any] | None) -> str:
    """Run metadata (key/value tags) as JSON text; "" for none."""
    if value is None:
        return ""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"metadata must be a dict of tags, e.g. {{'customer': 'acme'}}, got {value!r}"
        )
    return codec.dumps(dict(value))


def _error(method: str, exc: grpc.aio.AioRpcError) -> RpcError:
    code = rpc.status_name(exc)
    details = exc.details() or ""
    if code == "UNAUTHENTICATED":
        return AuthenticationError(method, code, details)
    if code == "NOT_FOUND" and method != "Trigger":
        return RunNotFoundError(method, code, details)
    if code == "UNAVAILABLE" and "failed to connect" in details.lower():
        return UnreachableError(method, code, details)
    return RpcError(method, code, details)


def _wait(
    request: pb.WaitRequest, timeout: float, metadata: rpc.Metadata, runs: rpc.RunsStub
) -> Awaitable[pb.Run]:
    return runs.Wait(request, timeout=timeout, metadata=metadata)


class Client:
    """Async client for runs: trigger, get, wait for the result, watch, cancel.

    Use it on one event loop (channels belong to the loop they were opened on); close it with
    `await client.close()` or `async with Client(...) as client:`.

    token: the API token every call presents (default $HEWER_TOKEN; none when unset), which
    selects the tenant the calls act for (docs/tenants.md). A refused token raises
    AuthenticationError. tls_ca: a PEM file of the CA that signed the dispatchers' certificates
    (default $HEWER_TLS_CA): the calls then go over TLS; without it, plaintext.
    """

    def __init__(
        self,
        dispatchers: Sequence[str] | None = None,
        *,
        timeout: float = 10.0,
        token: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self.dispatchers = list(dispatchers) if dispatchers else rpc.default_dispatchers()
        self.timeout = timeout
        self._metadata = rpc.call_metadata(rpc.default_token(token))
        self._credentials = rpc.tls_credentials(tls_ca)
        self._index = 0
        self._channel: grpc.aio.Channel | None = None
        self._stub: rpc.RunsStub | None = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel (the client can still be used; it reconnects)."""
        channel, self._channel, self._stub = self._channel, None, None
        if channel is not None:
            await channel.close()

    def _runs(self) -> rpc.RunsStub:
        if self._stub is None:
            self._channel = rpc.open_channel(
                self.dispatchers[self._index % len(self.dispatchers)], self._credentials
            )
            self._stub = rpc.runs_stub(self._channel)
        return self._stub

    async def _next_dispatcher(self) -> None:
        await self.close()
        self._index += 1

    async def _call(self, method: str, call: Callable[[rpc.RunsStub], Awaitable[T]]) -> T:
        """Run a unary call, moving to the next dispatcher while they are unavailable."""
        for attempt in range(len(self.dispatchers)):
            try:
                return await call(self._runs())
            except grpc.aio.AioRpcError as exc:
                if (
                    exc.code() != grpc.StatusCode.UNAVAILABLE
                    or attempt == len(self.dispatchers) - 1
                ):
                    raise _error(method, exc) from None
                await self._next_dispatcher()
        raise AssertionError("unreachable")

    async def trigger(
        self,
        workflow: str | Workflow | Task[..., Any],
        input: Any = None,
        *,
        priority: int | None = None,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a run of the workflow's current version; returns its run_id.

        input is a JSON object (dict or Pydantic model; None means {}). With an idempotency key
        already used for this workflow, the existing run's id is returned. metadata: key/value
        tags (str, number or bool values), inherited by the run's children (docs/children.md).
        """
        name = workflow_name(workflow)
        request = pb.TriggerRequest(
            workflow=name,
            input_json=_input_json(input),
            priority=priority,
            idempotency_key=idempotency_key or "",
            metadata_json=_metadata_json(metadata),
        )
        callers = tracing.current_traceparent()
        with tracing.tracer().start_as_current_span(
            f"hewer.trigger {name}", kind=SpanKind.PRODUCER, attributes={"hewer.workflow": name}
        ) as span:
            # The run's trace continues the caller's (docs/observability.md#traces): under
            # this span if it is recorded, else under the caller's own.
            request.metadata_json = tracing.add_traceparent(
                request.metadata_json, tracing.current_traceparent() or callers
            )
            response = await self._call(
                "Trigger",
                lambda runs: runs.Trigger(request, timeout=self.timeout, metadata=self._metadata),
            )
            span.set_attribute("hewer.run_id", response.run_id)
        return response.run_id

    async def spawn(
        self,
        task_id: str,
        attempt: int,
        workflow: str | Workflow | Task[..., Any],
        input: Any = None,
        *,
        key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> tuple[str, bool]:
        """Start a child run for task (task_id, attempt): (run_id, created). See ctx.spawn."""
        request = pb.SpawnRequest(
            task_id=task_id,
            attempt=attempt,
            workflow=workflow_name(workflow),
            input_json=_input_json(input),
            key=key or "",
            metadata_json=tracing.add_traceparent(
                _metadata_json(metadata), tracing.current_traceparent()
            ),
        )
        response = await self._call(
            "Spawn", lambda runs: runs.Spawn(request, timeout=self.timeout, metadata=self._metadata)
        )
        return response.run_id, response.created

    async def get(self, run_id: str) -> RunInfo:
        """The run's current state."""
        request = pb.GetRunRequest(run_id=run_id)
        run = await self._call(
            "Get", lambda runs: runs.Get(request, timeout=self.timeout, metadata=self._metadata)
        )
        return RunInfo.from_proto(run)

    async def wait(self, run_id: str, timeout: Duration | None = None) -> RunInfo:
        """The run's state once it is terminal, or when `timeout` runs out (None: no limit)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + parse_duration(timeout, "timeout")
        while True:
            left = _WAIT_CHUNK if deadline is None else min(_WAIT_CHUNK, deadline - loop.time())
            if left <= 0:
                return await self.get(run_id)
            request = pb.WaitRequest(run_id=run_id, timeout_ms=max(1, int(left * 1000)))
            started = loop.time()
            run = await self._call(
                "Wait", functools.partial(_wait, request, left + self.timeout, self._metadata)
            )
            info = RunInfo.from_proto(run)
            if info.done:
                return info
            if loop.time() - started < 0.05:
                await asyncio.sleep(0.1)  # a dispatcher answering at once: do not spin

    async def result(self, run_id: str, timeout: Duration | None = None) -> Any:
        """The output of a run once it succeeds ({"step": output, ...}).

        Raises RunFailedError or RunCancelledError (with the run's error) if it did not
        succeed, and TimeoutError if it is still going after `timeout`.
        """
        info = await self.wait(run_id, timeout)
        if info.status == "succeeded":
            return info.output
        if info.status == "failed":
            raise RunFailedError(run_id, info.status, info.error)
        if info.status == "cancelled":
            raise RunCancelledError(run_id, info.status, info.error)
        raise TimeoutError(f"run {run_id} is still {info.status} after {timeout}")

    async def watch(self, run_id: str) -> AsyncIterator[RunEvent]:
        """The run's task events as they happen, until the run is terminal."""
        request = pb.WatchRequest(run_id=run_id)
        stream = self._runs().Watch(request, metadata=self._metadata)
        try:
            async for event in stream:
                yield RunEvent.from_proto(event)
        except grpc.aio.AioRpcError as exc:
            raise _error("Watch", exc) from None
        finally:
            stream.cancel()

    async def output(
        self, run_id: str, *, task_id: str | None = None, after: str | None = None
    ) -> AsyncIterator[OutputChunk]:
        """The run's streamed output (ctx.stream): every chunk already written, then each new
        one, until the run is terminal. task_id: one task's chunks only; after: resume after
        this chunk id. Follows the run across dispatchers: when one goes away, it resumes on
        the next after the last chunk it gave."""
        last = after or ""
        while True:
            request = pb.OutputRequest(run_id=run_id, task_id=task_id or "", after_chunk_id=last)
            stream = self._runs().Output(request, metadata=self._metadata)
            try:
                async for chunk in stream:
                    last = chunk.chunk_id
                    yield OutputChunk.from_proto(chunk)
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise _error("Output", exc) from None
                await self._next_dispatcher()
            finally:
                stream.cancel()

    async def cancel(self, run_id: str) -> bool:
        """Cancel a run; False if it had already finished."""
        request = pb.CancelRequest(run_id=run_id)
        response = await self._call(
            "Cancel",
            lambda runs: runs.Cancel(request, timeout=self.timeout, metadata=self._metadata),
        )
        return response.cancelled

    async def list_runs(
        self,
        workflow: str | Workflow | Task[..., Any] | None = None,
        *,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        input: Any = None,
        replay_of: str | None = None,
        limit: int = 100,
        before: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[RunSummary]:
        """The runs matching every filter given, newest first (at most `limit`, 1 to 10000).

        since/until: created in [since, until); input: a JSON object the run's input
        contains; metadata: tags the run carries, e.g. {"customer": "acme"}; before: a run
        id, to page on from the last run of the previous page.
        """
        request = pb.ListRunsRequest(
            filter=_run_filter(workflow, statuses, since, until, input, metadata),
            replay_of=replay_of or "",
            limit=limit,
            before=before or "",
        )
        response = await self._call(
            "List", lambda runs: runs.List(request, timeout=self.timeout, metadata=self._metadata)
        )
        return [RunSummary.from_proto(r) for r in response.runs]

    async def cancel_many(
        self,
        workflow: str | Workflow | Task[..., Any] | None = None,
        *,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        input: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Cancel every queued or running run matching the filters; the ids of those cancelled.

        Filters as in list_runs. At least one is required ({} metadata is none); to cancel
        every active run pass statuses=["queued", "running"]. Running tasks are told to
        stop on their workers.
        """
        request = pb.CancelMatchingRequest(
            filter=_run_filter(workflow, statuses, since, until, input, metadata)
        )
        response = await self._call(
            "CancelMatching",
            lambda runs: runs.CancelMatching(
                request, timeout=self.timeout, metadata=self._metadata
            ),
        )
        return [r.run_id for r in response.runs if r.cancelled]

    async def replay(self, run_id: str, *, start_from: str = "failed") -> str:
        """Run a failed or cancelled run again as a new run; returns the new run's id.

        start_from="failed" keeps the outputs of the steps that succeeded and runs the
        others; "start" runs every step again. The original run is left as it is.
        """
        request = pb.ReplayRequest(run_id=run_id, start_from=start_from)
        response = await self._call(
            "Replay",
            lambda runs: runs.Replay(request, timeout=self.timeout, metadata=self._metadata),
        )
        return response.replay_run_id


class SyncClient:
    """The Client's calls for sync code: a Client on a private event loop thread.

    Close it (or use `with SyncClient(...) as client:`) to stop that thread.
    """

    def __init__(
        self,
        dispatchers: Sequence[str] | None = None,
        *,
        timeout: float = 10.0,
        token: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self._client = Client(dispatchers, timeout=timeout, token=token, tls_ca=tls_ca)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hewer-client", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        """Close the channel and stop the loop thread."""
        if self._loop.is_closed():
            return
        self._run(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _shutdown(self) -> None:
        """Close the channel, then end what still runs on the loop (a watch left by an
        interrupt, gRPC's own call tasks), so no task is destroyed while pending."""
        await self._client.close()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2.0)

    def trigger(
        self,
        workflow: str | Workflow | Task[..., Any],
        input: Any = None,
        *,
        priority: int | None = None,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """See Client.trigger."""
        return self._run(
            self._client.trigger(
                workflow,
                input,
                priority=priority,
                idempotency_key=idempotency_key,
                metadata=metadata,
            )
        )

    def get(self, run_id: str) -> RunInfo:
        """See Client.get."""
        return self._run(self._client.get(run_id))

    def wait(self, run_id: str, timeout: Duration | None = None) -> RunInfo:
        """See Client.wait."""
        return self._run(self._client.wait(run_id, timeout))

    def result(self, run_id: str, timeout: Duration | None = None) -> Any:
        """See Client.result."""
        return self._run(self._client.result(run_id, timeout))

    def cancel(self, run_id: str) -> bool:
        """See Client.cancel."""
        return self._run(self._client.cancel(run_id))

    def list_runs(
        self,
        workflow: str | Workflow | Task[..., Any] | None = None,
        *,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        input: Any = None,
        replay_of: str | None = None,
        limit: int = 100,
        before: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[RunSummary]:
        """See Client.list_runs."""
        return self._run(
            self._client.list_runs(
                workflow,
                statuses=statuses,
                since=since,
                until=until,
                input=input,
                replay_of=replay_of,
                limit=limit,
                before=before,
                metadata=metadata,
            )
        )

    def cancel_many(
        self,
        workflow: str | Workflow | Task[..., Any] | None = None,
        *,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        input: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """See Client.cancel_many."""
        return self._run(
            self._client.cancel_many(
                workflow,
                statuses=statuses,
                since=since,
                until=until,
                input=input,
                metadata=metadata,
            )
        )

    def replay(self, run_id: str, *, start_from: str = "failed") -> str:
        """See Client.replay."""
        return self._run(self._client.replay(run_id, start_from=start_from))

    def watch(self, run_id: str) -> Iterator[RunEvent]:
        """See Client.watch: the events, as a blocking iterator."""
        return self._iterate(self._client.watch(run_id))

    def output(
        self, run_id: str, *, task_id: str | None = None, after: str | None = None
    ) -> Iterator[OutputChunk]:
        """See Client.output: the chunks, as a blocking iterator."""
        return self._iterate(self._client.output(run_id, task_id=task_id, after=after))

    def _iterate(self, source: AsyncIterator[T]) -> Iterator[T]:
        """An async iterator of the client's loop as a blocking one."""
        items: queue.Queue[tuple[str, Any]] = queue.Queue()

        async def pump() -> None:
            try:
                async for item in source:
                    items.put(("item", item))
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
                items.put(("error", exc))
            else:
                items.put(("end", None))

        future = asyncio.run_coroutine_threadsafe(pump(), self._loop)
        try:
            while True:
                kind, value = items.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            future.cancel()
