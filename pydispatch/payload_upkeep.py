"""The payload lifecycle (docs/payloads.md): the leader's offloader and collector.

Offloader: a large payload written inline (through SQL, or while offload was off) is queued
in hewer.payload_candidates by a row trigger. Once its owner is done (a task or run
finished, an event older than a minute and so routed) a pass uploads the column's JSON text
and swaps the column for the reference in one short transaction (hewer.payload_swap: only
if the column still holds those bytes; the history guard lets exactly that through). A
failed upload puts the item off and the pass goes on; each pass is bounded (items, bytes).

Collector: hewer.payload_refs_prune forgets references whose row is gone (a partition
dropped) or holds another payload now, and the objects no reference holds are deleted at
once; then the store is listed and every object older than the grace that no reference
holds is deleted (an upload whose transaction rolled back, a dispatcher that died between
upload and commit). Keys are never reused, so the grace only has to cover the time from an
upload to its commit.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import obstore
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch.payloads import QUERIES, Payloads

log = logging.getLogger("hewer.payloads")

#: Owner tables in the order the backfill scans them.
OWNER_TABLES: Final = ("runs", "tasks", "events")
# Keys the collector may delete: the shape new_key() makes (anything else in the store's
# prefix is not Hewer's and is left alone).
_KEY: Final = re.compile(
    r"^[0-9a-f-]{36}/(input|output|event)/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.json$"
)
# Keys asked about, and deleted, per round trip.
_KEYS_PER_CALL: Final = 1000


@dataclass
class OffloadStats:
    """What offload passes did."""

    moved: int = 0  # payloads swapped for a reference
    bytes: int = 0  # their size
    failed: int = 0  # uploads or swaps that failed (tried again later)
    changed: int = 0  # rows whose payload changed or went while it was uploaded
    passes: int = 0


@dataclass
class CollectStats:
    """What collections did."""

    freed: int = 0  # objects whose last reference was pruned (deleted at once)
    objects_deleted: int = 0  # objects deleted from the store (those too)
    objects_listed: int = 0  # objects the store listed
    passes: int = 0


class Offloader:
    """Moves large inline payloads of finished owners to the object store, a bounded pass
    at a time."""

    def __init__(
        self,
        payloads: Payloads,
        *,
        batch: int = 50,
        max_bytes: int = 256 << 20,
        retry: float = 60.0,
        event_age: float = 60.0,
    ) -> None:
        self.payloads = payloads
        self.batch = batch
        self.max_bytes = max_bytes
        self.retry = retry
        self.event_age = event_age
        self.stats = OffloadStats()

    async def run_pass(self, conn: AsyncConnection[DictRow]) -> int:
        """One pass: at most `batch` items and about `max_bytes`; the payloads moved. `conn`
        is in autocommit (each statement its own transaction). Does nothing when offload is
        off (HEWER_PAYLOAD_OFFLOAD=off)."""
        if not self.payloads.offload_enabled:
            return 0
        cur = await conn.execute(
            QUERIES["payload_offload_due"],
            {
                "limit": self.batch,
                "retry": timedelta(seconds=self.retry),
                "event_age": timedelta(seconds=self.event_age),
            },
        )
        due = await cur.fetchall()
        self.stats.passes += 1
        moved = 0
        spent = 0
        for item in due:
            if spent >= self.max_bytes:
                break  # the rest were put off by `retry`; a later pass takes them
            try:
                size = await self._one(conn, item)
            except Exception as exc:
                # One bad item never stops the rest: it is tried again after `retry`.
                if _connection_lost(conn):
                    raise
                self.stats.failed += 1
                log.warning(
                    "payload offload failed; tried again later",
                    extra={
                        "owner_table": item["owner_table"],
                        "owner_id": str(item["owner_id"]),
                        "error": f"{type(exc).__name__}: {exc}",
                    },
                )
                continue
            if size is not None:
                moved += 1
                spent += size
        return moved

    async def _one(self, conn: AsyncConnection[DictRow], item: dict[str, Any]) -> int | None:
        params = {"owner_table": item["owner_table"], "owner_id": item["owner_id"]}
        cur = await conn.execute(QUERIES["payload_text"], params)
        row = await cur.fetchone()
        text = row["text"] if row else None
        if text is None:
            self.stats.changed += 1
            return None
        data = text.encode()
        ref = await self.payloads.put(item["tenant_id"], item["kind"], data)
        try:
            cur = await conn.execute(QUERIES["payload_swap"], {**params, "ref": ref.text()})
            swapped = await cur.fetchone()
        except BaseException:
            await _delete(self.payloads, [ref.key])
            raise
        if not (swapped and swapped["swapped"]):
            # The row went or holds another payload now: the object is no one's.
            self.stats.changed += 1
            await _delete(self.payloads, [ref.key])
            return None
        self.stats.moved += 1
        self.stats.bytes += len(data)
        log.info(
            "payload offloaded",
            extra={
                "owner_table": item["owner_table"],
                "owner_id": str(item["owner_id"]),
                "key": ref.key,
                "bytes": len(data),
            },
        )
        return len(data)

    async def backfill(self, conn: AsyncConnection[DictRow], *, batch: int = 1000) -> int:
        """Queue as candidates the large inline payloads already stored (before migration 19,
        or while the trigger's threshold was higher), scanning each table in id order in
        batches of `batch` rows; the candidates queued."""
        queued = 0
        for table in OWNER_TABLES:
            after: uuid.UUID | None = None
            while True:
                cur = await conn.execute(
                    QUERIES["payload_backfill"],
                    {"owner_table": table, "after": after, "limit": batch},
                )
                row = await cur.fetchone()
                if row is None:
                    break
                queued += int(row["queued"])
                after = row["last_id"]
                if after is None:
                    break
        return queued


class Collector:
    """Deletes objects no row refers to: at once those whose references it prunes, and by
    listing the store those older than the grace."""

    def __init__(self, payloads: Payloads, *, grace: float = 3600.0) -> None:
        self.payloads = payloads
        self.grace = grace
        self.stats = CollectStats()

    async def prune(self, conn: AsyncConnection[DictRow]) -> int:
        """Forget the references no row holds any more (a dropped partition's, a replaced
        payload's) and delete the objects no reference holds now; the objects deleted."""
        cur = await conn.execute(QUERIES["payload_refs_prune"])
        rows = await cur.fetchall()
        self.stats.freed += len(rows)
        keys = [row["key"] for row in rows]
        await _delete(self.payloads, keys)
        self.stats.objects_deleted += len(keys)
        return len(keys)

    async def collect(
        self,
        conn: AsyncConnection[DictRow],
        *,
        grace: float | None = None,
        tenants: Iterable[uuid.UUID] | None = None,
    ) -> int:
        """A whole collection: prune(), then list the store (each tenant's prefix in
        `tenants`, else all of it) and delete the objects older than the grace that no
        reference holds; the objects deleted."""
        deleted = await self.prune(conn)
        cutoff = datetime.now(UTC) - timedelta(seconds=self.grace if grace is None else grace)
        prefixes: list[str | None] = [f"{t}/" for t in tenants] if tenants is not None else [None]
        for prefix in prefixes:
            old: list[str] = []
            async for chunk in obstore.list(self.payloads.store, prefix, chunk_size=_KEYS_PER_CALL):
                self.stats.objects_listed += len(chunk)
                old.extend(
                    meta["path"]
                    for meta in chunk
                    if meta["last_modified"] <= cutoff and _KEY.match(meta["path"])
                )
                while len(old) >= _KEYS_PER_CALL:
                    deleted += await self._unheld(conn, old[:_KEYS_PER_CALL])
                    del old[:_KEYS_PER_CALL]
            if old:
                deleted += await self._unheld(conn, old)
        self.stats.passes += 1
        return deleted

    async def _unheld(self, conn: AsyncConnection[DictRow], keys: list[str]) -> int:
        cur = await conn.execute(QUERIES["payload_keys_held"], {"keys": keys})
        held = {row["key"] for row in await cur.fetchall()}
        orphans = [k for k in keys if k not in held]
        if orphans:
            await _delete(self.payloads, orphans)
            self.stats.objects_deleted += len(orphans)
            log.info("deleted unreferenced payload objects", extra={"objects": len(orphans)})
        return len(orphans)


async def _delete(payloads: Payloads, keys: list[str]) -> None:
    """Delete objects; one already gone is fine."""
    for start in range(0, len(keys), _KEYS_PER_CALL):
        chunk = keys[start : start + _KEYS_PER_CALL]
        try:
            await obstore.delete_async(payloads.store, chunk)
        except FileNotFoundError:
            for key in chunk:  # the local store stops at the first missing one
                with contextlib.suppress(FileNotFoundError):
                    await obstore.delete_async(payloads.store, key)


def _connection_lost(conn: AsyncConnection[Any]) -> bool:
    return conn.closed or conn.broken


async def status(conn: AsyncConnection[DictRow]) -> list[dict[str, Any]]:
    """Per tenant: references, objects, bytes, candidates (all and due)."""
    cur = await conn.execute(QUERIES["payload_status"])
    return list(await cur.fetchall())


async def prune_at(conninfo: str, payloads: Payloads | None = None) -> int:
    """Collector.prune() on a connection of its own (after a partition drop); the objects
    deleted."""
    collector = Collector(payloads or Payloads())
    async with await AsyncConnection.connect(
        conninfo, autocommit=True, row_factory=dict_row
    ) as conn:
        return await collector.prune(conn)
