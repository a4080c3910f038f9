"""W9 of `hewer bench`: a noisy neighbour. Two tenants on one database and one dispatcher:
tenant A runs W2's stamped tasks, tenant B a backlog of no-op tasks, each with worker
processes of its own that present its API token. The bench is a trusted role and acts for
a tenant by setting `hewer.tenant` on its connection (see docs/tenants.md)."""

from __future__ import annotations

from typing import Any

import psycopg

from hewer_tools.bench.hewer import HewerSystem
from pyworker import Workflow
from pyworker.examples.noop import noop, stamp

#: The tenants' names: A measures, B is the neighbour.
QUIET, NOISY = "bench_a", "bench_b"


class NeighbourSystem(HewerSystem):
    """Hewer with two tenants: the bench's main connection acts for A, `noisy()` for B;
    stamp workers present A's token, noop workers B's."""

    name = "hewer_w9"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tenants: dict[str, Any] = {}  # name -> tenant id
        self.tokens: dict[str, str] = {}  # name -> API token
        self._noisy: psycopg.AsyncConnection[Any] | None = None

    async def install(self, url: str) -> None:
        await super().install(url)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for tenant in (QUIET, NOISY):
                row = await (
                    await conn.execute("SELECT tenant_id FROM hewer.tenant_create(%s)", (tenant,))
                ).fetchone()
                token = await (
                    await conn.execute(
                        "SELECT token FROM hewer.token_create('bench', %s)", (tenant,)
                    )
                ).fetchone()
                if row is None or token is None:
                    raise RuntimeError(f"tenant {tenant}: no id or token")
                self.tenants[tenant], self.tokens[tenant] = row[0], str(token[0])
                await _act_for(conn, row[0])
                for wf in (noop, stamp):
                    await conn.execute(
                        "SELECT * FROM hewer.workflow_register(%s, %s::jsonb)",
                        (wf.name, wf.spec_json()),
                    )

    async def _main(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None:
            conn = await super()._main()
            await _act_for(conn, self.tenants[QUIET])
        return await super()._main()

    async def noisy(self) -> psycopg.AsyncConnection[Any]:
        """A connection of the bench's acting for tenant B."""
        if self._noisy is None:
            self._noisy = await psycopg.AsyncConnection.connect(self.url(), autocommit=True)
            await _act_for(self._noisy, self.tenants[NOISY])
        return self._noisy

    def _worker_env(self, wf: Workflow) -> dict[str, str]:
        tenant = QUIET if wf.name == stamp.name else NOISY
        return {**self._env(), "HEWER_TOKEN": self.tokens[tenant]}

    async def noisy_left(self) -> int:
        """Tenant B's runs still queued or running."""
        return int(
            await self._scalar(
                "SELECT count(*) FROM hewer.runs WHERE tenant_id = %s "
                "AND status IN ('queued', 'running')",
                (self.tenants[NOISY],),
            )
        )

    async def close(self) -> None:
        await super().close()
        if self._noisy is not None:
            await self._noisy.close()
            self._noisy = None


async def _act_for(conn: psycopg.AsyncConnection[Any], tenant: Any) -> None:
    await conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(tenant),))
