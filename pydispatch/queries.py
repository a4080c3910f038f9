"""The dispatcher's SQL, read once from queries.sql: `QUERIES["task_claim"]` and so on;
the database tooling's from tooling.sql (`TOOLING`). See pyworker.sqlfile for the format."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pyworker.sqlfile import QueryFileError, load, parse

__all__ = ["QUERIES", "QUERIES_FILE", "TOOLING", "TOOLING_FILE", "QueryFileError", "load", "parse"]

QUERIES_FILE: Final = Path(__file__).with_name("queries.sql")
TOOLING_FILE: Final = Path(__file__).with_name("tooling.sql")

QUERIES: Final = load(QUERIES_FILE)
TOOLING: Final = load(TOOLING_FILE)
