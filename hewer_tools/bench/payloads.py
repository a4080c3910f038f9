"""W14 of `hewer bench`: large payloads. W1's enqueue and drain of a task returning a large
output, with payload offload on (outputs in a local directory store, references in the
database) and off (outputs inline), each on a database of its own: tasks/s, how much the
database grows and how much WAL it writes."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from hewer_tools.bench.common import RssSampler, Sizes
from hewer_tools.bench.hewer import HewerSystem
from pydispatch.payloads import OFFLOAD_ENV, STORE_ENV
from pyworker.examples.noop import bulky


class PayloadSystem(HewerSystem):
    """Hewer with payload offload forced on or off, whatever the bench's environment says;
    the store is a directory of its own under the bench's logs."""

    def __init__(self, *args: Any, offload: bool) -> None:
        super().__init__(*args)
        self.offload = offload
        self.name = f"hewer_w14_{'on' if offload else 'off'}"
        self.logdir = os.path.join(self.logdir, self.name)
        os.makedirs(self.logdir, exist_ok=True)
        self.store = Path(self.logdir) / "store"

    def _env(self) -> dict[str, str]:
        return {
            **super()._env(),
            OFFLOAD_ENV: "on" if self.offload else "off",
            STORE_ENV: self.store.as_uri(),
        }

    async def register_workflows(self, url: str) -> None:
        await super().register_workflows(url)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(
                "SELECT * FROM hewer.workflow_register(%s, %s::jsonb)",
                (bulky.name, bulky.spec_json()),
            )

    async def enqueue_bulky(self, n: int, batch: int, size: int) -> None:
        conn = await self._main()
        self._drain_marker = await self._scalar("SELECT hewer.uuidv7()")
        for first in range(0, n, batch):
            inputs = [Jsonb({"bytes": size}) for _ in range(first, min(n, first + batch))]
            await conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])", (bulky.name, inputs)
            )

    async def drain_bulky(self) -> float:
        """Start the workers on the queued tasks; seconds from the first assignment to the
        last completion (database clock)."""
        async with self.workers(bulky, RssSampler()):
            await self.wait_idle(timeout=1800)
        return float(
            await self._scalar(
                "SELECT extract(epoch FROM max(finished_at) - min(assigned_at))::float8 "
                "FROM hewer.tasks WHERE id > %s",
                (self._drain_marker,),
            )
        )

    async def close(self) -> None:
        await super().close()
        shutil.rmtree(self.store, ignore_errors=True)


@dataclass
class PayloadDrain:
    tasks_per_second: float
    db_bytes: int
    wal_bytes: int


async def payload_drain(system: PayloadSystem, n: int, sizes: Sizes) -> PayloadDrain:
    """Enqueue and drain n bulky tasks; the database's growth and the WAL written meanwhile."""
    size0 = await system._scalar("SELECT pg_database_size(current_database())")
    lsn0 = await system._scalar("SELECT pg_current_wal_lsn()")
    await system.enqueue_bulky(n, sizes.enqueue_batch, sizes.payload_bytes)
    seconds = await system.drain_bulky()
    wal = await system._scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (lsn0,))
    size1 = await system._scalar("SELECT pg_database_size(current_database())")
    done = await system._scalar(
        "SELECT count(*) FROM hewer.tasks WHERE id > %s AND status = 'succeeded'",
        (system._drain_marker,),
    )
    if done != n:
        raise RuntimeError(f"{system.name}: {done} of {n} bulky tasks succeeded")
    return PayloadDrain(n / seconds, int(size1) - int(size0), int(wal))


@contextlib.asynccontextmanager
async def engines(*systems: PayloadSystem) -> AsyncIterator[None]:
    """Every system's dispatcher, all running at once."""
    async with contextlib.AsyncExitStack() as stack:
        for system in systems:
            await stack.enter_async_context(system.engine())
        yield
