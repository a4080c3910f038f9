"""Messages from a worker to its dispatcher, kept across reconnects until the dispatcher acks them.

Reports (started, completed, failed, refresh) carry a request_id and stay here until their Ack
arrives: when the stream breaks, every unacked report is sent again, in order, on the next one
(a report the dispatcher had already applied is rejected as a duplicate, which is harmless).
Log lines are not acked: they wait in a bounded backlog while disconnected. Heartbeats are sent
only while connected, since a stale one means nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from pyworker.proto import hewer_pb2 as pb
from pyworker.rpc import take_batch

log = logging.getLogger("pyworker.worker")

AckHandler = Callable[[pb.Ack], None]


@dataclass
class _Pending:
    message: pb.WorkerMessage
    on_ack: AckHandler | None
    resend: bool


class Outbox:
    """The worker's send side: request ids, the unacked reports, and the current stream's queue.

    Used from the event loop's thread only.
    """

    def __init__(self, log_backlog: int = 10_000) -> None:
        self._ids = itertools.count(1)
        self._unacked: dict[int, _Pending] = {}
        self._queue: asyncio.Queue[pb.WorkerMessage | None] | None = None
        self._logs: deque[pb.WorkerMessage] = deque(maxlen=log_backlog)
        self._settled = asyncio.Event()
        self._settled.set()

    @property
    def connected(self) -> bool:
        """Whether a stream is attached (messages go out now rather than later)."""
        return self._queue is not None

    def reported_tasks(self) -> set[tuple[str, int]]:
        """(task_id, attempt) of the reports not yet acked: the worker still has those."""
        held: set[tuple[str, int]] = set()
        for pending in self._unacked.values():
            m = pending.message
            body = m.WhichOneof("body")
            if pending.resend and body in ("started", "completed", "failed", "refresh", "stream"):
                report = getattr(m, body)
                held.add((report.task_id, report.attempt))
        return held

    @property
    def pending_reports(self) -> int:
        """Reports not yet acked (they will be re-sent after a reconnect)."""
        return sum(1 for p in self._unacked.values() if p.resend)

    def send(
        self,
        message: pb.WorkerMessage,
        *,
        on_ack: AckHandler | None = None,
        ack: bool = True,
        resend: bool = True,
    ) -> int:
        """Queue a message; returns its request_id (0 when no Ack is wanted).

        With ack, the message gets a request_id and `on_ack` is called with its Ack (without
        a handler, a rejection is logged). With resend, it is sent again after a reconnect until
        acked; without, it is dropped while disconnected (heartbeats).
        """
        if ack:
            message.request_id = next(self._ids)
            if resend or self._queue is not None:
                self._unacked[message.request_id] = _Pending(message, on_ack, resend)
                if resend:
                    self._settled.clear()
        else:
            message.request_id = 0
        if self._queue is not None:
            self._queue.put_nowait(message)
        elif message.HasField("log"):
            self._logs.append(message)
        return message.request_id

    def forget(self, request_id: int) -> None:
        """Stop waiting for the Ack of a message that is no longer of interest."""
        self._unacked.pop(request_id, None)

    def attach(self, hello: pb.WorkerMessage) -> asyncio.Queue[pb.WorkerMessage | None]:
        """Start a stream: its queue holds `hello`, then every unacked report, then backlog logs."""
        queue: asyncio.Queue[pb.WorkerMessage | None] = asyncio.Queue()
        queue.put_nowait(hello)
        for request_id in sorted(self._unacked):
            queue.put_nowait(self._unacked[request_id].message)
        while self._logs:
            queue.put_nowait(self._logs.popleft())
        self._queue = queue
        return queue

    def detach(self) -> None:
        """The stream ended: keep its unsent logs, forget acks that will not come."""
        queue, self._queue = self._queue, None
        while queue is not None and not queue.empty():
            message = queue.get_nowait()
            if message is not None and message.HasField("log"):
                self._logs.append(message)
        if queue is not None:
            # End the old call's request iterator, so that gRPC does not close it while it
            # is still waiting for a message.
            queue.put_nowait(None)
        for request_id in [r for r, p in self._unacked.items() if not p.resend]:
            del self._unacked[request_id]

    def end_stream(self) -> None:
        """Half-close the current stream once what is queued has been written."""
        if self._queue is not None:
            self._queue.put_nowait(None)

    def on_ack(self, ack: pb.Ack) -> None:
        """An Ack arrived: settle its message and tell its handler."""
        pending = self._unacked.pop(ack.request_id, None)
        if pending is None:
            return
        if not any(p.resend for p in self._unacked.values()):
            self._settled.set()
        if pending.on_ack is not None:
            pending.on_ack(ack)
        elif not ack.accepted:
            # "duplicate" answers a report re-sent after a reconnect: expected, not a problem.
            log.log(
                logging.INFO if ack.reason == "duplicate" else logging.WARNING,
                "dispatcher rejected %s (request %d): %s",
                pending.message.WhichOneof("body"),
                ack.request_id,
                ack.reason or "no reason given",
            )

    def on_error(self, error: pb.StreamError) -> None:
        """A StreamError: logged, and when it names a message, that message counts as rejected."""
        log.warning(
            "dispatcher stream error %s (request %d): %s",
            error.code,
            error.request_id,
            error.message,
        )
        if error.request_id and error.request_id in self._unacked:
            self.on_ack(pb.Ack(request_id=error.request_id, accepted=False, reason=error.code))

    async def settled(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every report to be acked; True if they all were."""
        try:
            await asyncio.wait_for(self._settled.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @staticmethod
    async def stream(
        queue: asyncio.Queue[pb.WorkerMessage | None], *, batches: bool = False
    ) -> AsyncIterator[pb.WorkerMessage]:
        """The request iterator of a Listen call: the queue's messages until its end marker.
        With batches (the dispatcher reads WorkerMessage.batch), what is queued together goes
        as one message (pyworker.rpc.take_batch)."""
        carried: list[pb.WorkerMessage | None] = []  # taken from the queue, not sent yet
        while True:
            message = carried.pop() if carried else await queue.get()
            if message is None:
                return
            # hello goes alone: the dispatcher reads nothing else first.
            if not batches or queue.empty() or message.HasField("hello"):
                yield message
                continue
            messages = take_batch(message, queue, carried)
            if len(messages) == 1:
                yield message
            else:
                yield pb.WorkerMessage(batch=pb.WorkerBatch(messages=messages))
