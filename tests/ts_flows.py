"""The Python halves of tests/test_typescript_sdk.py.

`mixed_steps` serves the Python steps of the TypeScript-declared workflow `ts_mixed` (its
steps `prepare` and `finish` are external there), so one run crosses both SDKs. `spec_cases`
are declarations that sdks/typescript/test/fixtures/spec-cases.ts repeats in TypeScript: both
SDKs must send the same spec JSON for them.
"""

from __future__ import annotations

import os
from typing import Any

from pyworker import Backoff, Concurrency, Context, Cron, RateLimit, Wait, Workflow, task

mixed_steps = Workflow("ts_mixed_python_steps")


@mixed_steps.task(name="prepare", action="ts_mixed:prepare")
def prepare(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return {"words": str(input["text"]).split(), "pid": os.getpid(), "sdk": "python"}


@mixed_steps.task(name="finish", action="ts_mixed:finish")
def finish(input: dict[str, Any], ctx: Context) -> dict[str, Any]:
    shouted = ctx.parent("transform")
    return {"sentence": " ".join(shouted["words"]) + "!", "pid": os.getpid(), "sdk": "python"}


def _every_option() -> Workflow:
    wf = Workflow(
        "spec_every_option",
        description='Every option, café ☕ "quoted"\ttabbed',
        priority=7,
        concurrency=Concurrency(max=3, key="input.customer", strategy="CANCEL_NEWEST"),
        on_events=["order.*", "invoice.paid"],
        cron=[
            "*/5 * * * *",
            Cron("0 3 * * 1", input={"full": True}),
            Cron("0 4 * * *", catch_up="once"),
        ],
    )

    @wf.task(
        retries=3,
        backoff=Backoff(base="1.5s", factor=2.5, max="2m", jitter=0.25),
        timeout="1h30m",
        schedule_timeout=90,
        priority=-5,
        description="fetch it",
        concurrency=Concurrency(max=2, key="input.user_id"),
        rate_limits=[RateLimit("api-calls", units=3, key="input.org"), RateLimit("global")],
        slots=2,
    )
    def fetch(input: Any, ctx: Context) -> None: ...

    @wf.task(parents=[fetch], action="spec_every_option:parse", timeout=0.25 + 1)
    def parse(input: Any, ctx: Context) -> None: ...

    @wf.task(
        parents=[fetch, parse],
        action="shared.store",
        backoff=Backoff(base="250ms"),
        wait=Wait.event(
            "payment.done",
            match="payload.order_id == input.order_id",
            timeout="2d",
            on_timeout="skip",
        ),
    )
    def store(input: Any, ctx: Context) -> None: ...

    @wf.task(parents=["store"], wait=Wait.sleep("1m30s"), backoff=Backoff(jitter=0.00001))
    def notify(input: Any, ctx: Context) -> None: ...

    return wf


def _minimal() -> Workflow:
    wf = Workflow("spec_minimal")

    @wf.task()
    def only(input: Any, ctx: Context) -> None: ...

    return wf


def _standalone() -> Workflow:
    @task(name="spec_standalone", retries=1, timeout="45s", description="one step")
    def standalone(input: Any, ctx: Context) -> None: ...

    return standalone.workflow


def _affinity() -> Workflow:
    wf = Workflow("spec_affinity", sticky="soft")

    @wf.task(worker_labels={"gpu": "a100", "region.zone": "eu-west:1"})
    def transcribe(input: Any, ctx: Context) -> None: ...

    @wf.task(
        parents=[transcribe],
        worker_labels={"gpu": "a100"},
        preferred_labels={
            "model": {"value": "llama-3-70b", "weight": 10},
            "cache": "warm",
            "brew_2": ('☕ "hot"', 100),
            "disk": {"value": "ssd"},
        },
    )
    def summarize(input: Any, ctx: Context) -> None: ...

    return wf


def _standalone_affinity() -> Workflow:
    @task(
        name="spec_standalone_affinity",
        worker_labels={"gpu": "h100"},
        preferred_labels={"m": ("x", 5)},
    )
    def standalone(input: Any, ctx: Context) -> None: ...

    return standalone.workflow


def spec_cases() -> dict[str, str]:
    """Workflow name -> the spec JSON the Python SDK sends with RegisterWorkflow."""
    cases = (_every_option(), _minimal(), _standalone(), _affinity(), _standalone_affinity())
    return {wf.name: wf.spec_json() for wf in cases}
