"""The worker SDK against real dispatchers (pydispatch.server) on the test's database.

Each test runs its dispatchers, workers and clients on one asyncio loop in this process,
except the run_worker test, which runs a worker process and stops it with SIGTERM. Nothing
is mocked: the gRPC traffic is real, and so are the database functions behind it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pydispatch.paths import REPO_ROOT
from pydispatch.server import Dispatcher
from pydispatch.settings import DispatcherSettings
from pyworker import (
    Backoff,
    Client,
    Context,
    NonRetryableError,
    RegistrationError,
    RpcError,
    RunCancelledError,
    RunFailedError,
    RunNotFoundError,
    SyncClient,
    Worker,
    Workflow,
)
from tests.waiting import until


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


@asynccontextmanager
async def dispatcher(settings: DispatcherSettings) -> AsyncIterator[tuple[Dispatcher, str]]:
    """A running dispatcher and its address; stopped on exit."""
    d = Dispatcher(settings)
    port = await d.start()
    try:
        yield d, f"127.0.0.1:{port}"
    finally:
        await d.stop(grace=0.5)


@asynccontextmanager
async def worker(
    *workflows: Workflow, addresses: list[str], **options: Any
) -> AsyncIterator[Worker]:
    """A started worker; stopped (gracefully) on exit."""
    w = Worker(
        options.pop("name", "test-worker"), list(workflows), dispatchers=addresses, **options
    )
    await asyncio.wait_for(w.start(), 15)
    try:
        yield w
    finally:
        w.stop()
        await asyncio.wait_for(w.wait_closed(), 30)


async def task_status(client: Client, run_id: str, step: str) -> str:
    info = await client.get(run_id)
    return next(str(t["status"]) for t in info.tasks if t["step"] == step)


def test_a_dag_runs_end_to_end(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_dag")
    seen: dict[str, Any] = {}

    @wf.task(timeout="30s")
    async def fetch(input: Any, ctx: Context) -> Any:
        seen["fetch"] = (ctx.workflow, ctx.step, ctx.attempt, ctx.run_id, ctx.task_id)
        ctx.log.info("fetching %s", input["url"])
        return {"text": f"page at {input['url']}"}

    @wf.task(parents=[fetch])
    def count(input: Any, ctx: Context) -> Any:
        seen["count_thread"] = threading.current_thread().name
        return len(ctx.parent(fetch)["text"])

    @wf.task(parents=[fetch, count])
    async def report(input: Any, ctx: Context) -> Any:
        return {"chars": ctx.parent("count"), "parents": sorted(ctx.parents)}

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), worker(wf, addresses=[address]) as w:
            assert w.registered_versions == {"e2e_dag": 1}
            assert w.actions == ["e2e_dag:count", "e2e_dag:fetch", "e2e_dag:report"]
            async with Client([address]) as client:
                run_id = await client.trigger(wf, {"url": "u"})
                output = await client.result(run_id, timeout=20)
                assert output == {
                    "fetch": {"text": "page at u"},
                    "count": 9,
                    "report": {"chars": 9, "parents": ["count", "fetch"]},
                }
                info = await client.get(run_id)
                assert (info.status, info.workflow, info.version, info.input) == (
                    "succeeded",
                    "e2e_dag",
                    1,
                    {"url": "u"},
                )
                assert [t["status"] for t in info.tasks] == ["succeeded"] * 3
                assert info.finished_at is not None
                assert seen["fetch"][:4] == ("e2e_dag", "fetch", 1, run_id)
                assert seen["count_thread"].startswith("hewer-count-")
                # The same idempotency key gives the same run.
                first = await client.trigger(wf, {"url": "v"}, idempotency_key="k1")
                again = await client.trigger("e2e_dag", {"url": "w"}, idempotency_key="k1")
                assert first == again
                await client.result(first, timeout=20)
                assert await client.cancel(first) is False  # already finished

    asyncio.run(scenario())


def test_retries_and_non_retryable_failures(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_retry")
    attempts: list[int] = []

    @wf.task(retries=2, backoff=Backoff(base=0, max=0))
    def flaky(input: Any, ctx: Context) -> Any:
        attempts.append(ctx.attempt)
        if ctx.attempt < 2:
            raise ConnectionError("try again")
        return "ok"

    hopeless = Workflow("e2e_hopeless")

    @hopeless.task(retries=5, backoff=Backoff(base=0, max=0))
    async def bad(input: Any, ctx: Context) -> None:
        attempts.append(100 + ctx.attempt)
        raise NonRetryableError("document 7 does not exist", error_type="not_found")

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, hopeless, addresses=[address]),
            Client([address]) as client,
        ):
            assert await client.result(await client.trigger(wf), timeout=20) == {"flaky": "ok"}
            assert attempts == [1, 2]
            run_id = await client.trigger(hopeless, {})
            with pytest.raises(RunFailedError) as failed:
                await client.result(run_id, timeout=20)
            assert failed.value.run_id == run_id
            assert "not_found" in str(failed.value)
            assert attempts == [1, 2, 101]  # not retried
            [t] = (await client.get(run_id)).tasks
            assert (t["status"], t["attempt"], t["error"]["type"]) == ("failed", 1, "not_found")
            assert "NonRetryableError" in t["error"]["traceback"]

    asyncio.run(scenario())


def test_cancelling_runs_stops_async_and_sync_tasks(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_cancel")
    stopped: dict[str, str] = {}

    @wf.task
    async def waits(input: Any, ctx: Context) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped["async"] = ctx.cancel_reason or ""
            raise

    @wf.task
    def polls(input: Any, ctx: Context) -> None:
        while not ctx.wait_cancelled(0.05):
            pass
        stopped["sync"] = ctx.cancel_reason or ""
        ctx.check_cancelled()

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, addresses=[address]) as w,
            Client([address]) as client,
        ):
            run_id = await client.trigger(wf)
            await until(lambda: w.running == 2)
            for step in ("waits", "polls"):
                await until(lambda s=step: _is(client, run_id, s, "running"))  # type: ignore[misc]
            assert await client.cancel(run_id) is True
            with pytest.raises(RunCancelledError):
                await client.result(run_id, timeout=20)
            await until(lambda: w.running == 0)
            assert set(stopped) == {"async", "sync"}
            assert "cancel" in stopped["async"]

            async def all_cancelled() -> bool:
                info = await client.get(run_id)
                return {t["status"] for t in info.tasks} == {"cancelled"}

            await until(all_cancelled)

    asyncio.run(scenario())


async def _is(client: Client, run_id: str, step: str, status: str) -> bool:
    return await task_status(client, run_id, step) == status


def test_refresh_keeps_a_long_task_alive_and_expired_leases_fail(
    settings: DispatcherSettings,
) -> None:
    wf = Workflow("e2e_refresh")

    @wf.task(timeout="1s")
    async def long(input: Any, ctx: Context) -> Any:
        first_lease = ctx.timeout_at
        for _ in range(6):
            await ctx.refresh_timeout("1s")
            await asyncio.sleep(0.4)
        assert ctx.timeout_at is not None and first_lease is not None
        return {"extended": ctx.timeout_at > first_lease, "attempt": ctx.attempt}

    @wf.task(timeout="1s")
    def sync_long(input: Any, ctx: Context) -> int:
        for _ in range(6):
            ctx.refresh_timeout("1s").result(timeout=5)
            time.sleep(0.4)
        return ctx.attempt

    forgetful = Workflow("e2e_forgetful")

    @forgetful.task(timeout="1s")
    async def sleepy(input: Any, ctx: Context) -> None:
        await asyncio.sleep(30)

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, forgetful, addresses=[address]),
            Client([address]) as client,
        ):
            output = await client.result(await client.trigger(wf), timeout=30)
            assert output == {"long": {"extended": True, "attempt": 1}, "sync_long": 1}
            run_id = await client.trigger(forgetful)
            with pytest.raises(RunFailedError) as failed:
                await client.result(run_id, timeout=30)
            assert failed.value.error is not None

    asyncio.run(scenario())


def test_worker_moves_to_another_dispatcher_and_reports_there(
    settings: DispatcherSettings,
) -> None:
    wf = Workflow("e2e_failover")
    release = asyncio.Event()

    @wf.task(timeout="30s")
    async def held(input: Any, ctx: Context) -> str:
        await release.wait()
        return ctx.task_id

    async def scenario() -> None:
        async with dispatcher(settings) as (second, address_b):
            first = Dispatcher(dataclasses.replace(settings, dispatcher_id=str(uuid.uuid4())))
            address_a = f"127.0.0.1:{await first.start()}"
            try:
                async with (
                    worker(wf, addresses=[address_a, address_b], reconnect_base=0.05) as w,
                    Client([address_b]) as client,
                ):
                    worker_id = w.worker_id
                    assert w.dispatcher_id == first.settings.dispatcher_id
                    run_id = await client.trigger(wf)
                    await until(lambda: w.running == 1)
                    await first.stop(grace=5)
                    await until(
                        lambda: w.connected and w.dispatcher_id != first.settings.dispatcher_id
                    )
                    assert w.worker_id == worker_id
                    assert w.dispatcher_id == second.settings.dispatcher_id
                    release.set()
                    output = await client.result(run_id, timeout=20)
                    [t] = (await client.get(run_id)).tasks
                    assert output == {"held": t["task_id"]}
                    assert t["attempt"] == 1
            finally:
                await first.stop()

    asyncio.run(scenario())


def test_reports_made_while_disconnected_are_sent_after_reconnecting(
    settings: DispatcherSettings,
) -> None:
    wf = Workflow("e2e_offline")
    release = threading.Event()

    @wf.task(timeout="60s")
    def held(input: Any, ctx: Context) -> str:
        release.wait(30)
        ctx.log.info("finished while the dispatcher was away")
        return "done"

    async def scenario() -> None:
        d = Dispatcher(settings)
        port = await d.start()
        address = f"127.0.0.1:{port}"
        pinned = dataclasses.replace(settings, listen=address)
        async with worker(wf, addresses=[address], reconnect_base=0.05, reconnect_max=0.3) as w:
            async with Client([address]) as client:
                run_id = await client.trigger(wf)
                await until(lambda: w.running == 1)
            await d.stop(grace=0)
            await until(lambda: not w.connected)
            release.set()  # the task completes while no dispatcher is up
            await until(lambda: w.running == 0)
            restarted = Dispatcher(pinned)
            await restarted.start()
            try:
                async with Client([address]) as client:
                    assert await client.result(run_id, timeout=20) == {"held": "done"}
            finally:
                w.stop()
                await asyncio.wait_for(w.wait_closed(), 30)
                await restarted.stop(grace=0.5)

    asyncio.run(scenario())


def test_graceful_shutdown_hands_unfinished_work_to_another_worker(
    settings: DispatcherSettings,
) -> None:
    wf = Workflow("e2e_shutdown")
    finished: list[str] = []

    @wf.task(retries=2, backoff=Backoff(base=0, max=0), timeout="30s")
    async def step(input: Any, ctx: Context) -> str:
        if input["kind"] == "quick" or ctx.attempt > 1:
            await asyncio.sleep(0.3)
            finished.append(f"{input['kind']}@{ctx.attempt}")
            return "done"
        await asyncio.sleep(60)
        return "never"

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), Client([address]) as client:
            first = Worker("first", [wf], dispatchers=[address], slots=2, shutdown_grace=1.0)
            await first.start()
            quick = await client.trigger(wf, {"kind": "quick"})
            slow = await client.trigger(wf, {"kind": "slow"})
            await until(lambda: first.running == 2)
            first.stop()
            await asyncio.wait_for(first.wait_closed(), 20)
            # The quick task finished within the grace period; the slow one was reported
            # as a retryable worker_shutdown failure.
            assert await client.result(quick, timeout=5) == {"step": "done"}
            async with worker(wf, addresses=[address], name="second"):
                assert await client.result(slow, timeout=20) == {"step": "done"}
            retried = [e for e in [e async for e in client.watch(slow)] if e.kind == "retrying"]
            assert retried[0].attempt == 1
            assert retried[0].data["error"]["type"] == "worker_shutdown"
            # The slow task's later attempt may have been assigned to the stopping worker
            # (dispatchers keep claiming for a draining worker); either way it was retried.
            assert finished[0] == "quick@1"
            assert finished[1] in ("slow@2", "slow@3")

    asyncio.run(scenario())


def test_a_draining_worker_holds_new_assignments_instead_of_churning(
    settings: DispatcherSettings,
) -> None:
    wf = Workflow("e2e_drain")
    releases = {0: asyncio.Event(), 1: asyncio.Event()}

    @wf.task(retries=1, backoff=Backoff(base=0, max=0), timeout="30s")
    async def job(input: Any, ctx: Context) -> int:
        if input["n"] in releases:
            await releases[input["n"]].wait()
        return ctx.attempt

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), Client([address]) as client:
            first = Worker("draining", [wf], dispatchers=[address], slots=2, shutdown_grace=5.0)
            await first.start()
            runs = [await client.trigger(wf, {"n": n}) for n in (0, 1)]
            await until(lambda: first.running == 2)
            runs += [await client.trigger(wf, {"n": n}) for n in (2, 3, 4)]
            first.stop()
            await until(lambda: first._draining, what="the worker to start draining")
            # One task ends within the grace period and frees its slot while the other keeps
            # the worker draining: the dispatcher assigns into the free slot meanwhile.
            releases[0].set()
            # A window for the dispatcher to assign into the freed slot: what the draining
            # worker does with that assignment is what this test is about.
            await asyncio.sleep(1.0)
            releases[1].set()
            await asyncio.wait_for(first.wait_closed(), 20)
            async with worker(wf, addresses=[address], name="second"):
                outputs = [await client.result(r, timeout=20) for r in runs]
            # Every run succeeded: the draining worker gave back at most one attempt of each
            # task assigned to it, rather than refusing assignments as fast as they came.
            assert outputs[:2] == [{"job": 1}, {"job": 1}]
            assert all(o["job"] in (1, 2) for o in outputs[2:])

    asyncio.run(scenario())


def test_watch_streams_a_runs_events(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_watch")

    @wf.task
    async def a(input: Any, ctx: Context) -> int:
        return 1

    @wf.task(parents=[a])
    async def b(input: Any, ctx: Context) -> int:
        return 2

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, addresses=[address]),
            Client([address]) as client,
        ):
            run_id = await client.trigger(wf)
            events = [e async for e in client.watch(run_id)]
            assert events[-1].run_status == "succeeded"
            assert {(e.step, e.kind) for e in events} >= {("a", "succeeded"), ("b", "succeeded")}
            assert all(e.run_id == run_id for e in events)

    asyncio.run(scenario())


def test_a_changed_definition_registers_a_new_version(
    settings: DispatcherSettings, caplog: pytest.LogCaptureFixture
) -> None:
    def define(timeout: str) -> Workflow:
        wf = Workflow("e2e_versions")

        @wf.task(timeout=timeout)
        async def only(input: Any, ctx: Context) -> int:
            return 1

        return wf

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address):
            async with worker(define("30s"), addresses=[address]) as w:
                assert w.registered_versions == {"e2e_versions": 1}
            async with worker(define("30s"), addresses=[address]) as w:
                assert w.registered_versions == {"e2e_versions": 1}
            async with worker(define("45s"), addresses=[address]) as w:
                assert w.registered_versions == {"e2e_versions": 2}
            # An old worker restarting keeps version 2 current, and says so loudly.
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
            async with worker(define("30s"), addresses=[address]) as w:
                assert w.registered_versions == {"e2e_versions": 1}
            warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any(
                "definition is version 1, but version 2 is current" in m
                and "hewer workflows rollback e2e_versions --to 1" in m
                for m in warned
            ), warned

    caplog.set_level(logging.INFO, logger="pyworker")
    asyncio.run(scenario())


def test_rejections_surface_as_errors(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_rejected")

    @wf.task
    def only(input: Any, ctx: Context) -> None:
        return None

    wf.spec_json = lambda: '{"steps": []}'  # type: ignore[method-assign]

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address):
            w = Worker("rejected", [wf], dispatchers=[address])
            with pytest.raises(RegistrationError, match="rejected workflow 'e2e_rejected'"):
                await asyncio.wait_for(w.start(), 15)
            async with Client(["127.0.0.1:1", address]) as client:  # the first is down
                with pytest.raises(RpcError, match="NOT_FOUND") as unknown:
                    await client.trigger("e2e_no_such_workflow")
                assert unknown.value.code == "NOT_FOUND"
                with pytest.raises(RunNotFoundError):
                    await client.get("0190c6a2-7d1e-7c3a-9f00-1b2c3d4e5f60")
                with pytest.raises(RpcError, match="INVALID_ARGUMENT"):
                    await client.get("not-a-uuid")

    asyncio.run(scenario())


def test_sync_client(settings: DispatcherSettings) -> None:
    wf = Workflow("e2e_sync_client")

    @wf.task
    def double(input: Any, ctx: Context) -> int:
        return int(input["n"]) * 2

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), worker(wf, addresses=[address]):

            def use_sync_client() -> Any:
                with SyncClient([address]) as client:
                    run_id = client.trigger("e2e_sync_client", {"n": 21})
                    output = client.result(run_id, timeout=20)
                    kinds = [e.kind for e in client.watch(run_id)]
                    return output, client.get(run_id).status, kinds

            output, status, kinds = await asyncio.to_thread(use_sync_client)
            assert output == {"double": 42}
            assert status == "succeeded"
            assert kinds[-1] == "run_finished"

    asyncio.run(scenario())


@pytest.mark.slow
def test_run_worker_process_exits_cleanly_on_sigterm(
    settings: DispatcherSettings, tmp_path: Path
) -> None:
    (tmp_path / "e2e_app.py").write_text(
        textwrap.dedent(
            """
            import asyncio
            from pyworker import Workflow

            flow = Workflow("e2e_process")

            @flow.task(retries=1, timeout="30s")
            async def step(input, ctx):
                await asyncio.sleep(input.get("sleep", 0))
                return {"pid_ok": True}
            """
        )
    )

    async def scenario() -> None:
        async with dispatcher(settings) as (_, address), Client([address]) as client:
            env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
            code = (
                "import sys; from pyworker import run_worker; "
                f"run_worker('e2e_app:flow', [{address!r}], shutdown_grace=1.0)"
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                code,
                cwd=tmp_path,
                env=env,
                stderr=asyncio.subprocess.PIPE,
            )
            try:

                async def registered() -> bool:
                    try:
                        await client.trigger("e2e_process", {}, idempotency_key="first")
                    except RpcError as exc:
                        if exc.code != "NOT_FOUND":
                            raise
                        return False
                    return True

                await until(registered)
                run_id = await client.trigger("e2e_process", {}, idempotency_key="first")
                assert await client.result(run_id, timeout=30) == {"step": {"pid_ok": True}}
                slow = await client.trigger("e2e_process", {"sleep": 60})
                await until(lambda: _is(client, slow, "step", "running"))
                proc.send_signal(signal.SIGTERM)
                returncode = await asyncio.wait_for(proc.wait(), 30)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            assert proc.stderr is not None
            stderr = (await proc.stderr.read()).decode()
            assert returncode == 0, stderr
            assert "stopping: cancelling 1 task(s) still running" in stderr
            [t] = (await client.get(slow)).tasks
            assert t["error"]["type"] == "worker_shutdown"

    asyncio.run(scenario())


def test_an_output_larger_than_grpcs_default_limit_is_delivered(
    settings: DispatcherSettings, conn: psycopg.Connection[Any]
) -> None:
    wf = Workflow("e2e_big_output")
    big = "x" * (6 * 1024 * 1024)  # above gRPC's 4 MiB default message limit
    # ... and above Hewer's default payload limit (4 MiB), which a DBA may raise.
    conn.execute(
        "DO $$ BEGIN EXECUTE format("
        "'ALTER DATABASE %I SET hewer.max_payload_bytes = ''16MB''', current_database()); END $$"
    )

    @wf.task(timeout="30s")
    async def produce(input: Any, ctx: Context) -> str:
        return big

    async def scenario() -> None:
        async with (
            dispatcher(settings) as (_, address),
            worker(wf, addresses=[address]),
            Client([address]) as client,
        ):
            run_id = await client.trigger(wf, {})
            info = await client.wait(run_id, timeout=30)
            assert info.status == "succeeded"
            assert len(info.output["produce"]) == len(big)

    asyncio.run(scenario())
