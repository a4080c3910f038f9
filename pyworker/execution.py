"""One assignment being run: its context, its function (on the loop or in a thread), its report.

An execution reports `started` once it has run for START_REPORT_DELAY (a task that completes
sooner sends no `started`: its completion records the start, one message and one database
call fewer per fast task) and then exactly one outcome: `completed`, or `failed` with an error
JSON {"type", "message", "traceback"}; a failure is always preceded by a `started`. Why a
stop was requested decides how an interrupted task is reported:

    cancel      the dispatcher's CancelTask: failed, cancelled=true, not retryable
    timeout     its lease ran out locally: failed, retryable (the server would reclaim it anyway)
    shutdown    the worker is stopping: failed, retryable, type "worker_shutdown"
    lease_lost  the dispatcher rejected the attempt as stale: nothing is reported
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from pyworker import codec, rpc, tracing
from pyworker.context import Context
from pyworker.errors import LeaseLostError, NonRetryableError, TaskCancelledError
from pyworker.logs import log_context
from pyworker.outbox import Outbox
from pyworker.proto import hewer_pb2 as pb
from pyworker.workflow import Task

if TYPE_CHECKING:
    from pyworker.client import Client

log = logging.getLogger("pyworker.worker")

StopKind = Literal["cancel", "timeout", "shutdown", "lease_lost"]

# LogLine messages above this size are cut, so one runaway log cannot block the stream.
MAX_LOG_CHARS = 32_000

# How long a task runs before its `started` report goes up (docs/protocol.md#reports).
START_REPORT_DELAY = 0.02


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class Execution:
    """Runs one (task_id, attempt) and reports its outcome through the worker's outbox."""

    def __init__(
        self,
        assignment: pb.Assignment,
        task: Task[..., Any],
        *,
        outbox: Outbox,
        loop: asyncio.AbstractEventLoop,
        on_done: Callable[[Execution], None],
        stream_log_level: int = logging.INFO,
        lease_grace: float | None = 5.0,
        runs: Callable[[], Client] | None = None,
        start_report_delay: float = START_REPORT_DELAY,
    ) -> None:
        self.task_id = assignment.task_id
        self.attempt = assignment.attempt
        self.assignment = assignment
        self.task = task
        self._outbox = outbox
        self._loop = loop
        self._on_done = on_done
        self._lease_grace = lease_grace
        self._lease_timer: asyncio.TimerHandle | None = None
        self._start_report_delay = start_report_delay
        self._start_timer: asyncio.TimerHandle | None = None
        self.start_reported = False
        self.stop_kind: StopKind | None = None
        self.reported = False
        self.runner: asyncio.Task[None] | None = None
        self.span: trace.Span = trace.INVALID_SPAN
        self._stream_seq = 0  # output chunks sent (ctx.stream), numbered from 1
        self._span_open = False
        timeout_at = (
            datetime.fromtimestamp(assignment.timeout_at_unix_ms / 1000, UTC)
            if assignment.timeout_at_unix_ms
            else None
        )
        self.ctx = Context(
            input=None,
            run_id=assignment.run_id,
            task_id=assignment.task_id,
            attempt=assignment.attempt,
            workflow=assignment.workflow,
            step=assignment.step,
            action=assignment.action,
            timeout_at=timeout_at,
            link=self,
            stream_log_level=stream_log_level,
            runs=runs,
        )

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id, self.attempt)

    def __repr__(self) -> str:
        return f"<Execution {self.assignment.action} task={self.task_id} attempt={self.attempt}>"

    # --- lifecycle --------------------------------------------------------------------------

    def _open_span(self) -> trace.Span:
        """The attempt's span, `hewer.attempt <step>`, a child of the dispatcher's claim span
        (docs/observability.md#traces); a no-op unless this process exports spans."""
        a = self.assignment
        parent = tracing.parse_traceparent(a.traceparent)
        attributes: dict[str, str | int] = {
            "hewer.workflow": a.workflow,
            "hewer.run_id": a.run_id,
            "hewer.step": a.step,
            "hewer.action": a.action,
            "hewer.task_id": a.task_id,
            "hewer.attempt": a.attempt,
        }
        if a.tenant_id:
            attributes["hewer.tenant_id"] = a.tenant_id
        return tracing.tracer().start_span(
            f"hewer.attempt {a.step}",
            context=tracing.context_of(parent) if parent is not None else None,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        )

    def start(self) -> None:
        """Run the function (an asyncio task; sync ones go to a thread), and report `started`
        unless it ends within the start report delay."""
        self.span = self._open_span()
        self._span_open = True
        if self._start_report_delay > 0:
            self._start_timer = self._loop.call_later(
                self._start_report_delay, self._report_started
            )
        else:
            self._report_started()
        self._arm_lease_timer()
        self.runner = self._loop.create_task(self._run(), name=f"hewer-task-{self.task_id}")
        self.runner.add_done_callback(lambda _: self._done())

    def stop(self, kind: StopKind, reason: str) -> None:
        """Ask the function to stop: set ctx.cancelled, and cancel the asyncio task if async."""
        if self.stop_kind is None:
            self.stop_kind = kind
        self.ctx._cancel(reason)
        if self.task.is_async and self.runner is not None and not self.runner.done():
            self.runner.cancel(reason)

    def abandon(self, error_type: str, message: str) -> None:
        """Report the attempt failed (retryable) now, without waiting for its function to end.

        For functions that do not stop when told (sync code that never checks ctx.cancelled):
        the slot is freed and the task retried elsewhere; whatever the function does later is
        ignored.
        """
        self._report_failed({"type": error_type, "message": message}, retryable=True)
        if self.runner is not None and not self.runner.done():
            self.runner.cancel()
        self._done()

    def _report_started(self) -> None:
        self._start_timer = None
        if self.start_reported or self.reported:
            return
        self.start_reported = True
        self._outbox.send(
            pb.WorkerMessage(started=pb.TaskStarted(task_id=self.task_id, attempt=self.attempt)),
            on_ack=self._on_started_ack,
        )

    def _skip_start_report(self) -> None:
        """The outcome is being reported before `started` went up: it never will."""
        if self._start_timer is not None:
            self._start_timer.cancel()
            self._start_timer = None

    def _done(self) -> None:
        self._skip_start_report()
        if self._span_open:
            self._span_open = False
            self.span.end()
        if self._lease_timer is not None:
            self._lease_timer.cancel()
            self._lease_timer = None
        self._on_done(self)

    # --- running ----------------------------------------------------------------------------

    async def _run(self) -> None:
        a = self.assignment
        with (
            trace.use_span(self.span, end_on_exit=False),
            log_context(
                tenant_id=a.tenant_id or None,
                workflow=a.workflow,
                run_id=a.run_id,
                step=a.step,
                task_id=a.task_id,
                attempt=a.attempt,
            ),
        ):
            await self._run_attempt()

    async def _run_attempt(self) -> None:
        try:
            raw_input = codec.loads(self.assignment.input_json, {})
            parents = codec.loads(self.assignment.parents_json, {})
            self.ctx.input = codec.parse_input(raw_input, self.task.input_model)
            self.ctx.parents = MappingProxyType(dict(parents) if isinstance(parents, dict) else {})
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the input is bad
            self._report_failed(codec.error_payload(exc, "invalid_input"), retryable=False)
            return
        try:
            if self.task.is_async:
                result = await self.task.fn(self.ctx.input, self.ctx)
            else:
                result = await self._run_in_thread()
        except asyncio.CancelledError as exc:
            if self.stop_kind is None and not self.reported:
                # Raised by the function itself (not our cancel): an ordinary failure.
                self._report_failed(codec.error_payload(exc), retryable=True)
                return
            self._report_stopped(exc)
            return
        except NonRetryableError as exc:
            if self.stop_kind is not None:
                self._report_stopped(exc)
            else:
                self._report_failed(codec.error_payload(exc, exc.error_type), retryable=False)
            return
        except TaskCancelledError as exc:
            self._report_stopped(exc)
            return
        except Exception as exc:  # noqa: BLE001 - any error of task code is its outcome
            if self.stop_kind is not None:
                self._report_stopped(exc)
            else:
                self._report_failed(codec.error_payload(exc), retryable=True)
            return
        self._report_completed(result)

    def _run_in_thread(self) -> asyncio.Future[Any]:
        """Run the sync function in a daemon thread (so a stuck task cannot block exit)."""
        future: asyncio.Future[Any] = self._loop.create_future()
        context = contextvars.copy_context()
        loop = self._loop
        fn, arg, ctx = self.task.fn, self.ctx.input, self.ctx

        def target() -> None:
            try:
                result = context.run(fn, arg, ctx)
                if inspect.isawaitable(result):
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    raise TypeError(
                        f"task {ctx.step!r} is a sync function that returned an awaitable; "
                        "declare it with `async def`"
                    )
            except Exception as exc:  # noqa: BLE001 - handed to the loop as the outcome
                _call_soon(loop, _set_exception, future, exc)
            except BaseException as exc:  # noqa: BLE001 - SystemExit & co. must not stop the loop
                error = RuntimeError(f"task {ctx.step!r} raised {type(exc).__name__}: {exc}")
                _call_soon(loop, _set_exception, future, error)
            else:
                _call_soon(loop, _set_result, future, result)

        threading.Thread(target=target, name=f"hewer-{ctx.step}-{ctx.task_id}", daemon=True).start()
        return future

    # --- reports ----------------------------------------------------------------------------

    def _report_completed(self, result: Any) -> None:
        try:
            output_json = codec.dumps(result)
        except (TypeError, ValueError) as exc:
            self._report_failed(
                codec.error_payload(exc, "output_not_serializable"), retryable=False
            )
            return
        size = len(output_json.encode())
        if size > rpc.MAX_PAYLOAD_BYTES:
            # Sent as is it would exceed the gRPC message limit: the stream would fail and the
            # report be re-sent forever, holding up this worker's other reports.
            self._report_failed(
                {
                    "type": "output_too_large",
                    "message": f"the output is {size:,} bytes of JSON, over the limit of "
                    f"{rpc.MAX_PAYLOAD_BYTES:,}: store large results elsewhere (object "
                    f"storage, a table) and return a reference to them",
                },
                retryable=False,
            )
            return
        if self.reported or self.stop_kind == "lease_lost":
            return
        self._skip_start_report()
        self.reported = True
        self.span.set_status(Status(StatusCode.OK))
        self._outbox.send(
            pb.WorkerMessage(
                completed=pb.TaskCompleted(
                    task_id=self.task_id, attempt=self.attempt, output_json=output_json
                )
            )
        )

    def _report_failed(
        self, error: dict[str, str], *, retryable: bool, cancelled: bool = False
    ) -> None:
        if self.reported or self.stop_kind == "lease_lost":
            return
        # A failure's history keeps its start (task_fail does not record one).
        self._skip_start_report()
        self._report_started()
        self.reported = True
        self._span_failed(error, retryable=retryable, cancelled=cancelled)
        self._outbox.send(
            pb.WorkerMessage(
                failed=pb.TaskFailed(
                    task_id=self.task_id,
                    attempt=self.attempt,
                    error_json=codec.dumps(codec.clip_error(error)),
                    retryable=retryable,
                    cancelled=cancelled,
                )
            )
        )

    def _span_failed(self, error: dict[str, str], *, retryable: bool, cancelled: bool) -> None:
        """The failure on the attempt's span: an `exception` event and an error status."""
        kind = str(error.get("type") or "error")
        message = str(error.get("message") or "")
        event = {"exception.type": kind, "exception.message": message}
        if error.get("traceback"):
            event["exception.stacktrace"] = str(error["traceback"])
        self.span.add_event("exception", event)
        self.span.set_attribute("hewer.retryable", retryable)
        if cancelled:
            self.span.set_attribute("hewer.cancelled", True)
        self.span.set_status(Status(StatusCode.ERROR, f"{kind}: {message}"[:1000]))

    def _report_stopped(self, exc: BaseException) -> None:
        """The function ended because it was told to stop; report by why it was told."""
        reason = self.ctx.cancel_reason or str(exc) or "stopped"
        if self.stop_kind == "cancel":
            self._report_failed(
                {"type": "cancelled", "message": reason}, retryable=False, cancelled=True
            )
        elif self.stop_kind == "shutdown":
            self._report_failed({"type": "worker_shutdown", "message": reason}, retryable=True)
        elif self.stop_kind == "timeout":
            self._report_failed({"type": "timeout", "message": reason}, retryable=True)
        elif self.stop_kind is None:
            # ctx.check_cancelled() raised without a stop request: only possible if task code
            # raised TaskCancelledError itself; treat it as an ordinary failure.
            self._report_failed(codec.error_payload(exc), retryable=True)

    # --- acks, leases -----------------------------------------------------------------------

    def _on_started_ack(self, ack: pb.Ack) -> None:
        if ack.accepted or ack.reason == "duplicate":
            return
        log.warning(
            "dispatcher rejected the start of %s attempt %d (%s): stopping it",
            self.task_id,
            self.attempt,
            ack.reason or "no reason given",
        )
        self.stop("lease_lost", f"the dispatcher rejected this attempt: {ack.reason}")

    def _arm_lease_timer(self) -> None:
        if self._lease_timer is not None:
            self._lease_timer.cancel()
            self._lease_timer = None
        if self.ctx.timeout_at is None or self.reported or self._lease_grace is None:
            return
        # The lease end is the database's clock; the grace absorbs a little clock skew.
        delay = self.ctx.timeout_at.timestamp() - time.time() + self._lease_grace
        self._lease_timer = self._loop.call_later(max(0.0, delay), self._lease_expired)

    def _lease_expired(self) -> None:
        self._lease_timer = None
        if self.reported or self.stop_kind is not None:
            return
        at = self.ctx.timeout_at.isoformat() if self.ctx.timeout_at else "?"
        reason = f"the task ran past its lease ({at}); extend it with ctx.refresh_timeout"
        log.warning("task %s attempt %d: %s", self.task_id, self.attempt, reason)
        # Report now: a sync function may run on, but the task is retried at once. The slot
        # stays taken until the function really ends.
        self._report_failed({"type": "timeout", "message": reason}, retryable=True)
        self.stop("timeout", reason)

    # --- TaskLink (called from task threads too) --------------------------------------------

    def send_log(self, level: str, message: str, at_unix_ms: int) -> None:
        if len(message) > MAX_LOG_CHARS:
            message = message[:MAX_LOG_CHARS] + " [truncated]"
        line = pb.LogLine(
            task_id=self.task_id,
            attempt=self.attempt,
            level=level,
            message=message,
            at_unix_ms=at_unix_ms,
        )
        _call_soon(self._loop, self._send_log, line)

    def send_stream(self, data: str) -> None:
        _call_soon(self._loop, self._send_stream, data)

    def _send_stream(self, data: str) -> None:
        if self.stop_kind == "lease_lost":
            return
        self._stream_seq += 1
        self._outbox.send(
            pb.WorkerMessage(
                stream=pb.TaskStream(
                    task_id=self.task_id, attempt=self.attempt, seq=self._stream_seq, data=data
                )
            ),
            on_ack=self._on_stream_ack,
        )

    def _on_stream_ack(self, ack: pb.Ack) -> None:
        if not ack.accepted:
            log.warning(
                "dispatcher refused an output chunk of %s attempt %d: %s",
                self.task_id,
                self.attempt,
                ack.reason or "no reason given",
            )

    def _send_log(self, line: pb.LogLine) -> None:
        if self.stop_kind != "lease_lost":
            self._outbox.send(pb.WorkerMessage(log=line), ack=False)

    def send_refresh(self, extend_by_ms: int) -> concurrent.futures.Future[datetime]:
        future: concurrent.futures.Future[datetime] = concurrent.futures.Future()
        if not _call_soon(self._loop, self._send_refresh, extend_by_ms, future):
            future.set_exception(LeaseLostError("the worker has stopped"))
        return future

    def _send_refresh(self, extend_by_ms: int, future: concurrent.futures.Future[datetime]) -> None:
        if self.reported:
            future.set_exception(LeaseLostError(f"task {self.task_id} has already been reported"))
            return

        def on_ack(ack: pb.Ack) -> None:
            if not ack.accepted:
                log.warning("dispatcher rejected a refresh of %s: %s", self.task_id, ack.reason)
                future.set_exception(
                    LeaseLostError(
                        f"the dispatcher rejected the refresh of task {self.task_id} attempt "
                        f"{self.attempt}: {ack.reason or 'no reason given'}"
                    )
                )
                return
            if ack.timeout_at_unix_ms:
                self.ctx.timeout_at = datetime.fromtimestamp(ack.timeout_at_unix_ms / 1000, UTC)
                self._arm_lease_timer()
            future.set_result(self.ctx.timeout_at or datetime.now(UTC))

        self._outbox.send(
            pb.WorkerMessage(
                refresh=pb.TaskRefresh(
                    task_id=self.task_id, attempt=self.attempt, extend_by_ms=extend_by_ms
                )
            ),
            on_ack=on_ack,
        )


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> bool:
    """call_soon_threadsafe, tolerating a closed loop (a task thread outliving its worker)."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:
        return False
    return True
