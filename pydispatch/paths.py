"""Where the SQL sources and migrations live.

Both directories sit at the top of the repository, next to this package (the
supported install is an editable one). HEWER_SQL_DIR and HEWER_MIGRATIONS_DIR
override them, e.g. to point an installed hewer at a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def sql_dir() -> Path:
    """The `sql/` directory: schema.sql, functions/, partitions/."""
    return Path(os.environ.get("HEWER_SQL_DIR") or REPO_ROOT / "sql")


def migrations_dir() -> Path:
    """The `migrations/` directory of numbered yoyo SQL migrations."""
    return Path(os.environ.get("HEWER_MIGRATIONS_DIR") or REPO_ROOT / "migrations")


def function_files() -> list[Path]:
    """The function bundle in load order: functions/*.sql, then partitions/*.sql, each sorted,
    then privileges.sql (who may call which function: it needs them all loaded)."""
    base = sql_dir()
    files: list[Path] = []
    for sub in ("functions", "partitions"):
        files.extend(sorted((base / sub).glob("*.sql")))
    files.append(base / "privileges.sql")
    return files
