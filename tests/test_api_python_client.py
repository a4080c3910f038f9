"""The generated Python REST client (pyworker.rest, via pyworker.http) against the real API
over real HTTP: register, trigger, read, cancel, a refusal, another tenant's token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pyworker.http import HttpApiError, rest_client, unwrap, watch_run
from pyworker.rest.api.runs import cancel_run, get_run, list_runs, trigger_run
from pyworker.rest.api.workflows import register_workflow
from pyworker.rest.models import (
    RegisterRequest,
    Run,
    RunEvent,
    StepSpec,
    TriggerRequest,
    TriggerRequestMetadata,
    WorkflowSpec,
)
from tests.test_api import Api

Conn = psycopg.Connection[Any]


@pytest.fixture
def api(dsn: str) -> Iterator[Api]:
    served = Api(dsn).start()
    try:
        yield served
    finally:
        served.stop()


def _spec() -> WorkflowSpec:
    return WorkflowSpec(
        steps=[StepSpec(name="fetch", retries=2), StepSpec(name="summarize", parents=["fetch"])]
    )


def test_the_generated_client_registers_triggers_reads_and_cancels(api: Api, conn: Conn) -> None:
    url = f"http://127.0.0.1:{api.port}"
    with rest_client(url) as client:
        made = unwrap(
            register_workflow.sync(client=client, body=RegisterRequest(name="digest", spec=_spec()))
        )
        assert (made.version, made.created) == (1, True)
        metadata = TriggerRequestMetadata.from_dict({"customer": "acme"})
        triggered = unwrap(
            trigger_run.sync(
                client=client,
                body=TriggerRequest(workflow="digest", input_={"url": "u"}, metadata=metadata),
            )
        )
        run = unwrap(get_run.sync(triggered.run_id, client=client))
        assert (run.workflow, run.status, run.input_) == ("digest", "queued", {"url": "u"})
        assert [t.step for t in run.tasks] == ["fetch", "summarize"]
        page = unwrap(list_runs.sync(client=client, workflow="digest"))
        assert [r.run_id for r in page.runs] == [triggered.run_id]
        assert page.runs[0].metadata.to_dict() == {"customer": "acme"}
        # Its stream: the events so far, then (once cancelled) the finished run.
        cancelled = unwrap(cancel_run.sync(triggered.run_id, client=client))
        streamed = list(watch_run(client, triggered.run_id))
        assert isinstance(streamed[-1], Run) and streamed[-1].status == "cancelled"
        kinds = [(e.step, e.kind) for e in streamed[:-1] if isinstance(e, RunEvent)]
        assert ("fetch", "created") in kinds and ("fetch", "cancelled") in kinds
        # Resumed after the first event: the rest, none twice.
        first = streamed[0]
        assert isinstance(first, RunEvent)
        resumed = list(watch_run(client, triggered.run_id, last_event_id=str(first.event_id)))
        assert resumed == streamed[1:]
        with pytest.raises(HttpApiError) as unknown:
            list(watch_run(client, "00000000-0000-0000-0000-000000000009"))
        assert unknown.value.status == 404
        assert cancelled.cancelled is True and cancelled.status == "cancelled"
        # What the database holds agrees.
        row = conn.execute(
            "SELECT status::text AS status FROM hewer.runs WHERE id = %s", (triggered.run_id,)
        ).fetchone()
        assert row == {"status": "cancelled"}

        # A refusal: the problem, as an exception naming the code and the fix.
        with pytest.raises(HttpApiError) as refused:
            unwrap(trigger_run.sync(client=client, body=TriggerRequest(workflow="nope")))
        assert (refused.value.status, refused.value.code) == (404, "HW003")
        assert "HW003" in str(refused.value) and refused.value.problem.hint


def test_the_async_client_and_tokens(api: Api, conn: Conn, monkeypatch: pytest.MonkeyPatch) -> None:
    conn.execute("SELECT * FROM hewer.tenant_create('acme')")
    conn.execute("SELECT * FROM hewer.tenant_create('globex')")
    tokens = {
        name: conn.execute("SELECT token FROM hewer.token_create('t', %s)", (name,)).fetchone()
        for name in ("acme", "globex")
    }
    monkeypatch.setenv("HEWER_API_URL", f"http://127.0.0.1:{api.port}")

    async def go() -> None:
        acme_row, globex_row = tokens["acme"], tokens["globex"]
        assert acme_row is not None and globex_row is not None
        monkeypatch.setenv("HEWER_TOKEN", acme_row["token"])
        async with rest_client() as acme:
            body = RegisterRequest(name="digest", spec=_spec())
            unwrap(await register_workflow.asyncio(client=acme, body=body))
            made = unwrap(await trigger_run.asyncio(client=acme, body=TriggerRequest("digest")))
            assert unwrap(await get_run.asyncio(made.run_id, client=acme)).status == "queued"
        async with rest_client(token=globex_row["token"]) as globex:
            with pytest.raises(HttpApiError) as hidden:
                unwrap(await get_run.asyncio(made.run_id, client=globex))
            assert hidden.value.status == 404
        async with rest_client(token="") as anonymous:
            with pytest.raises(HttpApiError) as refused:
                unwrap(await get_run.asyncio(made.run_id, client=anonymous))
            assert (refused.value.status, refused.value.code) == (401, "HW093")

    asyncio.run(go())


def test_the_committed_client_is_generated_from_the_committed_contract() -> None:
    from hewer_tools.clients import main

    assert main(["--check"]) == 0, "pyworker/rest is stale: run `make clients`"
