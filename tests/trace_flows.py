"""A DAG for tests/test_tracing.py: load -> (summarize, embed) -> store, where summarize fails
on its first attempt (retried) and logs through the standard library's logging."""

from __future__ import annotations

import logging
from typing import Any

from pyworker import Backoff, Context, Workflow

traced = Workflow("traced_dag")
log = logging.getLogger("tests.traced")


@traced.task()
def load(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"text": input.get("text", "")}


@traced.task(parents=[load], retries=2, backoff=Backoff(base="0.1s", jitter=0))
def summarize(input: dict[str, Any], ctx: Context) -> str:
    log.warning("summarizing", extra={"chars": len(ctx.parent(load)["text"])})
    if ctx.attempt == 1:
        raise RuntimeError("the model timed out")
    return str(ctx.parent(load)["text"])[:5]


@traced.task(parents=[load])
async def embed(input: dict[str, Any], ctx: Context) -> list[float]:
    return [float(len(ctx.parent(load)["text"]))]


@traced.task(parents=[summarize, embed])
def store(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"summary": ctx.parent(summarize), "vector": ctx.parent(embed)}


flows = [traced]
