"""Workflows for tests/test_streams.py: a task that streams numbered tokens, at a pace set by
its input, from sync or async code."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pyworker import Context, Workflow

talker = Workflow("stream_talker")
chatter = Workflow("stream_chatter")


@talker.task()
def speak(input: dict[str, Any], ctx: Context) -> int:
    """Streams `tokens` chunks "t1 ", "t2 ", ..., one every `gap` seconds; returns the count."""
    for i in range(1, int(input["tokens"]) + 1):
        ctx.stream(f"t{i} ")
        time.sleep(float(input.get("gap", 0)))
    return int(input["tokens"])


@chatter.task()
async def first(input: dict[str, Any], ctx: Context) -> str:
    for i in range(3):
        ctx.stream(f"a{i}")
        await asyncio.sleep(0)
    ctx.stream("x" * 70_000)  # split into two chunks
    return "ok"


@chatter.task(parents=[first])
async def second(input: dict[str, Any], ctx: Context) -> str:
    ctx.stream("b0")
    return "ok"


flows = [talker, chatter]
