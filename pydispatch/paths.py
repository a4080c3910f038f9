"""Where the SQL sources and migrations live.

In a checkout, `sql/` and `migrations/` sit at the top of the repository, next to this
package; an installed hewer carries them inside it (pydispatch/sql, pydispatch/migrations:
see [tool.setuptools] in pyproject.toml). HEWER_SQL_DIR and HEWER_MIGRATIONS_DIR override
both, e.g. to point an installed hewer at a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _bundled(name: str) -> Path:
    """`name` inside the installed package, else at the top of the checkout."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else REPO_ROOT / name


def sql_dir() -> Path:
    """The `sql/` directory: schema.sql, functions/, partitions/."""
    return Path(os.environ.get("HEWER_SQL_DIR") or _bundled("sql"))


def migrations_dir() -> Path:
    """The `migrations/` directory of numbered yoyo SQL migrations."""
    return Path(os.environ.get("HEWER_MIGRATIONS_DIR") or _bundled("migrations"))


def function_files() -> list[Path]:
    """The function bundle in load order: functions/*.sql, then partitions/*.sql, each sorted,
    then privileges.sql (who may call which function: it needs them all loaded)."""
    base = sql_dir()
    files: list[Path] = []
    for sub in ("functions", "partitions"):
        files.extend(sorted((base / sub).glob("*.sql")))
    files.append(base / "privileges.sql")
    return files
