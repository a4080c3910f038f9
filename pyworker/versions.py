"""Workflow versions from Python: thin calls to the SQL API.

    with psycopg.connect(dsn, autocommit=True) as conn:
        workflows = Workflows(conn)
        workflows.versions("summarize")      # every version, oldest first
        workflows.rollback("summarize", 1)   # version 1 is current again

A worker registers its workflows itself (a changed definition becomes a new version); these
calls read the versions and choose the current one. See docs/versions-runs.md.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, Final

from psycopg import Connection
from psycopg.rows import dict_row

from pyworker.sqlfile import load

_SQL: Final = {
    name.removeprefix("workflows_"): query
    for name, query in load(Path(__file__).with_name("queries.sql")).items()
    if name.startswith("workflows_")
}


class Workflows:
    """Workflow versions on one psycopg connection (yours: its transaction is honoured)."""

    def __init__(self, conn: Connection[Any]) -> None:
        self._conn = conn

    def _rows(self, name: str, *params: Any) -> builtins.list[dict[str, Any]]:
        with self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(_SQL[name], params)
            return cur.fetchall()

    def list(self) -> builtins.list[dict[str, Any]]:
        """Every workflow: name, current_version, latest_version, versions, description."""
        return self._rows("list")

    def show(self, name: str, version: int | None = None) -> dict[str, Any]:
        """One version (None: the current one): version, is_current, checksum, spec, ..."""
        return self._rows("show", name, version)[0]

    def versions(self, name: str) -> builtins.list[dict[str, Any]]:
        """Every version of a workflow, oldest first, with is_current and active_runs."""
        return self._rows("versions", name)

    def rollback(self, name: str, version: int) -> int:
        """Make `version` current again (runs in flight keep theirs); the version it replaced."""
        row = self._rows("rollback", name, version)[0]
        return int(row["previous_version"])
