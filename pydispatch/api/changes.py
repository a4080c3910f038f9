"""What wakes the API's live streams: one LISTEN connection per API process.

Run changes are announced by the engine's notifications (work ready, a run finished, a
cancellation), which carry no tenant's names or ids (hewer.notify_tag). A wake-up only makes
each stream re-read, as its own tenant, what it shows; a stream also re-reads every
`fallback` seconds, for the changes no notification announces (a task starting) and for
notifications lost while the connection was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import psycopg
from psycopg import AsyncConnection

from pydispatch.api.core import QUERIES

log = logging.getLogger("hewer.api")


class Changes:
    """Counts notifications; streams wait for the count to move past what they saw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.generation = 0
        self._moved = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="hewer-api-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait(self, seen: int, timeout: float) -> None:
        """Until a notification newer than `seen` arrived, or `timeout` seconds passed."""
        if self.generation != seen:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._moved.wait(), timeout)

    def _bump(self) -> None:
        self.generation += 1
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await AsyncConnection.connect(
                    self.url, autocommit=True, application_name="hewer-api-listen"
                ) as conn:
                    await conn.execute(QUERIES["listen_changes"])
                    delay = 0.5
                    self._bump()  # what happened while not listening
                    async for _ in conn.notifies():
                        self._bump()
            except psycopg.Error as exc:
                log.warning(
                    "the API's LISTEN connection failed; live streams poll until it is back",
                    extra={"error": str(exc).strip(), "retry_in_s": round(delay, 1)},
                )
            await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter
            delay = min(delay * 2, 30.0)
