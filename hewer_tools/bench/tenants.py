"""`hewer bench tenants`: what tenant isolation costs on W1.

W1 (bulk enqueue, then drain by two worker processes through a dispatcher) runs in turn
on two fresh databases of one server:

- `default`: the default tenant, as a single-tenant user runs Hewer: enqueue as the
  trusted role, workers without a token;
- `tenant`: a tenant made for the bench, as a multi-tenant user runs Hewer: enqueue and
  every measuring query through the tenant's own database role (row-level security on
  every read, the functions acting for the role's tenant), workers presenting the
  tenant's API token (checked on every call by the dispatcher).

The two alternate, round after round, so that drift on a noisy machine hits both; the
figures are the medians and the cost is default / tenant - 1.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from hewer_tools.bench.common import Sizes
from hewer_tools.bench.hewer import HewerSystem
from hewer_tools.bench.pg import BenchServer
from hewer_tools.bench.workloads import w1
from pydispatch import migrate

#: The bench tenant's login role (roles belong to the whole server).
ROLE = "hewer_bench_tenant"


class TenantSystem(HewerSystem):
    """Hewer with everything done for a tenant: its role for SQL, its token for gRPC."""

    name = "hewer_tenant"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.token = ""

    def _role_url(self, url: str) -> str:
        params = conninfo_to_dict(url)
        params["user"] = ROLE
        params.pop("password", None)
        return make_conninfo("", **params)

    def url(self, suffix: str = "") -> str:
        # Every connection the bench makes to this database (enqueue, the drain's timing,
        # pending counts) is the tenant's role: row-level security applies to each.
        return self._role_url(super().url(suffix))

    def _env(self) -> dict[str, str]:
        # The dispatcher connects as the trusted role; the workers present the token.
        return {
            **super()._env(),
            "HEWER_DATABASE_URL": super(HewerSystem, self).url(),
            "HEWER_TOKEN": self.token,
        }

    async def install(self, url: str) -> None:
        admin_url = super(HewerSystem, self).url()
        await asyncio.to_thread(migrate.up, admin_url)
        async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
            exists = await (
                await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,))
            ).fetchone()
            if not exists:
                await conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(ROLE)))
            await conn.execute("SELECT * FROM hewer.tenant_create('bench', %s)", (ROLE,))
            row = await (
                await conn.execute("SELECT token FROM hewer.token_create('bench', 'bench')")
            ).fetchone()
            if row is None:
                raise RuntimeError("hewer.token_create returned no token")
            self.token = str(row[0])
        # The workflows are registered by the tenant's role, in its tenant.
        await self.register_workflows(self._role_url(admin_url))


@dataclass
class Figures:
    enqueue: list[float] = field(default_factory=list)
    drain: list[float] = field(default_factory=list)

    def median(self, what: str) -> float:
        values: list[float] = getattr(self, what)
        return float(statistics.median(values)) if values else float("nan")


async def _measure(
    server: BenchServer, sizes: Sizes, rounds: int, logdir: str
) -> dict[str, Figures]:
    one = replace(sizes, repetitions=1)
    systems = {
        "default": HewerSystem(server, one, logdir),
        "tenant": TenantSystem(server, one, logdir),
    }
    figures = {name: Figures() for name in systems}
    try:
        for _ in range(rounds):
            for name, system in systems.items():
                cells = await w1(system, one)
                figures[name].enqueue.extend(cells["W1.enqueue"].samples)
                figures[name].drain.extend(cells["W1.drain"].samples)
    finally:
        for system in systems.values():
            await system.close()
            await asyncio.to_thread(server.drop, system.dbname)
    return figures


def run(server: BenchServer, quick: bool, rounds: int, logdir: str) -> dict[str, Any]:
    """Measure both; the medians per tenant mode and the cost of isolation in percent."""
    sizes = Sizes.quick() if quick else Sizes.full()
    figures = asyncio.run(_measure(server, sizes, rounds, logdir))
    out: dict[str, Any] = {"tasks_per_round": sizes.drain_tasks, "rounds": rounds}
    for what in ("enqueue", "drain"):
        base, tenant = figures["default"].median(what), figures["tenant"].median(what)
        out[what] = {
            "default_tasks_per_s": round(base, 1),
            "tenant_tasks_per_s": round(tenant, 1),
            "cost_percent": round((base / tenant - 1) * 100, 1),
            "samples": {
                "default": figures["default"].__dict__[what],
                "tenant": figures["tenant"].__dict__[what],
            },
        }
    return out
