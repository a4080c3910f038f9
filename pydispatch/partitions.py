"""Partition maintenance as the CLI and the dispatcher call it: thin wrappers over SQL functions.

hewer.partition_create(p_now), hewer.partition_drop(p_now) and
hewer.partition_status(p_exact) live in sql/partitions/.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg.rows import dict_row

from pydispatch.payload_upkeep import prune_at
from pydispatch.queries import TOOLING

COLUMNS: Final = ["table_name", "partition", "range_from", "range_to"]
STATUS_COLUMNS: Final = [*COLUMNS, "rows", "bytes"]


def create(conn: psycopg.Connection[Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """Create the partitions missing up to premake periods ahead of `now`; the ones made."""
    return _rows(conn, "partition_create", {"now": now})


def drop(conn: psycopg.Connection[Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """Drop the partitions entirely older than retention at `now`; the ones dropped."""
    return _rows(conn, "partition_drop", {"now": now})


def drop_payloads(conninfo: str) -> int:
    """After drop(): forget the payload references of the rows dropped and delete the objects
    no other row refers to (docs/payloads.md); the objects deleted. The leader's collector
    does the same within payload_gc_interval when partitions are dropped another way."""
    return asyncio.run(prune_at(conninfo))


def status(conn: psycopg.Connection[Any], exact: bool = False) -> list[dict[str, Any]]:
    """Every partition with its range, rows (estimated unless `exact`) and size."""
    return _rows(conn, "partition_status", {"exact": exact})


def _rows(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(TOOLING[name], params)
        return cur.fetchall()
