"""Claim loops: one per connected worker stream, each claiming for its worker alone.

A loop claims whenever its session is woken (a hewer_ready notification for one of its
actions, a freed slot, a new stream) or every poll interval, one hewer.task_claim at a time
per worker, and sends each claimed task down the stream as an Assignment. Wake-ups are
coalesced: after a claim that found nothing, the next waits a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import grpc
import psycopg

from pydispatch import session as codes
from pydispatch.session import Session
from pydispatch.status import details
from pydispatch.validate import unix_ms
from pyworker.proto import hewer_pb2 as pb

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")

# After a claim that found nothing, the next waits this long (coalescing wake-ups).
EMPTY_CLAIM_GAP: Final = 0.01


class Claims:
    """The claim loops of one dispatcher."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self.count = 0  # task_claim calls made (for tests and metrics)
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, s: Session) -> None:
        """Start claiming for a stream that just attached."""
        task = asyncio.create_task(self._loop(s), name=f"hewer-claim-{s.worker_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def forget(self, worker_id: uuid.UUID) -> None:
        """Drop the worker's claim lock once its stream is gone (unless a claim holds it)."""
        lock = self._locks.get(worker_id)
        if lock is not None and not lock.locked():
            del self._locks[worker_id]

    async def _loop(self, s: Session) -> None:
        """Claim for one session whenever woken (or every poll interval), one claim at a time."""
        core = self.core
        settings = core.settings
        lock = self._locks.setdefault(s.worker_id, asyncio.Lock())
        while not s.ended and not core.closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.poll_interval):
                    await s.wake.wait()
            s.wake.clear()
            if s.ended or core.closing:
                return
            limit = s.free
            if not s.claimable or not s.alive(time.monotonic(), settings.silence_limit):
                continue
            async with lock:
                self.count += 1
                began = time.perf_counter()
                began_ns = time.time_ns()
                try:
                    rows = await core.fetch(
                        "task_claim",
                        {"worker_id": s.worker_id, "limit": min(limit, 10000)},
                        tenant=s.tenant,
                    )
                except psycopg.Error as exc:
                    core.telemetry.claim_failed()
                    if exc.sqlstate == "HW008":
                        message = details(exc)
                        s.error(codes.NOT_FOUND, message)
                        s.end((grpc.StatusCode.NOT_FOUND, message))
                        return
                    log.warning(
                        "claim failed", extra={"worker_id": str(s.worker_id), "error": str(exc)}
                    )
                    await asyncio.sleep(settings.poll_interval)
                    continue
                core.telemetry.claimed(rows, time.perf_counter() - began)
                traceparents = core.tracing.claimed(
                    rows, tenant=s.tenant, worker_id=s.worker_id, began_ns=began_ns
                )
            tenant = str(s.tenant)
            for row, traceparent in zip(rows, traceparents, strict=True):
                s.held[row["task_id"]] = row["attempt"]
                s.send(pb.DispatcherMessage(assignment=assignment(row, traceparent, tenant)))
            if rows:
                if s.ended:
                    log.warning(
                        "stream ended while tasks were being assigned; the reaper will "
                        "hand them to others",
                        extra={"worker_id": str(s.worker_id), "tasks": len(rows)},
                    )
                log.debug(
                    "assigned tasks", extra={"worker_id": str(s.worker_id), "count": len(rows)}
                )
                if len(rows) >= limit:
                    s.wake.set()  # maybe more work, and maybe the worker freed slots meanwhile
            else:
                # Wake-ups are coalesced: after a claim that found nothing, the next waits a
                # moment, so a flood of notifications costs each worker at most 1/gap claims.
                await asyncio.sleep(EMPTY_CLAIM_GAP)


def assignment(row: Mapping[str, Any], traceparent: str = "", tenant: str = "") -> pb.Assignment:
    """A claimed task (a row of hewer.task_claim) as the message a worker receives."""
    return pb.Assignment(
        task_id=str(row["task_id"]),
        attempt=row["attempt"],
        run_id=str(row["run_id"]),
        workflow=row["workflow"],
        step=row["step"],
        action=row["action"],
        input_json=row["input_json"],
        parents_json=row["parents_json"],
        timeout_at_unix_ms=unix_ms(row["timeout_at"]),
        priority=row["priority"],
        traceparent=traceparent,
        tenant_id=tenant,
    )
