"""`hewer payloads`: large payloads in object storage (docs/payloads.md): what is stored,
one offload pass, one collection."""

from __future__ import annotations

import asyncio
from typing import Any

import click
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from pydispatch import db, payload_upkeep
from pydispatch.cli import access
from pydispatch.cli.common import JSON_OPTION, HewerGroup, emit, fields
from pydispatch.payloads import Payloads
from pydispatch.settings import DispatcherSettings

_DEFAULTS = DispatcherSettings()


@click.group(name="payloads", cls=HewerGroup)
def payloads_group() -> None:
    """Large payloads in object storage: status, offload, collect (docs/payloads.md).

    The store is HEWER_PAYLOAD_STORE's (default: payloads/ in the Hewer home); use the one
    the dispatchers use.
    """


def _url() -> str:
    """The database URL, after checking that its schema matches this hewer."""
    access.checked().close()
    return db.database_url()


async def _connect(url: str) -> AsyncConnection[Any]:
    return await AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


@payloads_group.command(name="status")
@JSON_OPTION
def payloads_status() -> None:
    """References and bytes stored per tenant, and payloads waiting to be offloaded."""
    url = _url()
    store = Payloads()

    async def go() -> list[dict[str, Any]]:
        async with await _connect(url) as conn:
            return await payload_upkeep.status(conn)

    rows = asyncio.run(go())
    click.echo(f"store: {store.url} (offload {'on' if store.offload_enabled else 'off'})", err=True)
    emit(
        rows,
        ["tenant", "refs", "objects", "bytes", "candidates", "candidates_due"],
        "no payload references and no candidates",
    )


@payloads_group.command(name="offload")
@click.option(
    "--backfill",
    is_flag=True,
    help="First queue the large inline payloads stored before offload existed (scans the "
    "runs, tasks and events tables in id order).",
)
@click.option(
    "--limit",
    default=_DEFAULTS.payload_offload_batch,
    show_default=True,
    help="Payloads moved at most.",
)
@JSON_OPTION
def payloads_offload(backfill: bool, limit: int) -> None:
    """Move large inline payloads of finished tasks, runs and routed events to the store
    (one pass of the leader's offloader)."""
    url = _url()
    offloader = payload_upkeep.Offloader(Payloads(), batch=limit)

    async def go() -> int:
        async with await _connect(url) as conn:
            queued = await offloader.backfill(conn) if backfill else 0
            await offloader.run_pass(conn)
            return queued

    queued = asyncio.run(go())
    stats = offloader.stats
    pairs: list[tuple[str, Any]] = [
        ("moved", stats.moved),
        ("bytes", stats.bytes),
        ("failed", stats.failed),
        ("changed", stats.changed),
    ]
    if backfill:
        pairs.insert(0, ("queued", queued))
    if not offloader.payloads.offload_enabled:
        pairs.append(("note", "HEWER_PAYLOAD_OFFLOAD is off: nothing is moved"))
    fields(pairs)


@payloads_group.command(name="gc")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=_DEFAULTS.payload_gc_grace,
    show_default=True,
    metavar="SECONDS",
    help="Delete unreferenced objects only when older than this (an upload's time to its commit).",
)
@JSON_OPTION
def payloads_gc(grace: float) -> None:
    """Forget references no row holds and delete the objects no reference holds (lists the
    whole store)."""
    url = _url()
    collector = payload_upkeep.Collector(Payloads(), grace=grace)

    async def go() -> None:
        async with await _connect(url) as conn:
            await collector.collect(conn)

    asyncio.run(go())
    stats = collector.stats
    fields(
        [
            ("freed", stats.freed),
            ("objects_listed", stats.objects_listed),
            ("objects_deleted", stats.objects_deleted),
        ]
    )
