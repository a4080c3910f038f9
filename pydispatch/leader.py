"""Leader-elected maintenance: of all dispatchers on a database, one reaps, makes partitions,
routes events and fires cron ticks and scheduled runs (pydispatch/events.py).

Leadership is a session advisory lock (pg_try_advisory_lock) held on a dedicated
connection, and the maintenance calls run on that same connection: if it drops,
PostgreSQL releases the lock, the calls fail here, and this dispatcher stops
acting as leader and tries again on a new connection, as every follower does each
reap interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch.events import Router, Ticker
from pydispatch.queries import QUERIES
from pydispatch.settings import DispatcherSettings

log = logging.getLogger("hewer.leader")

# pg_advisory_lock key of the maintenance leader: the bytes of "hewer-ld".
LEADER_LOCK_KEY: Final = int.from_bytes(b"hewer-ld", "big", signed=True)

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


class Leader:
    """Runs hewer.reap every reap interval and hewer.partition_create hourly, while leader."""

    def __init__(self, conninfo: str, settings: DispatcherSettings) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._stop = asyncio.Event()
        self.is_leader = False
        self.reaped = 0  # tasks reaped while leader (for tests and metrics)
        self.reap_passes = 0
        self.router = Router(settings.event_batch_size, settings.event_visibility_timeout)
        self.ticker = Ticker(settings.cron_grace)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Contend for leadership until stop(); release the lock on the way out."""
        while not self._stop.is_set():
            try:
                conn = await AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=dict_row,
                    application_name="hewer-dispatcher-leader",
                    **_KEEPALIVES,
                )
            except psycopg.Error as exc:
                log.warning("leader connection failed", extra={"error": str(exc)})
                await self._sleep(self._settings.reap_interval)
                continue
            try:
                await self._contend(conn)
            except psycopg.Error as exc:
                if self.is_leader:
                    log.warning("lost maintenance leadership", extra={"error": str(exc)})
                self.is_leader = False
            finally:
                await self._release(conn)
            await self._sleep(self._settings.reap_interval)

    async def _contend(self, conn: AsyncConnection[DictRow]) -> None:
        next_partitions = 0.0
        first_reap = 0.0
        next_reap = 0.0
        pause = min(self._settings.reap_interval, self._settings.event_interval)
        while not self._stop.is_set():
            if not self.is_leader:
                cur = await conn.execute(QUERIES["leader_try_lock"], {"key": LEADER_LOCK_KEY})
                row = await cur.fetchone()
                if row and row["locked"]:
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
            if self.is_leader:
                if time.monotonic() >= next_partitions:
                    await self._partitions(conn)
                    next_partitions = time.monotonic() + self._settings.partition_interval
                await self._route(conn)
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + self._settings.reap_interval
                    await self._tick(conn)
                    if time.monotonic() >= first_reap:
                        await self._reap(conn)
            if self.is_leader:
                await self._wait_events(conn, pause)
            else:
                await self._sleep(self._settings.reap_interval)

    async def _wait_events(self, conn: AsyncConnection[DictRow], seconds: float) -> None:
        """Sleep until a hewer_events notification or `seconds` (the poll that backs it up)."""
        if self._stop.is_set():
            return
        async for _ in conn.notifies(timeout=seconds, stop_after=1):
            break
        # One pass routes the events of every notification already received: drop those.
        async for _ in conn.notifies(timeout=0.001, stop_after=10000):
            pass

    async def _route(self, conn: AsyncConnection[DictRow]) -> None:
        try:
            await self.router.drain(conn)
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            log.error("event routing failed", extra={"error": str(exc)})

    async def _tick(self, conn: AsyncConnection[DictRow]) -> None:
        try:
            await self.ticker.tick(conn)
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            log.error("cron tick failed", extra={"error": str(exc)})

    async def _reap(self, conn: AsyncConnection[DictRow]) -> None:
        try:
            cur = await conn.execute(
                QUERIES["reap"],
                {"worker_timeout": timedelta(seconds=self._settings.worker_timeout)},
            )
            rows = await cur.fetchall()
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            log.error("reap failed", extra={"error": str(exc)})
            return
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
        try:
            cur = await conn.execute(QUERIES["partition_create"])
            rows = await cur.fetchall()
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            log.error("partition_create failed", extra={"error": str(exc)})
            return
        for row in rows:
            log.info(
                "created partition",
                extra={"table": row["table_name"], "partition": row["partition"]},
            )

    async def _release(self, conn: AsyncConnection[DictRow]) -> None:
        if self.is_leader and not conn.closed:
            with contextlib.suppress(psycopg.Error):
                await conn.execute(QUERIES["leader_unlock"], {"key": LEADER_LOCK_KEY})
            log.info("released maintenance leadership")
        self.is_leader = False
        with contextlib.suppress(psycopg.Error):
            await conn.close()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
