"""The dispatcher's SQL, read once from queries.sql: `QUERIES["task_claim"]` and so on.

queries.sql holds named blocks (`-- name: claim` then the statement). Keeping the
text in one .sql file keeps Python from building SQL: every block calls a hewer
function with bound parameters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, LiteralString

QUERIES_FILE: Final = Path(__file__).with_name("queries.sql")

_NAME_RE: Final = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")


class QueryFileError(ValueError):
    """queries.sql is malformed: a duplicate or empty block, or text before the first name."""


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


def load(path: Path | None = None) -> dict[str, LiteralString]:
    """Parse queries.sql (or `path`)."""
    return parse((path or QUERIES_FILE).read_text(encoding="utf-8"))


QUERIES: Final = load()
