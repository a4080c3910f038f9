"""Tenants over gRPC: API tokens select the tenant of every call, and tenants never see
each other's runs, workflows, workers or tasks.

A real dispatcher (in this process), real PostgreSQL, the Python client and worker with
tokens, and raw protocol streams. test_isolation_matrix prints the method x outcome table
(run pytest with -s to see it).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import psycopg
import pytest

from pydispatch.server import Dispatcher
from pydispatch.settings import DispatcherSettings
from pydispatch.tenancy import DEFAULT_TENANT, TenantSettings
from pyworker import AuthenticationError, Client, RpcError, SyncClient, Worker, Workflow
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from tests.engine import claim, fail, register, worker
from tests.test_dispatcher import FAST, ServerThread
from tests.waiting import until

Conn = psycopg.Connection[Any]
ONE = {"steps": [{"name": "only"}]}


def act_for(conn: Conn, tenant: Any) -> None:
    """Make this (trusted) connection act for `tenant` (a tenant id)."""
    conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(tenant),))


def new_tenant(conn: Conn, name: str, **limits: Any) -> tuple[uuid.UUID, str, uuid.UUID]:
    """A tenant and an API token for it: (tenant id, token, token id)."""
    row = conn.execute(
        "SELECT * FROM hewer.tenant_create(%s, p_max_trigger_rate => %s, p_trigger_burst => %s)",
        (name, limits.get("max_trigger_rate"), limits.get("trigger_burst")),
    ).fetchone()
    assert row is not None
    token = conn.execute(
        "SELECT * FROM hewer.token_create(%s, %s)", (f"{name}-token", name)
    ).fetchone()
    assert token is not None
    return row["tenant_id"], token["token"], token["token_id"]


@pytest.fixture
def server(dsn: str) -> Iterator[ServerThread]:
    thread = ServerThread(DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


def outcome(call: Callable[[], Any]) -> str:
    """OK (with what the call returned, when it says something) or the status name."""
    try:
        result = call()
    except RpcError as exc:
        return exc.code
    except grpc.RpcError as exc:
        code = exc.code()
        return str(code.name)
    return "OK" if result is None else f"OK: {result}"


def table(rows: list[tuple[str, str, str]]) -> str:
    header = ("method", "tenant A's token on tenant B's object", "tenant B's token (control)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header]]
    lines.append("-|-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def test_isolation_matrix(conn: Conn, server: ServerThread) -> None:
    a, token_a, _ = new_tenant(conn, "a")
    b, token_b, _ = new_tenant(conn, "b")
    act_for(conn, a)
    register(conn, "shared", ONE)
    act_for(conn, b)
    register(conn, "shared", ONE)
    register(conn, "only_b", ONE)
    register(conn, "parent_b", ONE)

    client_a = SyncClient([server.address], token=token_a)
    client_b = SyncClient([server.address], token=token_b)
    try:
        own_a = client_a.trigger("shared", {"who": "a"})
        queued_b = client_b.trigger("shared", {"who": "b"})
        failed_b = client_b.trigger("only_b", {"who": "b"})
        parent_b = client_b.trigger("parent_b", {})
        # B's failed run (for Replay) and B's running task (a parent for Spawn), through SQL.
        act_for(conn, b)
        w = worker(conn, ["only_b:only", "parent_b:only"])
        tasks = {str(t["run_id"]): t for t in claim(conn, w)}
        fail(conn, [tasks[failed_b]], "bad", retryable=False)
        parent_task = tasks[parent_b]
        spawn = pb.SpawnRequest(
            task_id=str(parent_task["task_id"]), attempt=parent_task["attempt"], workflow="shared"
        )

        def spawn_as(token: str) -> Callable[[], Any]:
            def call() -> bool:
                with grpc.insecure_channel(server.address) as channel:
                    runs = pb_grpc.RunsStub(channel)
                    response = runs.Spawn(spawn, metadata=(("authorization", f"Bearer {token}"),))
                    return bool(response.created)

            return call

        def listen_as(token: str, worker_id: str) -> Callable[[], Any]:
            def call() -> str:
                with grpc.insecure_channel(server.address) as channel:
                    stub = pb_grpc.DispatcherStub(channel)
                    hello = pb.WorkerMessage(request_id=1, hello=pb.Hello(worker_id=worker_id))
                    stream = stub.Listen(
                        iter([hello]), metadata=(("authorization", f"Bearer {token}"),)
                    )
                    first = next(stream)
                    if first.WhichOneof("body") == "error":
                        next(stream)  # the status that follows the StreamError
                    stream.cancel()
                    return f"{first.WhichOneof('body')} accepted={first.ack.accepted}"

            return call

        def count_b(client: SyncClient) -> str:
            runs = {r.run_id for r in client.list_runs(limit=1000)}
            return f"{len(runs & {queued_b, failed_b, parent_b})} of B's 3 runs"

        rows = [
            (
                "Get",
                outcome(lambda: client_a.get(failed_b)),
                outcome(lambda: client_b.get(failed_b).status),
            ),
            (
                "Wait",
                outcome(lambda: client_a.wait(failed_b, timeout=0.2)),
                outcome(lambda: client_b.wait(failed_b, timeout=0.2).status),
            ),
            (
                "Watch",
                outcome(lambda: list(client_a.watch(failed_b))),
                outcome(lambda: list(client_b.watch(failed_b))[-1].run_status),
            ),
            ("List", outcome(lambda: count_b(client_a)), outcome(lambda: count_b(client_b))),
            (
                "Replay",
                outcome(lambda: client_a.replay(failed_b)),
                outcome(lambda: bool(client_b.replay(failed_b))),
            ),
            (
                "Trigger (workflow only in B)",
                outcome(lambda: client_a.trigger("only_b", {})),
                outcome(lambda: bool(client_b.trigger("only_b", {}))),
            ),
            (
                "Spawn (B's task as parent)",
                outcome(spawn_as(token_a)),
                outcome(spawn_as(token_b)),
            ),
            (
                "Listen (hello with B's worker)",
                outcome(listen_as(token_a, str(w))),
                outcome(listen_as(token_b, str(w))),
            ),
            (
                "CancelMatching (queued)",
                outcome(
                    lambda: (
                        f"{len(set(client_a.cancel_many(statuses=['queued'])) - {own_a})}"
                        " of B's runs"
                    )
                ),
                outcome(lambda: f"{queued_b in client_b.cancel_many(statuses=['queued'])}"),
            ),
            (
                "Cancel",
                outcome(lambda: client_a.cancel(parent_b)),
                outcome(lambda: client_b.cancel(parent_b)),
            ),
        ]
        # RegisterWorkflow with A's token registers in A only.
        with grpc.insecure_channel(server.address) as channel:
            stub = pb_grpc.DispatcherStub(channel)
            stub.RegisterWorkflow(
                pb.RegisterWorkflowRequest(name="from_a", spec_json='{"steps": [{"name": "x"}]}'),
                metadata=(("authorization", f"Bearer {token_a}"),),
            )
        rows.append(
            (
                "RegisterWorkflow (by A), then Trigger it",
                outcome(lambda: client_b.trigger("from_a", {})),
                outcome(lambda: bool(client_a.trigger("from_a", {}))) + " (A's own token)",
            )
        )
        # A's CancelMatching cancelled A's own queued run, and nothing of B's.
        assert client_a.get(own_a).status == "cancelled"
    finally:
        client_a.close()
        client_b.close()

    print("\n" + table(rows))
    assert rows == [
        ("Get", "NOT_FOUND", "OK: failed"),
        ("Wait", "NOT_FOUND", "OK: failed"),
        ("Watch", "NOT_FOUND", "OK: failed"),
        ("List", "OK: 0 of B's 3 runs", "OK: 3 of B's 3 runs"),
        ("Replay", "NOT_FOUND", "OK: True"),
        ("Trigger (workflow only in B)", "NOT_FOUND", "OK: True"),
        ("Spawn (B's task as parent)", "NOT_FOUND", "OK: True"),
        ("Listen (hello with B's worker)", "NOT_FOUND", "OK: ack accepted=True"),
        ("CancelMatching (queued)", "OK: 0 of B's runs", "OK: True"),
        ("Cancel", "NOT_FOUND", "OK: True"),
        ("RegisterWorkflow (by A), then Trigger it", "NOT_FOUND", "OK: True (A's own token)"),
    ]
    # Nothing of B's was touched by A's calls: the workflow A registered is not B's either.
    act_for(conn, b)
    with pytest.raises(psycopg.Error, match="workflow 'from_a' does not exist"):
        conn.execute("SELECT * FROM hewer.workflow_get('from_a')")
    act_for(conn, a)
    assert len(conn.execute("SELECT * FROM hewer.workflow_get('from_a')").fetchall()) == 1
    assert server.dispatcher.tenants.switches > 0


def _workflow(tenant: str) -> Workflow:
    """Workflow "job" as each tenant's worker defines it: its output names the tenant."""
    wf = Workflow("job")

    @wf.task()
    async def step(data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        return {"ran_for": tenant}

    return wf


def _heartbeats(conn: Conn) -> dict[Any, Any]:
    rows = conn.execute("SELECT id, last_heartbeat_at FROM hewer.workers").fetchall()
    return {r["id"]: r["last_heartbeat_at"] for r in rows}


def test_workers_receive_only_their_tenants_tasks(
    conn: Conn, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hewer.dispatcher")
    asyncio.run(_workers_receive_only_their_tenants_tasks(conn, dsn))
    # Each worker's stream stayed up throughout: no heartbeat or claim for the wrong
    # tenant found a worker "gone" and ended its stream.
    connected = [r for r in caplog.records if r.getMessage() == "worker connected"]
    assert len(connected) == 2


async def _workers_receive_only_their_tenants_tasks(conn: Conn, dsn: str) -> None:
    _, token_a, _ = new_tenant(conn, "a")
    b, token_b, _ = new_tenant(conn, "b")
    settings = DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST)
    d = Dispatcher(settings)
    address = f"127.0.0.1:{await d.start()}"
    try:
        worker_a = Worker("worker-a", [_workflow("a")], dispatchers=[address], token=token_a)
        await asyncio.wait_for(worker_a.start(), 15)
        async with (
            Client([address], token=token_a) as client_a,
            Client([address], token=token_b) as client_b,
        ):
            # B registers its own "job" (its worker is not running yet).
            act_for(conn, b)
            register(conn, "job", _workflow("b").spec())
            runs_a = [await client_a.trigger("job", {"i": i}) for i in range(5)]
            runs_b = [await client_b.trigger("job", {"i": i}) for i in range(5)]
            for run_id in runs_a:
                assert await client_a.result(run_id, timeout=30) == {"step": {"ran_for": "a"}}
            # A's worker drained A's runs and took none of B's: they are still queued.
            assert {(await client_b.get(r)).status for r in runs_b} == {"queued"}
            worker_b = Worker("worker-b", [_workflow("b")], dispatchers=[address], token=token_b)
            await asyncio.wait_for(worker_b.start(), 15)
            try:
                for run_id in runs_b:
                    assert await client_b.result(run_id, timeout=30) == {"step": {"ran_for": "b"}}
                # Both at once: reports of both tenants share batches, claims and
                # heartbeats interleave; each call acts for its stream's tenant.
                both = await asyncio.gather(
                    *(c.trigger("job", {"i": i}) for i in range(10) for c in (client_a, client_b))
                )
                results = await asyncio.gather(*(
                    (client_a, client_b)[n % 2].result(r, timeout=30) for n, r in enumerate(both)
                ))  # fmt: skip
                assert results == [{"step": {"ran_for": t}} for _ in range(10) for t in "ab"]
                # The dispatcher heartbeats each tenant's workers in that tenant.
                seen = _heartbeats(conn)
                await until(lambda: all(_heartbeats(conn)[w] > seen[w] for w in seen))
                assert len(d.connected_workers()) == 2
            finally:
                worker_b.stop()
                await asyncio.wait_for(worker_b.wait_closed(), 30)
        # Every task ran on its own tenant's worker.
        by_worker = conn.execute(
            "SELECT w.name, r.tenant_id = %s AS of_b, count(*) AS n FROM hewer.tasks t "
            "JOIN hewer.runs r ON r.id = t.run_id JOIN hewer.workers w ON w.id = t.worker_id "
            "GROUP BY 1, 2 ORDER BY 1",
            (b,),
        ).fetchall()
        assert [(r["name"], r["of_b"], r["n"]) for r in by_worker] == [
            ("worker-a", False, 15),
            ("worker-b", True, 15),
        ]
        worker_a.stop()
        await asyncio.wait_for(worker_a.wait_closed(), 30)
    finally:
        await d.stop(grace=0.5)


def test_revoked_token_is_refused_and_ends_worker_streams(conn: Conn, dsn: str) -> None:
    asyncio.run(_revoked_token_is_refused_and_ends_worker_streams(conn, dsn))


async def _revoked_token_is_refused_and_ends_worker_streams(conn: Conn, dsn: str) -> None:
    a, token_a, token_id_a = new_tenant(conn, "a")
    act_for(conn, a)
    register(conn, "idle", ONE)  # no worker runs it: its run stays queued
    # A worker timeout of 10 minutes puts the heartbeat loop's token check (every
    # worker_timeout / 6) out of reach: the hewer_tokens notification ends the stream.
    settings = DispatcherSettings(
        listen="127.0.0.1:0", database_url=dsn, **(FAST | {"worker_timeout": 600.0})
    )
    d = Dispatcher(settings)
    address = f"127.0.0.1:{await d.start()}"
    try:
        w = Worker("worker-a", [_workflow("a")], dispatchers=[address], token=token_a)
        await asyncio.wait_for(w.start(), 15)
        async with Client([address], token=token_a) as client:
            run_id = await client.trigger("job", {})
            assert (await client.result(run_id, timeout=30))["step"]["ran_for"] == "a"
            assert len(d.connected_workers()) == 1
            idle = await client.trigger("idle", {})
            first_event = asyncio.Event()

            async def watch() -> None:
                async for _ in client.watch(idle):
                    first_event.set()

            watching = asyncio.ensure_future(watch())
            waiting = asyncio.ensure_future(client.wait(idle))
            await asyncio.wait_for(first_event.wait(), 15)
            conn.execute("SELECT hewer.token_revoke(%s)", (token_id_a,))
            # Calls in flight end...
            with pytest.raises(AuthenticationError, match="token revoked"):
                await asyncio.wait_for(watching, 15)
            with pytest.raises(AuthenticationError, match="revoked"):
                await asyncio.wait_for(waiting, 15)
            # The very next call is refused...
            with pytest.raises(AuthenticationError, match="was revoked") as info:
                await client.get(run_id)
            assert info.value.code == "UNAUTHENTICATED"
            assert "hewer tokens create" in str(info.value)
        # ...and the worker's stream was ended; reconnecting is refused, so the worker stops.
        with pytest.raises(AuthenticationError, match="was revoked"):
            await asyncio.wait_for(w.wait_closed(), 30)
        assert d.connected_workers() == []
    finally:
        await d.stop(grace=0.5)


def test_expired_token_ends_stream_on_heartbeat_check(conn: Conn, dsn: str) -> None:
    asyncio.run(_expired_token_ends_stream_on_heartbeat_check(conn, dsn))


async def _expired_token_ends_stream_on_heartbeat_check(conn: Conn, dsn: str) -> None:
    """No NOTIFY comes when a token expires: the heartbeat loop's check ends the stream."""
    conn.execute("SELECT hewer.tenant_create('a')")
    token = conn.execute(
        "SELECT * FROM hewer.token_create('short', 'a', now() + interval '1 hour')"
    ).fetchone()
    assert token is not None
    # The database heartbeat, and with it the token check, every worker_timeout / 6 = 0.5 s.
    settings = DispatcherSettings(
        listen="127.0.0.1:0", database_url=dsn, **(FAST | {"worker_timeout": 3.0})
    )
    d = Dispatcher(settings)
    address = f"127.0.0.1:{await d.start()}"
    try:
        channel = grpc.aio.insecure_channel(address)
        metadata = (("authorization", f"Bearer {token['token']}"),)
        stub = pb_grpc.DispatcherStub(channel)
        registered = await stub.Register(
            pb.RegisterRequest(name="raw", actions=["x:y"], slots=1), metadata=metadata
        )
        outgoing: asyncio.Queue[pb.WorkerMessage | None] = asyncio.Queue()
        outgoing.put_nowait(
            pb.WorkerMessage(request_id=1, hello=pb.Hello(worker_id=registered.worker_id))
        )

        async def requests() -> Any:
            while (message := await outgoing.get()) is not None:
                yield message

        async def beats() -> None:
            while True:
                await asyncio.sleep(0.1)
                outgoing.put_nowait(pb.WorkerMessage(heartbeat=pb.Heartbeat(free_slots=1)))

        beating = asyncio.ensure_future(beats())
        call = stub.Listen(requests(), metadata=metadata)
        errors: list[str] = []

        async def read() -> None:
            async for message in call:
                if message.WhichOneof("body") == "error":
                    errors.append(message.error.code)
                elif message.ack.request_id == 1:
                    # The stream is open: the token expires now (as if its time had come).
                    conn.execute(
                        "UPDATE hewer.api_tokens SET expires_at = now() WHERE id = %s",
                        (token["token_id"],),
                    )

        with pytest.raises(grpc.aio.AioRpcError) as info:
            await read()
        beating.cancel()
        outgoing.put_nowait(None)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "token revoked" in (info.value.details() or "")
        assert errors == ["unauthenticated"]
        await channel.close()
    finally:
        await d.stop(grace=0.5)


def test_no_token_while_tokens_exist(conn: Conn, server: ServerThread) -> None:
    conn.execute("SELECT hewer.workflow_register('wf', %s::jsonb)", ('{"steps": [{"name": "a"}]}',))
    with SyncClient([server.address], token="") as client:
        run_id = client.trigger("wf", {})  # no tokens at all: the default tenant
        assert client.get(run_id).status == "queued"
        assert server.dispatcher.tenants.switches == 0  # single tenant: no set_config at all
        new_tenant(conn, "a")
        with pytest.raises(AuthenticationError, match="an API token is required") as info:
            client.get(run_id)
        assert "HEWER_TOKEN" in str(info.value)
    with (
        SyncClient([server.address], token="hwt_nope") as client,
        pytest.raises(AuthenticationError, match="malformed"),
    ):
        client.trigger("wf", {})
    with grpc.insecure_channel(server.address) as channel:
        runs = pb_grpc.RunsStub(channel)
        with pytest.raises(grpc.RpcError) as raw:
            runs.Get(pb.GetRunRequest(run_id=run_id), metadata=(("authorization", "Basic x"),))
        assert raw.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "Bearer <token>" in (raw.value.details() or "")


def test_worker_without_token_is_refused_with_the_fix(conn: Conn, dsn: str) -> None:
    asyncio.run(_worker_without_token_is_refused_with_the_fix(conn, dsn))


async def _worker_without_token_is_refused_with_the_fix(conn: Conn, dsn: str) -> None:
    new_tenant(conn, "a")
    d = Dispatcher(DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST))
    address = f"127.0.0.1:{await d.start()}"
    try:
        w = Worker("no-token", [_workflow("a")], dispatchers=[address], token="")
        with pytest.raises(AuthenticationError, match="an API token is required") as info:
            await asyncio.wait_for(w.start(), 15)
        assert info.value.method == "RegisterWorkflow"
        assert "hewer tokens create NAME --tenant TENANT" in str(info.value)
    finally:
        await d.stop(grace=0.5)


def test_over_the_trigger_rate(conn: Conn, server: ServerThread) -> None:
    a, token_a, _ = new_tenant(conn, "a", max_trigger_rate=0.001, trigger_burst=2)
    act_for(conn, a)
    register(conn, "wf", ONE)
    with SyncClient([server.address], token=token_a) as client:
        client.trigger("wf", {})
        client.trigger("wf", {})
        with pytest.raises(RpcError, match="over its trigger rate") as info:
            client.trigger("wf", {})
        assert info.value.code == "RESOURCE_EXHAUSTED"
        assert len(client.list_runs("wf")) == 2


def test_token_expiring_later_still_works(conn: Conn, server: ServerThread) -> None:
    conn.execute("SELECT hewer.tenant_create('a')")
    token = conn.execute(
        "SELECT * FROM hewer.token_create('later', 'a', %s)",
        (datetime.now(UTC) + timedelta(hours=1),),
    ).fetchone()
    assert token is not None
    with SyncClient([server.address], token=token["token"]) as client:
        assert client.list_runs() == []


def test_leader_starts_event_and_scheduled_runs_in_their_tenant(conn: Conn, dsn: str) -> None:
    """The leader works across tenants: a routed event and a scheduled run start in the
    tenant that pushed or scheduled them, and no other tenant sees them."""
    a, token_a, _ = new_tenant(conn, "a")
    b, token_b, _ = new_tenant(conn, "b")
    on_orders = {"steps": [{"name": "only"}], "on_events": ["order.*"]}
    for tenant in (a, b):
        act_for(conn, tenant)
        register(conn, "on_order", on_orders)
        register(conn, "later", ONE)
    act_for(conn, b)
    conn.execute("SELECT hewer.push_event('order.new', '{\"n\": 1}')")
    conn.execute("SELECT hewer.run_schedule('later', '{}', now() + interval '300 ms')")
    settings = DispatcherSettings(
        listen="127.0.0.1:0", database_url=dsn, **(FAST | {"event_interval": 0.3})
    )
    server = ServerThread(settings).start()
    try:
        with (
            SyncClient([server.address], token=token_a) as client_a,
            SyncClient([server.address], token=token_b) as client_b,
        ):
            deadline = datetime.now(UTC) + timedelta(seconds=30)
            while len(client_b.list_runs()) < 2 and datetime.now(UTC) < deadline:
                time.sleep(0.1)
            assert sorted(r.workflow for r in client_b.list_runs()) == ["later", "on_order"]
            assert client_a.list_runs() == []
    finally:
        server.stop()


def test_tenant_setting_is_sent_only_when_it_changes(conn: Conn, dsn: str) -> None:
    a, _, _ = new_tenant(conn, "a")

    async def scenario() -> None:
        settings = TenantSettings()
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as aconn:

            async def tenant() -> str:
                cur = await aconn.execute("SELECT hewer.current_tenant()::text")
                row = await cur.fetchone()
                assert row is not None
                return str(row[0])

            await settings.use(aconn, DEFAULT_TENANT)  # a new connection is the default
            assert settings.switches == 0
            await settings.use(aconn, a)
            await settings.use(aconn, a)
            assert (settings.switches, await tenant()) == (1, str(a))
            await settings.use(aconn, DEFAULT_TENANT)
            assert (settings.switches, await tenant()) == (2, str(DEFAULT_TENANT))
            # A set_config that fails leaves the setting unknown: the next use sends it
            # again, even for the default tenant.
            conn.execute("SELECT pg_terminate_backend(%s)", (aconn.info.backend_pid,))
            with pytest.raises(psycopg.OperationalError):
                await settings.use(aconn, a)
            with pytest.raises(psycopg.OperationalError):
                await settings.use(aconn, DEFAULT_TENANT)

    asyncio.run(scenario())
