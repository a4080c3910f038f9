"""Concurrency, rate limits, slot cost and priority from the SDK: the spec it builds, the
mistakes it refuses, and a worker that runs under the limits against a real dispatcher."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest

from pydispatch.settings import DispatcherSettings
from pyworker import (
    Client,
    Concurrency,
    Context,
    DefinitionError,
    RateLimit,
    Strategy,
    Workflow,
    task,
)
from tests.engine import register
from tests.test_worker_e2e import dispatcher, worker


@pytest.fixture
def settings(dsn: str) -> DispatcherSettings:
    """Fast-paced dispatcher settings on this test's database, on a free port."""
    return DispatcherSettings(
        listen="127.0.0.1:0",
        database_url=dsn,
        poll_interval=0.2,
        heartbeat_interval=0.2,
        reap_interval=0.2,
        worker_timeout=5.0,
        shutdown_grace=2.0,
        report_batch_delay=0.001,
    )


def _summarize() -> Workflow:
    wf = Workflow(
        "summarize",
        concurrency=Concurrency(max=2, key="input.user_id", strategy=Strategy.CANCEL_NEWEST),
    )

    @wf.task(
        concurrency=Concurrency(max=1, key='input.org + ":" + input.model'),
        rate_limits=[RateLimit("openai-rpm"), RateLimit("per-user", units=2, key="input.user_id")],
        slots=2,
        priority=3,
    )
    def call_llm(input: Any, ctx: Context) -> Any:
        return input

    return wf


def test_the_spec_carries_the_limits() -> None:
    assert _summarize().spec() == {
        "concurrency": {"key": "input.user_id", "max": 2, "strategy": "CANCEL_NEWEST"},
        "steps": [
            {
                "name": "call_llm",
                "priority": 3,
                "concurrency": {"key": 'input.org + ":" + input.model', "max": 1},
                "rate_limits": [
                    {"limit": "openai-rpm"},
                    {"limit": "per-user", "units": 2, "key": "input.user_id"},
                ],
                "slots": 2,
            }
        ],
    }


def test_the_server_accepts_the_sdk_spec(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT hewer.rate_limit_set('openai-rpm', 60, '1 minute')")
    conn.execute("SELECT hewer.rate_limit_set('per-user', 10, '1 minute')")
    row = register(conn, "summarize", _summarize().spec())
    assert row["created"] is True
    step = conn.execute(
        "SELECT concurrency_max, slots, rate_limits FROM hewer.steps WHERE version_id = %s",
        (row["version_id"],),
    ).fetchone()
    assert step is not None
    assert (step["concurrency_max"], step["slots"]) == (1, 2)
    assert [r["limit"] for r in step["rate_limits"]] == ["openai-rpm", "per-user"]


def _any(value: object) -> Any:
    """A wrong value, passed where the type checker would stop it."""
    return value


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Workflow("w", concurrency=Concurrency(max=0)), "concurrency max must be from 1"),
        (
            lambda: Workflow("w", concurrency=Concurrency(max=1, strategy="LIFO")),
            "'LIFO' is not one of",
        ),
        (lambda: Workflow("w", concurrency=Concurrency(max=1, key="  ")), "CEL expression"),
        (lambda: Workflow("w", concurrency=_any(2)), "must be a Concurrency"),
        (
            lambda: Workflow("w").task(
                name="s", concurrency=Concurrency(1, strategy=Strategy.CANCEL_NEWEST)
            )(lambda i, c: None),
            "applies to whole runs",
        ),
        (lambda: Workflow("w").task(name="s", slots=0)(lambda i, c: None), "slots must be from 1"),
        (
            lambda: Workflow("w").task(name="s", rate_limits=[RateLimit("r", units=-1)])(
                lambda i, c: None
            ),
            "rate limit units must be from 1",
        ),
        (
            lambda: Workflow("w").task(name="s", rate_limits=_any(["r"]))(lambda i, c: None),
            "list of RateLimit",
        ),
        (lambda: task(name="s", slots=True)(lambda i, c: None), "slots must be an integer"),
    ],
)
def test_bad_limits_are_refused_at_definition(make: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        make()


def test_a_worker_runs_a_step_within_its_concurrency_limit(settings: DispatcherSettings) -> None:
    wf = Workflow("sdk_limited")
    lock = threading.Lock()
    running: dict[str, int] = {}
    peak: dict[str, int] = {}

    @wf.task(concurrency=Concurrency(max=1, key="input.user"))
    async def work(input: Any, ctx: Context) -> Any:
        user = input["user"]
        with lock:
            running[user] = running.get(user, 0) + 1
            peak[user] = max(peak.get(user, 0), running[user])
        await asyncio.sleep(0.05)
        with lock:
            running[user] -= 1
        return user

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, addresses=[address], slots=8),
            Client([address]) as client,
        ):
            runs = [await client.trigger(wf, {"user": f"u{i % 2}"}) for i in range(8)]
            outputs = [await client.result(r, timeout=30) for r in runs]
            assert sorted(o["work"] for o in outputs) == ["u0"] * 4 + ["u1"] * 4

    asyncio.run(scenario())
    assert peak == {"u0": 1, "u1": 1}
