"""Named SQL queries files: the SQL that Python calls lives in .sql files, never in code.

A file holds named blocks (`-- name: task_claim` then the statement); `load(path)` gives
{name: statement}. Every block calls hewer functions with bound parameters, so Python never
builds SQL. The files: pydispatch/queries.sql (the dispatcher), pydispatch/tooling.sql
(migrations, schema checks, partitions, limits), pydispatch/cli/queries.sql (the CLI) and
pyworker/queries.sql (the SQL clients Events and Workflows). tests/test_queries.py checks
that every hewer function they call exists, and that no module executes SQL text of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, LiteralString

_NAME_RE: Final = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")


class QueryFileError(ValueError):
    """A queries file is malformed: a duplicate or empty block, or text before the first name."""


def parse(text: str) -> dict[str, LiteralString]:
    """The named blocks of a queries file; comments before the first name are a preamble."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _NAME_RE.match(line.strip())
        if match:
            name = match.group(1)
            if name in blocks:
                raise QueryFileError(f"queries: block {name!r} is defined twice")
            current = blocks[name] = []
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.lstrip().startswith("--"):
            raise QueryFileError(f"queries: statement before the first `-- name:` line: {line!r}")
    result: dict[str, LiteralString] = {}
    for name, lines in blocks.items():
        body = "\n".join(lines).strip()
        if not body:
            raise QueryFileError(f"queries: block {name!r} is empty")
        # The text comes from this package's own file, never from input: it is as
        # literal as SQL gets (mypy treats LiteralString as str).
        result[name] = body
    return result


def load(path: Path) -> dict[str, LiteralString]:
    """Parse the named queries file at `path`."""
    return parse(path.read_text(encoding="utf-8"))
