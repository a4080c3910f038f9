"""Streamed task output (ctx.stream): chunks from real worker processes through the dispatcher
into hewer.task_streams, followed over gRPC (Client.output) and over HTTP (GET
/v1/runs/{id}/output), across a dispatcher killed mid-stream. Workflows are in
tests/stream_flows.py."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hewer_tools.processes import FAST, Processes, trigger_when_registered, wait_until
from pyworker import OutputChunk, SyncClient
from tests.engine import claim, register, trigger, worker
from tests.test_api import Api

Conn = psycopg.Connection[Any]
FLOWS = "tests.stream_flows:flows"


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path)
    try:
        yield p
    finally:
        p.close()


def _in_order(chunks: list[OutputChunk]) -> None:
    """Each attempt's chunks are numbered 1, 2, ... in the order they came."""
    by_attempt: dict[tuple[str, int], list[int]] = {}
    for c in chunks:
        by_attempt.setdefault((c.task_id, c.attempt), []).append(c.seq)
    for seqs in by_attempt.values():
        assert seqs == list(range(1, len(seqs) + 1)), seqs


def test_a_late_follower_gets_what_was_streamed_then_the_rest_in_order(
    procs: Processes,
) -> None:
    dispatcher = procs.start_dispatcher(flags=FAST)
    procs.start_worker(dispatcher.address, slots=2, target=FLOWS)
    with SyncClient([dispatcher.address]) as client:
        run_id = trigger_when_registered(client, "stream_talker", {"tokens": 40, "gap": 0.02})
        early: list[OutputChunk] = []
        follower = threading.Thread(target=lambda: early.extend(client.output(run_id)))
        follower.start()
        # A second follower joins once half the tokens are out.
        wait_until(lambda: len(early) >= 20, 30, "the first 20 tokens")
        late = list(client.output(run_id))
        follower.join(30)
        assert client.result(run_id, timeout=30) == {"speak": 40}
        again = list(client.output(run_id))  # after the end: all of it, then the stream ends
        after = list(client.output(run_id, after=again[9].chunk_id))
    text = "".join(f"t{i} " for i in range(1, 41))
    for chunks in (early, late, again):
        assert "".join(c.data for c in chunks) == text
        assert {c.step for c in chunks} == {"speak"}
        _in_order(chunks)
    assert [c.chunk_id for c in after] == [c.chunk_id for c in again[10:]]


def test_chunks_of_several_steps_and_long_text_split(procs: Processes) -> None:
    dispatcher = procs.start_dispatcher(flags=FAST)
    procs.start_worker(dispatcher.address, slots=2, target=FLOWS)
    with SyncClient([dispatcher.address]) as client:
        run_id = trigger_when_registered(client, "stream_chatter", {})
        client.result(run_id, timeout=30)
        chunks = list(client.output(run_id))
        [second_task] = {c.task_id for c in chunks if c.step == "second"}
        only_second = list(client.output(run_id, task_id=second_task))
    assert [(c.step, c.data[:3], len(c.data)) for c in chunks] == [
        ("first", "a0", 2), ("first", "a1", 2), ("first", "a2", 2),
        ("first", "xxx", 65_536), ("first", "xxx", 70_000 - 65_536), ("second", "b0", 2),
    ]  # fmt: skip
    _in_order(chunks)
    assert [c.data for c in only_second] == ["b0"]


def test_a_stream_goes_on_when_its_dispatcher_is_killed(procs: Processes) -> None:
    d1 = procs.start_dispatcher(flags=FAST, name="d1")
    d2 = procs.start_dispatcher(flags=FAST, name="d2")
    procs.start_worker(d1.address, d2.address, slots=2, target=FLOWS)
    with SyncClient([d1.address, d2.address]) as client:
        run_id = trigger_when_registered(client, "stream_talker", {"tokens": 150, "gap": 0.02})
        got: list[OutputChunk] = []
        errors: list[BaseException] = []

        def follow() -> None:
            try:
                got.extend(client.output(run_id))
            except BaseException as exc:  # noqa: BLE001 - checked below
                errors.append(exc)

        follower = threading.Thread(target=follow)
        follower.start()
        wait_until(lambda: len(got) >= 30, 30, "30 tokens")
        procs.kill(d1)  # SIGKILL: the worker and the follower move to d2
        follower.join(60)
        assert not follower.is_alive() and not errors, errors
        assert client.result(run_id, timeout=60) == {"speak": 150}
        stored = list(client.output(run_id))
    text = "".join(f"t{i} " for i in range(1, 151))
    # Nothing lost, nothing twice: the follower's chunks and what is stored.
    assert "".join(c.data for c in stored) == text
    _in_order(stored)
    assert len({c.chunk_id for c in got}) == len(got)
    assert sorted(c.seq for c in got) == list(range(1, 151))


def _sse(url: str, token: str | None = None) -> list[tuple[str, str, Any]]:
    """(event, id, data) of every server-sent event until the stream ends."""
    request = urllib.request.Request(url)  # noqa: S310 - http://127.0.0.1
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    events: list[tuple[str, str, Any]] = []
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - localhost
        event, event_id, data = "", "", ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if not line:
                events.append((event, event_id, json.loads(data)))
                event, event_id, data = "", "", ""
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = line[6:]
    return events


def test_the_http_api_streams_output_and_resumes_after_the_last_event_id(
    procs: Processes, dsn: str
) -> None:
    dispatcher = procs.start_dispatcher(flags=FAST)
    procs.start_worker(dispatcher.address, slots=2, target=FLOWS)
    api = Api(dsn).start()
    try:
        with SyncClient([dispatcher.address]) as client:
            run_id = trigger_when_registered(client, "stream_talker", {"tokens": 25, "gap": 0.02})
        url = f"http://127.0.0.1:{api.port}/v1/runs/{run_id}/output"
        events = _sse(url)
        chunks = [data for event, _, data in events if event == "chunk"]
        assert "".join(c["data"] for c in chunks) == "".join(f"t{i} " for i in range(1, 26))
        assert [c["seq"] for c in chunks] == list(range(1, 26))
        assert events[-1][0] == "end" and events[-1][2]["status"] == "succeeded"
        # Resume after the 10th chunk: the 15 after it.
        request = urllib.request.Request(url, headers={"Last-Event-ID": events[9][1]})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            body = response.read().decode()
        assert body.count("event: chunk") == 15
        assert api.call("GET", f"/v1/runs/{uuid.uuid4()}/output")[0] == 404
    finally:
        api.stop()


def test_task_stream_is_fenced_deduplicated_and_bounded(conn: Conn) -> None:
    register(conn, "s", {"steps": [{"name": "only"}]})
    [run] = trigger(conn, "s", [{}])
    run_id = run["run_id"]
    w = worker(conn, ["s:only"])
    [task] = claim(conn, w)

    def send(seqs: list[int], chunks: list[str], attempt: int | None = None) -> list[Any]:
        n = len(seqs)
        return conn.execute(
            "SELECT ord, accepted, reason FROM hewer.task_stream(%s, %s, %s, %s, %s)",
            (
                [task["task_id"]] * n,
                [attempt or task["attempt"]] * n,
                seqs,
                chunks,
                [w] * n,
            ),
        ).fetchall()

    assert [r["reason"] for r in send([1, 2], ["a", "b"])] == [None, None]
    # Sent again (a reconnect), once more in one call, a stale attempt, a bad seq, too long.
    assert [(r["accepted"], r["reason"]) for r in send([2, 3, 3], ["b", "c", "c"])] == [
        (True, "duplicate"), (True, None), (True, "duplicate")
    ]  # fmt: skip
    assert [r["reason"] for r in send([4], ["d"], attempt=task["attempt"] + 1)] == ["stale_attempt"]
    assert [r["reason"] for r in send([0], ["e"])] == ["bad_seq"]
    assert [r["reason"] for r in send([5], ["f" * 65_537])] == ["too_large"]
    rows = conn.execute("SELECT seq, chunk FROM hewer.run_output(%s)", (run_id,)).fetchall()
    assert [(r["seq"], r["chunk"]) for r in rows] == [(1, "a"), (2, "b"), (3, "c")]
