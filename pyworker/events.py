"""Events, filters, crons and scheduled runs from Python: thin calls to the SQL API.

    with psycopg.connect(dsn, autocommit=True) as conn:
        events = Events(conn)
        events.push("order.created", {"order_id": 42, "total": 150})
        events.create_filter("fulfil", "payload.total > 100")

Every method is one hewer function (see docs/events.md); `push` runs in the connection's
transaction, so an application's own write and its event commit together. Filters are
compiled with celpy first, so bad CEL is rejected with the parser's message.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pyworker.cel import compile_expression
from pyworker.sqlfile import load

_SQL: Final = {
    name.removeprefix("events_"): query
    for name, query in load(Path(__file__).with_name("queries.sql")).items()
    if name.startswith("events_")
}


class Events:
    """The events API on one psycopg connection (yours: its transaction is honoured)."""

    def __init__(self, conn: Connection[Any]) -> None:
        self._conn = conn

    def _rows(self, name: str, *params: Any) -> list[dict[str, Any]]:
        with self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_SQL[name], params)
            return cur.fetchall()

    def _one(self, name: str, *params: Any) -> Any:
        rows = self._rows(name, *params)
        return next(iter(rows[0].values()))

    def push(
        self,
        key: str,
        payload: dict[str, Any] | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        scope: str | None = None,
    ) -> str:
        """Store an event and queue it for the router; its id."""
        return self.push_many([(key, payload, metadata, scope)])[0]

    def push_many(
        self,
        events: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str | None]],
    ) -> list[str]:
        """Push (key, payload, metadata, scope) tuples in one call; their ids in order."""
        rows = self._rows(
            "push",
            [e[0] for e in events],
            [None if e[1] is None else Jsonb(e[1]) for e in events],
            [None if e[2] is None else Jsonb(e[2]) for e in events],
            [e[3] for e in events],
        )
        return [str(r["event_id"]) for r in rows]

    def matches(self, *event_ids: str) -> list[dict[str, Any]]:
        """What the router decided for these events: runs started and filter errors."""
        return self._rows("matches", list(event_ids))

    def create_filter(self, workflow: str, expression: str, *, scope: str | None = None) -> str:
        """Add a CEL filter to a workflow (CelError for bad CEL, before the database is asked)."""
        compile_expression(expression)
        return str(self._one("filter_create", workflow, expression, scope))

    def update_filter(self, filter_id: str, expression: str) -> int:
        """Replace a filter's expression; its new version."""
        compile_expression(expression)
        return int(self._one("filter_update", filter_id, expression))

    def delete_filter(self, filter_id: str) -> bool:
        return bool(self._one("filter_delete", filter_id))

    def filters(self, workflow: str | None = None) -> list[dict[str, Any]]:
        return self._rows("filter_list", workflow)

    def create_cron(
        self,
        workflow: str,
        name: str,
        expression: str,
        input: dict[str, Any] | None = None,
        *,
        catch_up: str = "skip",
    ) -> str:
        """Create or replace a cron trigger (UTC); catch_up 'skip' or 'once' after downtime."""
        return str(
            self._one("cron_create", workflow, name, expression, Jsonb(input or {}), catch_up)
        )

    def delete_cron(self, workflow: str, name: str) -> bool:
        return bool(self._one("cron_delete", workflow, name))

    def crons(self, workflow: str | None = None) -> list[dict[str, Any]]:
        return self._rows("cron_list", workflow)

    def schedule(self, workflow: str, run_at: datetime, input: dict[str, Any] | None = None) -> str:
        """Start one run of the workflow at run_at; the schedule id."""
        return str(self._one("run_schedule", workflow, Jsonb(input or {}), run_at))

    def cancel_schedule(self, schedule_id: str) -> bool:
        """Drop a scheduled run that has not started (False if it already has)."""
        return bool(self._one("schedule_cancel", schedule_id))
