"""Plain-text tables for the CLI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any


def render(value: Any) -> str:
    """How one cell prints: empty for NULL, ISO-like timestamps, str() otherwise."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def format_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, empty: str = "(none)"
) -> str:
    """Rows as aligned columns under a header; numbers right-aligned."""
    if not rows:
        return empty
    cols = list(columns or rows[0].keys())
    cells = [[render(row.get(c)) for c in cols] for row in rows]
    numeric = [
        all(isinstance(row.get(c), int | float | Decimal) or row.get(c) is None for row in rows)
        for c in cols
    ]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(cols)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(cols), "  ".join("-" * w for w in widths)]
    out.extend(line(values) for values in cells)
    return "\n".join(out)
