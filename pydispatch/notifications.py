"""Notifications: one LISTEN connection per dispatcher, routing hints to the loops.

Channels: hewer_ready (claimable work: wakes the claim loops of the streams whose tenant and
actions the payload's tags name), hewer_cancel (the cancel loop), hewer_run_done and
hewer_output (Wait, Watch and Output calls on those runs) and hewer_tokens (a token check). A
notification is a hint, never authority: any login may send one, so it only wakes loops that
then ask the database.
The connection is re-made when lost, and then everything is woken, in case a hint was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row

from pydispatch.queries import QUERIES

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")

# Notification payloads are at most 8000 bytes in PostgreSQL; anything longer is not ours.
MAX_PAYLOAD: Final = 8000


class Notifications:
    """The LISTEN connection of one dispatcher and the waiters it wakes."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self._run_waiters: dict[uuid.UUID, set[asyncio.Event]] = {}

    async def connect(self) -> AsyncConnection[DictRow]:
        conn = await AsyncConnection.connect(
            self.core.conninfo,
            autocommit=True,
            row_factory=dict_row,
            application_name="hewer-dispatcher-listen",
        )
        await conn.execute(QUERIES["listen"])
        return conn

    async def run(self, conn: AsyncConnection[DictRow] | None) -> None:
        """Route notifications; reconnect (and wake everything, in case one was missed)."""
        backoff = 0.1
        while True:
            try:
                if conn is None:
                    conn = await self.connect()
                    log.info("LISTEN connection restored")
                    self.wake_everything()
                backoff = 0.1
                async for note in conn.notifies():
                    self.route(note.channel, note.payload)
            except psycopg.Error as exc:
                log.warning("LISTEN connection lost", extra={"error": str(exc)})
            finally:
                if conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        await conn.close()
                conn = None
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.core.settings.poll_interval)

    def route(self, channel: str, payload: str) -> None:
        """A notification is a hint, never authority: any login may send one. It only wakes
        loops that then ask the database (claims, cancellations, runs, tokens); payloads carry
        tags (hewer.notify_tag), never names or ids; nothing of it is kept."""
        core = self.core
        if len(payload) > MAX_PAYLOAD:
            payload = ""  # no PostgreSQL payload is this long; treat it as "could be anything"
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        sessions = core.streams.sessions
        if channel == "hewer_ready":
            tags = _tags(data.get("tags"))
            tenant = data.get("tenant")
            for s in sessions.values():
                if tags is None:
                    if not isinstance(tenant, str) or tenant == notify_tag(str(s.tenant)):
                        s.wake.set()
                elif any(notify_tag(f"{s.tenant}:{a}") in tags for a in s.actions):
                    s.wake.set()
        elif channel == "hewer_cancel":
            workers = _tags(data.get("workers"))
            if workers is None or any(notify_tag(str(w)) in workers for w in sessions):
                core.cancels.wake()
        elif channel in ("hewer_run_done", "hewer_output"):
            runs = _tags(data.get("runs"))
            self.wake_runs(
                None
                if runs is None
                else [r for r in self._run_waiters if notify_tag(str(r)) in runs]
            )
        elif channel == "hewer_tokens":
            core.tokens.check_soon()  # checked against the database, at most every second

    def wake_everything(self) -> None:
        for s in self.core.streams.sessions.values():
            s.wake.set()
        self.core.cancels.wake()
        self.wake_runs(None)

    def wake_runs(self, run_ids: list[uuid.UUID] | None) -> None:
        """Wake the Wait and Watch calls on these runs (None: on every run)."""
        if run_ids is None:
            waiters = [e for events in self._run_waiters.values() for e in events]
        else:
            waiters = [e for r in run_ids for e in self._run_waiters.get(r, ())]
        for event in waiters:
            event.set()

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
