"""The workflow that chaos workers run: a diamond DAG whose tasks record their side effects.

    fetch -> left, right -> join

Every execution appends to $HEWER_TEST_LOG one line when it begins and one when it has done
its work, just before it returns: `task_id attempt pid begin|done token`. The token is also
in the task's output, so the checks can tell which execution's result the engine accepted.
Each line is a single O_APPEND write, so lines from concurrent processes never interleave.

The input says how long each task works (`ms`) and whether `right` fails its first attempt
(`flaky`), so some retries happen without any crash. `left` and `join` are sync (run in a
thread), `fetch` and `right` async: both SDK paths are exercised.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from hewer_tools.processes import LOG_ENV
from pyworker import Backoff, Context, Workflow

WORKFLOW = "chaos_dag"
STEPS = ("fetch", "left", "right", "join")
# Plenty of attempts: every crash costs the tasks it interrupts one attempt.
RETRIES = 8
# The execution timeout: how long a task stays with a worker that never reports on it.
LEASE_ENV = "HEWER_CHAOS_LEASE"
LEASE = os.environ.get(LEASE_ENV, "30s")
BACKOFF = Backoff(base=0.2, factor=2, max=2, jitter=0.5)

dag = Workflow(WORKFLOW, description="Chaos suite: a diamond whose tasks record side effects")


def record(ctx: Context, what: str, mark: str = "-") -> None:
    line = f"{ctx.task_id} {ctx.attempt} {os.getpid()} {what} {mark}\n".encode()
    fd = os.open(os.environ[LOG_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _seconds(input: dict[str, Any]) -> float:
    return max(0, int(input.get("ms", 50))) / 1000


def _finish(ctx: Context) -> dict[str, Any]:
    token = uuid.uuid4().hex
    record(ctx, "done", token)
    return {"attempt": ctx.attempt, "token": token}


@dag.task(retries=RETRIES, timeout=LEASE, backoff=BACKOFF)
async def fetch(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    record(ctx, "begin")
    await asyncio.sleep(_seconds(input))
    return _finish(ctx)


@dag.task(parents=[fetch], retries=RETRIES, timeout=LEASE, backoff=BACKOFF)
def left(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    record(ctx, "begin")
    time.sleep(_seconds(input))
    return _finish(ctx)


@dag.task(parents=[fetch], retries=RETRIES, timeout=LEASE, backoff=BACKOFF)
async def right(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    record(ctx, "begin")
    await asyncio.sleep(_seconds(input))
    if input.get("flaky") and ctx.attempt == 1:
        raise RuntimeError("flaky on its first attempt (an ordinary, retryable failure)")
    return _finish(ctx)


@dag.task(parents=[left, right], retries=RETRIES, timeout=LEASE, backoff=BACKOFF)
def join(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    record(ctx, "begin")
    time.sleep(_seconds(input))
    return _finish(ctx)


flows = [dag]
TARGET = "hewer_tools.chaos.workload:flows"
