"""The analytics feed: task events from the core's pgmq queue hewer_olap into the store.

Every statement that writes task events also queues one message with them (migration 15), in
its own transaction, so the hot path never waits for the store and nothing committed is missed.
The feeder reads a batch of messages (hidden from other readers for `vt` seconds), turns the
events into facts (one row per run and per task attempt, joined with the run's workflow,
version and tags and the task's step and action, read from the core while they are there),
writes them to the store in one transaction, recomputes the minute rollups those facts touch,
and only then deletes the messages. Delivery is at least once: a feeder that dies between the
store's commit and the delete leaves the messages to be read again after `vt`. The store
makes that exactly once: facts are upserts that keep what they knew (the first event that
ended an attempt decides its outcome), and rollups are recomputed from the facts, never added
to.

pgmq rather than logical replication: the queue is already how events reach the router; it
needs no replication slot (which would hold WAL on the core while the store is away), no
`wal_level = logical` and no replication privilege, and it works on PostgreSQL 15 to 18 and
on managed servers alike. The store may be the core's database or another server
(HEWER_OLAP_DATABASE_URL); the leader runs the feed on every pass (`HEWER_OLAP_FEED=off`
turns it off), and `hewer olap feed` runs it on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch import paths
from pydispatch.db import array_literal
from pydispatch.tracing import FINISHED, Tracing
from pyworker.sqlfile import load

QUERIES: Final = load(Path(__file__).with_name("olap.sql"))

STORE_ENV: Final = "HEWER_OLAP_DATABASE_URL"
FEED_ENV: Final = "HEWER_OLAP_FEED"
#: Serializes feeders on the store (the leader's and `hewer olap feed` may both run).
_STORE_LOCK: Final = 0x6865_7765_725F_6F6C  # "hewer_ol"
#: Kinds that end an attempt.
ENDINGS: Final = frozenset(
    {"succeeded", "retrying", "failed", "execution_timeout", "worker_lost", "schedule_timeout",
     "cancelled"}
)  # fmt: skip
#: Retention is applied this often (seconds) by a running feeder.
RETENTION_EVERY: Final = 3600.0
#: Rollups of the minutes facts touched are recomputed at most this often (seconds): a busy
#: minute is recomputed every few seconds, not once per batch of its facts.
REFRESH_EVERY: Final = 5.0

log = logging.getLogger("hewer.olap")


class StoreError(RuntimeError):
    """The store failed (unreachable, or refused a write): the feed waits and tries again.
    Distinct from the core connection's errors, which the caller handles as its own."""


def store_url(core_url: str) -> str:
    """Where the store is: HEWER_OLAP_DATABASE_URL, else the core's database."""
    return os.environ.get(STORE_ENV) or core_url


def feed_enabled() -> bool:
    """Whether the leader runs the feed (HEWER_OLAP_FEED=off turns it off)."""
    return os.environ.get(FEED_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def store_sql() -> str:
    """The store's schema and functions (sql/olap/store.sql), safe to apply again."""
    return (paths.sql_dir() / "olap" / "store.sql").read_text(encoding="utf-8")


def _day(an_id: uuid.UUID) -> date:
    """The UTC day of a UUIDv7's time: the partition of its facts."""
    return datetime.fromtimestamp((an_id.int >> 80) / 1000, UTC).date()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass
class FeedStats:
    messages: int = 0
    events: int = 0
    attempts: int = 0
    runs: int = 0
    #: Events whose run or task rows were gone from the core (a dropped partition).
    skipped: int = 0
    batches: int = 0


@dataclass
class _Attempt:
    tenant_id: uuid.UUID
    task_id: uuid.UUID
    attempt: int
    run_id: uuid.UUID
    worker_id: uuid.UUID | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    error_type: str | None = None


@dataclass
class _Batch:
    attempts: dict[tuple[uuid.UUID, int], _Attempt] = field(default_factory=dict)
    runs: set[uuid.UUID] = field(default_factory=set)
    events: int = 0

    def attempt(self, event: dict[str, Any], number: int) -> _Attempt:
        task = uuid.UUID(event["task_id"])
        key = (task, number)
        if key not in self.attempts:
            self.attempts[key] = _Attempt(
                uuid.UUID(event["tenant_id"]), task, number, uuid.UUID(event["run_id"])
            )
        return self.attempts[key]

    def add(self, event: dict[str, Any]) -> None:
        """Fold one task event into the facts of its attempt (and the next one's queue time)."""
        self.events += 1
        self.runs.add(uuid.UUID(event["run_id"]))
        kind, number = event["kind"], int(event["attempt"])
        at = _time(event["created_at"])
        if event["status"] == "queued":
            # Claimable from now (a retry: from when its backoff ends): the next attempt's.
            nxt = self.attempt(event, number + 1)
            nxt.queued_at = nxt.queued_at or _time(event.get("retry_at")) or at
        if number < 1:
            return
        if kind == "assigned":
            one = self.attempt(event, number)
            one.assigned_at = one.assigned_at or at
            one.worker_id = one.worker_id or _uuid(event.get("worker_id"))
        elif kind == "started":
            one = self.attempt(event, number)
            one.started_at = one.started_at or at
        elif kind in ENDINGS:
            one = self.attempt(event, number)
            if one.outcome is None:
                one.outcome, one.finished_at = kind, at
                one.error_type = event.get("error_type") or event.get("cause")
            one.worker_id = one.worker_id or _uuid(event.get("worker_id"))


def _fold(messages: list[DictRow]) -> tuple[_Batch, int]:
    """The messages' events folded into facts; and how many were malformed (left out)."""
    batch = _Batch()
    malformed = 0
    for message in messages:
        body = message["message"]
        events = body.get("events") if isinstance(body, dict) else None
        for event in events if isinstance(events, list) else []:
            try:
                batch.add(event)
            except (KeyError, TypeError, ValueError) as exc:
                # One malformed event never stops the feed: it is left out, and said.
                malformed += 1
                log.warning(
                    "analytics feed: an event left out",
                    extra={"msg_id": message["msg_id"], "error": repr(exc)[:200]},
                )
    return batch, malformed


def _uuid(text: str | None) -> uuid.UUID | None:
    return None if text is None else uuid.UUID(text)


class Feeder:
    """Moves the feed into the store; `drain` is one pass (the leader calls it every pass)."""

    def __init__(
        self, store: str, *, batch: int = 20, vt: int = 30, tracing: Tracing | None = None
    ) -> None:
        self.store = store
        self.tracing = tracing  # exports the span of each run it sees end
        self.batch = batch
        self.vt = vt
        self.total = FeedStats()
        self._conn: AsyncConnection[DictRow] | None = None
        self._ready = False
        self._next_retention = 0.0
        self._next_refresh = 0.0
        self._dirty = True  # marks a previous feeder left are refreshed on the first pass
        self._retry_at = 0.0
        self._failures = 0

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
            self._ready = False

    async def _store(self) -> AsyncConnection[DictRow]:
        if self._conn is None or self._conn.closed:
            self._conn = await AsyncConnection.connect(
                self.store, autocommit=True, row_factory=dict_row, application_name="hewer-olap"
            )
            self._ready = False
        if not self._ready:
            async with self._conn.transaction():
                await self._conn.execute(QUERIES["store_lock"], {"key": _STORE_LOCK})
                await self._conn.execute(store_sql())
            self._ready = True
        return self._conn

    async def drain(
        self,
        core: AsyncConnection[DictRow],
        max_batches: int | None = None,
        max_events: int | None = None,
    ) -> FeedStats:
        """Feed batches until the queue is empty (or `max_batches`); after a failure of the
        store, wait (backing off to a minute) before trying again, so a store that is away
        costs the leader's loop nothing."""
        stats = FeedStats()
        if time.monotonic() < self._retry_at:
            return stats
        try:
            store = await self._store()
            while (max_batches is None or stats.batches < max_batches) and (
                max_events is None or stats.events < max_events
            ):
                cur = await core.execute(QUERIES["core_read"], {"vt": self.vt, "limit": self.batch})
                messages = await cur.fetchall()
                if not messages:
                    break
                await self._apply(core, store, messages, stats)
                await core.execute(QUERIES["core_delete"], {"ids": [m["msg_id"] for m in messages]})
                self._dirty = True
            if self._dirty and time.monotonic() >= self._next_refresh:
                await self._refresh(store)
            if time.monotonic() >= self._next_retention:
                cur = await store.execute(QUERIES["store_retention"])
                row = await cur.fetchone()
                if row and row["dropped"]:
                    log.info("analytics retention dropped partitions", extra=dict(row))
                self._next_retention = time.monotonic() + RETENTION_EVERY
        except psycopg.Error as exc:
            self._failures += 1
            self._retry_at = time.monotonic() + min(60.0, 0.5 * 2**self._failures)
            await self.close()
            if core.broken or core.closed:
                raise
            raise StoreError(
                f"the analytics feed failed ({type(exc).__name__}: {str(exc).strip()}); "
                f"trying again in {self._retry_at - time.monotonic():.0f} s"
            ) from exc
        self._failures = 0
        self._add(stats)
        return stats

    async def refresh(self) -> int:
        """Recompute the rollups of the minutes marked since the last refresh, now."""
        return await self._refresh(await self._store())

    async def _refresh(self, store: AsyncConnection[DictRow]) -> int:
        cur = await store.execute(QUERIES["store_refresh"])
        row = await cur.fetchone()
        self._dirty = False
        self._next_refresh = time.monotonic() + REFRESH_EVERY
        return int(row["minutes"]) if row else 0

    def _add(self, stats: FeedStats) -> None:
        for name in ("messages", "events", "attempts", "runs", "skipped", "batches"):
            setattr(self.total, name, getattr(self.total, name) + getattr(stats, name))

    async def _apply(
        self,
        core: AsyncConnection[DictRow],
        store: AsyncConnection[DictRow],
        messages: list[DictRow],
        stats: FeedStats,
    ) -> None:
        # Folding thousands of events is CPU work: off the event loop the leader shares.
        batch, malformed = await asyncio.to_thread(_fold, messages)
        stats.skipped += malformed
        cur = await core.execute(QUERIES["core_runs"], {"ids": array_literal(batch.runs)})
        runs = {r["run_id"]: r for r in await cur.fetchall()}
        tasks_wanted = list({a.task_id for a in batch.attempts.values()})
        cur = await core.execute(QUERIES["core_tasks"], {"ids": array_literal(tasks_wanted)})
        tasks = {t["task_id"]: t for t in await cur.fetchall()}
        facts = [a for a in batch.attempts.values() if a.run_id in runs and a.task_id in tasks]
        stats.skipped += len(batch.attempts) - len(facts)
        days = {_day(r) for r in runs} | {_day(a.task_id) for a in facts}
        async with store.transaction():
            await store.execute(QUERIES["store_lock"], {"key": _STORE_LOCK})
            for day in sorted(days):
                await store.execute(QUERIES["store_partitions"], {"day": day})
            ended: list[DictRow] = []
            if runs:
                rows = list(runs.values())
                if self.tracing is not None and self.tracing.enabled:
                    ended = await self._newly_finished(store, rows)
                await store.execute(
                    QUERIES["store_runs"],
                    {
                        "day": array_literal(_day(r["run_id"]) for r in rows),
                        "metadata": array_literal(json.dumps(r["metadata"]) for r in rows),
                        **{
                            k: array_literal(r[k] for r in rows)
                            for k in (
                                "tenant_id",
                                "run_id",
                                "workflow",
                                "version",
                                "status",
                                "parent_run_id",
                                "replay_of",
                                "created_at",
                                "started_at",
                                "finished_at",
                            )
                        },
                    },
                )
            if facts:
                await store.execute(
                    QUERIES["store_attempts"],
                    {
                        "day": array_literal(_day(a.task_id) for a in facts),
                        "workflow": array_literal(runs[a.run_id]["workflow"] for a in facts),
                        "version": array_literal(runs[a.run_id]["version"] for a in facts),
                        "step": array_literal(tasks[a.task_id]["step"] for a in facts),
                        "action": array_literal(tasks[a.task_id]["action"] for a in facts),
                        **{
                            k: array_literal(getattr(a, k) for a in facts)
                            for k in (
                                "tenant_id",
                                "task_id",
                                "attempt",
                                "run_id",
                                "worker_id",
                                "queued_at",
                                "assigned_at",
                                "started_at",
                                "finished_at",
                                "outcome",
                                "error_type",
                            )
                        },
                    },
                )
        # After the commit: a run's span is exported once its end is stored (a feeder that
        # dies in between loses that span; the facts stay exactly once).
        if ended and self.tracing is not None:
            for run in ended:
                self.tracing.run_finished(run)
        stats.batches += 1
        stats.messages += len(messages)
        stats.events += batch.events
        stats.attempts += len(facts)
        stats.runs += len(runs)

    @staticmethod
    async def _newly_finished(
        store: AsyncConnection[DictRow], rows: list[DictRow]
    ) -> list[DictRow]:
        """The runs of `rows` that have ended and whose end the store does not know yet."""
        done = [r for r in rows if r["status"] in FINISHED and r["finished_at"] is not None]
        if not done:
            return []
        cur = await store.execute(
            QUERIES["store_finished"],
            {"day": [_day(r["run_id"]) for r in done], "run_id": [r["run_id"] for r in done]},
        )
        known = {r["run_id"] for r in await cur.fetchall()}
        return [r for r in done if r["run_id"] not in known]


async def lag(core: AsyncConnection[DictRow]) -> tuple[int, float]:
    """(messages waiting, age of the oldest in seconds): how far the store is behind."""
    cur = await core.execute(QUERIES["core_depth"])
    row = await cur.fetchone()
    return (0, 0.0) if row is None else (int(row["messages"]), float(row["oldest_seconds"]))


async def feed_forever(
    core_url: str, feeder: Feeder, stop: asyncio.Event, interval: float = 1.0
) -> FeedStats:
    """`hewer olap feed`: drain, sleep `interval`, until `stop`; a lost connection is
    reconnected."""
    while not stop.is_set():
        try:
            async with await AsyncConnection.connect(
                core_url, autocommit=True, row_factory=dict_row, application_name="hewer-olap"
            ) as core:
                while not stop.is_set():
                    await feeder.drain(core)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), interval)
        except psycopg.Error as exc:
            log.warning("analytics feed failed; retrying", extra={"error": str(exc).strip()})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(30.0, interval * 5))
    await feeder.close()
    return feeder.total
