"""Liveness: silent streams ended, connected workers' heartbeats written to the database.

Every heartbeat interval, streams silent for the worker timeout are ended; every
db_heartbeat_interval, one hewer.worker_heartbeat call per tenant for the live workers, and
a check that their tokens are still valid (in case a hewer_tokens notification was lost).
A worker the database has declared dead has its stream ended, to register again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import grpc
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch import session as codes
from pydispatch.queries import QUERIES
from pydispatch.session import Session
from pydispatch.tenancy import by_tenant

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")


class Liveness:
    """The heartbeat loop of one dispatcher."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core

    def live_sessions(self, now: float) -> list[Session]:
        """Sessions heard from lately; streams silent for the worker timeout are ended."""
        settings = self.core.settings
        live: list[Session] = []
        for s in list(self.core.streams.sessions.values()):
            if s.alive(now, settings.silence_limit):
                live.append(s)
            elif not s.alive(now, settings.worker_timeout):
                message = (
                    f"no message from worker {s.worker_id} for "
                    f"{settings.worker_timeout:g} s: send a heartbeat every "
                    f"{settings.heartbeat_interval:g} s"
                )
                s.error(codes.SILENT, message)
                s.end((grpc.StatusCode.DEADLINE_EXCEEDED, message))
        return live

    async def run(self) -> None:
        """Every heartbeat interval: end silent streams; every db_heartbeat_interval, one
        hewer.worker_heartbeat call per tenant for its live workers, and a check that the
        streams' tokens are still valid (in case a hewer_tokens notification was lost)."""
        core = self.core
        settings = core.settings
        interval = settings.heartbeat_interval
        next_beat = 0.0
        # Its own connection, retried every interval: after a database outage the pool
        # reconnects with a growing backoff, and workers the leader sees silent for the
        # worker timeout are declared dead. Heartbeats must resume as soon as they can.
        conn: AsyncConnection[DictRow] | None = None
        try:
            while True:
                await asyncio.sleep(interval)
                now = time.monotonic()
                live = self.live_sessions(now)
                if not live or now < next_beat:
                    continue
                try:
                    if conn is None or conn.closed:
                        conn = await AsyncConnection.connect(
                            core.conninfo,
                            autocommit=True,
                            row_factory=dict_row,
                            application_name="hewer-dispatcher-heartbeat",
                            connect_timeout=max(2, int(interval * 2)),
                        )
                    rows = []
                    for tenant, group in by_tenant(live, lambda s: s.tenant).items():
                        await core.tenants.use(conn, tenant)
                        cur = await conn.execute(
                            QUERIES["worker_heartbeat"],
                            {"worker_ids": [s.worker_id for s in group]},
                        )
                        rows += await cur.fetchall()
                    await core.tokens.check(conn, live)
                except psycopg.Error as exc:
                    log.warning("worker heartbeat failed", extra={"error": str(exc)})
                    if conn is not None:
                        with contextlib.suppress(psycopg.Error):
                            await conn.close()
                    conn = None
                    continue  # retry at the next interval, not the next db_heartbeat_interval
                next_beat = now + settings.db_heartbeat_interval - interval / 2
                for row in rows:
                    if row["status"] in (None, "dead"):
                        s2 = core.streams.sessions.get(row["worker_id"])
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
