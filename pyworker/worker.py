"""The worker: registers its workflows, holds a stream to a dispatcher, runs tasks in slots.

Lifecycle: RegisterWorkflow for each workflow, Register (name, actions, slots, labels), then
Listen with `hello` first. Assignments run as asyncio tasks (async functions) or in threads
(sync functions); `started` (unless the task ends within 20 ms) and the outcome go up the
stream, what is queued at once as one batch, and wait for their Acks. When the stream breaks
the worker reconnects (round robin over its dispatchers, exponential backoff with jitter),
re-registers under the same worker_id, and re-sends the reports not yet acked, while
its tasks keep running. `stop()` drains: no new work, a grace period for running tasks, then
they are cancelled and reported as retryable "worker_shutdown" failures.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import os
import random
import socket
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import grpc
import grpc.aio

from pyworker import codec, rpc, tracing
from pyworker.client import Client
from pyworker.errors import AuthenticationError, DefinitionError, RegistrationError
from pyworker.execution import Execution
from pyworker.outbox import Outbox
from pyworker.proto import hewer_pb2 as pb
from pyworker.workflow import Task, Workflow

log = logging.getLogger("pyworker.worker")

DEFAULT_HEARTBEAT_MS = 5000


def _sdk_version() -> str:
    try:
        return f"hewer-python/{importlib.metadata.version('hewer')}"
    except importlib.metadata.PackageNotFoundError:
        return "hewer-python/unknown"


SDK_VERSION = _sdk_version()


def default_worker_name() -> str:
    """hostname-pid: unique enough to tell workers apart in listings."""
    return f"{socket.gethostname()}-{os.getpid()}"


def collect_workflows(items: Iterable[Workflow | Task[..., Any]]) -> list[Workflow]:
    """The workflows among workflows and tasks (a task stands for its workflow), deduplicated."""
    found: dict[int, Workflow] = {}
    for item in items:
        wf = item.workflow if isinstance(item, Task) else item
        if not isinstance(wf, Workflow):
            raise DefinitionError(f"a worker runs Workflow objects and @task functions, got {wf!r}")
        found.setdefault(id(wf), wf)
    return list(found.values())


class Worker:
    """Runs the tasks of some workflows, `slots` at a time, for any of its dispatchers.

    `await worker.run()` runs until `stop()` (run_worker wires SIGTERM/SIGINT to it). Or
    `await worker.start()` (returns once connected), later `worker.stop()` and
    `await worker.wait_closed()`; or `async with worker:`.

    Options: name (default hostname-pid); dispatchers, tried round robin (default
    $HEWER_DISPATCHERS or 127.0.0.1:7077); labels, stored with the worker; shutdown_grace,
    seconds running tasks get after stop(); stream_log_level, the lowest ctx.log level sent to
    the dispatcher; rpc_timeout for unary calls; reconnect_base/reconnect_max, the backoff
    between failed connections; lease_grace, seconds past a task's lease before the worker
    stops it (None: leave it to the server); flush_timeout, how long a stopping worker waits
    for its last reports to be acknowledged; token, the API token every call presents
    (default $HEWER_TOKEN): the worker runs the tasks of that token's tenant only, and stops
    with AuthenticationError when a dispatcher refuses the token (or it is revoked).
    """

    def __init__(
        self,
        name: str | None = None,
        workflows: Sequence[Workflow | Task[..., Any]] = (),
        *,
        slots: int = 10,
        dispatchers: Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
        shutdown_grace: float = 20.0,
        stream_log_level: int = logging.INFO,
        rpc_timeout: float = 10.0,
        reconnect_base: float = 0.5,
        reconnect_max: float = 30.0,
        lease_grace: float | None = 5.0,
        flush_timeout: float = 5.0,
        token: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self._credentials = rpc.tls_credentials(tls_ca)
        self.name = name or default_worker_name()
        if not 1 <= len(self.name) <= 200:
            raise DefinitionError(f"worker name must be 1 to 200 characters, got {self.name!r}")
        if isinstance(slots, bool) or not isinstance(slots, int) or not 1 <= slots <= 10_000:
            raise DefinitionError(f"slots must be an integer from 1 to 10000, got {slots!r}")
        self.slots = slots
        self.workflows = collect_workflows(workflows)
        if not self.workflows:
            raise DefinitionError("a worker needs at least one workflow or task to run")
        self._actions = self._map_actions(self.workflows)
        # Without an explicit list, the dispatchers are looked up again before each connection
        # attempt: a worker started before its home's dispatcher finds it once it is up.
        self._discover = not dispatchers
        self.dispatchers = list(dispatchers) if dispatchers else rpc.default_dispatchers()
        self.labels = {str(k): str(v) for k, v in (labels or {}).items()}
        self.shutdown_grace = shutdown_grace
        self.stream_log_level = stream_log_level
        self.rpc_timeout = rpc_timeout
        self.reconnect_base = reconnect_base
        self.reconnect_max = reconnect_max
        self.lease_grace = lease_grace
        self.flush_timeout = flush_timeout
        self.use_token(token)
        # How long cancelled tasks get to end after the grace period, before being abandoned.
        self.cancel_wait = 2.0

        self.worker_id: str | None = None
        self.dispatcher_id: str | None = None
        self.registered_versions: dict[str, int] = {}
        self._heartbeat_interval = DEFAULT_HEARTBEAT_MS / 1000
        self._send_batches = False  # the dispatcher reads WorkerMessage.batch
        self._outbox = Outbox()
        self._executions: dict[tuple[str, int], Execution] = {}
        self._held: dict[tuple[str, int], pb.Assignment] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._call: grpc.aio.StreamStreamCall[pb.WorkerMessage, pb.DispatcherMessage] | None = None
        self._connected = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._runs: Client | None = None  # for ctx.spawn / ctx.wait_for, made on first use
        self._stop_requested = asyncio.Event()
        self._force = asyncio.Event()
        self._closed = asyncio.Event()
        self._draining = False
        self._flushing = False
        self._closing = False
        self._last_received = 0.0
        self._beat_acked = False
        self._last_beat_id = 0

    def __repr__(self) -> str:
        return f"<Worker {self.name} id={self.worker_id} slots={self.slots}>"

    async def __aenter__(self) -> Worker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
        await self.wait_closed()

    def use_token(self, token: str | None) -> None:
        """Present this API token from the next call on (None: $HEWER_TOKEN, or none)."""
        self._token = rpc.default_token(token)
        self._metadata = rpc.call_metadata(self._token)

    @staticmethod
    def _map_actions(workflows: list[Workflow]) -> dict[str, Task[..., Any]]:
        names: dict[str, Workflow] = {}
        actions: dict[str, Task[..., Any]] = {}
        for wf in workflows:
            if wf.name in names:
                raise DefinitionError(
                    f"two different workflows are named {wf.name!r}; workflow names must be unique"
                )
            names[wf.name] = wf
            wf.validate()
            for task in wf.tasks:
                other = actions.get(task.action)
                if other is not None and other.fn is not task.fn:
                    raise DefinitionError(
                        f"action {task.action!r} is defined twice with different functions "
                        f"({other!r} and {task!r}); give one of them another action="
                    )
                actions.setdefault(task.action, task)
        return actions

    # --- public state -----------------------------------------------------------------------

    @property
    def actions(self) -> list[str]:
        """The actions this worker registers (sorted)."""
        return sorted(self._actions)

    @property
    def connected(self) -> bool:
        """Whether a stream to a dispatcher is open."""
        return self._connected.is_set()

    @property
    def running(self) -> int:
        """Tasks running now."""
        return len(self._executions)

    @property
    def free_slots(self) -> int:
        """What heartbeats report: free slots, or 0 once stopping."""
        return 0 if self._draining else max(0, self.slots - len(self._executions))

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Register the workflows and the worker and open the stream; returns once connected.

        Retries unreachable dispatchers forever (bound it with asyncio.timeout if needed);
        raises RegistrationError if a dispatcher rejects a workflow or the worker.
        """
        if self._closed.is_set():
            raise RuntimeError("this worker has stopped; create a new Worker")
        if self._main is None:
            # Spans of task attempts go out over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
            # and the application has no tracer provider of its own.
            tracing.configure("hewer-worker")
            self._loop = asyncio.get_running_loop()
            self._main = self._loop.create_task(self._lifecycle(), name=f"hewer-worker-{self.name}")
        main = self._main
        connected = asyncio.ensure_future(self._connected.wait())
        try:
            await asyncio.wait({connected, main}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
        if main.done():
            main.result()

    async def run(self) -> None:
        """Start, then run until `stop()` and the drain that follows it are done."""
        await self.start()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the worker has stopped (raises what stopped it, if it failed)."""
        if self._main is not None:
            await asyncio.shield(self._main)

    def stop(self) -> None:
        """Stop gracefully: take no new work, let running tasks finish within the grace period.

        Safe from signal handlers and other threads. A second call skips the rest of the grace
        period.
        """
        loop = self._loop
        if loop is None:
            self._stop_requested.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._request_stop()
        else:
            loop.call_soon_threadsafe(self._request_stop)

    def _request_stop(self) -> None:
        if self._stop_requested.is_set():
            log.warning("stopping now: cancelling the tasks still running")
            self._force.set()
        self._stop_requested.set()

    async def _lifecycle(self) -> None:
        if self._stop_requested.is_set():  # stopped before it started
            self._closed.set()
            return
        supervisor = asyncio.ensure_future(self._supervise())
        stop = asyncio.ensure_future(self._stop_requested.wait())
        try:
            await asyncio.wait({supervisor, stop}, return_when=asyncio.FIRST_COMPLETED)
            if supervisor.done():
                for execution in list(self._executions.values()):
                    execution.stop("lease_lost", "the worker failed")
                supervisor.result()
                return
            await self._drain()
            self._closing = True
            self._outbox.end_stream()
            try:
                await asyncio.wait_for(asyncio.shield(supervisor), 5.0)
            except TimeoutError:
                if self._call is not None:
                    self._call.cancel()
                supervisor.cancel()
            log.info("worker %s stopped", self.name)
        finally:
            stop.cancel()
            if not supervisor.done():
                supervisor.cancel()
            if self._runs is not None:
                await self._runs.close()
            self._closed.set()

    async def _drain(self) -> None:
        self._draining = True
        if self._outbox.connected:
            self._send_heartbeat()
        if self._executions:
            log.info(
                "stopping: waiting up to %gs for %d running task(s)",
                self.shutdown_grace,
                len(self._executions),
            )
            await self._wait_idle(self.shutdown_grace)
        if self._executions:
            log.warning("stopping: cancelling %d task(s) still running", len(self._executions))
            for execution in list(self._executions.values()):
                execution.stop("shutdown", "the worker is shutting down")
            await self._wait_idle(self.cancel_wait, forceable=False)
            for execution in list(self._executions.values()):
                execution.abandon("worker_shutdown", "the worker shut down before the task ended")
        # Flush: give back the held assignments and half-close the stream at once, so the
        # dispatcher answers the last reports and ends the stream without assigning more.
        self._flushing = True
        self._refuse_held()
        self._outbox.end_stream()
        if self._outbox.pending_reports and not await self._outbox.settled(self.flush_timeout):
            log.warning(
                "stopping with %d report(s) not acknowledged by a dispatcher; the server will "
                "reclaim those tasks when their leases expire",
                self._outbox.pending_reports,
            )

    def _refuse_held(self) -> None:
        """Give back the assignments that arrived while draining (see _on_assignment)."""
        held, self._held = self._held, {}
        for assignment in held.values():
            self._refuse(assignment, "worker_shutdown", "the worker is shutting down")

    async def _wait_idle(self, timeout: float, *, forceable: bool = True) -> None:
        waiters = {asyncio.ensure_future(self._idle.wait())}
        if forceable:
            waiters.add(asyncio.ensure_future(self._force.wait()))
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    # --- connection -------------------------------------------------------------------------

    async def _supervise(self) -> None:
        """Keep a session open, round robin over the dispatchers, backing off while they fail."""
        failures = 0
        index = 0
        while not self._closing:
            if self._flushing and not self._outbox.pending_reports:
                await self._sleep(0.05)  # stopping, and nothing left to send: no new stream
                continue
            if self._rediscovered():
                index = failures = 0
            address = self.dispatchers[index % len(self.dispatchers)]
            index += 1
            established = False
            try:
                established = await self._session(address)
            except RegistrationError:
                raise
            except grpc.aio.AioRpcError as exc:
                log.warning("dispatcher %s: %s: %s", address, rpc.status_name(exc), exc.details())
            except Exception:  # a worker outlives any one broken session
                log.exception("session with dispatcher %s failed", address)
            if self._closing:
                return
            failures = 0 if established else failures + 1
            delay = min(self.reconnect_max, self.reconnect_base * 2 ** max(0, failures - 1))
            delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
            log.info("reconnecting in %.1fs", delay)
            await self._sleep(delay, until_rediscovered=not established)

    async def _sleep(self, seconds: float, *, until_rediscovered: bool = False) -> None:
        """Sleep, waking early when the worker is closing (or, with `until_rediscovered`, when
        the dispatcher of the Hewer home changes)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        next_look = loop.time() + 0.5
        while not self._closing:
            left = end - loop.time()
            if left <= 0:
                return
            if until_rediscovered and self._discover and loop.time() >= next_look:
                next_look = loop.time() + 0.5
                if rpc.default_dispatchers() != self.dispatchers:
                    return
            await asyncio.sleep(min(left, 0.1))

    def _rediscovered(self) -> bool:
        """Look the dispatchers up again (when no list was given); whether they changed."""
        if not self._discover:
            return False
        found = rpc.default_dispatchers()
        if found == self.dispatchers:
            return False
        log.info("dispatchers: %s (was %s)", ", ".join(found), ", ".join(self.dispatchers))
        self.dispatchers = found
        return True

    async def _register_workflows(self, stub: rpc.DispatcherStub, address: str) -> None:
        for wf in self.workflows:
            if wf.name in self.registered_versions:
                continue
            request = pb.RegisterWorkflowRequest(name=wf.name, spec_json=wf.spec_json())
            try:
                response = await stub.RegisterWorkflow(
                    request, timeout=self.rpc_timeout, metadata=self._metadata
                )
            except grpc.aio.AioRpcError as exc:
                _check_token("RegisterWorkflow", exc)
                if exc.code() in rpc.FATAL_CODES:
                    raise RegistrationError(
                        f"dispatcher {address} rejected workflow {wf.name!r}: "
                        f"{rpc.status_name(exc)}: {exc.details()}"
                    ) from None
                raise
            self.registered_versions[wf.name] = response.version
            log.info(
                "workflow %s: version %d (%s)",
                wf.name,
                response.version,
                "new" if response.created else "unchanged",
            )
            if response.current_version and response.current_version != response.version:
                log.warning(
                    "workflow %s: this worker's definition is version %d, but version %d is "
                    "current, and new runs use version %d: they wait for its actions unless "
                    "a worker serves them. To make this definition current again: "
                    "hewer workflows rollback %s --to %d",
                    wf.name,
                    response.version,
                    response.current_version,
                    response.current_version,
                    wf.name,
                    response.version,
                )

    async def _register(self, stub: rpc.DispatcherStub, address: str) -> None:
        request = pb.RegisterRequest(
            name=self.name,
            actions=self.actions,
            slots=self.slots,
            labels=self.labels,
            sdk_version=SDK_VERSION,
            worker_id=self.worker_id or "",
        )
        try:
            response = await stub.Register(
                request, timeout=self.rpc_timeout, metadata=self._metadata
            )
        except grpc.aio.AioRpcError as exc:
            _check_token("Register", exc)
            if exc.code() in rpc.FATAL_CODES:
                raise RegistrationError(
                    f"dispatcher {address} rejected worker {self.name!r}: "
                    f"{rpc.status_name(exc)}: {exc.details()}"
                ) from None
            raise
        if self.worker_id and response.worker_id != self.worker_id:
            log.warning(
                "dispatcher gave a new worker id %s (was %s): reports of running tasks will be "
                "rejected",
                response.worker_id,
                self.worker_id,
            )
        self.worker_id = response.worker_id
        self.dispatcher_id = response.dispatcher_id or address
        self._heartbeat_interval = (response.heartbeat_interval_ms or DEFAULT_HEARTBEAT_MS) / 1000
        self._send_batches = response.batches

    async def _session(self, address: str) -> bool:
        """One connection: register, stream until it ends. True once the stream had opened."""
        channel = rpc.open_channel(address, self._credentials)
        try:
            stub = rpc.dispatcher_stub(channel)
            await self._register_workflows(stub, address)
            await self._register(stub, address)
            if self._closing:
                return True
            # Everything this worker still has: the dispatcher releases what else the
            # database holds for this id (tasks a previous process under it lost).
            held = set(self._executions) | self._outbox.reported_tasks()
            hello = pb.Hello(
                worker_id=self.worker_id or "",
                reconcile=True,
                held=[pb.HeldTask(task_id=t, attempt=a) for t, a in sorted(held)],
                batches=True,
            )
            queue = self._outbox.attach(pb.WorkerMessage(hello=hello))
            if self._flushing:
                self._outbox.end_stream()  # stopping: send the pending reports, then close
            call = stub.Listen(
                Outbox.stream(queue, batches=self._send_batches), metadata=self._metadata
            )
            self._call = call
            self._last_received = asyncio.get_running_loop().time()
            self._beat_acked = False
            self._connected.set()
            log.info(
                "worker %s connected to %s as %s (%d slots, actions: %s)",
                self.name,
                address,
                self.worker_id,
                self.slots,
                ", ".join(self.actions),
            )
            heartbeats = asyncio.ensure_future(self._heartbeats(call))
            try:
                async for message in call:
                    self._last_received = asyncio.get_running_loop().time()
                    self._dispatch(message)
                if not self._closing:
                    log.warning("dispatcher %s closed the stream", address)
            except grpc.aio.AioRpcError as exc:
                if not self._closing:
                    log.warning(
                        "stream to %s broke: %s: %s", address, rpc.status_name(exc), exc.details()
                    )
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                # Our own call.cancel() (liveness check or shutdown): the session is over.
            finally:
                heartbeats.cancel()
                call.cancel()  # a no-op when it has ended; else its tasks end with it
                self._call = None
                self._connected.clear()
                self._outbox.detach()
            return True
        finally:
            await channel.close()

    async def _heartbeats(
        self, call: grpc.aio.StreamStreamCall[pb.WorkerMessage, pb.DispatcherMessage]
    ) -> None:
        """Send a heartbeat every interval; drop a stream the dispatcher has gone silent on.

        A dispatcher that acks heartbeats answers at least once per interval; once it has, a
        silence of three intervals means the connection is dead even if TCP has not noticed.
        """
        loop = asyncio.get_running_loop()
        while True:
            self._send_heartbeat()
            await asyncio.sleep(self._heartbeat_interval)
            silence = loop.time() - self._last_received
            if self._beat_acked and silence > max(3 * self._heartbeat_interval, 10.0):
                log.warning("no message from the dispatcher for %.0fs: reconnecting", silence)
                call.cancel()
                return

    def _send_heartbeat(self) -> None:
        self._outbox.forget(self._last_beat_id)
        self._last_beat_id = self._outbox.send(
            pb.WorkerMessage(heartbeat=pb.Heartbeat(free_slots=self.free_slots)),
            on_ack=self._on_heartbeat_ack,
            resend=False,
        )

    def _on_heartbeat_ack(self, ack: pb.Ack) -> None:
        self._beat_acked = True

    # --- messages from the dispatcher -------------------------------------------------------

    def _dispatch(self, message: pb.DispatcherMessage) -> None:
        kind = message.WhichOneof("body")
        if kind == "batch":
            for inner in message.batch.messages:
                self._dispatch(inner)
        elif kind == "ack":
            self._outbox.on_ack(message.ack)
        elif kind == "assignment":
            self._on_assignment(message.assignment)
        elif kind == "cancel":
            self._on_cancel(message.cancel)
        elif kind == "error":
            self._outbox.on_error(message.error)
            if message.error.code == "shutting_down":
                # Half-close: the dispatcher answers what is in flight and ends the stream;
                # the worker then moves on to the next dispatcher of its list.
                log.info("dispatcher %s is shutting down: moving on", self.dispatcher_id)
                self._outbox.end_stream()

    def _on_assignment(self, assignment: pb.Assignment) -> None:
        key = (assignment.task_id, assignment.attempt)
        if key in self._executions or key in self._held:
            return  # the same assignment again (after a reconnect): already running
        task = self._actions.get(assignment.action)
        if self._flushing:
            # The stream is half-closed: this can no longer be reported. The server reclaims
            # it with the rest of this worker's tasks once the worker stops heartbeating.
            log.warning("task %s arrived after the worker stopped: left to the server", key[0])
            return
        if self._draining:
            # Hold it, unstarted, until the drain ends: refusing at once would free the slot
            # for the next assignment, and every refusal uses up one attempt of its task.
            self._held[key] = assignment
            return
        if task is None:
            self._refuse(
                assignment,
                "unknown_action",
                f"worker {self.name} has no action {assignment.action!r}",
            )
            return
        execution = Execution(
            assignment,
            task,
            outbox=self._outbox,
            loop=asyncio.get_running_loop(),
            on_done=self._on_execution_done,
            stream_log_level=self.stream_log_level,
            lease_grace=self.lease_grace,
            runs=self._runs_client,
        )
        self._executions[key] = execution
        self._idle.clear()
        execution.start()

    def _runs_client(self) -> Client:
        """The Runs client of task contexts (spawn, wait_for): one per worker, on its loop."""
        if self._runs is None:
            self._runs = Client(self.dispatchers, timeout=self.rpc_timeout, token=self._token or "")
        return self._runs

    def _refuse(self, assignment: pb.Assignment, error_type: str, message: str) -> None:
        log.warning("refusing task %s (%s): %s", assignment.task_id, assignment.action, message)
        self._outbox.send(
            pb.WorkerMessage(
                failed=pb.TaskFailed(
                    task_id=assignment.task_id,
                    attempt=assignment.attempt,
                    error_json=codec.dumps({"type": error_type, "message": message}),
                    retryable=True,
                )
            )
        )

    def _on_cancel(self, cancel: pb.CancelTask) -> None:
        execution = self._executions.get((cancel.task_id, cancel.attempt))
        if execution is None and not cancel.attempt:
            execution = next(
                (e for e in self._executions.values() if e.task_id == cancel.task_id), None
            )
        if execution is None:
            log.debug("cancel for task %s, which is not running here", cancel.task_id)
            return
        execution.stop("cancel", cancel.reason or "cancelled")

    def _on_execution_done(self, execution: Execution) -> None:
        if self._executions.get(execution.key) is execution:
            del self._executions[execution.key]
        if not self._executions:
            self._idle.set()


def _check_token(method: str, exc: grpc.aio.AioRpcError) -> None:
    """Raise AuthenticationError when the dispatcher refused the worker's token."""
    if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
        raise AuthenticationError(method, rpc.status_name(exc), exc.details() or "") from None
