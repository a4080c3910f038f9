"""Workflows run by the worker subprocesses of tests/test_affinity_e2e.py.

Every attempt appends "step attempt pid what" to $HEWER_TEST_LOG (tests/flows.py's `record`),
so the test sees which worker process ran it.
"""

from __future__ import annotations

from typing import Any

from pyworker import Backoff, Context, Workflow
from tests.flows import record

# A step only a worker labelled gpu=a100 may run; its first two attempts fail.
gpu = Workflow("aff_gpu")


@gpu.task(worker_labels={"gpu": "a100"}, retries=2, backoff=Backoff(base=0.1, max=0.1))
def render(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    if ctx.attempt < 3:
        raise RuntimeError(f"attempt {ctx.attempt} fails on purpose")
    return int(input["n"])


# Any worker may run it.
anywhere = Workflow("aff_anywhere")


@anywhere.task()
def plain(input: dict[str, Any], ctx: Context) -> int:
    record(ctx)
    return int(input["n"])


# A hard-sticky chain: every step of a run on the worker that claimed its first.
chain = Workflow("aff_sticky", sticky="hard")


@chain.task()
def first(input: dict[str, Any], ctx: Context) -> int:
    record(ctx, str(input["n"]))
    return int(input["n"])


@chain.task(parents=[first])
def second(input: dict[str, Any], ctx: Context) -> int:
    record(ctx, str(input["n"]))
    return int(ctx.parent(first)) + 1


@chain.task(parents=[second])
def third(input: dict[str, Any], ctx: Context) -> int:
    record(ctx, str(input["n"]))
    return int(ctx.parent(second)) + 1


flows = [gpu, anywhere, chain]
