"""Workflows with large outputs, run by worker subprocesses in tests/test_payloads_e2e.py."""

from __future__ import annotations

from typing import Any

from pyworker import Context, Workflow

chaos = Workflow("pl_chaos")


@chaos.task(retries=2)
def big(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"text": "b" * (int(input["mb"]) * 1_000_000)}


@chaos.task(parents=[big])
def after(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"chars": len(ctx.parent(big)["text"])}


flows = [chaos]
