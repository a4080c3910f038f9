"""Where the SQL sources and migrations live, and the function bundle's load order.

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


BUNDLE_FILE = "bundle.txt"


class BundleError(ValueError):
    """sql/bundle.txt names something missing, or leaves a function file out."""


def function_files() -> list[Path]:
    """The function bundle in load order, as sql/bundle.txt writes it down: its entries in
    order, a directory standing for its .sql files sorted by name."""
    base = sql_dir()
    files: list[Path] = []
    for number, line in enumerate((base / BUNDLE_FILE).read_text().splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = base / entry
        if entry.endswith("/") and path.is_dir():
            files.extend(sorted(path.glob("*.sql")))
        elif path.is_file():
            files.append(path)
        else:
            raise BundleError(f"{base / BUNDLE_FILE} line {number}: {entry} does not exist")
    left_out = sorted(
        str(p.relative_to(base))
        for sub in ("functions", "partitions")
        for p in (base / sub).rglob("*.sql")
        if p not in files
    )
    if left_out:
        raise BundleError(
            f"{', '.join(left_out)} not in {base / BUNDLE_FILE}: add each file (or its "
            "directory) where it belongs in the load order"
        )
    if len(set(files)) != len(files):
        raise BundleError(f"{base / BUNDLE_FILE} names a file twice")
    return files
