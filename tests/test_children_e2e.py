"""Child workflows through the SDK: ctx.spawn / ctx.result in tasks run by a real worker,
against a real dispatcher (gRPC) on the test's database."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from pydispatch.settings import DispatcherSettings
from pyworker import Backoff, ChildRun, Client, Context, RunFailedError, Workflow
from tests.test_worker_e2e import dispatcher, worker
from tests.waiting import until


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


def children(dsn: str, run_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM hewer.run_children(ARRAY[%s::uuid])", (run_id,)
        ).fetchall()


def test_a_retried_parent_spawns_its_keyed_children_once_and_gets_their_results(
    settings: DispatcherSettings, dsn: str
) -> None:
    child = Workflow("e2e_child")
    parent = Workflow("e2e_parent")
    spawned: list[tuple[int, bool]] = []
    child_runs: list[int] = []

    @child.task()
    async def square(input: Any, ctx: Context) -> Any:
        child_runs.append(input["n"])
        return input["n"] ** 2

    @parent.task(retries=1, backoff=Backoff(base=0, max=0), timeout="60s")
    async def fan_out(input: Any, ctx: Context) -> Any:
        kids: list[ChildRun] = []
        for n in range(input["count"]):
            kid = await ctx.spawn(child, {"n": n}, key=f"n{n}", metadata={"part": n})
            spawned.append((ctx.attempt, kid.created))
            kids.append(kid)
        if ctx.attempt == 1:
            raise ConnectionError("lost the connection after spawning")
        outputs = await asyncio.gather(*(ctx.result(k, timeout=30) for k in kids))
        return {"squares": [o["square"] for o in outputs], "children": [k.run_id for k in kids]}

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(child, parent, addresses=[address], slots=8),
            Client([address]) as client,
        ):
            run_id = await client.trigger(
                parent, {"count": 3}, metadata={"customer": "acme", "part": -1}
            )
            output = await client.result(run_id, timeout=60)
            assert output["fan_out"]["squares"] == [0, 1, 4]
            assert spawned == [(1, True)] * 3 + [(2, False)] * 3
            kids = children(dsn, run_id)
            assert [k["run_id"] for k in kids] == [
                uuid.UUID(r) for r in output["fan_out"]["children"]
            ]
            assert [k["child_key"] for k in kids] == ["n0", "n1", "n2"]
            assert [k["additional_metadata"] for k in kids] == [
                {"customer": "acme", "part": n} for n in range(3)
            ]
            assert all(k["status"] == "succeeded" for k in kids)
            assert sorted(child_runs) == [0, 1, 2]  # each child ran once

    asyncio.run(scenario())


def test_cancelling_a_waiting_parent_cancels_its_child(
    settings: DispatcherSettings, dsn: str
) -> None:
    slow = Workflow("e2e_slow_child")
    parent = Workflow("e2e_waiting_parent")
    started = asyncio.Event()

    @slow.task(timeout="60s")
    async def sleep(input: Any, ctx: Context) -> Any:
        started.set()
        await asyncio.sleep(60)

    @parent.task(timeout="60s")
    async def wait(input: Any, ctx: Context) -> Any:
        kid = await ctx.spawn(slow, {}, key="only")
        return await ctx.result(kid)

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(slow, parent, addresses=[address], slots=4),
            Client([address]) as client,
        ):
            run_id = await client.trigger(parent, {})
            await asyncio.wait_for(started.wait(), 30)
            [kid] = children(dsn, run_id)
            assert await client.cancel(run_id)
            info = await client.wait(str(kid["run_id"]), timeout=30)
            assert info.status == "cancelled"
            assert info.error["type"] == "parent" and info.error["parent_run_id"] == run_id
            await until(lambda: _all_tasks_done(client, str(kid["run_id"])))
            assert (await client.wait(run_id, timeout=30)).status == "cancelled"

    asyncio.run(scenario())


async def _all_tasks_done(client: Client, run_id: str) -> bool:
    info = await client.get(run_id)
    return all(t["status"] in ("cancelled", "succeeded", "failed") for t in info.tasks)


def test_a_parent_sees_a_failed_child_and_filters_by_metadata(
    settings: DispatcherSettings, dsn: str
) -> None:
    bad = Workflow("e2e_bad_child")
    parent = Workflow("e2e_careful_parent")

    @bad.task()
    async def boom(input: Any, ctx: Context) -> Any:
        raise ValueError(f"no item {input['item']}")

    @parent.task(timeout="60s")
    async def careful(input: Any, ctx: Context) -> Any:
        kid = await ctx.spawn("e2e_bad_child", {"item": 7}, key="k", metadata={"role": "probe"})
        try:
            await ctx.result(kid, timeout=30)
        except RunFailedError as exc:
            return {"child_failed": exc.run_id == kid.run_id, "status": exc.status}
        return {"child_failed": False}

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(bad, parent, addresses=[address], slots=4),
            Client([address]) as client,
        ):
            run_id = await client.trigger(parent, {}, metadata={"batch": "b1"})
            output = await client.result(run_id, timeout=60)
            assert output == {"careful": {"child_failed": True, "status": "failed"}}
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            rows = conn.execute(
                "SELECT run_id, workflow, parent_run_id FROM hewer.runs_by_metadata(%s)",
                ('{"batch": "b1"}',),
            ).fetchall()
            assert sorted(r["workflow"] for r in rows) == ["e2e_bad_child", "e2e_careful_parent"]
            probes = conn.execute(
                "SELECT workflow FROM hewer.runs_by_metadata(%s)", ('{"role": "probe"}',)
            ).fetchall()
            assert [p["workflow"] for p in probes] == ["e2e_bad_child"]

    asyncio.run(scenario())


def test_spawn_needs_a_worker_and_rejects_bad_metadata(
    settings: DispatcherSettings,
) -> None:
    ctx = Context(input={})
    with pytest.raises(RuntimeError, match="needs a worker"):
        asyncio.run(ctx.spawn("anything"))

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), Client([address]) as client:
            with pytest.raises(TypeError, match="metadata must be a dict"):
                await client.trigger("x", {}, metadata=["a"])  # type: ignore[arg-type]
            wf = Workflow("e2e_meta")

            @wf.task()
            async def noop(input: Any, ctx: Context) -> None:
                return None

            async with worker(wf, addresses=[address]):
                with pytest.raises(Exception, match="HW090"):
                    await client.trigger(wf, {}, metadata={"nested": {"no": 1}})

    asyncio.run(scenario())
