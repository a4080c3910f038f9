"""Workflows whose tasks do nothing, for measuring the system itself (`hewer bench`).

- `noop`: one task that returns at once (`hewer bench e2e`, W1 of `hewer bench`).
- `stamp`: one task that returns the wall time it started, so that enqueue->start latency
  can be computed from its run's input `{"t": <wall time of the enqueue>}` (W2).
- `event_stamp`: like `stamp`, but started by events with key `bench.stamp` whose payload is
  `{"t": <wall time of the push>}` (`hewer bench events`).
- `diamond`: five steps, `a`, then `b`, `c` and `d` in parallel, then `e`; each returns when
  it started and when it finished, so that the parent-done->child-start hops can be
  measured (W3).
- `talk`: one task that streams `input["chunks"]` chunks with `ctx.stream`, each the JSON
  text `{"n": <its number, from 1>, "t": <wall time of the send>}`, `input["rate"]` a second
  (sleeping between them) or, with rate 0, as fast as it can; returns the count (W13).
- `bulky`: one task that returns `input["bytes"]` characters of random base64 (which does
  not compress), as `{"blob": ...}` (W14, large payloads).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from typing import Any

from pyworker import Context, Workflow

noop = Workflow("bench_noop", description="One task that returns at once")


@noop.task(timeout="1h")
async def nothing(input: Any, ctx: Context) -> None:
    """Return at once."""


stamp = Workflow("bench_stamp", description="One task that returns when it started")


@stamp.task(timeout="1h")
async def started(input: Any, ctx: Context) -> dict[str, float]:
    """Return the wall time this task started."""
    return {"started": time.time()}


diamond = Workflow("bench_diamond", description="a, then b, c and d in parallel, then e")


def _times(begun: float) -> dict[str, float]:
    return {"started": begun, "done": time.time()}


@diamond.task(timeout="1h")
async def a(input: Any, ctx: Context) -> dict[str, float]:
    """The root."""
    return _times(time.time())


@diamond.task(timeout="1h", parents=[a])
async def b(input: Any, ctx: Context) -> dict[str, float]:
    """One of three parallel middles."""
    return _times(time.time())


@diamond.task(timeout="1h", parents=[a])
async def c(input: Any, ctx: Context) -> dict[str, float]:
    """One of three parallel middles."""
    return _times(time.time())


@diamond.task(timeout="1h", parents=[a])
async def d(input: Any, ctx: Context) -> dict[str, float]:
    """One of three parallel middles."""
    return _times(time.time())


@diamond.task(timeout="1h", parents=[b, c, d])
async def e(input: Any, ctx: Context) -> dict[str, float]:
    """The join: starts once b, c and d have all succeeded."""
    return _times(time.time())


event_stamp = Workflow(
    "bench_event_stamp",
    description="Started by events with key bench.stamp; returns when it started",
    on_events=["bench.stamp"],
)


@event_stamp.task(timeout="1h")
async def event_started(input: Any, ctx: Context) -> dict[str, float]:
    """Return the wall time this task started (the event's payload carries its push time)."""
    return {"started": time.time()}


talk = Workflow("bench_talk", description="One task that streams numbered, timed chunks")


@talk.task(timeout="1h")
async def chatter(input: Any, ctx: Context) -> dict[str, int]:
    """Stream input["chunks"] chunks at input["rate"] a second (0: as fast as it can)."""
    chunks = int(input["chunks"])
    rate = float(input.get("rate") or 0)
    next_at = time.perf_counter()
    for n in range(1, chunks + 1):
        ctx.stream(json.dumps({"n": n, "t": time.time()}))
        if rate > 0:
            next_at += 1.0 / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        elif n % 100 == 0:
            await asyncio.sleep(0)  # let the chunks go out while it makes more
    return {"chunks": chunks}


bulky = Workflow("bench_bulky", description="One task that returns a large output")


@bulky.task(timeout="1h")
async def bulk(input: Any, ctx: Context) -> dict[str, str]:
    """Return input["bytes"] characters of random base64."""
    size = int(input["bytes"])
    return {"blob": base64.b64encode(os.urandom(size * 3 // 4 + 3)).decode()[:size]}
