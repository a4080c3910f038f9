"""Worker reports applied in batches: one hewer function call per kind per batch.

Reports from every stream go through one queue. The batcher takes what has arrived (up to
`size`; with a `delay`, it also waits for more until `delay` after the first one arrived,
unless a quarter of `size` are waiting), so that the reports arriving while one batch is
applied make the next one, then applies them kind by kind in lifecycle order
(start, refresh, log, stream, complete, fail) so that a worker's start and completion that
land in one batch apply in the order they happened, and a task's log lines and output chunks
land before its completion; batches apply one after another.
Reports are grouped by their stream's tenant (the SQL fences by tenant): one call per
kind per tenant. Calls are non-strict: each report gets its own accepted/reason. If a whole call
fails (say one payload PostgreSQL refuses), its reports are retried one by one,
so one bad report never sinks the others.

A completion whose output is large enough to go to object storage (docs/payloads.md) is
uploaded first, on a task of its own, and queued once its reference is ready: an upload
never holds up the batches of the other reports. When the store keeps failing, the attempt
is failed instead (retryable): a completion nobody can read must not succeed.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import grpc
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from pydispatch import session as codes
from pydispatch import status
from pydispatch.db import array_literal, connection_lost
from pydispatch.payloads import Payloads
from pydispatch.queries import QUERIES
from pydispatch.session import Session
from pydispatch.tenancy import TenantSettings, by_tenant

log = logging.getLogger("hewer.dispatcher")

# Reasons the dispatcher itself gives in Ack.reason (the database gives
# unknown_task, stale_attempt and duplicate).
INVALID: Final = "invalid"
ERROR: Final = "error"
SHUTTING_DOWN: Final = "shutting_down"
# A log line over the stream's share (DispatcherSettings.task_log_rate): not stored.
LOG_RATE: Final = "log_rate"

# A report naming one of these is not the worker's any more.
_GONE: Final = frozenset({"unknown_task", "stale_attempt", "not_owner"})

# How often a call that lost its connection is retried before its reports are rejected.
_CONNECTION_RETRIES: Final = 3

# A fault hook for the crash tests only: seconds to wait after an output's object is put in
# the store, before its completion is queued (a kill -9 then leaves an object no row holds).
UPLOAD_PAUSE_ENV: Final = "HEWER_FAULT_PAUSE_AFTER_OUTPUT_UPLOAD"
# Tries to put an output in the store before the attempt is failed instead.
_UPLOAD_TRIES: Final = 3


class Kind(enum.IntEnum):
    """Report kinds, in the order a batch applies them."""

    START = 1
    REFRESH = 2
    LOG = 3
    STREAM = 4
    COMPLETE = 5
    FAIL = 6


_QUERY: Final = {
    Kind.START: "task_start",
    Kind.REFRESH: "task_heartbeat",
    Kind.LOG: "task_log",
    Kind.STREAM: "task_stream",
    Kind.COMPLETE: "task_complete",
    Kind.FAIL: "task_fail",
}


@dataclass(slots=True)
class Report:
    """One report from a worker, validated: ids parsed, JSON checked."""

    kind: Kind
    session: Session
    request_id: int
    task_id: uuid.UUID
    attempt: int
    payload: str | None = None  # output (complete) or error (fail) as JSON text; log: message
    retryable: bool = True
    extend_by: timedelta | None = None  # refresh; None = the step's execution timeout
    level: str = ""  # log: the line's level as the worker sent it
    logged_at: datetime | None = None  # log: the worker's time (None: now)
    seq: int = 0  # stream: the chunk's number in its attempt's stream
    received: float = 0.0  # time.monotonic() when it was queued for a batch


class ReportBatcher:
    """Collects reports from all streams and applies them in batches."""

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[DictRow]],
        *,
        size: int,
        delay: float,
        on_release: Callable[[Session], None],
        tenants: TenantSettings | None = None,
        on_applied: Callable[[Kind, Sequence[Report], Sequence[DictRow]], None] | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self._pool = pool
        self._payloads = payloads
        self._uploads: set[asyncio.Task[None]] = set()
        self._upload_pause = float(os.environ.get(UPLOAD_PAUSE_ENV) or 0)
        self._on_applied = on_applied  # metrics (pydispatch.telemetry): each call's answers
        self._tenants = tenants or TenantSettings()
        self._size = size
        self._delay = delay
        self._on_release = on_release
        self._queue: asyncio.Queue[Report | None] = asyncio.Queue()
        self._closed = False
        self.batches = 0  # batches applied so far (for tests and metrics)

    def submit(self, report: Report) -> None:
        """Queue a report; its Ack goes to its session when its batch is applied."""
        report.session.report_submitted()
        if self._closed:
            self._answer(report, False, SHUTTING_DOWN)
            return
        if (
            report.kind is Kind.COMPLETE
            and self._payloads is not None
            and self._payloads.may_offload(report.payload)
        ):
            upload = asyncio.create_task(self._offload(report, self._payloads))
            self._uploads.add(upload)
            upload.add_done_callback(self._uploads.discard)
            return
        report.received = time.monotonic()
        self._queue.put_nowait(report)

    async def _offload(self, report: Report, payloads: Payloads) -> None:
        """Put a large output in the store, then queue its completion with the reference. An
        output over the offload limit stays inline, for task_complete to refuse
        (payload_too_large). When the store keeps failing, the attempt is failed (retryable,
        error type output_not_stored) instead: its step's retries run it again."""
        text = report.payload or ""
        for attempt in range(_UPLOAD_TRIES):
            try:
                async with self._pool.connection() as conn:
                    report.payload = await payloads.offload(
                        conn, report.session.tenant, "output", text
                    )
                break
            except Exception as exc:  # noqa: BLE001 - the store or the database failed
                if attempt + 1 < _UPLOAD_TRIES:
                    await asyncio.sleep(0.5 * 2**attempt)
                    continue
                message = (
                    f"the dispatcher could not put the task's output ({len(text):,} characters "
                    f"of JSON) in the payload store {payloads.url}: "
                    f"{str(exc) or type(exc).__name__}"
                )
                log.warning(
                    "could not put a task output in the payload store; failing the attempt",
                    extra={
                        "task_id": str(report.task_id),
                        "attempt": report.attempt,
                        "error": message,
                    },
                )
                report.kind = Kind.FAIL
                report.retryable = True
                report.payload = json.dumps({"type": "output_not_stored", "message": message})
        if self._upload_pause:
            await asyncio.sleep(self._upload_pause)
        # Queued even after close(): close() waits for the uploads before ending the queue.
        report.received = time.monotonic()
        self._queue.put_nowait(report)

    async def run(self) -> None:
        """Apply batches until close() has been called and the queue is drained."""
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            # The window counts from the first report's arrival: one that came while the
            # previous batch was being applied has waited already. A quarter of a full batch
            # is worth its call at once (a worker's reports of a claim's tasks, say).
            wait = self._delay - (time.monotonic() - first.received)
            if self._queue.qsize() < self._size // 4 - 1 and wait > 0:
                await asyncio.sleep(wait)
            stop = False
            while len(batch) < self._size and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                await self._apply(batch)
            except Exception:  # a bug here must not stop report handling
                log.exception("report batch failed", extra={"reports": len(batch)})
                for report in batch:
                    self._answer(report, False, ERROR)
            if stop:
                return

    async def close(self) -> None:
        """Stop taking reports; run() applies what is queued (and the completions whose
        outputs are being uploaded), then returns."""
        if not self._closed:
            self._closed = True
            uploads = list(self._uploads)
            if uploads:
                await asyncio.gather(*uploads, return_exceptions=True)
            self._queue.put_nowait(None)

    async def _apply(self, batch: list[Report]) -> None:
        self.batches += 1
        for kind in Kind:
            reports = [r for r in batch if r.kind is kind]
            if not reports:
                continue
            for tenant_reports in by_tenant(reports, lambda r: r.session.tenant).values():
                if kind is Kind.REFRESH:
                    # task_heartbeat takes one extend_by per call: one call per distinct value.
                    groups: dict[timedelta | None, list[Report]] = {}
                    for r in tenant_reports:
                        groups.setdefault(r.extend_by, []).append(r)
                    for group in groups.values():
                        await self._call(kind, group)
                else:
                    await self._call(kind, tenant_reports)

    async def _call(self, kind: Kind, reports: list[Report]) -> None:
        try:
            rows = await self._execute(kind, reports)
        except psycopg.Error as exc:
            if len(reports) > 1:
                log.warning(
                    "report batch rejected by the database; applying its reports one by one",
                    extra={"kind": kind.name.lower(), "reports": len(reports), "error": str(exc)},
                )
                for report in reports:
                    await self._call(kind, [report])
                return
            [report] = reports
            message = status.details(exc)
            log.warning(
                "report rejected by the database",
                extra={
                    "kind": kind.name.lower(),
                    "task_id": str(report.task_id),
                    "attempt": report.attempt,
                    "worker_id": str(report.session.worker_id),
                    "error": message,
                },
            )
            report.session.error(
                codes.INVALID_ARGUMENT
                if status.status_code(exc) == grpc.StatusCode.INVALID_ARGUMENT
                else codes.INTERNAL,
                f"{kind.name.lower()} report for task {report.task_id} attempt {report.attempt} "
                f"failed: {message}",
                report.request_id,
            )
            self._answer(report, False, ERROR)
            return
        if self._on_applied is not None:
            self._on_applied(kind, reports, rows)
        for row in rows:
            report = reports[row["ord"] - 1]
            timeout_at: datetime | None = row.get("timeout_at")
            self._answer(
                report,
                bool(row["accepted"]),
                row["reason"] or "",
                int(timeout_at.timestamp() * 1000) if timeout_at else 0,
            )

    async def _execute(self, kind: Kind, reports: Sequence[Report]) -> list[DictRow]:
        params: dict[str, Any] = {
            "task_ids": array_literal(r.task_id for r in reports),
            "attempts": array_literal(r.attempt for r in reports),
            # Each report is fenced by the worker whose stream it came on, too.
            "worker_ids": array_literal(r.session.worker_id for r in reports),
        }
        if kind is Kind.COMPLETE:
            params["outputs"] = array_literal(r.payload for r in reports)
        elif kind is Kind.FAIL:
            params["errors"] = array_literal(r.payload for r in reports)
            params["retryable"] = [r.retryable for r in reports]
        elif kind is Kind.REFRESH:
            params["extend_by"] = reports[0].extend_by
        elif kind is Kind.LOG:
            params["levels"] = array_literal(r.level for r in reports)
            params["messages"] = array_literal(r.payload or "" for r in reports)
            params["logged_at"] = [r.logged_at for r in reports]
        elif kind is Kind.STREAM:
            params["seqs"] = array_literal(r.seq for r in reports)
            params["chunks"] = array_literal(r.payload or "" for r in reports)
        for attempt in range(_CONNECTION_RETRIES + 1):
            try:
                async with self._pool.connection() as conn:
                    # Every report of a call comes from streams of one tenant (see _apply).
                    await self._tenants.use(conn, reports[0].session.tenant)
                    cur = await conn.execute(QUERIES[_QUERY[kind]], params)
                    return await cur.fetchall()
            except psycopg.Error as exc:
                # The connection went away; the pool replaces it. A call that committed
                # before the connection broke is rejected as stale when retried.
                if not connection_lost(exc) or attempt == _CONNECTION_RETRIES:
                    raise
                await asyncio.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    def _answer(self, report: Report, accepted: bool, reason: str, timeout_at_ms: int = 0) -> None:
        session = report.session
        session.ack(report.request_id, accepted, reason, timeout_at_ms)
        finished = accepted and report.kind in (Kind.COMPLETE, Kind.FAIL)
        # A refused log line or chunk says nothing of whether the worker still holds the task.
        gone = reason in _GONE and report.kind not in (Kind.LOG, Kind.STREAM)
        if (finished or gone) and session.release(report.task_id):
            self._on_release(session)
        session.report_answered()
