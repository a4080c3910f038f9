"""The dispatcher: a gRPC server (services Dispatcher and Runs) in front of the hewer SQL API.

One process holds: a psycopg pool for the calls, one connection that LISTENs on
hewer_ready, hewer_cancel, hewer_run_done and hewer_tokens, a session per connected worker
stream, the report batcher, and the leader-elected maintenance loop. It claims
work only for its own connected workers (hewer.task_claim per worker, one claim
at a time per worker), woken by notifications, freed slots, new streams and a
bounded poll. Every state change is a hewer function call; the SQL is in
queries.sql.

Tenants: every RPC's API token is resolved to a tenant (pydispatch.tenancy), and every
database call acts for that tenant. A worker's session keeps its tenant, so claims,
heartbeats, cancellation polls and batched reports are made per tenant; a revoked
token (NOTIFY hewer_tokens, re-checked on the heartbeat loop) ends its streams.

The gRPC services themselves are in pydispatch.services, request checks in
pydispatch.validate.

Entry points: `serve(settings)` (async, until cancelled or `stop` is set) and
`run_dispatcher(settings)` (sync; JSON logging, SIGTERM/SIGINT shut down
gracefully, a second signal skips the grace period). Tests use `Dispatcher`
directly: `port = await d.start()`, then `await d.stop()`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import hashlib
import json
import logging
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import grpc
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from pydispatch import db
from pydispatch import session as codes
from pydispatch.jsonlog import setup_logging
from pydispatch.leader import Leader
from pydispatch.queries import QUERIES
from pydispatch.reports import INVALID, ReportBatcher
from pydispatch.schema import check_schema
from pydispatch.services import DispatcherService, RunsService
from pydispatch.session import Session
from pydispatch.settings import DispatcherSettings
from pydispatch.status import details
from pydispatch.tenancy import DEFAULT_TENANT, TenantSettings, by_tenant
from pydispatch.validate import BadRequestError, parse_report, parse_uuid, unix_ms
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from pyworker.rpc import MAX_MESSAGE_BYTES

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


class Dispatcher:
    """A running dispatcher: start(), then stop(). Not restartable."""

    def __init__(self, settings: DispatcherSettings) -> None:
        self.settings = settings
        self.port = 0
        self._conninfo = ""
        self._pool_obj: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None
        self._server: grpc.aio.Server | None = None
        self._batcher_obj: ReportBatcher | None = None
        self._leader: Leader | None = None
        self._sessions: dict[uuid.UUID, Session] = {}
        self._claim_locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._run_waiters: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._cancel_wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._hurry = asyncio.Event()
        self._sessions_gone = asyncio.Event()
        self._sessions_gone.set()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._claimers: set[asyncio.Task[None]] = set()
        self.tenants = TenantSettings()
        # Tokens seen revoked (or expired) while this dispatcher runs: Wait and Watch calls
        # opened with one end at their next wake-up.
        self.revoked_tokens: set[uuid.UUID] = set()
        self.claims = 0  # task_claim calls made (for tests and metrics)
        # Tokens of the Wait and Watch calls in progress (their counts), checked with the streams'.
        self.tokens_in_use: collections.Counter[uuid.UUID] = collections.Counter()
        self._token_check = asyncio.Event()

    # -- public state --------------------------------------------------------------------------

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    @property
    def is_leader(self) -> bool:
        """Whether this dispatcher holds the maintenance lock right now."""
        return self._leader is not None and self._leader.is_leader

    @property
    def leader(self) -> Leader | None:
        return self._leader

    @property
    def batcher(self) -> ReportBatcher:
        if self._batcher_obj is None:
            raise RuntimeError("dispatcher not started")
        return self._batcher_obj

    def connected_workers(self) -> list[uuid.UUID]:
        """Workers with an open stream to this dispatcher."""
        return list(self._sessions)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> int:
        """Check the schema, connect, start the loops and the gRPC server; the bound port."""
        url = self.settings.database_url
        if not url:
            url = await asyncio.to_thread(db.database_url)
        self._conninfo = url
        await asyncio.to_thread(_check_schema, url)
        try:
            await self._start(url)
        except BaseException:
            await self._release_resources()
            raise
        log.info(
            "dispatcher started",
            extra={
                "dispatcher_id": self.settings.dispatcher_id,
                "listen": self.settings.listen,
                "port": self.port,
                "database": db.redact(url),
            },
        )
        return self.port

    async def _start(self, url: str) -> None:
        pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
            url,
            min_size=self.settings.pool_min_size,
            max_size=self.settings.pool_max_size,
            open=False,
            timeout=10.0,
            name=f"hewer-dispatcher-{self.settings.dispatcher_id[:8]}",
            connection_class=AsyncConnection[DictRow],
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "application_name": "hewer-dispatcher",
            },
        )
        self._pool_obj = pool
        await pool.open(wait=True, timeout=30.0)
        listener = await self._listen_connection()
        self._batcher_obj = ReportBatcher(
            pool,
            size=self.settings.report_batch_size,
            delay=self.settings.report_batch_delay,
            on_release=lambda s: s.wake.set(),
            tenants=self.tenants,
        )
        self._leader = Leader(url, self.settings)
        self._tasks = [
            asyncio.create_task(self._listen_loop(listener), name="hewer-listen"),
            asyncio.create_task(self._batcher_obj.run(), name="hewer-reports"),
            asyncio.create_task(self._heartbeat_loop(), name="hewer-heartbeat"),
            asyncio.create_task(self._cancel_loop(), name="hewer-cancel"),
            asyncio.create_task(self._token_loop(), name="hewer-tokens"),
            asyncio.create_task(self._leader.run(), name="hewer-leader"),
        ]
        server = grpc.aio.server(
            options=[
                ("grpc.keepalive_time_ms", 20_000),
                ("grpc.keepalive_timeout_ms", 10_000),
                ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
                ("grpc.keepalive_permit_without_calls", 1),
                # Accept what the SDK may send (pyworker.rpc.MAX_MESSAGE_BYTES): a larger
                # message than the server accepts would end the worker's whole stream.
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ]
        )
        pb_grpc.add_DispatcherServicer_to_server(DispatcherService(self), server)
        pb_grpc.add_RunsServicer_to_server(RunsService(self), server)
        try:
            credentials = _server_credentials(self.settings)
            if credentials is None:
                self.port = server.add_insecure_port(self.settings.listen)
            else:
                self.port = server.add_secure_port(self.settings.listen, credentials)
        except RuntimeError as exc:
            raise RuntimeError(f"cannot listen on {self.settings.listen}: {exc}") from exc
        self._server = server
        await server.start()

    def hurry(self) -> None:
        """Cut the shutdown grace period short (a second SIGTERM/SIGINT)."""
        self._hurry.set()

    async def stop(self, grace: float | None = None) -> None:
        """Graceful shutdown: no new streams or calls, no claims; workers get `grace`
        seconds (default settings.shutdown_grace) to end their streams; pending reports
        are applied; the leader lock is released; pools close."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        grace = self.settings.shutdown_grace if grace is None else grace
        log.info("dispatcher stopping", extra={"workers": len(self._sessions), "grace": grace})
        self._closing.set()
        self._wake_runs(None)
        for s in list(self._sessions.values()):
            s.error(
                codes.SHUTTING_DOWN,
                "this dispatcher is shutting down: finish or drop this stream, then Register "
                "(with your worker_id) and Listen on another dispatcher",
            )
            s.wake.set()
        # Let workers end their streams (their reports are still applied meanwhile).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await _first_of(self._sessions_gone, self._hurry)
        await asyncio.gather(*(self._end_session(s) for s in list(self._sessions.values())))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self._sessions_gone.wait()
        if self._server is not None:
            await self._server.stop(grace=1.0)
        await self._release_resources()
        log.info("dispatcher stopped", extra={"dispatcher_id": self.settings.dispatcher_id})
        self._stopped.set()

    async def _end_session(self, s: Session) -> None:
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

    async def _release_resources(self) -> None:
        # The batcher and the leader finish on their own after close()/stop(); the rest
        # are cancelled.
        background = list(self._tasks)
        for task in background:
            if task.get_name() in ("hewer-reports", "hewer-leader"):
                continue
            task.cancel()
        for task in self._claimers:
            task.cancel()
        if self._batcher_obj is not None:
            await self._batcher_obj.close()
        if self._leader is not None:
            self._leader.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await asyncio.gather(*background, *self._claimers, return_exceptions=True)
        if self._server is not None:
            await self._server.stop(grace=0)
        if self._pool_obj is not None:
            await self._pool_obj.close()

    # -- database ------------------------------------------------------------------------------

    @property
    def _pool(self) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
        if self._pool_obj is None:
            raise RuntimeError("dispatcher not started")
        return self._pool_obj

    async def fetch(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        *,
        tenant: uuid.UUID | None = DEFAULT_TENANT,
    ) -> list[DictRow]:
        """Run the named query of queries.sql on a pool connection, acting for `tenant`
        (None: a query that does not depend on the tenant); all its rows."""
        async with self._pool.connection() as conn:
            if tenant is not None:
                await self.tenants.use(conn, tenant)
            cur = await conn.execute(QUERIES[name], params)
            return await cur.fetchall()

    # -- notifications -------------------------------------------------------------------------

    async def _listen_connection(self) -> AsyncConnection[DictRow]:
        conn = await AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            row_factory=dict_row,
            application_name="hewer-dispatcher-listen",
        )
        await conn.execute(QUERIES["listen"])
        return conn

    async def _listen_loop(self, conn: AsyncConnection[DictRow] | None) -> None:
        """Route notifications; reconnect (and wake everything, in case one was missed)."""
        backoff = 0.1
        while True:
            try:
                if conn is None:
                    conn = await self._listen_connection()
                    log.info("LISTEN connection restored")
                    self._wake_everything()
                backoff = 0.1
                async for note in conn.notifies():
                    self._on_notify(note.channel, note.payload)
            except psycopg.Error as exc:
                log.warning("LISTEN connection lost", extra={"error": str(exc)})
            finally:
                if conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        await conn.close()
                conn = None
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.poll_interval)

    def _on_notify(self, channel: str, payload: str) -> None:
        """A notification is a hint, never authority: any login may send one. It only wakes
        loops that then ask the database (claims, cancellations, runs, tokens); payloads carry
        tags (hewer.notify_tag), never names or ids; nothing of it is kept."""
        if len(payload) > _MAX_PAYLOAD:
            payload = ""  # no PostgreSQL payload is this long; treat it as "could be anything"
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if channel == "hewer_ready":
            tags = _tags(data.get("tags"))
            tenant = data.get("tenant")
            for s in self._sessions.values():
                if tags is None:
                    if not isinstance(tenant, str) or tenant == notify_tag(str(s.tenant)):
                        s.wake.set()
                elif any(notify_tag(f"{s.tenant}:{a}") in tags for a in s.actions):
                    s.wake.set()
        elif channel == "hewer_cancel":
            workers = _tags(data.get("workers"))
            if workers is None or any(notify_tag(str(w)) in workers for w in self._sessions):
                self._cancel_wake.set()
        elif channel == "hewer_run_done":
            runs = _tags(data.get("runs"))
            self._wake_runs(
                None
                if runs is None
                else [r for r in self._run_waiters if notify_tag(str(r)) in runs]
            )
        elif channel == "hewer_tokens":
            self._token_check.set()  # checked against the database, at most every second

    async def _token_loop(self) -> None:
        """On a hewer_tokens hint (coalesced), ask the database which tokens in use here are
        still valid, and end what uses the others. A notification alone ends nothing."""
        while True:
            await self._token_check.wait()
            self._token_check.clear()
            in_use = {s.token_id for s in self._sessions.values() if s.token_id is not None}
            in_use |= set(self.tokens_in_use)
            if in_use:
                try:
                    rows = await self.fetch("tokens_valid", {"token_ids": list(in_use)})
                except psycopg.Error as exc:
                    log.warning("token check failed", extra={"error": str(exc)})
                else:
                    invalid = in_use - {row["token_id"] for row in rows}
                    if invalid:
                        self.tokens_revoked(invalid)
            await asyncio.sleep(_TOKEN_CHECK_GAP)

    def tokens_revoked(self, token_ids: set[uuid.UUID]) -> None:
        """End the streams opened with these tokens (revoked or expired, as the database says):
        UNAUTHENTICATED."""
        # Only tokens in use here, confirmed invalid: bounded by what callers present.
        if len(self.revoked_tokens) > _MAX_REVOKED:
            self.revoked_tokens &= set(self.tokens_in_use)
        self.revoked_tokens |= token_ids
        self._wake_runs(None)  # Wait and Watch calls check their token when woken
        for s in list(self._sessions.values()):
            if s.token_id is None or s.token_id not in token_ids or s.ended:
                continue
            message = (
                f"token revoked: the API token {s.token_id} this stream was opened with was "
                "revoked or has expired; restart the worker with a valid token (HEWER_TOKEN)"
            )
            log.info(
                "ending stream: its token was revoked",
                extra={"worker_id": str(s.worker_id), "token_id": str(s.token_id)},
            )
            s.error(codes.UNAUTHENTICATED, message)
            s.end((grpc.StatusCode.UNAUTHENTICATED, message))

    def _wake_everything(self) -> None:
        for s in self._sessions.values():
            s.wake.set()
        self._cancel_wake.set()
        self._wake_runs(None)

    def _wake_runs(self, run_ids: list[uuid.UUID] | None) -> None:
        if run_ids is None:
            waiters = [e for events in self._run_waiters.values() for e in events]
        else:
            waiters = [e for r in run_ids for e in self._run_waiters.get(r, ())]
        for event in waiters:
            event.set()

    @contextlib.contextmanager
    def token_in_use(self, token_id: uuid.UUID | None) -> Iterator[None]:
        """Count a long call's token as in use here (hewer_tokens hints re-check it)."""
        if token_id is None:
            yield
            return
        self.tokens_in_use[token_id] += 1
        try:
            yield
        finally:
            self.tokens_in_use[token_id] -= 1
            if self.tokens_in_use[token_id] <= 0:
                del self.tokens_in_use[token_id]

    @contextlib.contextmanager
    def run_waiter(self, run_id: uuid.UUID) -> Iterator[asyncio.Event]:
        """An event set when the run may have finished (or the dispatcher is closing)."""
        event = asyncio.Event()
        self._run_waiters.setdefault(run_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._run_waiters.get(run_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._run_waiters[run_id]

    # -- sessions ------------------------------------------------------------------------------

    def attach(self, s: Session) -> None:
        """Make `s` the stream of its worker (ending an older one) and start claiming for it."""
        old = self._sessions.get(s.worker_id)
        if old is not None:
            old.error(codes.REPLACED, "a newer stream of this worker replaced this one")
            old.end((grpc.StatusCode.ABORTED, "a newer stream of this worker replaced this one"))
        self._sessions[s.worker_id] = s
        self._sessions_gone.clear()
        task = asyncio.create_task(self._claim_loop(s), name=f"hewer-claim-{s.worker_id}")
        self._claimers.add(task)
        task.add_done_callback(self._claimers.discard)
        self._cancel_wake.set()
        log.info(
            "worker connected",
            extra={"worker_id": str(s.worker_id), "slots": s.slots, "held": len(s.held)},
        )

    def detach(self, s: Session) -> None:
        s.ended = True
        s.wake.set()
        if self._sessions.get(s.worker_id) is s:
            del self._sessions[s.worker_id]
            lock = self._claim_locks.get(s.worker_id)
            if lock is not None and not lock.locked():
                del self._claim_locks[s.worker_id]
        if not self._sessions:
            self._sessions_gone.set()
        log.info("worker disconnected", extra={"worker_id": str(s.worker_id)})

    async def _claim_loop(self, s: Session) -> None:
        """Claim for one session whenever woken (or every poll interval), one claim at a time."""
        lock = self._claim_locks.setdefault(s.worker_id, asyncio.Lock())
        while not s.ended and not self.closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_interval):
                    await s.wake.wait()
            s.wake.clear()
            if s.ended or self.closing:
                return
            limit = s.free
            if not s.claimable or not s.alive(time.monotonic(), self.settings.silence_limit):
                continue
            async with lock:
                self.claims += 1
                try:
                    rows = await self.fetch(
                        "task_claim",
                        {"worker_id": s.worker_id, "limit": min(limit, 10000)},
                        tenant=s.tenant,
                    )
                except psycopg.Error as exc:
                    if exc.sqlstate == "HW008":
                        message = details(exc)
                        s.error(codes.NOT_FOUND, message)
                        s.end((grpc.StatusCode.NOT_FOUND, message))
                        return
                    log.warning(
                        "claim failed", extra={"worker_id": str(s.worker_id), "error": str(exc)}
                    )
                    await asyncio.sleep(self.settings.poll_interval)
                    continue
            for row in rows:
                s.held[row["task_id"]] = row["attempt"]
                s.send(pb.DispatcherMessage(assignment=_assignment(row)))
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
                await asyncio.sleep(_EMPTY_CLAIM_GAP)

    def _live_sessions(self, now: float) -> list[Session]:
        """Sessions heard from lately; streams silent for the worker timeout are ended."""
        live: list[Session] = []
        for s in list(self._sessions.values()):
            if s.alive(now, self.settings.silence_limit):
                live.append(s)
            elif not s.alive(now, self.settings.worker_timeout):
                message = (
                    f"no message from worker {s.worker_id} for "
                    f"{self.settings.worker_timeout:g} s: send a heartbeat every "
                    f"{self.settings.heartbeat_interval:g} s"
                )
                s.error(codes.SILENT, message)
                s.end((grpc.StatusCode.DEADLINE_EXCEEDED, message))
        return live

    async def _heartbeat_loop(self) -> None:
        """Every heartbeat interval: end silent streams; every db_heartbeat_interval, one
        hewer.worker_heartbeat call per tenant for its live workers, and a check that the
        streams' tokens are still valid (in case a hewer_tokens notification was lost)."""
        interval = self.settings.heartbeat_interval
        next_beat = 0.0
        # Its own connection, retried every interval: after a database outage the pool
        # reconnects with a growing backoff, and workers the leader sees silent for the
        # worker timeout are declared dead. Heartbeats must resume as soon as they can.
        conn: AsyncConnection[DictRow] | None = None
        try:
            while True:
                await asyncio.sleep(interval)
                now = time.monotonic()
                live = self._live_sessions(now)
                if not live or now < next_beat:
                    continue
                try:
                    if conn is None or conn.closed:
                        conn = await AsyncConnection.connect(
                            self._conninfo,
                            autocommit=True,
                            row_factory=dict_row,
                            application_name="hewer-dispatcher-heartbeat",
                            connect_timeout=max(2, int(interval * 2)),
                        )
                    rows = []
                    for tenant, group in by_tenant(live, lambda s: s.tenant).items():
                        await self.tenants.use(conn, tenant)
                        cur = await conn.execute(
                            QUERIES["worker_heartbeat"],
                            {"worker_ids": [s.worker_id for s in group]},
                        )
                        rows += await cur.fetchall()
                    await self._check_tokens(conn, live)
                except psycopg.Error as exc:
                    log.warning("worker heartbeat failed", extra={"error": str(exc)})
                    if conn is not None:
                        with contextlib.suppress(psycopg.Error):
                            await conn.close()
                    conn = None
                    continue  # retry at the next interval, not the next db_heartbeat_interval
                next_beat = now + self.settings.db_heartbeat_interval - interval / 2
                for row in rows:
                    if row["status"] in (None, "dead"):
                        s2 = self._sessions.get(row["worker_id"])
                        if s2 is None:
                            continue
                        message = (
                            f"worker {s2.worker_id} was declared dead and its tasks went to other "
                            f"workers: Register with worker_id {s2.worker_id}, then Listen again"
                        )
                        s2.error(codes.WORKER_DEAD, message)
                        s2.end((grpc.StatusCode.FAILED_PRECONDITION, message))
        finally:
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    await conn.close()

    async def _check_tokens(self, conn: AsyncConnection[DictRow], live: list[Session]) -> None:
        """End the streams whose token is no longer valid (revoked or expired)."""
        token_ids = {s.token_id for s in live if s.token_id is not None}
        if not token_ids:
            return
        cur = await conn.execute(QUERIES["tokens_valid"], {"token_ids": list(token_ids)})
        valid = {row["token_id"] for row in await cur.fetchall()}
        if token_ids - valid:
            self.tokens_revoked(token_ids - valid)

    async def _cancel_loop(self) -> None:
        """Send CancelTask once per (task, attempt) whose cancel was requested."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.cancel_poll_interval):
                    await self._cancel_wake.wait()
            self._cancel_wake.clear()
            sessions = dict(self._sessions)
            if not sessions:
                continue
            rows = []
            try:
                for tenant, group in by_tenant(sessions.values(), lambda s: s.tenant).items():
                    rows += await self.fetch(
                        "task_cancellations",
                        {"worker_ids": [s.worker_id for s in group]},
                        tenant=tenant,
                    )
            except psycopg.Error as exc:
                log.warning("task_cancellations failed", extra={"error": str(exc)})
                continue
            finally:
                await asyncio.sleep(_EMPTY_CLAIM_GAP)  # coalesce a flood of hewer_cancel
            requested: dict[uuid.UUID, set[tuple[uuid.UUID, int]]] = {}
            for row in rows:
                requested.setdefault(row["worker_id"], set()).add((row["task_id"], row["attempt"]))
            for worker_id, s in sessions.items():
                wanted = requested.get(worker_id, set())
                for task_id, attempt in sorted(wanted - s.cancels_sent):
                    s.send(
                        pb.DispatcherMessage(
                            cancel=pb.CancelTask(
                                task_id=str(task_id),
                                attempt=attempt,
                                reason="cancel requested: the run was cancelled or failed",
                            )
                        )
                    )
                    log.info(
                        "sent cancel",
                        extra={
                            "worker_id": str(worker_id),
                            "task_id": str(task_id),
                            "attempt": attempt,
                        },
                    )
                s.cancels_sent = wanted | (s.cancels_sent & wanted)

    # -- stream messages -----------------------------------------------------------------------

    async def read_stream(self, s: Session, requests: AsyncIterator[pb.WorkerMessage]) -> None:
        """Handle what a worker sends until it closes its side, then end the stream."""
        try:
            async for message in requests:
                s.last_seen = time.monotonic()
                try:
                    self.handle(s, message)
                except Exception:
                    log.exception("worker message failed", extra={"worker_id": str(s.worker_id)})
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
                    "failed, refresh, log"
                )
            if body == "hello":
                raise BadRequestError(
                    "hello was already received on this stream: send it only as the first message"
                )
            if body == "heartbeat":
                s.heartbeat(message.heartbeat.free_slots)
                s.ack(rid, True)
                return
            if body == "log":
                self._log_line(s, message.log)
                s.ack(rid, True)
                return
            report = parse_report(s, rid, message)
        except BadRequestError as exc:
            s.error(codes.INVALID_ARGUMENT, str(exc), rid)
            s.ack(rid, False, INVALID)
            return
        self.batcher.submit(report)

    def _log_line(self, s: Session, line: pb.LogLine) -> None:
        if line.task_id:
            parse_uuid(line.task_id, "log.task_id")
        task_log.log(
            _WORKER_LEVELS.get(line.level.lower(), logging.INFO),
            line.message,
            extra={
                "worker_id": str(s.worker_id),
                "task_id": line.task_id or None,
                "attempt": line.attempt or None,
                "worker_level": line.level or None,
                "at_unix_ms": line.at_unix_ms or None,
            },
        )


def _assignment(row: Mapping[str, Any]) -> pb.Assignment:
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
    )


def _check_schema(url: str) -> None:
    with db.connect(url) as conn:
        check_schema(conn)


async def _first_of(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def serve(settings: DispatcherSettings, *, stop: asyncio.Event | None = None) -> None:
    """Run a dispatcher until `stop` is set (or this task is cancelled), then shut it down
    gracefully. Raises SchemaMismatchError, before listening, if the database does not
    match this hewer."""
    dispatcher = Dispatcher(settings)
    await dispatcher.start()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await dispatcher.stop()


def run_dispatcher(settings: DispatcherSettings) -> None:
    """`hewer dispatcher`: JSON logs, serve until SIGTERM/SIGINT (a second one skips the
    grace period)."""
    setup_logging(settings.log_level)
    asyncio.run(_run_until_signalled(settings))


async def _run_until_signalled(settings: DispatcherSettings) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    dispatcher = Dispatcher(settings)

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if not stop.is_set():
            log.info("signal received: shutting down gracefully", extra={"signal": name})
            stop.set()
        else:
            log.warning("second signal: skipping the grace period", extra={"signal": name})
            dispatcher.hurry()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await dispatcher.start()
        try:
            await stop.wait()
        finally:
            await dispatcher.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


# Notification payloads are at most 8000 bytes in PostgreSQL; anything longer is not ours.
_MAX_PAYLOAD: Final = 8000
# After a claim that found nothing, the next waits this long (coalescing wake-ups).
_EMPTY_CLAIM_GAP: Final = 0.01
# Token checks on hewer_tokens hints: at most one per this many seconds.
_TOKEN_CHECK_GAP: Final = 1.0
# Confirmed-revoked token ids kept before those no longer in use are forgotten.
_MAX_REVOKED: Final = 10000


@functools.lru_cache(maxsize=65536)
def notify_tag(value: str) -> str:
    """hewer.notify_tag: the first 16 hex digits of the MD5 of a run id, a worker id, a tenant
    id or '<tenant id>:<action>', which notification payloads carry instead of the value."""
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()[:16]


def _tags(value: Any) -> frozenset[str] | None:
    """The tags of a payload's list; None for null or anything malformed ("could be anything")."""
    if not isinstance(value, list):
        return None
    return frozenset(v for v in value[:1000] if isinstance(v, str))


def _server_credentials(settings: DispatcherSettings) -> grpc.ServerCredentials | None:
    """TLS credentials from the settings' PEM files; None for plaintext."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    pems = []
    for what, path in (("key", settings.tls_key), ("certificate", settings.tls_cert)):
        try:
            pems.append(Path(path).read_bytes())
        except OSError as exc:
            raise RuntimeError(f"cannot read the TLS {what} {path}: {exc.strerror}") from None
    return grpc.ssl_server_credentials([(pems[0], pems[1])])
