"""Claim loops: one per connected worker stream, each claiming for its worker alone.

A loop claims whenever its session is woken (a hewer_ready notification for one of its
actions, a freed slot, a new stream) or every poll interval, one hewer.task_claim at a time
per worker, and sends each claimed task down the stream as an Assignment. Wake-ups are
coalesced: after a claim that found nothing, the next waits a moment.

An assignment carries the run input and the parents' outputs themselves: references to
payloads in object storage are resolved first (docs/payloads.md). A task whose payloads
cannot be read (the store is down, an object is missing or corrupt), or whose assignment
would be over the gRPC message limit, is not sent: its attempt is failed with an error
saying why (payload_unavailable, retryable, so its step's retries try again; or
input_too_large, for good).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import grpc
import psycopg

from pydispatch import session as codes
from pydispatch.payloads import MARKER
from pydispatch.session import Session
from pydispatch.status import details
from pydispatch.validate import unix_ms
from pyworker.proto import hewer_pb2 as pb
from pyworker.rpc import MAX_MESSAGE_BYTES

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
            assignments = await self._messages(s, rows, traceparents)
            for row, sent in zip(rows, assignments, strict=True):
                if sent is None:
                    continue
                s.held[row["task_id"]] = row["attempt"]
                s.send(pb.DispatcherMessage(assignment=sent))
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

    async def _messages(
        self, s: Session, rows: list[Any], traceparents: list[str]
    ) -> list[pb.Assignment | None]:
        """The assignments of claimed tasks, payload references resolved; None for a task
        that cannot be sent, whose attempt is failed here."""
        tenant = str(s.tenant)
        if not any(MARKER in r["input_json"] or MARKER in r["parents_json"] for r in rows):
            return [assignment(r, t, tenant) for r, t in zip(rows, traceparents, strict=True)]
        texts = [text for r in rows for text in (r["input_json"], r["parents_json"])]
        resolved = await self.core.resolve_each(s.tenant, texts)
        answers = [
            self._resolved(s, row, traceparent, resolved[2 * i], resolved[2 * i + 1])
            for i, (row, traceparent) in enumerate(zip(rows, traceparents, strict=True))
        ]
        failed = [(r, a) for r, a in zip(rows, answers, strict=True) if isinstance(a, dict)]
        if failed:
            await self._fail(s, failed)
        return [a if isinstance(a, pb.Assignment) else None for a in answers]

    def _resolved(
        self,
        s: Session,
        row: Mapping[str, Any],
        traceparent: str,
        input_json: str | BaseException,
        parents_json: str | BaseException,
    ) -> pb.Assignment | dict[str, Any]:
        """One task's assignment, or the error its attempt fails with."""
        for exc in (input_json, parents_json):
            if isinstance(exc, BaseException):  # the store failed, or an object is bad
                return {
                    "type": "payload_unavailable",
                    "message": "the dispatcher could not read the task's input or its parents' "
                    f"outputs from the payload store {self.core.payloads.url}: "
                    f"{str(exc) or type(exc).__name__}",
                    "retryable": True,
                }
        message = assignment(
            {**row, "input_json": input_json, "parents_json": parents_json},
            traceparent,
            str(s.tenant),
        )
        size = message.ByteSize()
        if size > MAX_MESSAGE_BYTES - 1024:
            return {
                "type": "input_too_large",
                "message": f"the task's assignment (its run input and its parents' outputs) "
                f"is {size:,} bytes, over the gRPC message limit of {MAX_MESSAGE_BYTES:,}: "
                "pass large data between steps in smaller parts",
                "retryable": False,
            }
        return message

    async def _fail(
        self, s: Session, failed: list[tuple[Mapping[str, Any], dict[str, Any]]]
    ) -> None:
        """Fail the attempts of claimed tasks that could not be sent (fenced on this worker)."""
        for row, error in failed:
            log.warning(
                "claimed task not sent: its attempt fails",
                extra={
                    "worker_id": str(s.worker_id),
                    "task_id": str(row["task_id"]),
                    "attempt": row["attempt"],
                    "error": error["message"],
                },
            )
        try:
            await self.core.fetch(
                "task_fail",
                {
                    "task_ids": [r["task_id"] for r, _ in failed],
                    "attempts": [r["attempt"] for r, _ in failed],
                    "errors": [
                        json.dumps({k: v for k, v in e.items() if k != "retryable"})
                        for _, e in failed
                    ],
                    "retryable": [bool(e["retryable"]) for _, e in failed],
                    "worker_ids": [s.worker_id] * len(failed),
                },
                tenant=s.tenant,
            )
        except psycopg.Error as exc:  # the reaper takes them back when their lease runs out
            log.warning(
                "could not fail the claimed tasks that were not sent",
                extra={"worker_id": str(s.worker_id), "error": str(exc)},
            )


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
