"""A workflow whose one task does nothing: what `hewer bench e2e` measures the system with."""

from __future__ import annotations

from typing import Any

from pyworker import Context, Workflow

noop = Workflow("bench_noop", description="One task that returns at once")


@noop.task(timeout="1h")
async def nothing(input: Any, ctx: Context) -> None:
    """Return at once."""
