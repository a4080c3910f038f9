"""Workflows for tests/test_metrics.py: the process tests' pipeline, a task that fails once and
then succeeds, and one that fails for good."""

from __future__ import annotations

from typing import Any

from pyworker import Backoff, Context, Workflow
from tests.flows import pipeline, record

flaky = Workflow("metrics_flaky")
doomed = Workflow("metrics_doomed")


@flaky.task(retries=2, backoff=Backoff(base="0.1s", jitter=0))
def wobble(input: dict[str, Any], ctx: Context) -> str:
    """Fails on its first attempt (retried), succeeds on its second."""
    record(ctx)
    if ctx.attempt == 1:
        raise RuntimeError("the first attempt fails")
    return f"steady on attempt {ctx.attempt}"


@doomed.task(retries=0)
def topple(input: dict[str, Any], ctx: Context) -> str:
    """Fails with no retries left: the task and its run fail."""
    record(ctx)
    raise RuntimeError("this task always fails")


flows = [pipeline, flaky, doomed]
