"""Retries claimed when their backoff ends, not at the next fallback poll.

A failure that puts a task back on the queue gives it a ready_at in the future; nothing
notifies when that time comes, so without this the task would wait for the claim loops'
poll (2 s by default) after its backoff. After a batch of failure reports, the dispatcher
reads when those tasks become claimable and wakes, at that moment, the claim loops of the
streams (of that tenant) that run their actions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from pydispatch.reports import Kind, Report

if TYPE_CHECKING:
    from psycopg.rows import DictRow

    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")

#: Wakes later than this are left to the poll (a backoff of minutes needs no timer).
MAX_DELAY: Final = 300.0


class RetryWakes:
    """Timers that wake claim loops when retried tasks become claimable."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self._lookups: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()

    def applied(self, kind: Kind, reports: Sequence[Report], rows: Sequence[DictRow]) -> None:
        """After a report call: for accepted failures, look up their retries (off the batch)."""
        if kind is not Kind.FAIL:
            return
        accepted = [reports[row["ord"] - 1] for row in rows if row["accepted"]]
        if not accepted:
            return
        lookup = asyncio.create_task(self._schedule(accepted))
        self._lookups.add(lookup)
        lookup.add_done_callback(self._lookups.discard)

    async def _schedule(self, reports: Sequence[Report]) -> None:
        tenant = reports[0].session.tenant
        try:
            rows = await self.core.fetch(
                "retry_ready", {"task_ids": [r.task_id for r in reports]}, tenant=tenant
            )
        except Exception as exc:  # noqa: BLE001 - the poll still finds the retries
            log.debug("could not read when retries are due", extra={"error": str(exc)})
            return
        loop = asyncio.get_running_loop()
        for row in rows:
            wait = float(row["wait_seconds"])
            if wait > MAX_DELAY:
                continue
            handle = loop.call_later(max(wait, 0.0) + 0.002, self._wake, tenant, row["action"])
            self._timers.add(handle)

    def _wake(self, tenant: uuid.UUID, action: str) -> None:
        self._timers = {t for t in self._timers if not t.cancelled() and t.when() > 0}
        for s in self.core.streams.sessions.values():
            if s.tenant == tenant and action in s.actions:
                s.wake.set()

    async def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for lookup in list(self._lookups):
            lookup.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._lookups, return_exceptions=True)
