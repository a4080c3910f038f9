"""Worker streams: the sessions connected to one dispatcher and what comes up them.

A stream attaches once its hello is accepted (replacing an older stream of the same
worker) and starts its claim loop; reports go to the batcher, heartbeats and log lines are
answered here; when the worker closes its side, what is in flight is answered before the
stream ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Final

import grpc

from pydispatch import session as codes
from pydispatch.reports import INVALID, LOG_RATE
from pydispatch.session import Session
from pydispatch.validate import (
    BadRequestError,
    log_text,
    parse_log,
    parse_report,
    parse_stream,
)
from pyworker.proto import hewer_pb2 as pb

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")
task_log = logging.getLogger("hewer.task")

_WORKER_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


class Streams:
    """The worker streams of one dispatcher, by worker id."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self.sessions: dict[uuid.UUID, Session] = {}
        self.gone = asyncio.Event()  # set while no stream is attached
        self.gone.set()
        self._marking: set[asyncio.Task[None]] = set()  # worker_disconnect calls in flight

    def attach(self, s: Session) -> None:
        """Make `s` the stream of its worker (ending an older one) and start claiming for it."""
        old = self.sessions.get(s.worker_id)
        if old is not None:
            old.error(codes.REPLACED, "a newer stream of this worker replaced this one")
            old.end((grpc.StatusCode.ABORTED, "a newer stream of this worker replaced this one"))
        self.sessions[s.worker_id] = s
        self.gone.clear()
        self.core.claims_loops.start(s)
        self.core.cancels.wake()
        log.info(
            "worker connected",
            extra={"worker_id": str(s.worker_id), "slots": s.slots, "held": len(s.held)},
        )

    def detach(self, s: Session) -> None:
        s.ended = True
        s.wake.set()
        if self.sessions.get(s.worker_id) is s:
            del self.sessions[s.worker_id]
            self.core.claims_loops.forget(s.worker_id)
            if not self.core.closing:
                # The worker crashed, or its connection did: unless it heartbeats again
                # (through any dispatcher) within disconnect_grace, the reaper retries its
                # tasks. Not when this dispatcher shuts down: its workers move elsewhere.
                task = asyncio.get_running_loop().create_task(self._disconnected(s))
                self._marking.add(task)
                task.add_done_callback(self._marking.discard)
        if not self.sessions:
            self.gone.set()
        log.info("worker disconnected", extra={"worker_id": str(s.worker_id)})

    async def _disconnected(self, s: Session) -> None:
        try:
            await self.core.fetch(
                "worker_disconnect", {"worker_ids": [s.worker_id]}, tenant=s.tenant
            )
        except Exception as exc:  # noqa: BLE001 - the worker timeout still applies
            log.warning(
                "could not record a worker's disconnection; the worker timeout applies",
                extra={"worker_id": str(s.worker_id), "error": str(exc)},
            )

    async def read(self, s: Session, requests: AsyncIterator[pb.WorkerMessage]) -> None:
        """Handle what a worker sends until it closes its side, then end the stream."""
        try:
            async for received in requests:
                s.last_seen = time.monotonic()
                for message in _unbatched(received):
                    if message.WhichOneof("body") == "stream":
                        # Over its share of chunks, a worker waits: reading its stream pauses
                        # (and gRPC's flow control holds the worker back) rather than refuse
                        # a chunk.
                        rate = self.core.settings.task_stream_rate
                        while not s.take_chunk(rate, 4 * rate):
                            await asyncio.sleep(1 / rate)
                    try:
                        self.handle(s, message)
                    except Exception:
                        log.exception(
                            "worker message failed", extra={"worker_id": str(s.worker_id)}
                        )
                        s.error(codes.INTERNAL, "the dispatcher failed on this message", 0)
        except (grpc.aio.AioRpcError, grpc.aio.AbortError, asyncio.InvalidStateError) as exc:
            log.debug("stream read ended", extra={"worker_id": str(s.worker_id), "error": str(exc)})
        # The worker closed its side: answer what is in flight, then end the stream.
        s.input_closed = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await s.idle.wait()
        s.end()

    def handle(self, s: Session, message: pb.WorkerMessage) -> None:
        """One message up a stream: reports go to the batcher, the rest is answered here."""
        rid = message.request_id
        body = message.WhichOneof("body")
        try:
            if body is None:
                raise BadRequestError(
                    "empty WorkerMessage: set one of hello, heartbeat, started, completed, "
                    "failed, refresh, log, stream, batch"
                )
            if body == "batch":
                raise BadRequestError(
                    "a batch inside a batch: put the messages themselves in WorkerBatch.messages"
                )
            if body == "hello":
                raise BadRequestError(
                    "hello was already received on this stream: send it only as the first message"
                )
            if body == "heartbeat":
                s.heartbeat(message.heartbeat.free_slots)
                s.ack(rid, True)
                return
            if body == "stream":
                report = parse_stream(s, rid, message.stream)
            elif body == "log":
                line = parse_log(s, rid, message.log)
                rate = self.core.settings.task_log_rate
                if not s.take_log_line(rate, 4 * rate):
                    self._log_dropped(s)
                    s.ack(rid, False, LOG_RATE)
                    return
                self._log_line(s, message.log)
                if line is None:
                    s.ack(rid, True)
                    return
                report = line
            else:
                report = parse_report(s, rid, message)
        except BadRequestError as exc:
            s.error(codes.INVALID_ARGUMENT, str(exc), rid)
            s.ack(rid, False, INVALID)
            return
        self.core.batcher.submit(report)

    def _log_dropped(self, s: Session) -> None:
        """Say, at most every 10 seconds per stream, that log lines were refused."""
        now = time.monotonic()
        if now - s.log_drop_said < 10.0:
            return
        s.log_drop_said = now
        log.warning(
            "worker sends more log lines than are stored; the excess is refused",
            extra={
                "worker_id": str(s.worker_id),
                "refused": s.log_lines_dropped,
                "task_log_rate": self.core.settings.task_log_rate,
            },
        )
        s.log_lines_dropped = 0

    def _log_line(self, s: Session, line: pb.LogLine) -> None:
        task_log.log(
            _WORKER_LEVELS.get(line.level.lower(), logging.INFO),
            log_text(line.message),
            extra={
                "worker_id": str(s.worker_id),
                "task_id": line.task_id or None,
                "attempt": line.attempt or None,
                "worker_level": line.level or None,
                "at_unix_ms": line.at_unix_ms or None,
            },
        )

    async def end(self, s: Session) -> None:
        """Stop reading a stream, answer its reports in flight, then end it UNAVAILABLE."""
        if s.reader is not None:
            s.reader.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await s.idle.wait()
        s.end(
            (
                grpc.StatusCode.UNAVAILABLE,
                "dispatcher shut down: Register (with your worker_id) and Listen on another "
                "dispatcher",
            )
        )


def _unbatched(message: pb.WorkerMessage) -> list[pb.WorkerMessage]:
    """The messages of a WorkerBatch (each handled as if it had come alone; the batch's own
    request_id is ignored), or `message` itself."""
    if message.WhichOneof("body") != "batch":
        return [message]
    return list(message.batch.messages)
