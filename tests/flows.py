"""Workflows run by worker subprocesses in tests/test_processes.py.

Every execution appends a line "step attempt pid" to $HEWER_TEST_LOG so the tests can count
side effects per attempt, and long tasks touch $HEWER_TEST_LOG.<step>.started when they begin.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pyworker import Context, Wait, Workflow

pipeline = Workflow("proc_pipeline")
slow = Workflow("proc_slow")
sleepy = Workflow("proc_sleepy")


def record(ctx: Context, what: str = "done") -> None:
    path = os.environ["HEWER_TEST_LOG"]
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{ctx.step} {ctx.attempt} {os.getpid()} {what}\n")


def started(ctx: Context) -> None:
    Path(f"{os.environ['HEWER_TEST_LOG']}.{ctx.step}.started").touch()


@pipeline.task()
def fetch(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    record(ctx)
    return {"n": input["n"]}


@pipeline.task(parents=[fetch])
async def double(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    return int(ctx.parent(fetch)["n"]) * 2


@pipeline.task(parents=[fetch])
def square(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    return int(ctx.parent(fetch)["n"]) ** 2


@pipeline.task(parents=[double, square])
def total(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    return int(ctx.parent(double)) + int(ctx.parent(square))


@slow.task(retries=2, timeout="5m")
async def crunch(input: dict[str, Any], ctx: Context) -> str:
    """Slow on its first attempt (the test kills the worker then), quick afterwards."""
    record(ctx, "begin")
    if ctx.attempt == 1:
        started(ctx)
        await asyncio.sleep(60)
    record(ctx)
    return f"crunched on attempt {ctx.attempt}"


@sleepy.task(timeout="5m")
async def nap(input: dict[str, Any], ctx: Context) -> str:
    record(ctx, "begin")
    started(ctx)
    try:
        await asyncio.sleep(120)
    except asyncio.CancelledError:
        record(ctx, "cancelled")
        raise
    return "woke up"


flows = [pipeline, slow, sleepy]

# Started by order events (tests/test_events.py); ship waits for the order's payment.
orders = Workflow("proc_orders", on_events=["order.*"])


@orders.task()
def reserve(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    return int(input["order_id"])


@orders.task(
    parents=[reserve],
    wait=Wait.event("payment.settled", "payload.order_id == input.order_id", timeout="10m"),
)
def ship(input: dict[str, Any], ctx: Context) -> str:
    record(ctx)
    return f"shipped {input['order_id']}"


event_flows = [orders]
