"""Leader-elected maintenance: of all dispatchers on a database, one reaps, makes partitions,
routes events, fires cron ticks and scheduled runs (pydispatch/events.py), and moves large
payloads to the object store and collects the objects no row refers to
(pydispatch/payload_upkeep.py).

Leadership is a lease row (hewer.leases, name 'maintenance'), renewed on every pass of the
maintenance loop with hewer.lease_acquire: no tenant role may read, lock or write that table, so
unlike an advisory lock no tenant can take leadership or keep a dispatcher from taking it. A leader
whose connection drops stops acting at once; its lease lapses after `leader_lease` seconds and a
follower (each tries every reap interval) takes over. A leader that stops releases it.

The loop trusts nothing a tenant can shape: every statement runs under lock_timeout and
statement_timeout, each step (partitions, routing, ticks, reaping) is tried on its own and any
exception in it is logged with its traceback and retried on a later pass, and each item within a
step (an event, a cron, a schedule, a wait) fails alone, to be retried with backoff and then
quarantined (hewer.item_failed, hewer quarantine list|release).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch import olap
from pydispatch.db import connection_lost
from pydispatch.events import Retry, Router, Ticker
from pydispatch.payload_upkeep import Collector, Offloader
from pydispatch.payloads import Payloads
from pydispatch.queries import QUERIES
from pydispatch.settings import DispatcherSettings
from pydispatch.tracing import Tracing

log = logging.getLogger("hewer.leader")

#: The lease row of the maintenance leader.
# How soon the leader notices stop() while it waits for events (seconds).
_STOP_SLICE = 0.2
LEASE: Final = "maintenance"

# Detect a dead server or network on the leader's TCP connection within ~30 s
# (libpq ignores these on unix sockets, where the kernel reports it at once).
_KEEPALIVES: Final[dict[str, Any]] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 4,
}


# The least a new leader waits before its first reap (see _contend).
FIRST_REAP_DELAY: Final = 2.0

# A failed partition step is tried again this soon, not a whole partition_interval later.
_PARTITION_RETRY: Final = 60.0

# Analytics feed events per pass (about): a backlog drains over passes, never stalling the
# other steps or the dispatcher's streams, which share the leader's event loop.
_FEED_EVENTS: Final = 5000


class Leader:
    """Runs hewer.reap every reap interval and hewer.partition_create hourly, while leader."""

    def __init__(
        self,
        conninfo: str,
        settings: DispatcherSettings,
        *,
        tracing: Tracing | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._stop = asyncio.Event()
        self._holder = settings.dispatcher_id
        self.is_leader = False
        self.reaped = 0  # tasks reaped while leader (for tests and metrics)
        self.reap_passes = 0
        self.step_failures = 0  # steps that raised (for tests and metrics)
        retry = Retry(settings.item_backoff, settings.quarantine_after)
        self.ticker = Ticker(settings.cron_grace, retry)
        # The analytics feed (pydispatch/olap.py), a few batches a pass.
        self.feeder = (
            olap.Feeder(olap.store_url(conninfo), tracing=tracing) if olap.feed_enabled() else None
        )
        # The payload lifecycle (docs/payloads.md): offload passes and collections.
        store = payloads if payloads is not None else Payloads()
        self.router = Router(
            settings.event_batch_size, settings.event_visibility_timeout, retry, payloads=store
        )
        self.offloader = Offloader(
            store,
            batch=settings.payload_offload_batch,
            max_bytes=settings.payload_offload_bytes,
            retry=max(60.0, settings.payload_offload_interval),
        )
        self.collector = Collector(store, grace=settings.payload_gc_grace)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Contend for leadership until stop(); release the lease on the way out."""
        while not self._stop.is_set():
            try:
                conn = await AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=dict_row,
                    application_name="hewer-dispatcher-leader",
                    options=_timeouts(self._settings),
                    **_KEEPALIVES,
                )
            except psycopg.Error as exc:
                log.warning("leader connection failed", extra={"error": str(exc)})
                await self._sleep(self._settings.reap_interval)
                continue
            try:
                await self._contend(conn)
            except psycopg.Error as exc:
                if not connection_lost(exc):
                    log.exception("maintenance loop failed; starting over")
                elif self.is_leader:
                    log.warning("lost maintenance leadership", extra={"error": str(exc)})
            except Exception:
                # Nothing a tenant sends may end the loop: log it, start over on a new connection.
                log.exception("maintenance loop failed; starting over")
            finally:
                await self._release(conn)
            await self._sleep(self._settings.reap_interval)

    async def _contend(self, conn: AsyncConnection[DictRow]) -> None:
        next_partitions = 0.0
        first_reap = 0.0
        next_reap = 0.0
        next_offload = 0.0
        next_collect = 0.0
        pause = min(self._settings.reap_interval, self._settings.event_interval)
        while not self._stop.is_set():
            held = await self._lease(conn)
            if held and not self.is_leader:
                self.is_leader = True
                # A new leader may come after a database outage that also stopped every
                # dispatcher's worker heartbeats. Each dispatcher retries its heartbeat
                # connection every heartbeat interval (not on the pool's growing backoff),
                # so give them a few intervals to land before declaring anyone dead.
                first_reap = time.monotonic() + max(
                    3 * self._settings.heartbeat_interval, FIRST_REAP_DELAY
                )
                # push_event notifies: route at once instead of at the next poll.
                await conn.execute(QUERIES["listen_events"])
                log.info("became maintenance leader")
            elif not held and self.is_leader:
                self.is_leader = False
                await conn.execute(QUERIES["unlisten_events"])
                log.warning("lost maintenance leadership: the lease is another dispatcher's")
            if self.is_leader:
                if time.monotonic() >= next_partitions:
                    ok = await self._step("partitions", self._partitions(conn))
                    next_partitions = time.monotonic() + (
                        self._settings.partition_interval if ok else _PARTITION_RETRY
                    )
                await self._step("event routing", self.router.drain(conn))
                if self.feeder is not None:
                    feed = self.feeder.drain(conn, max_events=_FEED_EVENTS)
                    await self._step("analytics feed", feed)
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + self._settings.reap_interval
                    # Independent steps: a failing tick never keeps the reap from running.
                    await self._step("cron tick", self.ticker.tick(conn))
                    if time.monotonic() >= first_reap:
                        await self._step("reap", self._reap(conn))
                if time.monotonic() >= next_offload:
                    next_offload = time.monotonic() + self._settings.payload_offload_interval
                    await self._step("payload offload", self.offloader.run_pass(conn))
                if time.monotonic() >= next_collect:
                    # Not at once on becoming leader: listing a big store is not free.
                    if next_collect > 0:
                        await self._step("payload collection", self.collector.collect(conn))
                    next_collect = time.monotonic() + self._settings.payload_gc_interval
                await self._wait_events(conn, pause)
            else:
                await self._sleep(self._settings.reap_interval)

    async def _lease(self, conn: AsyncConnection[DictRow]) -> bool:
        """Take or renew the maintenance lease; whether this dispatcher holds it."""
        cur = await conn.execute(
            QUERIES["lease_acquire"],
            {
                "name": LEASE,
                "holder": self._holder,
                "ttl": timedelta(seconds=self._settings.leader_lease),
            },
        )
        row = await cur.fetchone()
        return bool(row and row["held"])

    async def _step(self, what: str, work: Awaitable[Any]) -> bool:
        """Run one step of the loop; any failure but a lost connection is logged and survived."""
        try:
            await work
        except psycopg.Error as exc:
            if connection_lost(exc):
                raise
            self.step_failures += 1
            log.exception(f"{what} failed; retried on a later pass")
            return False
        except Exception:
            self.step_failures += 1
            log.exception(f"{what} failed; retrying on a later pass")
            return False
        return True

    async def _wait_events(self, conn: AsyncConnection[DictRow], seconds: float) -> None:
        """Sleep until a hewer_events notification or `seconds` (the poll that backs it up)."""
        # In slices, so that stop() ends the wait within one (a dispatcher that exits waits
        # for this loop); a slice only waits on the socket, it sends nothing.
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            async for _ in conn.notifies(timeout=min(left, _STOP_SLICE), stop_after=1):
                break
            else:
                continue
            break
        if self._stop.is_set():
            return
        # A notification is only a wake-up: one pass routes whatever is queued. Drop the rest.
        async for _ in conn.notifies(timeout=0.001, stop_after=10000):
            pass

    async def _reap(self, conn: AsyncConnection[DictRow]) -> None:
        cur = await conn.execute(
            QUERIES["reap"],
            {
                "worker_timeout": timedelta(seconds=self._settings.worker_timeout),
                "disconnect_grace": timedelta(seconds=self._settings.disconnect_grace),
            },
        )
        rows = await cur.fetchall()
        self.reap_passes += 1
        self.reaped += len(rows)
        for row in rows:
            log.info(
                "reaped task",
                extra={
                    "task_id": str(row["task_id"]),
                    "attempt": row["attempt"],
                    "cause": row["cause"],
                    "outcome": row["outcome"],
                },
            )

    async def _partitions(self, conn: AsyncConnection[DictRow]) -> None:
        cur = await conn.execute(QUERIES["partition_create"])
        rows = await cur.fetchall()
        for row in rows:
            log.info(
                "created partition",
                extra={"table": row["table_name"], "partition": row["partition"]},
            )

    async def _release(self, conn: AsyncConnection[DictRow]) -> None:
        if self.is_leader and not conn.closed:
            with contextlib.suppress(psycopg.Error):
                await conn.execute(
                    QUERIES["lease_release"], {"name": LEASE, "holder": self._holder}
                )
            log.info("released maintenance leadership")
        self.is_leader = False
        with contextlib.suppress(psycopg.Error):
            await conn.close()
        if self.feeder is not None:
            with contextlib.suppress(psycopg.Error):
                await self.feeder.close()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()


def _timeouts(settings: DispatcherSettings) -> str:
    """libpq options: the leader's lock_timeout and statement_timeout, in milliseconds."""
    lock_ms = int(settings.leader_lock_timeout * 1000)
    statement_ms = int(settings.leader_statement_timeout * 1000)
    return f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}"
