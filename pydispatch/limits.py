"""Rate limits and tenant/action concurrency limits as the CLI sets and lists them.

Thin wrappers over hewer.rate_limit_set / rate_limit_delete / rate_limit_list and
hewer.concurrency_limit_set / concurrency_limit_list (sql/functions/claims/rate_limits.sql).
"""

from __future__ import annotations

from typing import Any, Final

import psycopg
from psycopg.rows import dict_row

from pydispatch.queries import TOOLING

RATE_COLUMNS: Final = ["name", "rate", "period", "burst", "buckets", "tokens"]
CONCURRENCY_COLUMNS: Final = ["scope", "name", "max_running", "running"]


def rate_set(
    conn: psycopg.Connection[Any], name: str, rate: float, period: str, burst: float | None
) -> list[dict[str, Any]]:
    """Create or update a token bucket limit: `rate` tokens per `period`, `burst` at most."""
    return _rows(conn, "rate_limit_set", (name, rate, period, burst))


def rate_delete(conn: psycopg.Connection[Any], name: str) -> None:
    """Delete a rate limit and its buckets; steps that use it stop being gated."""
    _rows(conn, "rate_limit_delete", (name,))


def rate_list(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every rate limit with its bucket count and the static bucket's tokens now."""
    rows = _rows(conn, "rate_limit_list", ())
    for row in rows:
        row["tokens"] = round(row["tokens"], 3)
    return rows


def concurrency_set(
    conn: psycopg.Connection[Any], scope: str, name: str, max_running: int | None
) -> list[dict[str, Any]]:
    """Cap a tenant's or an action's running tasks (None removes the cap)."""
    return _rows(conn, "concurrency_limit_set", (scope, name, max_running))


def concurrency_list(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Tenant and action limits with how many tasks hold them now."""
    return _rows(conn, "concurrency_limit_list", ())


def _rows(
    conn: psycopg.Connection[Any], name: str, params: tuple[Any, ...]
) -> list[dict[str, Any]]:
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(TOOLING[name], params)
        return cur.fetchall() if cur.description else []
