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

`Dispatcher` holds the parts together and their lifecycle; each concern is a module of its
own: worker streams (streams.py), claim loops (claims.py), notifications (notifications.py),
liveness and heartbeats (liveness.py), cancellations (cancels.py), API tokens in use
(tokens.py), batched reports (reports.py) and the maintenance leader (leader.py). The gRPC
services themselves are in pydispatch.services, request checks in pydispatch.validate.

Entry points: `serve(settings)` (async, until cancelled or `stop` is set) and
`run_dispatcher(settings)` (sync; JSON logging, SIGTERM/SIGINT shut down
gracefully, a second signal skips the grace period). Tests use `Dispatcher`
directly: `port = await d.start()`, then `await d.stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from pydispatch import db, payloads
from pydispatch import session as codes
from pydispatch.cancels import Cancels
from pydispatch.claims import Claims
from pydispatch.leader import Leader
from pydispatch.liveness import Liveness
from pydispatch.notifications import Notifications
from pydispatch.payloads import Payloads
from pydispatch.queries import QUERIES
from pydispatch.reports import Kind, Report, ReportBatcher
from pydispatch.retries import RetryWakes
from pydispatch.schema import check_schema
from pydispatch.services import DispatcherService, RunsService
from pydispatch.session import Session
from pydispatch.settings import DispatcherSettings
from pydispatch.streams import Streams
from pydispatch.telemetry import DispatcherTelemetry
from pydispatch.tenancy import TenantSettings
from pydispatch.tokens import Tokens
from pydispatch.tracing import Tracing
from pyworker import home
from pyworker.logs import setup_logging
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from pyworker.rpc import MAX_MESSAGE_BYTES

log = logging.getLogger("hewer.dispatcher")


class Dispatcher:
    """A running dispatcher: start(), then stop(). Not restartable."""

    def __init__(self, settings: DispatcherSettings) -> None:
        self.settings = settings
        self.port = 0
        self.conninfo = ""
        self._pool_obj: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None
        self._server: grpc.aio.Server | None = None
        self._batcher_obj: ReportBatcher | None = None
        self._leader: Leader | None = None
        self._closing = asyncio.Event()
        self._hurry = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self.tenants = TenantSettings()
        self.streams = Streams(self)
        self.claims_loops = Claims(self)
        self.notifications = Notifications(self)
        self.liveness = Liveness(self)
        self.cancels = Cancels(self)
        self.tokens = Tokens(self)
        self.telemetry = DispatcherTelemetry(self)
        self.tracing = Tracing("hewer-dispatcher")
        self.retry_wakes = RetryWakes(self)
        # Large payloads in object storage: outputs, inputs and events put there, references
        # resolved for workers and clients (docs/payloads.md).
        self.payloads = Payloads()

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

    @property
    def claims(self) -> int:
        """task_claim calls made (for tests and metrics)."""
        return self.claims_loops.count

    @property
    def revoked_tokens(self) -> set[uuid.UUID]:
        return self.tokens.revoked

    def connected_workers(self) -> list[uuid.UUID]:
        """Workers with an open stream to this dispatcher."""
        return list(self.streams.sessions)

    # -- what the gRPC services use ------------------------------------------------------------

    def _applied(self, kind: Kind, reports: Sequence[Report], rows: Sequence[DictRow]) -> None:
        """After each report call: metrics, and timers for the retries it scheduled."""
        self.telemetry.applied(kind, reports, rows)
        self.retry_wakes.applied(kind, reports, rows)

    def attach(self, s: Session) -> None:
        self.streams.attach(s)

    def detach(self, s: Session) -> None:
        self.streams.detach(s)

    async def read_stream(self, s: Session, requests: AsyncIterator[pb.WorkerMessage]) -> None:
        await self.streams.read(s, requests)

    def run_waiter(self, run_id: uuid.UUID) -> contextlib.AbstractContextManager[asyncio.Event]:
        return self.notifications.run_waiter(run_id)

    def token_in_use(self, token_id: uuid.UUID | None) -> contextlib.AbstractContextManager[None]:
        return self.tokens.using(token_id)

    def tokens_revoked(self, token_ids: set[uuid.UUID]) -> None:
        self.tokens.revoke(token_ids)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> int:
        """Check the schema, connect, start the loops and the gRPC server; the bound port."""
        url = self.settings.database_url
        if not url:
            url = await asyncio.to_thread(db.database_url)
        self.conninfo = url
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
        listener = await self.notifications.connect()
        self._batcher_obj = ReportBatcher(
            pool,
            size=self.settings.report_batch_size,
            delay=self.settings.report_batch_delay,
            on_release=lambda s: s.wake.set(),
            tenants=self.tenants,
            on_applied=self._applied,
            payloads=self.payloads,
        )
        self.tracing.start()
        self._leader = Leader(url, self.settings, tracing=self.tracing, payloads=self.payloads)
        self.telemetry.start()
        self._tasks = [
            asyncio.create_task(self.notifications.run(listener), name="hewer-listen"),
            asyncio.create_task(self._batcher_obj.run(), name="hewer-reports"),
            asyncio.create_task(self.liveness.run(), name="hewer-heartbeat"),
            asyncio.create_task(self.cancels.run(), name="hewer-cancel"),
            asyncio.create_task(self.tokens.run(), name="hewer-tokens"),
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
        sessions = self.streams.sessions
        log.info("dispatcher stopping", extra={"workers": len(sessions), "grace": grace})
        self._closing.set()
        self.notifications.wake_runs(None)
        for s in list(sessions.values()):
            s.error(
                codes.SHUTTING_DOWN,
                "this dispatcher is shutting down: finish or drop this stream, then Register "
                "(with your worker_id) and Listen on another dispatcher",
            )
            s.wake.set()
        # Let workers end their streams (their reports are still applied meanwhile).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await _first_of(self.streams.gone, self._hurry)
        await asyncio.gather(*(self.streams.end(s) for s in list(sessions.values())))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await self.streams.gone.wait()
        if self._server is not None:
            await self._server.stop(grace=1.0)
        await self._release_resources()
        log.info("dispatcher stopped", extra={"dispatcher_id": self.settings.dispatcher_id})
        self._stopped.set()

    async def _release_resources(self) -> None:
        # The batcher and the leader finish on their own after close()/stop(); the rest
        # are cancelled.
        background = list(self._tasks)
        for task in background:
            if task.get_name() in ("hewer-reports", "hewer-leader"):
                continue
            task.cancel()
        claimers = list(self.claims_loops.tasks)
        for task in claimers:
            task.cancel()
        if self._batcher_obj is not None:
            await self._batcher_obj.close()
        if self._leader is not None:
            self._leader.stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await asyncio.gather(*background, *claimers, return_exceptions=True)
        if self._server is not None:
            await self._server.stop(grace=0)
        await self.telemetry.stop()
        await self.retry_wakes.close()
        await asyncio.to_thread(self.tracing.stop)
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
        tenant: uuid.UUID | None,
    ) -> list[DictRow]:
        """Run the named query of queries.sql on a pool connection, acting for `tenant`
        (None: a query that does not depend on the tenant; there is no default, so no
        call acts for a tenant it did not name); all its rows."""
        async with self._pool.connection() as conn:
            if tenant is not None:
                await self.tenants.use(conn, tenant)
            cur = await conn.execute(QUERIES[name], params)
            return await cur.fetchall()

    async def offload(self, tenant: uuid.UUID, kind: str, text: str) -> str:
        """The JSON text to store for a payload of the tenant: a reference to it in the payload
        store when it is large enough (docs/payloads.md), else the text itself."""
        if not self.payloads.may_offload(text):
            return text
        async with self._pool.connection() as conn:
            return await self.payloads.offload(conn, tenant, kind, text)

    async def resolve(self, tenant: uuid.UUID, texts: Sequence[str]) -> list[str]:
        """JSON texts with every payload reference in them replaced by its payload, read for
        the tenant (a reference to an object no row of the tenant holds is PayloadError)."""
        answers = await self.resolve_each(tenant, texts)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return [a for a in answers if isinstance(a, str)]

    async def resolve_each(
        self, tenant: uuid.UUID, texts: Sequence[str]
    ) -> list[str | BaseException]:
        """resolve() of each text on its own, on one pool connection: the text, or what
        made it fail."""
        if not any(payloads.MARKER in t for t in texts):
            return list(texts)
        # The same text once: the tasks of a fan-out carry the same run input.
        unique = [t for t in dict.fromkeys(texts) if payloads.MARKER in t]
        async with self._pool.connection() as conn:
            answers = await asyncio.gather(
                *(self.payloads.resolve_text(conn, tenant, t) for t in unique),
                return_exceptions=True,
            )
        done = dict(zip(unique, answers, strict=True))
        return [done.get(t, t) for t in texts]


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
    setup_logging(settings.log_level, log_format=settings.log_format)
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
        port = await dispatcher.start()
        # The home's commands (hewer run, runs, worker) find this dispatcher without flags.
        host = settings.listen.rsplit(":", 1)[0]
        if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 - a wildcard: reach it locally
            host = "127.0.0.1"
        home.advertise_dispatcher(f"{host}:{port}")
        try:
            await stop.wait()
        finally:
            home.withdraw_dispatcher()
            await dispatcher.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


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
