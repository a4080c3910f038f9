"""The dispatcher end to end: a real grpc.aio server, real PostgreSQL, raw protocol workers.

Each dispatcher runs in a background thread on its own event loop (ServerThread);
the tests talk to it with the generated synchronous stubs, as a worker in any
language would: Register, then a Listen stream that starts with hello.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
import pytest

from pydispatch.paths import REPO_ROOT
from pydispatch.schema import SchemaMismatchError
from pydispatch.server import Dispatcher, serve
from pydispatch.services import RUN_FINISHED
from pydispatch.settings import DispatcherSettings
from pyworker.logs import JsonFormatter
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from tests.engine import DIAMOND, register, run, trigger
from tests.waiting import wait_until

# Quick loops for tests; the defaults are for production.
FAST: dict[str, Any] = {
    "poll_interval": 0.3,
    "heartbeat_interval": 0.2,
    "reap_interval": 0.2,
    "worker_timeout": 30.0,
    "shutdown_grace": 1.0,
    "report_batch_delay": 0.01,
    "pool_max_size": 4,
}
ONE = {"steps": [{"name": "only"}]}


class ServerThread:
    """A Dispatcher on its own event loop in a background thread."""

    def __init__(self, settings: DispatcherSettings) -> None:
        self.settings = settings
        self.dispatcher = Dispatcher(settings)
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._grace = 0.5
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(30), "dispatcher did not start"
        if self._error is not None:
            raise self._error
        return self

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self.port = await self.dispatcher.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await self.dispatcher.stop(self._grace)

    def stop(self, grace: float = 0.5) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._grace = grace
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "dispatcher did not stop"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


_END = object()


class RawWorker:
    """A worker speaking the protocol directly: Register, Listen, hello, reports."""

    def __init__(
        self,
        channel: grpc.Channel,
        actions: list[str],
        *,
        slots: int = 4,
        name: str = "raw",
        worker_id: str = "",
    ) -> None:
        self.stub = pb_grpc.DispatcherStub(channel)
        response = self.stub.Register(
            pb.RegisterRequest(name=name, actions=actions, slots=slots, worker_id=worker_id)
        )
        self.worker_id: str = response.worker_id
        self.heartbeat_ms: int = response.heartbeat_interval_ms
        self.dispatcher_id: str = response.dispatcher_id
        self.reads_batches: bool = response.batches
        self.batches_received = 0  # DispatcherBatch messages (hello with batches=True)
        self._out: queue.Queue[pb.WorkerMessage | None] = queue.Queue()
        self._in: queue.Queue[Any] = queue.Queue()
        self._ids = itertools.count(1)
        self.assignments: deque[pb.Assignment] = deque()
        self.cancels: deque[pb.CancelTask] = deque()
        self.acks: dict[int, pb.Ack] = {}
        self.errors: list[pb.StreamError] = []
        self.status: tuple[grpc.StatusCode, str] | None = None
        self.call: Any = None
        self._beating = threading.Event()

    # -- stream --------------------------------------------------------------------------------

    def connect(
        self,
        *,
        hello: bool = True,
        heartbeat: bool = True,
        held: list[tuple[str, int]] | None = None,
        batches: bool = False,
    ) -> RawWorker:
        """Open the stream; `held`: say hello with reconcile and these (task_id, attempt);
        `batches`: say it reads DispatcherMessage.batch."""
        self.call = self.stub.Listen(self._requests())
        threading.Thread(target=self._read, daemon=True).start()
        if hello:
            greeting = pb.Hello(worker_id=self.worker_id, batches=batches)
            if held is not None:
                greeting.reconcile = True
                greeting.held.extend(pb.HeldTask(task_id=t, attempt=a) for t, a in held)
            rid = self.send(hello=greeting)
            assert self.ack(rid).accepted
        if heartbeat:
            self._beating.set()
            threading.Thread(target=self._beat, daemon=True).start()
        return self

    def _requests(self) -> Iterator[pb.WorkerMessage]:
        while True:
            message = self._out.get()
            if message is None:
                return
            yield message

    def _read(self) -> None:
        try:
            for message in self.call:
                self._in.put(message)
            self._in.put((_END, self.call.code(), self.call.details()))
        except grpc.RpcError as exc:
            self._in.put((_END, exc.code(), exc.details()))

    def _beat(self) -> None:
        while self._beating.is_set() and self.status is None:
            self._out.put(pb.WorkerMessage(heartbeat=pb.Heartbeat(free_slots=1)))
            time.sleep(0.1)

    def send(self, **body: Any) -> int:
        rid = next(self._ids)
        self._out.put(pb.WorkerMessage(request_id=rid, **body))
        return rid

    def send_raw(self, message: pb.WorkerMessage) -> None:
        self._out.put(message)

    def close(self) -> None:
        """Half-close: the worker is done sending."""
        self._beating.clear()
        self._out.put(None)

    def drop(self) -> None:
        """Vanish: cancel the stream without a word (a crashed worker)."""
        self._beating.clear()
        self.call.cancel()

    def pump(self, until: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                item = self._in.get(timeout=remaining)
            except queue.Empty:
                continue
            if isinstance(item, tuple) and item[0] is _END:
                self.status = (item[1], item[2])
                self._beating.clear()
                if not until():
                    raise AssertionError(f"stream ended with {self.status} waiting for {what}")
                return
            kind = item.WhichOneof("body")
            if kind == "batch":
                self.batches_received += 1
                for inner in item.batch.messages:
                    self._in.put(inner)
            elif kind == "assignment":
                self.assignments.append(item.assignment)
            elif kind == "cancel":
                self.cancels.append(item.cancel)
            elif kind == "ack":
                self.acks[item.ack.request_id] = item.ack
            elif kind == "error":
                self.errors.append(item.error)

    # -- expectations --------------------------------------------------------------------------

    def assignment(self, timeout: float = 5.0) -> pb.Assignment:
        self.pump(lambda: bool(self.assignments), timeout, "an assignment")
        return self.assignments.popleft()

    def take(self, n: int, timeout: float = 10.0) -> list[pb.Assignment]:
        self.pump(lambda: len(self.assignments) >= n, timeout, f"{n} assignments")
        return [self.assignments.popleft() for _ in range(n)]

    def ack(self, rid: int, timeout: float = 5.0) -> pb.Ack:
        self.pump(lambda: rid in self.acks, timeout, f"the ack of request {rid}")
        return self.acks.pop(rid)

    def error_for(self, rid: int, timeout: float = 5.0) -> pb.StreamError:
        self.pump(
            lambda: any(e.request_id == rid for e in self.errors), timeout, f"error for {rid}"
        )
        return next(e for e in self.errors if e.request_id == rid)

    def cancel(self, timeout: float = 5.0) -> pb.CancelTask:
        self.pump(lambda: bool(self.cancels), timeout, "a cancel")
        return self.cancels.popleft()

    def ended(self, timeout: float = 5.0) -> tuple[grpc.StatusCode, str]:
        self.pump(lambda: self.status is not None, timeout, "the end of the stream")
        assert self.status is not None
        return self.status

    def quiet(self, seconds: float) -> None:
        """Collect whatever arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        with pytest.raises(AssertionError, match="timed out"):
            self.pump(lambda: self.status is not None, max(0.0, deadline - time.monotonic()), "")

    # -- reports -------------------------------------------------------------------------------

    def started(self, a: pb.Assignment) -> int:
        return self.send(started=pb.TaskStarted(task_id=a.task_id, attempt=a.attempt))

    def complete(self, a: pb.Assignment, output: Any) -> int:
        return self.send(
            completed=pb.TaskCompleted(
                task_id=a.task_id, attempt=a.attempt, output_json=json.dumps(output)
            )
        )

    def fail(
        self, a: pb.Assignment, error: Any, *, retryable: bool = True, cancelled: bool = False
    ) -> int:
        return self.send(
            failed=pb.TaskFailed(
                task_id=a.task_id,
                attempt=a.attempt,
                error_json=json.dumps(error),
                retryable=retryable,
                cancelled=cancelled,
            )
        )


@pytest.fixture(autouse=True)
def _every_log_record_is_made(caplog: pytest.LogCaptureFixture) -> None:
    """Log at DEBUG so that every log call runs (a bad `extra` key raises only then)."""
    caplog.set_level(logging.DEBUG, logger="hewer")


@pytest.fixture
def start_dispatcher(dsn: str) -> Iterator[Callable[..., ServerThread]]:
    """Factory: start_dispatcher(**settings) runs a dispatcher on 127.0.0.1:0 for this test."""
    started: list[ServerThread] = []

    def make(**overrides: Any) -> ServerThread:
        settings = DispatcherSettings(
            listen="127.0.0.1:0", database_url=dsn, **{**FAST, **overrides}
        )
        server = ServerThread(settings).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def channel_to() -> Iterator[Callable[[ServerThread], grpc.Channel]]:
    """Factory: a client channel to a ServerThread, closed after the test."""
    channels: list[grpc.Channel] = []

    def make(server: ServerThread) -> grpc.Channel:
        channel = grpc.insecure_channel(server.address)
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        channel.close()


def register_workflow(channel: grpc.Channel, name: str, spec: dict[str, Any]) -> None:
    pb_grpc.DispatcherStub(channel).RegisterWorkflow(
        pb.RegisterWorkflowRequest(name=name, spec_json=json.dumps(spec))
    )


def trigger_run(channel: grpc.Channel, workflow: str, run_input: Any) -> str:
    response = pb_grpc.RunsStub(channel).Trigger(
        pb.TriggerRequest(workflow=workflow, input_json=json.dumps(run_input))
    )
    return str(response.run_id)


@dataclass
class Failure:
    """How a gRPC call failed."""

    code: grpc.StatusCode
    details: str


def rpc_error(fn: Callable[[], Any]) -> Failure:
    with pytest.raises(grpc.RpcError) as info:
        fn()
    call: Any = info.value
    return Failure(call.code(), call.details() or "")


# -- workers: assignment, reports, DAGs ----------------------------------------------------------


def test_assignment_arrives_on_notify_and_completion_finishes_the_run(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
) -> None:
    # A long poll interval: a prompt assignment can only come from the NOTIFY.
    server = start_dispatcher(poll_interval=5.0)
    channel = channel_to(server)
    register_workflow(channel, "one", ONE)
    worker = RawWorker(channel, ["one:only"])
    assert worker.heartbeat_ms == 200 and worker.dispatcher_id == server.settings.dispatcher_id
    worker.connect()
    assert server.dispatcher.connected_workers() == [uuid.UUID(worker.worker_id)]

    began = time.monotonic()
    run_id = trigger_run(channel, "one", {"x": 1})
    a = worker.assignment(timeout=2.0)
    assert time.monotonic() - began < 2.0
    assert a.run_id == run_id and a.attempt == 1 and a.workflow == "one" and a.step == "only"
    assert a.action == "one:only" and json.loads(a.input_json) == {"x": 1}
    assert json.loads(a.parents_json) == {} and a.timeout_at_unix_ms > time.time() * 1000

    assert worker.ack(worker.started(a)).accepted
    refresh = worker.send(
        refresh=pb.TaskRefresh(task_id=a.task_id, attempt=a.attempt, extend_by_ms=120_000)
    )
    ack = worker.ack(refresh)
    assert ack.accepted and ack.timeout_at_unix_ms > (time.time() + 100) * 1000
    assert worker.ack(
        worker.send(log=pb.LogLine(task_id=a.task_id, attempt=1, level="info", message="hi"))
    ).accepted
    assert worker.ack(worker.complete(a, {"answer": 42})).accepted

    done = pb_grpc.RunsStub(channel).Wait(pb.WaitRequest(run_id=run_id, timeout_ms=5000))
    assert done.status == "succeeded"
    assert json.loads(done.output_json) == {"only": {"answer": 42}}
    assert [t["status"] for t in json.loads(done.tasks_json)] == ["succeeded"]


def test_assignment_arrives_by_poll_and_on_a_new_stream(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(poll_interval=0.3)
    channel = channel_to(server)
    register(conn, "one", ONE)

    # Work that exists before the stream opens is claimed when it opens.
    [early] = trigger(conn, "one", [{"n": 0}])
    worker = RawWorker(channel, ["one:only"]).connect()
    assert worker.assignment(timeout=2.0).run_id == str(early["run_id"])

    # Ready only in 0.8 s: the NOTIFY comes now and finds nothing to claim; the poll finds it.
    conn.execute(
        "SELECT * FROM hewer.run_trigger('one', ARRAY['{}'::jsonb], p_now => now() + '0.8 s')"
    )
    began = time.monotonic()
    late = worker.assignment(timeout=3.0)
    assert 0.6 < time.monotonic() - began < 2.5
    assert late.step == "only"


def test_dag_children_are_assigned_after_their_parents(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    register_workflow(channel, "diamond", DIAMOND)
    worker = RawWorker(channel, [f"diamond:{s}" for s in "abcd"]).connect()
    run_id = trigger_run(channel, "diamond", {"n": 1})

    a = worker.assignment()
    assert a.step == "a"
    worker.quiet(0.4)
    assert not worker.assignments  # b and c wait for a
    assert worker.ack(worker.complete(a, {"from": "a"})).accepted

    bc = worker.take(2)
    assert sorted(t.step for t in bc) == ["b", "c"]
    assert all(json.loads(t.parents_json) == {"a": {"from": "a"}} for t in bc)
    for t in bc:
        assert worker.ack(worker.complete(t, t.step)).accepted
    d = worker.assignment()
    assert d.step == "d" and json.loads(d.parents_json) == {"b": "b", "c": "c"}
    assert worker.ack(worker.complete(d, "end")).accepted

    final = pb_grpc.RunsStub(channel).Wait(pb.WaitRequest(run_id=run_id, timeout_ms=5000))
    assert final.status == "succeeded"
    assert json.loads(final.output_json) == {"a": {"from": "a"}, "b": "b", "c": "c", "d": "end"}


def test_a_burst_of_completions_is_applied_in_few_batches(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(report_batch_delay=0.02)
    channel = channel_to(server)
    register(conn, "one", ONE)
    worker = RawWorker(channel, ["one:only"], slots=60).connect(heartbeat=False)
    runs = trigger(conn, "one", [{"i": i} for i in range(60)])
    assignments = worker.take(60)
    assert len({a.task_id for a in assignments}) == 60

    before = server.dispatcher.batcher.batches
    rids = {}
    for a in assignments:
        rids[worker.complete(a, {"i": json.loads(a.input_json)["i"] * 10})] = a
    acks = [worker.ack(rid) for rid in rids]
    assert all(ack.accepted for ack in acks), [ack.reason for ack in acks if not ack.accepted]
    assert server.dispatcher.batcher.batches - before <= 6

    for r in runs:
        got = run(conn, r["run_id"])
        assert got["status"] == "succeeded"
        assert got["output"] == {"only": {"i": got["input"]["i"] * 10}}


def test_batches_carry_a_claims_assignments_and_a_workers_reports_as_one_message(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(report_batch_delay=0.02)
    channel = channel_to(server)
    register(conn, "one", ONE)
    runs = trigger(conn, "one", [{"i": i} for i in range(30)])
    # A worker that never said it reads batches gets each message alone.
    plain = RawWorker(channel, ["one:only"], slots=10, name="plain").connect(heartbeat=False)
    assert plain.reads_batches
    got = plain.take(10)
    assert plain.batches_received == 0
    # One that did gets its claim's assignments in one message (its first claim takes 20).
    batched = RawWorker(channel, ["one:only"], slots=20, name="batched")
    batched.connect(heartbeat=False, batches=True)
    mine = batched.take(20)
    assert 1 <= batched.batches_received < 20
    assert len({a.task_id for a in got + mine}) == 30

    # Reports up in one WorkerBatch: each has its own request_id and Ack; a hello inside is
    # refused alone, and the batch's own request_id is ignored.
    ids = itertools.count(100)
    reports = [
        pb.WorkerMessage(
            request_id=next(ids),
            completed=pb.TaskCompleted(
                task_id=a.task_id, attempt=a.attempt, output_json=json.dumps(a.input_json)
            ),
        )
        for a in mine
    ]
    intruder = pb.WorkerMessage(request_id=next(ids), hello=pb.Hello(worker_id=batched.worker_id))
    batched.send_raw(
        pb.WorkerMessage(request_id=7, batch=pb.WorkerBatch(messages=[*reports, intruder]))
    )
    acks = [batched.ack(m.request_id) for m in reports]
    assert all(a.accepted for a in acks), [a.reason for a in acks if not a.accepted]
    assert not batched.ack(intruder.request_id).accepted
    assert "hello was already received" in batched.error_for(intruder.request_id).message
    assert 7 not in batched.acks
    # The Acks of one report batch came down together.
    assert batched.batches_received >= 2
    for a in got:
        plain.ack(plain.complete(a, {}))
    assert plain.batches_received == 0
    assert {run(conn, r["run_id"])["status"] for r in runs} == {"succeeded"}


def test_a_worker_that_reports_no_free_slots_is_given_nothing_until_it_has_some(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    register(conn, "one", ONE)
    worker = RawWorker(channel, ["one:only"], slots=2).connect(heartbeat=False)
    assert worker.ack(worker.send(heartbeat=pb.Heartbeat(free_slots=0))).accepted  # draining
    worker.quiet(0.2)  # a claim that began when the stream opened has finished
    trigger(conn, "one", [{}])
    worker.quiet(0.6)
    assert not worker.assignments
    worker.send(heartbeat=pb.Heartbeat(free_slots=2))
    assert worker.assignment(timeout=1.0).step == "only"


def test_malformed_and_stale_reports_are_rejected_and_other_streams_carry_on(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    register(conn, "one", ONE)
    bad = RawWorker(channel, ["one:only"], slots=1).connect()
    good = RawWorker(channel, ["one:only"], slots=1).connect()
    trigger(conn, "one", [{"w": 1}, {"w": 2}])
    a = bad.assignment()
    b = good.assignment()

    def rejected(w: RawWorker, rid: int, reason: str) -> pb.StreamError | None:
        ack = w.ack(rid)
        assert not ack.accepted and ack.reason == reason, ack
        return w.error_for(rid) if reason == "invalid" else None

    err = rejected(bad, bad.send(), "invalid")
    assert err and err.code == "invalid_argument" and "empty WorkerMessage" in err.message
    rid = bad.send(completed=pb.TaskCompleted(task_id="nope", attempt=1, output_json="1"))
    err = rejected(bad, rid, "invalid")
    assert err and "completed.task_id must be a UUID" in err.message
    rid = bad.send(completed=pb.TaskCompleted(task_id=a.task_id, attempt=0, output_json="1"))
    err = rejected(bad, rid, "invalid")
    assert err and "completed.attempt" in err.message
    for text in ("{not json", "NaN", '"\\u0000"'):
        rid = bad.send(
            completed=pb.TaskCompleted(task_id=a.task_id, attempt=a.attempt, output_json=text)
        )
        err = rejected(bad, rid, "invalid")
        assert err and "completed.output_json" in err.message
    rid = bad.send(refresh=pb.TaskRefresh(task_id=a.task_id, attempt=1, extend_by_ms=-5))
    err = rejected(bad, rid, "invalid")
    assert err and "refresh.extend_by_ms" in err.message
    rid = bad.send(hello=pb.Hello(worker_id=bad.worker_id))
    err = rejected(bad, rid, "invalid")
    assert err and "already received" in err.message

    unknown = pb.Assignment(task_id=str(uuid.uuid4()), attempt=1)
    rejected(bad, bad.complete(unknown, 1), "unknown_task")
    stale = pb.Assignment(task_id=a.task_id, attempt=a.attempt + 1)
    rejected(bad, bad.complete(stale, 1), "stale_attempt")
    rejected(bad, bad.started(stale), "stale_attempt")

    # None of it was stored; the other worker's stream never noticed.
    row = conn.execute(
        "SELECT status::text, output FROM hewer.tasks WHERE id = %s", (a.task_id,)
    ).fetchone()
    assert row == {"status": "assigned", "output": None}
    assert not good.errors
    assert good.ack(good.complete(b, "fine")).accepted
    assert bad.ack(bad.complete(a, "late but fine")).accepted
    assert bad.status is None and good.status is None
    rejected(bad, bad.complete(a, "twice"), "stale_attempt")


def test_cancelling_a_run_sends_cancel_down_the_right_stream(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(poll_interval=5.0)
    channel = channel_to(server)
    register(conn, "x", ONE)
    register(conn, "y", ONE)
    wx = RawWorker(channel, ["x:only"]).connect()
    wy = RawWorker(channel, ["y:only"]).connect()
    run_x = trigger_run(channel, "x", {})
    trigger_run(channel, "y", {})
    ax = wx.assignment()
    wy.assignment()
    wx.ack(wx.started(ax))

    runs = pb_grpc.RunsStub(channel)
    response = runs.Cancel(pb.CancelRequest(run_id=run_x))
    assert response.cancelled and response.status == "cancelled"
    cancel = wx.cancel(timeout=2.0)  # the NOTIFY path: the poll is 5 s away
    assert (cancel.task_id, cancel.attempt) == (ax.task_id, ax.attempt)
    wy.quiet(0.5)
    assert not wy.cancels
    wx.quiet(0.4)
    assert not wx.cancels  # sent once

    assert wx.ack(wx.fail(ax, {"message": "stopped"}, cancelled=True)).accepted
    tasks = json.loads(runs.Get(pb.GetRunRequest(run_id=run_x)).tasks_json)
    assert [t["status"] for t in tasks] == ["cancelled"]
    again = runs.Cancel(pb.CancelRequest(run_id=run_x))
    assert not again.cancelled and again.status == "cancelled"


# -- the Runs service ----------------------------------------------------------------------------


def test_runs_trigger_get_wait_watch_cancel(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
) -> None:
    server = start_dispatcher(poll_interval=5.0)
    channel = channel_to(server)
    runs = pb_grpc.RunsStub(channel)
    register_workflow(channel, "pair", {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]})

    err = rpc_error(lambda: runs.Trigger(pb.TriggerRequest(workflow="nope")))
    assert err.code == grpc.StatusCode.NOT_FOUND and "'nope' does not exist" in err.details
    err = rpc_error(lambda: runs.Trigger(pb.TriggerRequest(workflow="pair", input_json="{x")))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "input_json" in err.details
    err = rpc_error(lambda: runs.Trigger(pb.TriggerRequest(workflow="pair", input_json="[1]")))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "JSON object" in err.details
    err = rpc_error(lambda: runs.Get(pb.GetRunRequest(run_id=str(uuid.uuid4()))))
    assert err.code == grpc.StatusCode.NOT_FOUND
    err = rpc_error(lambda: runs.Wait(pb.WaitRequest(run_id="x")))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "run_id" in err.details
    err = rpc_error(lambda: runs.Cancel(pb.CancelRequest(run_id=str(uuid.uuid4()))))
    assert err.code == grpc.StatusCode.NOT_FOUND

    first = runs.Trigger(
        pb.TriggerRequest(workflow="pair", input_json='{"k": 1}', idempotency_key="k1", priority=5)
    )
    assert first.created
    again = runs.Trigger(pb.TriggerRequest(workflow="pair", idempotency_key="k1"))
    assert (again.run_id, again.created) == (first.run_id, False)
    got = runs.Get(pb.GetRunRequest(run_id=first.run_id))
    assert (got.workflow, got.version, got.status) == ("pair", 1, "queued")
    assert json.loads(got.input_json) == {"k": 1} and got.created_at_unix_ms > 0

    # Wait returns the current state at its timeout, and before the call's own deadline.
    began = time.monotonic()
    assert runs.Wait(pb.WaitRequest(run_id=first.run_id, timeout_ms=300)).status == "queued"
    assert 0.25 < time.monotonic() - began < 2.0
    began = time.monotonic()
    assert runs.Wait(pb.WaitRequest(run_id=first.run_id), timeout=0.6).status == "queued"
    assert time.monotonic() - began < 0.6

    events: list[pb.RunEvent] = []
    pool = ThreadPoolExecutor(2)
    watching = pool.submit(lambda: events.extend(runs.Watch(pb.WatchRequest(run_id=first.run_id))))
    waiting = pool.submit(lambda: runs.Wait(pb.WaitRequest(run_id=first.run_id, timeout_ms=10_000)))
    worker = RawWorker(channel, ["pair:a", "pair:b"]).connect()
    a = worker.assignment()
    worker.ack(worker.started(a))
    worker.ack(worker.complete(a, 1))
    b = worker.assignment()
    began = time.monotonic()
    worker.ack(worker.complete(b, 2))
    done = waiting.result(timeout=5)
    assert done.status == "succeeded" and time.monotonic() - began < 2.0  # woken by NOTIFY
    watching.result(timeout=5)
    pool.shutdown()

    steps = [(e.step, e.kind) for e in events[:-1]]
    # Events written by one statement (a run's tasks created; a's success and b's
    # queueing) come in either order.
    assert sorted(steps[0:2]) == [("a", "created"), ("b", "created")]
    assert sorted(steps[4:6]) == [("a", "succeeded"), ("b", "queued")]
    assert steps[2:4] + steps[6:] == [
        ("a", "assigned"),
        ("a", "started"),
        ("b", "assigned"),
        ("b", "started"),  # b sent no start report: its completion recorded the start
        ("b", "succeeded"),
    ]
    assert all(e.run_id == first.run_id and e.at_unix_ms > 0 for e in events)
    assert not any(e.run_status for e in events[:-1])
    last = events[-1]
    assert (last.kind, last.run_status, last.status) == (RUN_FINISHED, "succeeded", "succeeded")

    # Cancel a queued run; Watch on a finished run ends at once.
    worker.close()
    assert worker.ended()[0] == grpc.StatusCode.OK
    other = runs.Trigger(pb.TriggerRequest(workflow="pair"))
    cancelled = runs.Cancel(pb.CancelRequest(run_id=other.run_id))
    assert cancelled.cancelled and cancelled.status == "cancelled"
    tail = list(runs.Watch(pb.WatchRequest(run_id=other.run_id), timeout=5))
    assert tail[-1].run_status == "cancelled"
    assert {(e.step, e.kind) for e in tail[:-1]} >= {("a", "cancelled"), ("b", "cancelled")}


def test_register_workflow_and_worker_errors_name_the_problem(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    stub = pb_grpc.DispatcherStub(channel)

    def register_spec(spec_json: str) -> Failure:
        return rpc_error(
            lambda: stub.RegisterWorkflow(pb.RegisterWorkflowRequest(name="w", spec_json=spec_json))
        )

    cyclic = {"steps": [{"name": "a", "parents": ["b"]}, {"name": "b", "parents": ["a"]}]}
    err = register_spec(json.dumps(cyclic))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "cycle" in err.details and "hint:" in err.details and "HW002" in err.details
    err = register_spec(json.dumps({"steps": [{"name": "a", "retries": -1}]}))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and '"retries"' in err.details
    err = register_spec(json.dumps({"stepz": []}))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and 'unknown field "stepz"' in err.details
    err = register_spec("{oops")
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "spec_json" in err.details
    ok = stub.RegisterWorkflow(pb.RegisterWorkflowRequest(name="w", spec_json=json.dumps(ONE)))
    assert ok.created and ok.version == 1
    same = stub.RegisterWorkflow(pb.RegisterWorkflowRequest(name="w", spec_json=json.dumps(ONE)))
    assert not same.created and same.version_id == ok.version_id
    assert ok.current_version == same.current_version == 1
    two = {"steps": [{"name": "a", "retries": 1}]}
    newer = stub.RegisterWorkflow(pb.RegisterWorkflowRequest(name="w", spec_json=json.dumps(two)))
    assert newer.created and newer.version == newer.current_version == 2
    # The old spec again: its version, not made current, and the answer says which is.
    older = stub.RegisterWorkflow(pb.RegisterWorkflowRequest(name="w", spec_json=json.dumps(ONE)))
    assert (older.created, older.version, older.current_version) == (False, 1, 2)

    err = rpc_error(lambda: stub.Register(pb.RegisterRequest(name="w", slots=1)))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "at least one action" in err.details
    err = rpc_error(lambda: stub.Register(pb.RegisterRequest(name="w", actions=["a"], slots=0)))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "slots" in err.details
    err = rpc_error(
        lambda: stub.Register(pb.RegisterRequest(name="w", actions=["a"], slots=1, worker_id="1"))
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "worker_id" in err.details

    # Listen: the first message must be hello from a registered worker.
    stranger = RawWorker(channel, ["w:only"])
    stranger.worker_id = str(uuid.uuid4())
    stranger.connect(hello=False, heartbeat=False)
    rid = stranger.send(hello=pb.Hello(worker_id=stranger.worker_id))
    code, text = stranger.ended()
    assert code == grpc.StatusCode.NOT_FOUND and "not registered" in text
    assert stranger.error_for(rid).code == "not_found"

    rude = RawWorker(channel, ["w:only"]).connect(hello=False, heartbeat=False)
    rude.send(heartbeat=pb.Heartbeat())
    code, text = rude.ended()
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "must be hello" in text


# -- several dispatchers, the reaper, startup and shutdown -----------------------------------------


def test_two_dispatchers_share_a_database_with_one_reaper(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    one, two = start_dispatcher(), start_dispatcher()
    wait_until(lambda: one.dispatcher.is_leader or two.dispatcher.is_leader, what="a leader")
    time.sleep(0.5)  # a few reap intervals: the other keeps trying and keeps failing
    assert one.dispatcher.is_leader != two.dispatcher.is_leader
    leader, follower = (one, two) if one.dispatcher.is_leader else (two, one)
    wait_until(lambda: (leader.dispatcher.leader.reap_passes or 0) > 1, what="reaping")  # type: ignore[union-attr]
    assert follower.dispatcher.leader.reap_passes == 0  # type: ignore[union-attr]

    register(conn, "one", ONE)
    w1 = RawWorker(channel_to(one), ["one:only"], slots=3).connect()
    w2 = RawWorker(channel_to(two), ["one:only"], slots=3).connect()
    assert one.dispatcher.connected_workers() == [uuid.UUID(w1.worker_id)]
    assert two.dispatcher.connected_workers() == [uuid.UUID(w2.worker_id)]
    trigger(conn, "one", [{"i": i} for i in range(6)])
    got1, got2 = w1.take(3), w2.take(3)
    holders = {
        str(r["id"]): str(r["worker_id"])
        for r in conn.execute("SELECT id, worker_id FROM hewer.tasks").fetchall()
    }
    assert all(holders[a.task_id] == w1.worker_id for a in got1)
    assert all(holders[a.task_id] == w2.worker_id for a in got2)

    # The leader goes away: it releases the lock and the other dispatcher takes over.
    w_leader = w1 if leader is one else w2
    leader.stop(grace=1.0)
    code, _ = w_leader.ended()
    assert code == grpc.StatusCode.UNAVAILABLE
    assert any(e.code == "shutting_down" for e in w_leader.errors)
    wait_until(lambda: follower.dispatcher.is_leader, timeout=3.0, what="the new leader")


@pytest.mark.chaos
def test_the_listen_and_leader_connections_come_back_after_being_killed(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(poll_interval=5.0)
    leader = server.dispatcher.leader
    assert leader is not None
    wait_until(lambda: leader.reap_passes > 0, what="reaping")
    register(conn, "one", ONE)
    worker = RawWorker(channel_to(server), ["one:only"]).connect()

    killed = conn.execute(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
        "WHERE datname = current_database() "
        "AND application_name IN ('hewer-dispatcher-listen', 'hewer-dispatcher-leader')"
    ).fetchone()
    assert killed is not None and killed["n"] == 2
    wait_until(lambda: not leader.is_leader, what="leadership to be lost")
    passes = leader.reap_passes
    wait_until(lambda: leader.is_leader and leader.reap_passes > passes, what="leadership back")
    wait_until(lambda: _listening(conn), what="the LISTEN connection back")

    began = time.monotonic()
    trigger(conn, "one", [{}])
    assert worker.assignment(timeout=3.0).step == "only"
    assert time.monotonic() - began < 3.0  # by NOTIFY: the poll is 5 s away


def test_a_vanished_worker_is_reaped_and_its_task_goes_to_another(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher(worker_timeout=1.5)
    channel = channel_to(server)
    spec = {"steps": [{"name": "only", "retries": 1, "backoff": {"base": 0, "max": 0}}]}
    register(conn, "one", spec)
    gone = RawWorker(channel, ["one:only"]).connect()
    [r] = trigger(conn, "one", [{}])
    a = gone.assignment()
    heir = RawWorker(channel, ["one:only"]).connect()

    gone.drop()
    wait_until(
        lambda: server.dispatcher.connected_workers() == [uuid.UUID(heir.worker_id)],
        what="the stream to close",
    )
    beat = "SELECT last_heartbeat_at, status FROM hewer.workers WHERE id = %s"
    last = conn.execute(beat, (gone.worker_id,)).fetchone()
    b = heir.assignment(timeout=5.0)
    assert (b.task_id, b.attempt) == (a.task_id, 2)
    dead = conn.execute(beat, (gone.worker_id,)).fetchone()
    assert dead is not None and last is not None
    assert dead["status"] == "dead" and dead["last_heartbeat_at"] == last["last_heartbeat_at"]
    assert conn.execute(beat, (heir.worker_id,)).fetchone()["status"] == "active"  # type: ignore[index]
    history = conn.execute(
        "SELECT kind FROM hewer.task_history(ARRAY[%s::uuid])", (a.task_id,)
    ).fetchall()
    assert [h["kind"] for h in history][-2:] == ["retrying", "assigned"]
    assert heir.ack(heir.complete(b, "second time")).accepted
    assert run(conn, r["run_id"])["status"] == "succeeded"

    # The dead worker's late report is fenced off; it registers again to come back.
    back = RawWorker(channel, ["one:only"], worker_id=gone.worker_id)
    assert back.worker_id == gone.worker_id
    back.connect()
    ack = back.ack(back.complete(a, "too late"))
    assert not ack.accepted and ack.reason == "stale_attempt"


def test_a_dead_worker_cannot_listen_until_it_registers_again(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    worker = RawWorker(channel, ["one:only"])
    conn.execute("UPDATE hewer.workers SET status = 'dead' WHERE id = %s", (worker.worker_id,))
    worker.connect(hello=False, heartbeat=False)
    worker.send(hello=pb.Hello(worker_id=worker.worker_id))
    code, text = worker.ended()
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "declared dead" in text
    assert f"Register with worker_id {worker.worker_id}" in text


def test_the_dispatcher_refuses_an_unmigrated_database(
    create_database: Callable[..., str],
) -> None:
    settings = DispatcherSettings(listen="127.0.0.1:0", database_url=create_database())
    with pytest.raises(SchemaMismatchError, match="hewer migrate up"):
        asyncio.run(Dispatcher(settings).start())
    with pytest.raises(SchemaMismatchError, match="no hewer schema"):
        asyncio.run(serve(settings))


def _listening(conn: psycopg.Connection[Any]) -> bool:
    """Whether a dispatcher's LISTEN connection has run its LISTEN statements."""
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'hewer-dispatcher-listen' AND state = 'idle'"
        " AND query LIKE 'LISTEN%%'"
    ).fetchone()
    return bool(row and (row["n"] if isinstance(row, dict) else row[0]))


def test_serve_runs_until_stopped(dsn: str) -> None:
    stop_holder: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    settings = DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST)

    async def main() -> None:
        stop = asyncio.Event()
        stop_holder.append((asyncio.get_running_loop(), stop))
        await serve(settings, stop=stop)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    wait_until(lambda: bool(stop_holder), what="serve to start")
    with psycopg.connect(dsn, autocommit=True) as observer:
        wait_until(lambda: _listening(observer), what="the dispatcher to listen")
    assert thread.is_alive()
    loop, stop = stop_holder[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    assert not thread.is_alive()


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="poll_interval must be positive"):
        DispatcherSettings(poll_interval=0)
    with pytest.raises(ValueError, match="listen must be host:port"):
        DispatcherSettings(listen="7077")
    with pytest.raises(ValueError, match="log_level"):
        DispatcherSettings(log_level="LOUD")
    assert DispatcherSettings().listen == "127.0.0.1:7077"


def test_run_dispatcher_logs_json_and_shuts_down_on_sigterm(
    dsn: str, conn: psycopg.Connection[Any]
) -> None:
    code = (
        "import sys\n"
        "from pydispatch.server import run_dispatcher\n"
        "from pydispatch.settings import DispatcherSettings\n"
        "run_dispatcher(DispatcherSettings(listen='127.0.0.1:0', database_url=sys.argv[1],\n"
        "    poll_interval=0.3, heartbeat_interval=0.2, shutdown_grace=5))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, dsn], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    records: list[dict[str, Any]] = []

    def wait_record(msg: str) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line.startswith("{"):  # gRPC's C core may print its own lines
                records.append(json.loads(line))
                if records[-1]["msg"] == msg:
                    return records[-1]
        raise AssertionError(f"no {msg!r} log record; got {records}")

    try:
        started = wait_record("dispatcher started")
        assert started["level"] == "INFO" and started["logger"] == "hewer.dispatcher"
        channel = grpc.insecure_channel(f"127.0.0.1:{started['port']}")
        register(conn, "one", ONE)
        worker = RawWorker(channel, ["one:only"]).connect()
        trigger(conn, "one", [{}])
        a = worker.assignment()
        worker.send(log=pb.LogLine(task_id=a.task_id, attempt=1, level="warn", message="careful"))
        logged = wait_record("careful")
        assert logged["level"] == "WARNING" and logged["task_id"] == a.task_id
        assert logged["worker_id"] == worker.worker_id and logged["worker_level"] == "warn"

        proc.send_signal(signal.SIGTERM)
        worker.pump(lambda: any(e.code == "shutting_down" for e in worker.errors), 5, "notice")
        # Reports still count during the grace period; then the worker leaves.
        assert worker.ack(worker.complete(a, "done")).accepted
        worker.close()
        assert worker.ended()[0] == grpc.StatusCode.OK
        assert proc.wait(15) == 0
        wait_record("dispatcher stopped")
        channel.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_json_log_lines_carry_the_extra_fields() -> None:
    record = logging.LogRecord("hewer.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.task_id = uuid.UUID(int=1)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "hello you" and entry["level"] == "INFO" and entry["logger"] == "hewer.x"
    assert entry["task_id"] == str(uuid.UUID(int=1)) and "ts" in entry


def _waited(channel: grpc.Channel, run_id: str) -> str:
    """The run's status once it has finished (or after 10 s)."""
    runs = pb_grpc.RunsStub(channel)
    return str(runs.Wait(pb.WaitRequest(run_id=run_id, timeout_ms=10_000)).status)


RETRIED_ONCE = {"steps": [{"name": "only", "retries": 1, "backoff": {"base": 0, "jitter": 0}}]}


def test_a_worker_back_under_its_id_gets_the_tasks_it_lost_retried_at_once(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    # The defaults' worker timeout (30 s) and reap interval: only the hello can be this quick.
    server = start_dispatcher(worker_timeout=30.0, reap_interval=5.0, poll_interval=5.0)
    channel = channel_to(server)
    register_workflow(channel, "lost", RETRIED_ONCE)
    first = RawWorker(channel, ["lost:only"]).connect()
    run_id = trigger_run(channel, "lost", {})
    a = first.assignment(timeout=5.0)
    assert first.ack(first.started(a)).accepted
    first.drop()  # killed: its process is gone, and with it the task

    began = time.monotonic()
    again = RawWorker(channel, ["lost:only"], worker_id=first.worker_id)
    assert again.worker_id == first.worker_id
    again.connect(held=[])  # back under the same id, holding nothing
    b = again.assignment(timeout=5.0)
    assert (b.task_id, b.attempt) == (a.task_id, 2)
    assert time.monotonic() - began < 5.0
    assert again.ack(again.complete(b, {"ok": True})).accepted
    assert _waited(channel, run_id) == "succeeded"
    [row] = conn.execute(
        "SELECT h.data FROM hewer.task_history(ARRAY[%s]::uuid[]) h WHERE h.kind = 'retrying'",
        (a.task_id,),
    ).fetchall()
    assert row["data"]["error"]["type"] == "worker_restarted"


def test_a_worker_that_kept_its_task_across_a_reconnect_keeps_it(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
    conn: psycopg.Connection[Any],
) -> None:
    server = start_dispatcher()
    channel = channel_to(server)
    register_workflow(channel, "kept", RETRIED_ONCE)
    first = RawWorker(channel, ["kept:only"]).connect()
    run_id = trigger_run(channel, "kept", {})
    a = first.assignment(timeout=5.0)
    assert first.ack(first.started(a)).accepted
    first.drop()  # the network, not the process: the task is still running here
    again = RawWorker(channel, ["kept:only"], worker_id=first.worker_id)
    again.connect(held=[(a.task_id, a.attempt)])
    assert again.ack(again.complete(a, {"ok": True})).accepted
    assert _waited(channel, run_id) == "succeeded"
    assert conn.execute(
        "SELECT attempt FROM hewer.tasks WHERE id = %s", (a.task_id,)
    ).fetchone() == {"attempt": 1}


def test_a_retry_is_assigned_when_its_backoff_ends_not_at_the_next_poll(
    start_dispatcher: Callable[..., ServerThread],
    channel_to: Callable[[ServerThread], grpc.Channel],
) -> None:
    # A 5 s poll: the retry after a 0.3 s backoff can only come this soon from the timer
    # the failure report set.
    server = start_dispatcher(poll_interval=5.0)
    channel = channel_to(server)
    spec = {"steps": [{"name": "only", "retries": 1, "backoff": {"base": 0.3, "jitter": 0}}]}
    register_workflow(channel, "backoff", spec)
    worker = RawWorker(channel, ["backoff:only"]).connect()
    run_id = trigger_run(channel, "backoff", {})
    a = worker.assignment(timeout=5.0)
    assert worker.ack(worker.started(a)).accepted
    assert worker.ack(worker.fail(a, {"type": "flaky", "message": "try again"})).accepted
    failed_at = time.monotonic()
    b = worker.assignment(timeout=4.0)
    waited = time.monotonic() - failed_at
    assert (b.task_id, b.attempt) == (a.task_id, 2)
    assert 0.25 <= waited < 4.0, waited  # its backoff, then at once (the poll is 5 s)
    assert worker.ack(worker.complete(b, {"ok": True})).accepted
    assert _waited(channel, run_id) == "succeeded"
