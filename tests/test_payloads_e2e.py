"""Large payloads end to end (docs/payloads.md): outputs, inputs and events over the offload
threshold go to the payload store and come back whole, through a real dispatcher, worker,
client and HTTP API on the test's database; tenants read only their own payloads; a
dispatcher killed between an upload and its commit loses nothing and leaves no object the
collector would keep."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hewer_tools.processes import Processes, trigger_when_registered, wait_until
from pydispatch.reports import UPLOAD_PAUSE_ENV
from pydispatch.settings import DispatcherSettings
from pyworker import Client, Context, SyncClient, Workflow
from tests.test_api import Api
from tests.test_worker_e2e import dispatcher, worker

Conn = psycopg.Connection[Any]

MB = 1_000_000


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A payload store of the test's own: a local directory (HEWER_PAYLOAD_STORE)."""
    root = tmp_path / "store"
    monkeypatch.setenv("HEWER_PAYLOAD_STORE", root.as_uri())
    return root


@pytest.fixture
def settings(dsn: str) -> DispatcherSettings:
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


def objects(root: Path) -> dict[str, bytes]:
    """The store's objects by key."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.json") if p.is_file()}


def refs(conn: Conn) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT key, owner_table, owner_id, size, sha256 FROM hewer.payload_refs ORDER BY key"
    ).fetchall()


def test_large_outputs_and_inputs_go_to_the_store_and_come_back_whole(
    settings: DispatcherSettings, dsn: str, conn: Conn, store: Path
) -> None:
    wf = Workflow("pl_big")
    seen: dict[str, Any] = {}

    @wf.task()
    def transcript(input: Any, ctx: Context) -> Any:
        seen["input"] = len(input["doc"])
        return {"text": "t" * (3 * MB)}

    @wf.task()
    def embeddings(input: Any, ctx: Context) -> Any:
        return ["e" * 1000] * (20 * MB // 1006)

    @wf.task(parents=[transcript, embeddings])
    def summary(input: Any, ctx: Context) -> Any:
        text = ctx.parent(transcript)["text"]
        vectors = ctx.parent(embeddings)
        seen["parents"] = (len(text), len(vectors), input["doc"][:3])
        return {"chars": len(text), "vectors": len(vectors)}

    doc = "d" * (2 * MB)

    async def scenario() -> tuple[str, dict[str, Any]]:
        async with (
            dispatcher(settings) as (d, address),
            worker(wf, addresses=[address], slots=4),
            Client([address]) as client,
        ):
            run_id = await client.trigger(wf, {"doc": doc})
            output = await client.result(run_id, timeout=90)
            assert d.payloads.uploaded == 3  # the input, two outputs; summary's is small
            return run_id, output

    run_id, output = asyncio.run(scenario())
    # Every step saw the payloads themselves.
    assert seen["input"] == 2 * MB
    assert seen["parents"] == (3 * MB, 20 * MB // 1006, "ddd")
    assert output["summary"] == {"chars": 3 * MB, "vectors": 20 * MB // 1006}
    assert output["transcript"] == {"text": "t" * (3 * MB)}
    assert len(output["embeddings"]) == 20 * MB // 1006
    # The database holds references; hewer.payload_refs the rows; the store the objects.
    run = conn.execute("SELECT input FROM hewer.runs WHERE id = %s", (run_id,)).fetchone()
    assert run is not None and set(run["input"]) == {"$hewer_ref"}
    tasks = {
        r["step"]: r["output"]
        for r in conn.execute("SELECT step, output FROM hewer.tasks WHERE run_id = %s", (run_id,))
    }
    assert set(tasks["transcript"]) == {"$hewer_ref"} and set(tasks["embeddings"]) == {"$hewer_ref"}
    assert tasks["summary"] == output["summary"]
    rows = refs(conn)
    assert sorted(r["owner_table"] for r in rows) == ["runs", "tasks", "tasks"]
    stored = objects(store)
    assert sorted(stored) == [r["key"] for r in rows]
    for row in rows:
        data = stored[row["key"]]
        assert len(data) == row["size"] and hashlib.sha256(data).hexdigest() == row["sha256"]
    assert json.loads(stored[tasks["transcript"]["$hewer_ref"]["key"]]) == {"text": "t" * (3 * MB)}
    # The HTTP API reads the payloads too (the dashboard and the REST clients).
    api = Api(dsn).start()
    try:
        status, _, body = api.call("GET", f"/v1/runs/{run_id}")
        assert status == 200
        assert body["input"] == {"doc": doc}
        assert body["output"]["transcript"] == {"text": "t" * (3 * MB)}
        by_step = {t["step"]: t for t in body["tasks"]}
        assert len(by_step["embeddings"]["output"]) == 20 * MB // 1006
        listed = api.call("GET", "/v1/runs?workflow=pl_big")[2]["runs"]
        assert [r["input"] for r in listed] == [{"doc": doc}]
    finally:
        api.stop()


def test_http_inputs_and_events_are_offloaded_and_tenants_read_only_their_own(
    dsn: str, conn: Conn, store: Path
) -> None:
    tenants = {}
    for name in ("acme", "globex"):
        [row] = conn.execute("SELECT * FROM hewer.tenant_create(%s)", (name,)).fetchall()
        tenants[name] = row["tenant_id"] if "tenant_id" in row else row["id"]
    token = {
        name: conn.execute("SELECT token FROM hewer.token_create('t', %s)", (name,)).fetchone()[
            "token"
        ]  # type: ignore[index]
        for name in tenants
    }
    for tenant_id in tenants.values():
        conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(tenant_id),))
        conn.execute(
            "SELECT * FROM hewer.workflow_register('pl_http', %s::jsonb)",
            (json.dumps({"steps": [{"name": "a"}]}),),
        )
    conn.execute("RESET hewer.tenant")
    api = Api(dsn).start()
    try:
        big = {"doc": "x" * (1 * MB), "n": 1}
        status, _, made = api.call(
            "POST", "/v1/runs", {"workflow": "pl_http", "input": big}, token["acme"]
        )
        assert status == 201, made
        run_id = made["run_id"]
        [row] = conn.execute("SELECT input FROM hewer.runs WHERE id = %s", (run_id,)).fetchall()
        ref = row["input"]["$hewer_ref"]
        assert ref["key"].startswith(f"{tenants['acme']}/input/")
        assert (store / ref["key"]).exists()
        assert api.call("GET", f"/v1/runs/{run_id}", token=token["acme"])[2]["input"] == big
        # Another tenant: the run does not exist for it, nor does its payload.
        assert api.call("GET", f"/v1/runs/{run_id}", token=token["globex"])[0] == 404
        forged = {"workflow": "pl_http", "input": row["input"]}
        status, _, problem = api.call("POST", "/v1/runs", forged, token["globex"])
        assert (status, problem["code"]) == (400, "HW011"), problem
        # Events: a large payload is offloaded, and read back whole.
        payload = {"blob": "e" * (1 * MB)}
        status, _, pushed = api.call(
            "POST", "/v1/events", {"key": "pl.big", "payload": payload}, token["acme"]
        )
        assert status == 201, pushed
        [event] = conn.execute(
            "SELECT payload FROM hewer.events WHERE id = %s", (pushed["event_id"],)
        ).fetchall()
        assert set(event["payload"]) == {"$hewer_ref"}
        got = api.call("GET", f"/v1/events/{pushed['event_id']}", token=token["acme"])[2]
        assert got["payload"] == payload
        assert api.call("GET", f"/v1/events/{pushed['event_id']}", token=token["globex"])[0] == 404
    finally:
        api.stop()


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path, env={"HEWER_PAYLOAD_STORE": (tmp_path / "store").as_uri()})
    try:
        yield p
    finally:
        p.close()


def test_a_dispatcher_killed_after_an_upload_loses_nothing_and_leaves_no_orphan(
    procs: Processes, conn: Conn, tmp_path: Path
) -> None:
    """kill -9 between putting an output in the store and committing its completion: the
    worker sends the completion again to the restarted dispatcher, the run succeeds with the
    whole output, and the collector (grace 0) deletes the object no row holds."""
    root = tmp_path / "store"
    slow = procs.start_dispatcher(name="slow")
    procs.kill(slow)
    # The same port, now with the pause after each output's upload.
    procs.env[UPLOAD_PAUSE_ENV] = "60"
    first = procs.restart(slow)
    procs.start_worker(first.address, target="tests.payload_flows:flows")
    with SyncClient([first.address]) as client:
        run_id = trigger_when_registered(client, "pl_chaos", {"mb": 3})
        wait_until(lambda: objects(root), 60, "the output to be put in the store")
        procs.kill(first)
        del procs.env[UPLOAD_PAUSE_ENV]
        procs.restart(first)
        output = client.result(run_id, timeout=90)
    assert output["big"] == {"text": "b" * (3 * MB)}
    assert output["after"] == {"chars": 3 * MB}
    held = {r["key"] for r in refs(conn)}
    assert len(held) == 1
    assert len(objects(root)) == 2, "the upload of the killed dispatcher left its object"
    collect(procs)
    assert set(objects(root)) == held
    [row] = conn.execute(
        "SELECT output FROM hewer.tasks WHERE run_id = %s AND step = 'big'", (run_id,)
    ).fetchall()
    assert json.loads((root / row["output"]["$hewer_ref"]["key"]).read_bytes()) == output["big"]


def collect(procs: Processes) -> None:
    """The collector with grace 0: every object no row holds is deleted."""
    done = subprocess.run(
        [sys.executable, "-m", "pydispatch.cli", "payloads", "gc", "--grace", "0"],
        env=procs.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
