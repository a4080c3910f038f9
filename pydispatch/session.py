"""One connected worker's stream, as the dispatcher sees it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable

import grpc

from pydispatch.tenancy import DEFAULT_TENANT
from pyworker.proto import hewer_pb2 as pb

# StreamError codes the dispatcher sends (StreamError.code).
INVALID_ARGUMENT = "invalid_argument"
NOT_FOUND = "not_found"
FAILED_PRECONDITION = "failed_precondition"
WORKER_DEAD = "worker_dead"
REPLACED = "replaced"
SILENT = "silent"
SHUTTING_DOWN = "shutting_down"
UNAUTHENTICATED = "unauthenticated"
INTERNAL = "internal"


class Session:
    """A worker's open Listen stream: what it runs, which tasks it holds, what to send it.

    Free slots are the registered slots minus the tasks held: a task is held from its
    assignment (or, on reconnect, from the database's view at hello) until the worker
    reports it completed or failed, or a report shows it is no longer the worker's.
    """

    def __init__(
        self,
        worker_id: uuid.UUID,
        actions: Iterable[str],
        slots: int,
        held: Iterable[uuid.UUID],
        *,
        tenant: uuid.UUID = DEFAULT_TENANT,
        token_id: uuid.UUID | None = None,
        batches: bool = False,
    ) -> None:
        self.worker_id = worker_id
        # The worker reads DispatcherMessage.batch (its hello said so).
        self.batches = batches
        # The tenant the stream's token acts for: every call for this worker acts for it.
        self.tenant = tenant
        # The API token the stream was opened with (None: none); revoking it ends the stream.
        self.token_id = token_id
        self.actions = frozenset(actions)
        self.slots = slots
        # task id -> attempt (0: held before this stream opened, attempt unknown here).
        self.held: dict[uuid.UUID, int] = dict.fromkeys(held, 0)
        # (task_id, attempt) pairs told to cancel, so each is sent once.
        self.cancels_sent: set[tuple[uuid.UUID, int]] = set()
        self.outbox: asyncio.Queue[pb.DispatcherMessage | None] = asyncio.Queue()
        # Set when a claim may find work: notifications, freed slots, the stream opening.
        self.wake = asyncio.Event()
        self.wake.set()
        self.last_seen = time.monotonic()
        # Reports handed to the batcher and not answered yet.
        self.inflight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        # The last heartbeat said no slots free while we count some: the worker is
        # draining (or busy with work we do not know of). No claims until it reports some.
        self.paused = False
        # The worker closed its side of the stream: it is leaving, no more claims.
        self.input_closed = False
        self.reader: asyncio.Task[None] | None = None
        self.ended = False
        # How the stream ends: None = OK, else the status the Listen call returns.
        self.end_status: tuple[grpc.StatusCode, str] | None = None
        # Log lines this stream may still have stored (a token bucket, see take_log_line),
        # and how many it sent over that since the dispatcher last said so.
        self._log_tokens: float | None = None
        self._log_refilled = time.monotonic()
        self.log_lines_dropped = 0
        self.log_drop_said = float("-inf")
        self._chunk_tokens: float | None = None
        self._chunk_refilled = time.monotonic()

    def take_log_line(self, rate: float, burst: float) -> bool:
        """Whether one more log line may be stored: `rate` a second, in bursts of `burst`."""
        now = time.monotonic()
        tokens = burst if self._log_tokens is None else self._log_tokens
        tokens = min(burst, tokens + (now - self._log_refilled) * rate)
        self._log_refilled = now
        if tokens < 1:
            self._log_tokens = tokens
            self.log_lines_dropped += 1
            return False
        self._log_tokens = tokens - 1
        return True

    def take_chunk(self, rate: float, burst: float) -> bool:
        """Whether one more output chunk may be stored now: `rate` a second, in bursts."""
        now = time.monotonic()
        tokens = burst if self._chunk_tokens is None else self._chunk_tokens
        tokens = min(burst, tokens + (now - self._chunk_refilled) * rate)
        self._chunk_refilled = now
        if tokens < 1:
            self._chunk_tokens = tokens
            return False
        self._chunk_tokens = tokens - 1
        return True

    @property
    def free(self) -> int:
        return self.slots - len(self.held)

    def heartbeat(self, free_slots: int) -> None:
        """Take the worker's own count of free slots into account (see `paused`)."""
        was_paused = self.paused
        self.paused = free_slots <= 0 and self.free > 0
        if was_paused and not self.paused:
            self.wake.set()

    @property
    def claimable(self) -> bool:
        """Whether claims for this worker make sense now (liveness is checked apart)."""
        return self.free > 0 and not self.paused and not self.input_closed and not self.ended

    def alive(self, now: float, limit: float) -> bool:
        """Whether the worker sent something within `limit` seconds."""
        return now - self.last_seen <= limit

    def send(self, message: pb.DispatcherMessage) -> None:
        """Queue a message for the stream (dropped once the stream has ended)."""
        if not self.ended:
            self.outbox.put_nowait(message)

    def ack(
        self, request_id: int, accepted: bool, reason: str = "", timeout_at_ms: int = 0
    ) -> None:
        """Answer a message that asked for an Ack (request_id != 0)."""
        if request_id:
            self.send(
                pb.DispatcherMessage(
                    ack=pb.Ack(
                        request_id=request_id,
                        accepted=accepted,
                        reason=reason,
                        timeout_at_unix_ms=timeout_at_ms,
                    )
                )
            )

    def error(self, code: str, message: str, request_id: int = 0) -> None:
        """Tell the worker about a message the dispatcher could not use; the stream stays open."""
        self.send(
            pb.DispatcherMessage(
                error=pb.StreamError(request_id=request_id, code=code, message=message)
            )
        )

    def end(self, status: tuple[grpc.StatusCode, str] | None = None) -> None:
        """Finish the stream after what is queued: OK, or with `status`."""
        if self.ended:
            return
        if self.end_status is None:
            self.end_status = status
        self.outbox.put_nowait(None)
        self.ended = True

    def report_submitted(self) -> None:
        self.inflight += 1
        self.idle.clear()

    def report_answered(self) -> None:
        self.inflight -= 1
        if self.inflight <= 0:
            self.inflight = 0
            self.idle.set()

    def release(self, task_id: uuid.UUID) -> bool:
        """Forget a task the worker no longer holds; True when that freed a slot."""
        self.cancels_sent = {c for c in self.cancels_sent if c[0] != task_id}
        return self.held.pop(task_id, None) is not None
