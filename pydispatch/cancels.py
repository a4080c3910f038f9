"""Cancellations: CancelTask sent once per (task, attempt) whose cancel was requested.

Woken by hewer_cancel notifications (and new streams), else every cancel poll interval; one
hewer.task_cancellations call per tenant for the connected workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

import psycopg

from pydispatch.claims import EMPTY_CLAIM_GAP
from pydispatch.tenancy import by_tenant
from pyworker.proto import hewer_pb2 as pb

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")


class Cancels:
    """The cancel loop of one dispatcher."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for requested cancellations now."""
        self._wake.set()

    async def run(self) -> None:
        """Send CancelTask once per (task, attempt) whose cancel was requested."""
        core = self.core
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(core.settings.cancel_poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            sessions = dict(core.streams.sessions)
            if not sessions:
                continue
            rows = []
            try:
                for tenant, group in by_tenant(sessions.values(), lambda s: s.tenant).items():
                    rows += await core.fetch(
                        "task_cancellations",
                        {"worker_ids": [s.worker_id for s in group]},
                        tenant=tenant,
                    )
            except psycopg.Error as exc:
                log.warning("task_cancellations failed", extra={"error": str(exc)})
                continue
            finally:
                await asyncio.sleep(EMPTY_CLAIM_GAP)  # coalesce a flood of hewer_cancel
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
