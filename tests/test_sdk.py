"""The worker SDK without a dispatcher: definitions and specs, validation, Pydantic, contexts,
the outbox, running assignments, worker construction, and loading "module:attr" targets.

What needs a dispatcher (registration, streams, reconnects, clients) is in test_worker_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pyworker import (
    Backoff,
    Context,
    DefinitionError,
    NonRetryableError,
    RunCancelledError,
    RunFailedError,
    TargetError,
    Task,
    TaskCancelledError,
    Worker,
    Workflow,
    build_worker,
    codec,
    load_target,
    parse_duration,
    task,
)
from pyworker.client import RunEvent, RunInfo, _input_json
from pyworker.durations import format_seconds, spec_seconds
from pyworker.execution import START_REPORT_DELAY, Execution
from pyworker.outbox import Outbox
from pyworker.proto import hewer_pb2 as pb
from pyworker.rpc import BATCH_BYTES
from tests.waiting import until

# --- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("2d", 172800),
        ("1h30m", 5400),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        (" 1m 30s ", 90),
        ("10S", 10),
        (45, 45),
        (0.5, 0.5),
        (0, 0),
        (timedelta(minutes=2), 120),
    ],
)
def test_parse_duration(value: Any, seconds: float) -> None:
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "30", "5 minutes", "1w", "s", "-5s", -1, True, None, [1]])
def test_parse_duration_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        parse_duration(value, "timeout")


def test_spec_seconds_and_format() -> None:
    assert spec_seconds(60.0) == 60
    assert isinstance(spec_seconds(60.0), int)
    assert spec_seconds(1.25) == 1.25
    assert spec_seconds(0.0004) == 0
    assert format_seconds(5400) == "1h30m"
    assert format_seconds(7 * 86400) == "7d"
    assert format_seconds(0.5) == "0.5s"
    assert format_seconds(61) == "1m1s"


# --- specs --------------------------------------------------------------------------------


def _summarize() -> Workflow:
    wf = Workflow("summarize", description="fetch then summarize", priority=5)

    @wf.task(retries=3, timeout="30s")
    def fetch(input: Any, ctx: Context) -> Any:
        return {"text": "..."}

    @wf.task(
        parents=[fetch],
        timeout=timedelta(minutes=5),
        schedule_timeout="1h",
        backoff=Backoff(base="1s", factor=2, max="1m", jitter=0.1),
        priority=10,
        action="llm:summarize",
        description="calls the model",
    )
    async def summarize(input: Any, ctx: Context) -> Any:
        return {"summary": ctx.parent(fetch)["text"]}

    @wf.task(parents=["fetch", summarize])
    def store(input: Any, ctx: Context) -> None:
        return None

    return wf


def test_spec_of_a_dag() -> None:
    assert _summarize().spec() == {
        "description": "fetch then summarize",
        "priority": 5,
        "steps": [
            {"name": "fetch", "retries": 3, "timeout": 30},
            {
                "name": "summarize",
                "action": "llm:summarize",
                "parents": ["fetch"],
                "timeout": 300,
                "schedule_timeout": 3600,
                "backoff": {"base": 1, "factor": 2, "max": 60, "jitter": 0.1},
                "priority": 10,
                "description": "calls the model",
            },
            {"name": "store", "parents": ["fetch", "summarize"]},
        ],
    }


def test_spec_is_deterministic() -> None:
    first, second = _summarize(), _summarize()
    assert first.spec_json() == second.spec_json()
    assert json.loads(first.spec_json()) == first.spec()
    # Keys sorted, no whitespace: the text is canonical.
    assert first.spec_json().startswith('{"description":"fetch then summarize","priority":5,')


@pytest.mark.parametrize("timeout", ["90s", "1m30s", 90, 90.0, timedelta(seconds=90)])
def test_equal_durations_give_identical_specs(timeout: Any) -> None:
    wf = Workflow("w")

    @wf.task(timeout=timeout)
    def step(input: Any, ctx: Context) -> None:
        return None

    assert wf.spec_json() == '{"steps":[{"name":"step","timeout":90}]}'


def test_defaults_are_omitted() -> None:
    wf = Workflow("plain")

    @wf.task
    def only(input: Any, ctx: Context) -> int:
        return 1

    assert wf.spec() == {"steps": [{"name": "only"}]}
    assert only.action == "plain:only"
    # An explicit action equal to the default is the same step: the spec stays the same.
    wf2 = Workflow("plain")
    wf2.task(name="only", action="plain:only")(only.fn)
    assert wf2.spec() == wf.spec()


def test_fractional_durations_and_partial_backoff() -> None:
    wf = Workflow("w")

    @wf.task(timeout="1.5s", backoff=Backoff(base=0.25, max=0.25))
    def s(input: Any, ctx: Context) -> None:
        return None

    assert wf.spec()["steps"][0] == {
        "name": "s",
        "timeout": 1.5,
        "backoff": {"base": 0.25, "max": 0.25},
    }
    wf3 = Workflow("w3")
    wf3.task(name="t", backoff=Backoff())(s.fn)
    assert wf3.spec() == {"steps": [{"name": "t"}]}


def test_task_calls_its_function_and_knows_its_kind() -> None:
    wf = _summarize()
    fetch, summarize, store = wf.tasks
    assert fetch(None, Context()) == {"text": "..."}
    assert not fetch.is_async
    assert summarize.is_async
    assert asyncio.run(summarize(None, Context(parents={"fetch": {"text": "t"}}))) == {
        "summary": "t"
    }
    assert wf["store"] is store
    assert "summarize.store" in repr(store)
    with pytest.raises(KeyError, match="has no step 'nope'; steps: fetch, summarize, store"):
        wf["nope"]


def test_standalone_task() -> None:
    @task(retries=2, timeout="10s")
    def embed(input: Any, ctx: Context) -> list[float]:
        return [0.0]

    assert isinstance(embed, Task)
    assert embed.workflow.name == "embed"
    assert embed.action == "embed:embed"
    assert embed.workflow.spec() == {"steps": [{"name": "embed", "retries": 2, "timeout": 10}]}

    @task(name="tokenize", description="split text")
    async def anything(input: Any, ctx: Context) -> int:
        return 0

    assert anything.workflow.spec() == {
        "description": "split text",
        "steps": [{"name": "tokenize"}],
    }
    assert anything.action == "tokenize:tokenize"

    @task
    def bare(input: Any, ctx: Context) -> int:
        return 0

    assert bare.workflow.name == "bare"


# --- validation ---------------------------------------------------------------------------


def test_invalid_names() -> None:
    with pytest.raises(DefinitionError, match="workflow name 'has space' is not a valid name"):
        Workflow("has space")
    with pytest.raises(DefinitionError, match="not a valid name"):
        Workflow("-dash")
    with pytest.raises(DefinitionError, match="not a valid name"):
        Workflow("x" * 129)
    wf = Workflow("ok.name:v-1_2")
    with pytest.raises(DefinitionError, match=r"step name '<lambda>'"):
        wf.task(lambda i, c: None)
    with pytest.raises(DefinitionError, match="action 'bad action'"):
        wf.task(name="s", action="bad action")(lambda i, c: None)


def test_duplicate_step_names() -> None:
    wf = Workflow("w")

    @wf.task
    def a(input: Any, ctx: Context) -> None:
        return None

    with pytest.raises(DefinitionError, match="step 'a': a step with this name is already"):
        wf.task(name="a")(a.fn)


def test_parent_errors() -> None:
    wf = Workflow("w")
    other = Workflow("other")

    @wf.task
    def a(input: Any, ctx: Context) -> None:
        return None

    @other.task
    def elsewhere(input: Any, ctx: Context) -> None:
        return None

    with pytest.raises(DefinitionError, match="belongs to workflow 'other'"):
        wf.task(name="b", parents=[elsewhere])(a.fn)
    with pytest.raises(DefinitionError, match="cannot be its own parent"):
        wf.task(name="c", parents=["c"])(a.fn)
    with pytest.raises(DefinitionError, match="parent 'a' is listed twice"):
        wf.task(name="d", parents=[a, "a"])(a.fn)
    with pytest.raises(DefinitionError, match="a parent must be a task"):
        wf.task(name="e", parents=[42])(a.fn)  # type: ignore[list-item]
    # A name may refer to a step defined later, so an unknown one is caught by spec().
    wf.task(name="f", parents=["later"])(a.fn)
    with pytest.raises(DefinitionError, match="parent 'later' is not a step of this workflow"):
        wf.spec()
    wf.task(name="later")(a.fn)
    assert wf.spec()["steps"][-2] == {"name": "f", "parents": ["later"]}


def test_cycles_are_caught_before_the_server() -> None:
    wf = Workflow("loop")

    def fn(input: Any, ctx: Context) -> None:
        return None

    wf.task(name="a", parents=["c"])(fn)
    wf.task(name="b", parents=["a"])(fn)
    wf.task(name="c", parents=["b"])(fn)
    with pytest.raises(DefinitionError, match=r"steps form a cycle: a -> c -> b -> a"):
        wf.spec()


def test_empty_workflow() -> None:
    with pytest.raises(DefinitionError, match="has no steps"):
        Workflow("empty").spec()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries must be from 0 to 100, got -1"),
        ({"retries": 101}, "retries must be from 0 to 100"),
        ({"retries": True}, "retries must be an integer"),
        ({"retries": 1.5}, "retries must be an integer"),
        ({"priority": 1001}, "priority must be from -1000 to 1000"),
        ({"timeout": "0.5s"}, "timeout must be between 1s and 7d"),
        ({"timeout": "8d"}, "timeout must be between 1s and 7d"),
        ({"timeout": "soon"}, "timeout must be a duration"),
        ({"schedule_timeout": "31d"}, "schedule_timeout must be between 1s and 30d"),
        ({"backoff": Backoff(base="2d")}, "backoff.base must be between"),
        ({"backoff": Backoff(base="10m")}, r"backoff.max \(5m\) is below backoff.base \(10m\)"),
        ({"backoff": Backoff(base="1m", max="30s")}, "backoff.max .* is below backoff.base"),
        ({"backoff": Backoff(factor=0.5)}, "backoff.factor must be between 1 and 10"),
        ({"backoff": Backoff(jitter=2)}, "backoff.jitter must be between 0 and 1"),
        ({"backoff": {"base": "1s"}}, "backoff must be a Backoff"),
        ({"description": 3}, "description must be a string"),
    ],
)
def test_option_validation(options: dict[str, Any], message: str) -> None:
    wf = Workflow("w")

    def step(input: Any, ctx: Context) -> None:
        return None

    with pytest.raises(DefinitionError, match=message) as info:
        wf.task(**options)(step)
    assert "workflow 'w', step 'step'" in str(info.value)


def test_workflow_option_validation() -> None:
    with pytest.raises(DefinitionError, match="priority must be from -1000 to 1000"):
        Workflow("w", priority=5000)
    with pytest.raises(DefinitionError, match="description must be a string"):
        Workflow("w", description=1)  # type: ignore[arg-type]


def test_worker_affinity_in_the_spec() -> None:
    wf = Workflow("transcribe", sticky="soft")

    @wf.task(worker_labels={"gpu": "a100", "region": "eu-west"})
    def listen(input: Any, ctx: Context) -> None:
        return None

    @wf.task(
        parents=[listen],
        preferred_labels={
            "model": "llama-3-70b",
            "zone": ("b", 10),
            "cache": {"value": "warm", "weight": 100},
            "disk": {"value": "ssd"},
        },
    )
    def summarize(input: Any, ctx: Context) -> None:
        return None

    assert wf.spec() == {
        "sticky": "soft",
        "steps": [
            {"name": "listen", "worker_labels": {"gpu": "a100", "region": "eu-west"}},
            {
                "name": "summarize",
                "parents": ["listen"],
                "preferred_labels": {
                    "model": {"value": "llama-3-70b", "weight": 1},
                    "zone": {"value": "b", "weight": 10},
                    "cache": {"value": "warm", "weight": 100},
                    "disk": {"value": "ssd", "weight": 1},
                },
            },
        ],
    }
    # The three forms of a preference give one spec text.
    texts = set()
    for preference in ("v", ("v", 1), {"value": "v"}, {"value": "v", "weight": 1}):
        one = Workflow("one")
        one.task(name="s", preferred_labels={"m": preference})(listen.fn)
        texts.add(one.spec_json())
    assert texts == {'{"steps":[{"name":"s","preferred_labels":{"m":{"value":"v","weight":1}}}]}'}
    hard = Workflow("hard", sticky="hard")
    hard.task(name="s")(listen.fn)
    assert hard.spec() == {"steps": [{"name": "s"}], "sticky": "hard"}

    @task(name="alone", worker_labels={"gpu": "h100"}, preferred_labels={"m": ("x", 5)})
    def alone(input: Any, ctx: Context) -> None:
        return None

    assert alone.workflow.spec()["steps"] == [
        {
            "name": "alone",
            "worker_labels": {"gpu": "h100"},
            "preferred_labels": {"m": {"value": "x", "weight": 5}},
        }
    ]


def test_no_affinity_leaves_the_spec_as_it_was() -> None:
    wf = Workflow("w", sticky=None)
    wf.task(name="s", worker_labels=None, preferred_labels=None)(lambda i, c: None)
    assert wf.spec_json() == '{"steps":[{"name":"s"}]}'


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"worker_labels": {}}, "worker_labels must name 1 to 20 labels, .* got 0; leave it out"),
        ({"worker_labels": ["gpu"]}, "worker_labels must be a dict of label name to value"),
        ({"worker_labels": {f"l{i}": "x" for i in range(21)}}, "1 to 20 labels, .*got 21"),
        ({"worker_labels": {"gpu": ""}}, r"worker_labels\['gpu'\] must be text of 1 to 256"),
        ({"worker_labels": {"gpu": 1}}, r"worker_labels\['gpu'\] must be text"),
        ({"worker_labels": {"gpu": "x" * 257}}, "must be text of 1 to 256 characters"),
        ({"worker_labels": {"bad name": "x"}}, "worker_labels: label name 'bad name' is not a"),
        ({"preferred_labels": {}}, "preferred_labels must name 1 to 20 labels"),
        ({"preferred_labels": "gpu"}, "preferred_labels must be a dict"),
        ({"preferred_labels": {"m": ("x", 0)}}, r"\['m'\] weight must be from 1 to 100, got 0"),
        ({"preferred_labels": {"m": ("x", 101)}}, "weight must be from 1 to 100, got 101"),
        ({"preferred_labels": {"m": ("x", 1.5)}}, "weight must be an integer"),
        ({"preferred_labels": {"m": {"value": "x", "weight": True}}}, "weight must be an int"),
        ({"preferred_labels": {"m": {"weight": 5}}}, r"must be a value \('llama-3-70b'\)"),
        ({"preferred_labels": {"m": {"value": "x", "w": 5}}}, "a \\(value, weight\\) pair"),
        ({"preferred_labels": {"m": ("x", 1, 2)}}, "must be a value"),
        ({"preferred_labels": {"m": 3}}, "must be a value"),
        ({"preferred_labels": {"m": ("", 3)}}, r"\['m'\] value must be text of 1 to 256"),
    ],
)
def test_affinity_validation(options: dict[str, Any], message: str) -> None:
    wf = Workflow("w")

    def step(input: Any, ctx: Context) -> None:
        return None

    with pytest.raises(DefinitionError, match=message) as info:
        wf.task(**options)(step)
    assert "workflow 'w', step 'step'" in str(info.value)


def test_sticky_validation() -> None:
    for bad in ("Soft", "always", True, 1):
        with pytest.raises(DefinitionError, match=r"workflow 'w': sticky must be 'soft' .* 'hard'"):
            Workflow("w", sticky=bad)  # type: ignore[arg-type]


def test_worker_label_option() -> None:
    from click.testing import CliRunner

    from pydispatch.cli.sdk import _labels, worker_cmd

    assert _labels(("gpu=a100", "model=llama=3", "gpu=h100")) == {
        "gpu": "h100",
        "model": "llama=3",
    }
    for bad in ("gpu", "=a100", "gpu="):
        result = CliRunner().invoke(worker_cmd, ["m:x", "--label", bad])
        assert result.exit_code == 2
        assert f"{bad!r} is not NAME=VALUE; write e.g. --label gpu=a100" in result.output


def test_signature_must_take_input_and_ctx() -> None:
    wf = Workflow("w")

    def no_args() -> None:
        return None

    def one(ctx: Context) -> None:
        return None

    def three(a: Any, b: Any, c: Any) -> None:
        return None

    for fn in (no_args, one, three):
        with pytest.raises(DefinitionError, match=r"takes two positional arguments \(input, ctx\)"):
            wf.task(fn)

    def extra_default(input: Any, ctx: Context, retries: int = 3) -> None:
        return None

    def star(*args: Any) -> None:
        return None

    wf.task(extra_default)
    wf.task(star)
    with pytest.raises(DefinitionError, match="must be a function"):
        wf.task(name="x")(42)  # type: ignore[arg-type]


# --- Pydantic -----------------------------------------------------------------------------


def test_pydantic_input_and_output() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Doc(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        url: str
        retries: int = 0

    class Summary(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        text: str
        when: datetime

    wf = Workflow("docs")

    @wf.task
    def read(input: Doc, ctx: Context) -> Summary:
        return Summary(text=input.url, when=datetime(2030, 1, 2, tzinfo=UTC))

    @wf.task(input_model=Doc)
    def untyped(input, ctx):  # type: ignore[no-untyped-def]
        return [input]

    @wf.task
    def plain(input: dict[str, Any], ctx: Context) -> None:
        return None

    assert read.input_model is Doc
    assert untyped.input_model is Doc
    assert plain.input_model is None
    parsed = codec.parse_input({"url": "u"}, Doc)
    assert parsed == Doc(url="u")
    assert codec.dumps(read(parsed, Context())) == '{"text":"u","when":"2030-01-02T00:00:00Z"}'
    assert codec.dumps({"docs": [parsed]}) == '{"docs":[{"url":"u","retries":0}]}'
    with pytest.raises(pydantic.ValidationError):
        codec.parse_input({"retries": "x"}, Doc)
    with pytest.raises(DefinitionError, match="input_model must be a Pydantic model class"):
        wf.task(name="bad", input_model=dict)(plain.fn)


def test_forward_referenced_annotation_is_not_a_model() -> None:
    wf = Workflow("w")

    @wf.task
    def step(input: NotDefinedAnywhere, ctx: Context) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    assert step.input_model is None


def test_codec_json() -> None:
    assert codec.dumps({"a": [1, 2.5, None, True]}) == '{"a":[1,2.5,null,true]}'
    with pytest.raises(ValueError, match="Out of range float"):
        codec.dumps(float("nan"))
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        codec.dumps({1, 2})
    assert codec.loads("") is None
    assert codec.loads("", {}) == {}
    error = codec.error_payload(ValueError("bad"))
    assert error["type"] == "ValueError"
    assert error["message"] == "bad"
    assert "ValueError: bad" in error["traceback"]


# --- context ------------------------------------------------------------------------------


class FakeLink:
    """A TaskLink that records what a Context sends."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str]] = []
        self.chunks: list[str] = []

    def send_stream(self, data: str) -> None:
        self.chunks.append(data)

    def send_log(self, level: str, message: str, at_unix_ms: int) -> None:
        assert abs(at_unix_ms - time.time() * 1000) < 5000
        self.logs.append((level, message))

    def send_refresh(self, extend_by_ms: int) -> Any:
        import concurrent.futures

        future: concurrent.futures.Future[datetime] = concurrent.futures.Future()
        future.set_result(datetime.fromtimestamp(extend_by_ms / 1000, UTC))
        return future


def test_context_parents() -> None:
    wf = _summarize()
    ctx = Context(input={"q": 1}, parents={"fetch": {"text": "t"}}, step="summarize")
    assert ctx.parent("fetch") == {"text": "t"}
    assert ctx.parent(wf["fetch"]) == {"text": "t"}
    assert dict(ctx.parents) == {"fetch": {"text": "t"}}
    with pytest.raises(KeyError, match="step 'summarize' has no parent output 'store'"):
        ctx.parent(wf["store"])
    with pytest.raises(TypeError):
        ctx.parents["x"] = 1  # type: ignore[index]


def test_context_cancellation_flag() -> None:
    ctx = Context()
    assert not ctx.cancelled
    ctx.check_cancelled()
    assert not ctx.wait_cancelled(0.01)
    ctx._cancel("the run was cancelled")
    ctx._cancel("a second reason is ignored")
    assert ctx.cancelled
    assert ctx.cancel_reason == "the run was cancelled"
    assert ctx.wait_cancelled(10)
    with pytest.raises(TaskCancelledError, match="the run was cancelled"):
        ctx.check_cancelled()


def test_context_log_streams_and_logs_locally(caplog: pytest.LogCaptureFixture) -> None:
    link = FakeLink()
    ctx = Context(workflow="wf", step="st", task_id="t1", run_id="r1", attempt=2, link=link)
    caplog.set_level(logging.DEBUG, logger="pyworker.tasks")
    ctx.log.info("fetched %d pages", 3)
    ctx.log.debug("not streamed: below the stream level")
    try:
        raise ValueError("boom")
    except ValueError:
        ctx.log.exception("failed")
    assert link.logs[0] == ("INFO", "fetched 3 pages")
    assert link.logs[1][0] == "ERROR"
    assert link.logs[1][1].startswith("failed\nTraceback")
    assert "ValueError: boom" in link.logs[1][1]
    assert len(link.logs) == 2
    records = [r for r in caplog.records if r.name == "pyworker.tasks.wf.st"]
    assert [r.getMessage() for r in records] == [
        "fetched 3 pages",
        "not streamed: below the stream level",
        "failed",
    ]
    assert records[0].task_id == "t1"  # type: ignore[attr-defined]
    assert records[0].attempt == 2  # type: ignore[attr-defined]


def test_context_refresh_without_a_worker() -> None:
    ctx = Context()
    before = datetime.now(UTC)
    end = ctx.refresh_timeout("30s").result()
    assert before + timedelta(seconds=29) < end < before + timedelta(seconds=31)
    assert ctx.timeout_at == end

    async def refresh_async() -> datetime:
        return await ctx.refresh_timeout(60)

    assert asyncio.run(refresh_async()) > end
    with pytest.raises(ValueError, match="more than 0 seconds"):
        ctx.refresh_timeout(0)
    linked = Context(link=FakeLink())
    assert linked.refresh_timeout("2s").result() == datetime.fromtimestamp(2, UTC)


# --- outbox -------------------------------------------------------------------------------


def _started(task_id: str) -> pb.WorkerMessage:
    return pb.WorkerMessage(started=pb.TaskStarted(task_id=task_id, attempt=1))


def _drain(queue: asyncio.Queue[pb.WorkerMessage | None]) -> list[pb.WorkerMessage | None]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_the_outbox_stream_sends_what_is_queued_together_as_one_batch() -> None:
    async def collect(batches: bool) -> list[pb.WorkerMessage]:
        queue: asyncio.Queue[pb.WorkerMessage | None] = asyncio.Queue()
        big = pb.WorkerMessage(log=pb.LogLine(message="x" * BATCH_BYTES))
        hello = pb.WorkerMessage(hello=pb.Hello(worker_id="w"))
        for message in [hello, _started("a"), _started("b"), _started("c"), big, _started("d")]:
            queue.put_nowait(message)
        queue.put_nowait(None)
        return [m async for m in Outbox.stream(queue, batches=batches)]

    plain = asyncio.run(collect(False))
    assert [m.WhichOneof("body") for m in plain] == ["hello"] + ["started"] * 3 + [
        "log",
        "started",
    ]
    sent = asyncio.run(collect(True))
    # hello alone (a new stream's reports re-sent behind it); three small reports in one
    # message; the one over the byte budget alone, the one after it alone too (the end
    # marker follows); nothing lost or reordered.
    assert [m.WhichOneof("body") for m in sent] == ["hello", "batch", "log", "started"]
    assert [m.started.task_id for m in sent[1].batch.messages] == ["a", "b", "c"]
    assert sent[1].request_id == 0 and sent[3].started.task_id == "d"


def test_outbox_resends_unacked_reports_after_a_reconnect() -> None:
    async def scenario() -> None:
        box = Outbox()
        hello = pb.WorkerMessage(hello=pb.Hello(worker_id="w"))
        # Disconnected: reports and logs wait, heartbeats are dropped.
        r1 = box.send(_started("a"))
        box.send(pb.WorkerMessage(log=pb.LogLine(message="early")), ack=False)
        box.send(pb.WorkerMessage(heartbeat=pb.Heartbeat()), resend=False)
        assert (r1, box.pending_reports, box.connected) == (1, 1, False)

        q = box.attach(hello)
        sent = _drain(q)
        assert [m.WhichOneof("body") for m in sent if m] == ["hello", "started", "log"]
        assert sent[0] is not None and sent[0].request_id == 0
        r3 = box.send(_started("b"))
        beat = box.send(pb.WorkerMessage(heartbeat=pb.Heartbeat()), resend=False)
        box.send(pb.WorkerMessage(log=pb.LogLine(message="unsent")), ack=False)
        box.on_ack(pb.Ack(request_id=r1, accepted=True))
        assert box.pending_reports == 1
        # The stream breaks: the heartbeat is forgotten, the unsent log kept, "b" re-sent.
        box.detach()
        q2 = box.attach(hello)
        again = [m for m in _drain(q2) if m]
        assert [m.WhichOneof("body") for m in again] == ["hello", "started", "log"]
        assert again[1].request_id == r3
        assert beat not in {m.request_id for m in again}
        assert not await box.settled(0.01)
        box.on_ack(pb.Ack(request_id=r3, accepted=True))
        assert await box.settled(0.01)
        box.end_stream()
        assert _drain(q2) == [None]

    asyncio.run(scenario())


def test_outbox_ack_handlers_and_stream_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        box = Outbox()
        box.attach(pb.WorkerMessage(hello=pb.Hello(worker_id="w")))
        acks: list[pb.Ack] = []
        rid = box.send(_started("a"), on_ack=acks.append)
        rejected = box.send(_started("b"))
        errored = box.send(_started("c"), on_ack=acks.append)
        box.on_ack(pb.Ack(request_id=rid, accepted=True))
        box.on_ack(pb.Ack(request_id=rid, accepted=True))  # a second ack is ignored
        box.on_ack(pb.Ack(request_id=rejected, accepted=False, reason="stale_attempt"))
        box.on_error(pb.StreamError(request_id=errored, code="invalid_argument", message="bad"))
        assert [(a.request_id, a.accepted, a.reason) for a in acks] == [
            (rid, True, ""),
            (errored, False, "invalid_argument"),
        ]
        assert box.pending_reports == 0

    caplog.set_level(logging.WARNING, logger="pyworker")
    asyncio.run(scenario())
    text = caplog.text
    assert "dispatcher rejected started" in text and "stale_attempt" in text
    assert "stream error invalid_argument" in text


def test_outbox_log_backlog_is_bounded() -> None:
    async def scenario() -> None:
        box = Outbox(log_backlog=3)
        for i in range(5):
            box.send(pb.WorkerMessage(log=pb.LogLine(message=str(i))), ack=False)
        q = box.attach(pb.WorkerMessage(hello=pb.Hello()))
        assert [m.log.message for m in _drain(q)[1:] if m] == ["2", "3", "4"]

    asyncio.run(scenario())


# --- running assignments ------------------------------------------------------------------


def _assignment(
    task: Task[..., Any],
    *,
    input: Any = None,
    parents: Any = None,
    attempt: int = 1,
    lease_s: float | None = 60.0,
) -> pb.Assignment:
    return pb.Assignment(
        task_id="0190c6a2-7d1e-7c3a-9f00-1b2c3d4e5f60",
        attempt=attempt,
        run_id="0190c6a2-0000-7c3a-9f00-1b2c3d4e5f60",
        workflow=task.workflow.name,
        step=task.name,
        action=task.action,
        input_json=json.dumps(input if input is not None else {}),
        parents_json=json.dumps(parents or {}),
        timeout_at_unix_ms=int((time.time() + lease_s) * 1000) if lease_s else 0,
    )


class Harness:
    """Runs Executions on a real event loop and collects what they send."""

    def __init__(self) -> None:
        self.box = Outbox()
        self.queue = self.box.attach(pb.WorkerMessage(hello=pb.Hello(worker_id="w")))
        self.done: list[Execution] = []
        self.sent: list[pb.WorkerMessage] = []

    def start(self, assignment: pb.Assignment, task: Task[..., Any], **kw: Any) -> Execution:
        execution = Execution(
            assignment,
            task,
            outbox=self.box,
            loop=asyncio.get_running_loop(),
            on_done=self.done.append,
            **kw,
        )
        execution.start()
        return execution

    def collect(self) -> list[pb.WorkerMessage]:
        self.sent += [m for m in _drain(self.queue) if m is not None and m.request_id != 0]
        return self.sent

    def outcome(self) -> tuple[str, Any]:
        """The last report: ("completed", output) or ("failed", (error, retryable, cancelled))."""
        for message in reversed(self.collect()):
            kind = message.WhichOneof("body")
            if kind == "completed":
                return kind, json.loads(message.completed.output_json)
            if kind == "failed":
                f = message.failed
                return kind, (json.loads(f.error_json), f.retryable, f.cancelled)
        raise AssertionError(f"no outcome in {self.sent}")

    def kinds(self) -> list[str]:
        return [str(m.WhichOneof("body")) for m in self.collect()]


def _run_one(task: Task[..., Any], **assignment: Any) -> tuple[Harness, tuple[str, Any]]:
    async def scenario() -> tuple[Harness, tuple[str, Any]]:
        h = Harness()
        h.start(_assignment(task, **assignment), task)
        await until(lambda: h.done)
        return h, h.outcome()

    return asyncio.run(scenario())


def test_sync_and_async_tasks_complete() -> None:
    wf = Workflow("w")
    seen_threads: list[str] = []

    @wf.task
    def sync_step(input: Any, ctx: Context) -> Any:
        seen_threads.append(threading.current_thread().name)
        return {"sum": input["a"] + ctx.parent("p")["b"], "attempt": ctx.attempt}

    @wf.task
    async def async_step(input: Any, ctx: Context) -> Any:
        await asyncio.sleep(0)
        return [ctx.workflow, ctx.step, ctx.run_id[:8]]

    h, outcome = _run_one(sync_step, input={"a": 1}, parents={"p": {"b": 2}}, attempt=3)
    assert outcome == ("completed", {"sum": 3, "attempt": 3})
    # Done within the start report delay: the completion alone goes up.
    assert h.kinds() == ["completed"]
    assert seen_threads[0].startswith("hewer-sync_step-")
    _, outcome = _run_one(async_step)
    assert outcome == ("completed", ["w", "async_step", "0190c6a2"])


def test_started_goes_up_once_a_task_outlasts_the_start_report_delay() -> None:
    wf = Workflow("w")

    @wf.task
    async def slow(input: Any, ctx: Context) -> str:
        await asyncio.sleep(START_REPORT_DELAY * 5)
        return "late"

    @wf.task
    def fast_failure(input: Any, ctx: Context) -> None:
        raise ValueError("at once")

    h, outcome = _run_one(slow)
    assert outcome == ("completed", "late")
    assert h.kinds() == ["started", "completed"]
    # A failure always has its start before it, however fast (task_fail records none).
    h, outcome = _run_one(fast_failure)
    assert outcome[0] == "failed"
    assert h.kinds() == ["started", "failed"]


def test_failures_are_reported_with_type_message_and_traceback() -> None:
    wf = Workflow("w")

    @wf.task
    def flaky(input: Any, ctx: Context) -> None:
        raise ConnectionError("upstream down")

    @wf.task
    async def hopeless(input: Any, ctx: Context) -> None:
        raise NonRetryableError("no such document", error_type="not_found")

    @wf.task
    def plain_non_retryable(input: Any, ctx: Context) -> None:
        raise NonRetryableError("bad")

    @wf.task
    def bad_output(input: Any, ctx: Context) -> Any:
        return {"when": datetime.now(UTC)}

    @wf.task
    def returns_coroutine(input: Any, ctx: Context) -> Any:
        async def inner() -> None:
            return None

        return inner()

    @wf.task
    def exits(input: Any, ctx: Context) -> None:
        raise SystemExit(3)

    _, (kind, (error, retryable, cancelled)) = _run_one(flaky)
    assert (kind, error["type"], error["message"], retryable, cancelled) == (
        "failed",
        "ConnectionError",
        "upstream down",
        True,
        False,
    )
    assert 'raise ConnectionError("upstream down")' in error["traceback"]
    _, (_, (error, retryable, _)) = _run_one(hopeless)
    assert (error["type"], error["message"], retryable) == ("not_found", "no such document", False)
    _, (_, (error, retryable, _)) = _run_one(plain_non_retryable)
    assert (error["type"], retryable) == ("NonRetryableError", False)
    _, (_, (error, retryable, _)) = _run_one(bad_output)
    assert (error["type"], retryable) == ("output_not_serializable", False)
    assert "datetime is not JSON serializable" in error["message"]
    _, (_, (error, retryable, _)) = _run_one(returns_coroutine)
    assert "declare it with `async def`" in error["message"]
    _, (_, (error, retryable, _)) = _run_one(exits)
    assert (error["type"], retryable) == ("RuntimeError", True)
    assert "raised SystemExit" in error["message"]


def test_bad_input_fails_without_retry() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Doc(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        url: str

    wf = Workflow("w")

    @wf.task
    def read(input: Doc, ctx: Context) -> str:
        assert ctx.input is input
        return str(input.url)

    _, outcome = _run_one(read, input={"url": "u"})
    assert outcome == ("completed", "u")
    _, (kind, (error, retryable, _)) = _run_one(read, input={"nope": 1})
    assert (kind, error["type"], retryable) == ("failed", "invalid_input", False)
    assert "url" in error["message"]


def test_cancelling_an_async_task() -> None:
    wf = Workflow("w")
    cleaned = asyncio.Event()

    began = threading.Event()

    @wf.task
    async def long(input: Any, ctx: Context) -> None:
        began.set()
        try:
            await asyncio.sleep(60)  # cancelled long before
        finally:
            assert ctx.cancelled
            cleaned.set()

    async def scenario() -> Harness:
        h = Harness()
        execution = h.start(_assignment(long), long)
        await until(began.is_set, what="the task to start")
        execution.stop("cancel", "the run was cancelled")
        await until(lambda: h.done)
        return h

    h = asyncio.run(scenario())
    assert h.outcome() == (
        "failed",
        ({"type": "cancelled", "message": "the run was cancelled"}, False, True),
    )


def test_cancelling_a_sync_task_that_polls() -> None:
    wf = Workflow("w")

    began = threading.Event()

    @wf.task
    def polling(input: Any, ctx: Context) -> None:
        began.set()
        while True:
            ctx.check_cancelled()
            time.sleep(0.01)  # the task's own polling interval

    @wf.task
    def waiting(input: Any, ctx: Context) -> str:
        began.set()
        ctx.wait_cancelled(30)
        raise RuntimeError("stopped early")

    @wf.task
    def finishes_anyway(input: Any, ctx: Context) -> str:
        began.set()
        ctx.wait_cancelled(30)
        return "done"

    async def scenario(task: Task[..., Any]) -> Harness:
        began.clear()
        h = Harness()
        execution = h.start(_assignment(task), task)
        await until(began.is_set, what="the task to start")
        execution.stop("cancel", "stop it")
        await until(lambda: h.done)
        return h

    for t in (polling, waiting):
        h = asyncio.run(scenario(t))
        assert h.outcome() == ("failed", ({"type": "cancelled", "message": "stop it"}, False, True))
    # A task that returns normally after a cancel did complete: that is what is reported.
    assert asyncio.run(scenario(finishes_anyway)).outcome() == ("completed", "done")


def test_shutdown_and_abandon() -> None:
    wf = Workflow("w")
    release = threading.Event()

    began = {"cooperative": threading.Event(), "stubborn": threading.Event()}
    returned = threading.Event()

    @wf.task
    async def cooperative(input: Any, ctx: Context) -> None:
        began["cooperative"].set()
        await asyncio.sleep(60)  # stopped long before

    @wf.task
    def stubborn(input: Any, ctx: Context) -> str:
        began["stubborn"].set()
        try:
            release.wait(30)
            return "too late"
        finally:
            returned.set()

    async def scenario() -> tuple[Harness, Harness]:
        h1 = Harness()
        e1 = h1.start(_assignment(cooperative), cooperative)
        await until(began["cooperative"].is_set, what="the async task to start")
        e1.stop("shutdown", "the worker is shutting down")
        await until(lambda: h1.done)

        h2 = Harness()
        e2 = h2.start(_assignment(stubborn), stubborn)
        await until(began["stubborn"].is_set, what="the sync task to start")
        e2.stop("shutdown", "the worker is shutting down")
        # A window in which nothing may happen: a sync function cannot be interrupted.
        await asyncio.sleep(0.05)
        assert not h2.done
        e2.abandon("worker_shutdown", "the worker shut down before the task ended")
        assert h2.done
        release.set()
        await until(returned.is_set, what="the abandoned thread to return")
        return h1, h2

    h1, h2 = asyncio.run(scenario())
    assert h1.outcome() == (
        "failed",
        ({"type": "worker_shutdown", "message": "the worker is shutting down"}, True, False),
    )
    assert h2.outcome() == (
        "failed",
        (
            {"type": "worker_shutdown", "message": "the worker shut down before the task ended"},
            True,
            False,
        ),
    )
    assert h2.kinds() == ["started", "failed"]  # the late return is not reported


def test_lease_expiry_stops_the_task_and_reports_a_retryable_timeout() -> None:
    wf = Workflow("w")

    @wf.task
    async def slow(input: Any, ctx: Context) -> None:
        await asyncio.sleep(60)

    async def scenario() -> Harness:
        h = Harness()
        h.start(_assignment(slow, lease_s=0.05), slow, lease_grace=0.0)
        await until(lambda: h.done)
        return h

    h = asyncio.run(scenario())
    kind, (error, retryable, cancelled) = h.outcome()
    assert (kind, error["type"], retryable, cancelled) == ("failed", "timeout", True, False)
    assert "ran past its lease" in error["message"]
    assert h.kinds() == ["started", "failed"]


def test_rejected_start_abandons_silently(caplog: pytest.LogCaptureFixture) -> None:
    wf = Workflow("w")

    @wf.task
    async def zombie(input: Any, ctx: Context) -> str:
        await asyncio.sleep(60)
        return "never"

    async def scenario() -> Harness:
        h = Harness()
        h.start(_assignment(zombie), zombie)
        await until(h.collect)  # once it has run for the start report delay
        [started] = h.collect()
        h.box.on_ack(pb.Ack(request_id=started.request_id, accepted=False, reason="stale_attempt"))
        await until(lambda: h.done)
        return h

    caplog.set_level(logging.WARNING, logger="pyworker")
    h = asyncio.run(scenario())
    assert h.kinds() == ["started"]
    assert "rejected the start" in caplog.text


def test_refresh_goes_up_and_updates_the_lease() -> None:
    wf = Workflow("w")
    new_end = datetime.now(UTC) + timedelta(hours=1)

    @wf.task
    async def refreshing(input: Any, ctx: Context) -> str:
        end = await ctx.refresh_timeout("1h")
        return end.isoformat()

    @wf.task
    def sync_refresh(input: Any, ctx: Context) -> str:
        return ctx.refresh_timeout(90).result(timeout=5).isoformat()

    async def scenario(task: Task[..., Any], accept: bool) -> Harness:
        h = Harness()
        h.start(_assignment(task), task)
        await until(lambda: any(m.HasField("refresh") for m in h.collect()))
        refresh = next(m for m in h.sent if m.HasField("refresh"))
        h.box.on_ack(
            pb.Ack(
                request_id=refresh.request_id,
                accepted=accept,
                reason="" if accept else "stale_attempt",
                timeout_at_unix_ms=int(new_end.timestamp() * 1000),
            )
        )
        await until(lambda: h.done)
        return h

    h = asyncio.run(scenario(refreshing, True))
    refresh = next(m for m in h.sent if m.HasField("refresh")).refresh
    assert refresh.extend_by_ms == 3_600_000
    kind, output = h.outcome()
    assert kind == "completed"
    assert abs(datetime.fromisoformat(output) - new_end) < timedelta(milliseconds=2)
    h = asyncio.run(scenario(sync_refresh, False))
    kind, (error, retryable, _) = h.outcome()
    assert (kind, error["type"], retryable) == ("failed", "LeaseLostError", True)


def test_task_logs_go_up_the_stream() -> None:
    wf = Workflow("w")

    @wf.task
    def chatty(input: Any, ctx: Context) -> None:
        ctx.log.warning("from a thread: %s", "hi")
        ctx.log.info("x" * 40_000)

    async def scenario() -> list[pb.LogLine]:
        h = Harness()
        h.start(_assignment(chatty), chatty)
        await until(lambda: h.done)
        await asyncio.sleep(0.01)
        return [m.log for m in _drain(h.queue) if m is not None and m.HasField("log")]

    lines = asyncio.run(scenario())
    assert (lines[0].level, lines[0].message) == ("WARNING", "from a thread: hi")
    assert lines[0].task_id.startswith("0190c6a2")
    assert lines[1].message.endswith("[truncated]")
    assert len(lines[1].message) < 33_000


# --- workers ------------------------------------------------------------------------------


def test_worker_collects_actions() -> None:
    wf = _summarize()

    @task
    def standalone(input: Any, ctx: Context) -> None:
        return None

    worker = Worker("w1", [wf, standalone, wf["fetch"]], slots=3, dispatchers=["a:1", "b:2"])
    assert worker.workflows == [wf, standalone.workflow]
    assert worker.actions == [
        "llm:summarize",
        "standalone:standalone",
        "summarize:fetch",
        "summarize:store",
    ]
    assert worker.free_slots == 3
    assert worker.dispatchers == ["a:1", "b:2"]


def test_worker_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wf = _summarize()
    monkeypatch.delenv("HEWER_DISPATCHERS", raising=False)
    monkeypatch.setenv("HEWER_HOME", str(tmp_path))  # a home no dispatcher serves
    worker = Worker(workflows=[wf])
    assert worker.dispatchers == ["127.0.0.1:7077"]
    assert worker.slots == 10
    assert worker.name
    monkeypatch.setenv("HEWER_DISPATCHERS", "d1:7077, d2:7077")
    assert Worker("w", [wf]).dispatchers == ["d1:7077", "d2:7077"]


def test_worker_validation() -> None:
    wf = _summarize()
    with pytest.raises(DefinitionError, match="at least one workflow"):
        Worker("w", [])
    with pytest.raises(DefinitionError, match="slots must be an integer from 1 to 10000"):
        Worker("w", [wf], slots=0)
    with pytest.raises(DefinitionError, match="runs Workflow objects"):
        Worker("w", ["summarize"])  # type: ignore[list-item]
    with pytest.raises(DefinitionError, match="two different workflows are named 'summarize'"):
        Worker("w", [wf, _summarize()])
    other = Workflow("other")
    other.task(name="x", action="llm:summarize")(lambda i, c: None)
    with pytest.raises(DefinitionError, match="action 'llm:summarize' is defined twice"):
        Worker("w", [wf, other])
    broken = Workflow("broken")
    broken.task(name="x", parents=["missing"])(lambda i, c: None)
    with pytest.raises(DefinitionError, match="parent 'missing' is not a step"):
        Worker("w", [broken])


def test_stop_before_start_is_harmless() -> None:
    worker = Worker("w", [_summarize()], dispatchers=["127.0.0.1:9"])
    worker.stop()

    async def scenario() -> None:
        await asyncio.wait_for(worker.run(), 10)

    asyncio.run(scenario())
    with pytest.raises(RuntimeError, match="has stopped"):
        asyncio.run(worker.start())


# --- targets ------------------------------------------------------------------------------


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module `hewer_test_app` in a temp dir on sys.path (removed after)."""
    (tmp_path / "hewer_test_app.py").write_text(
        textwrap.dedent(
            """
            from pyworker import Worker, Workflow, task

            flow = Workflow("app_flow")

            @flow.task
            def step(input, ctx):
                return 1

            @task
            def solo(input, ctx):
                return 2

            both = [flow, solo]
            worker = Worker("app-worker", [flow], slots=2, dispatchers=["127.0.0.1:1"])

            class Holder:
                inner = flow

            not_a_worker = 42
            """
        )
    )
    (tmp_path / "hewer_broken_app.py").write_text("import hewer_module_that_does_not_exist\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hewer_test_app"
    for name in ("hewer_test_app", "hewer_broken_app"):
        sys.modules.pop(name, None)


def test_load_target(app_module: str) -> None:
    flow = load_target(f"{app_module}:flow")
    assert isinstance(flow, Workflow) and flow.name == "app_flow"
    assert load_target(f"{app_module}:Holder.inner") is flow
    worker = build_worker(load_target(f"{app_module}:both"), dispatchers=["127.0.0.1:2"], slots=4)
    assert worker.actions == ["app_flow:step", "solo:solo"]
    assert (worker.slots, worker.dispatchers) == (4, ["127.0.0.1:2"])
    solo = build_worker(load_target(f"{app_module}:solo"), name="n", labels={"gpu": "a100"})
    assert (solo.name, solo.labels, solo.actions) == ("n", {"gpu": "a100"}, ["solo:solo"])
    built = build_worker(load_target(f"{app_module}:worker"), shutdown_grace=1.0)
    assert (built.name, built.slots, built.dispatchers) == ("app-worker", 2, ["127.0.0.1:1"])
    assert built.shutdown_grace == 1.0
    built = build_worker(built, dispatchers=["127.0.0.1:3"], slots=7, name="renamed")
    assert (built.name, built.slots, built.dispatchers) == ("renamed", 7, ["127.0.0.1:3"])


def test_load_target_errors(app_module: str) -> None:
    with pytest.raises(TargetError, match="must be 'module:attribute'"):
        load_target(app_module)
    with pytest.raises(TargetError, match="must be 'module:attribute'"):
        load_target(":flow")
    with pytest.raises(TargetError, match="cannot import module 'hewer_no_such_module'"):
        load_target("hewer_no_such_module:flow")
    with pytest.raises(TargetError, match="has no attribute 'nope'"):
        load_target(f"{app_module}:nope")
    # A module that exists but fails to import shows its own error, not a target error.
    with pytest.raises(ModuleNotFoundError, match="hewer_module_that_does_not_exist"):
        load_target("hewer_broken_app:flow")
    with pytest.raises(TargetError, match="is int 42; expected a Worker, a Workflow"):
        build_worker(load_target(f"{app_module}:not_a_worker"), target="x:not_a_worker")
    with pytest.raises(TargetError, match="expected a Worker"):
        build_worker([])


# --- client helpers -----------------------------------------------------------------------


def test_run_info_and_events_from_protos() -> None:
    run = pb.Run(
        run_id="r",
        workflow="w",
        version=2,
        status="failed",
        input_json='{"a":1}',
        output_json='{"s":{"x":1}}',
        error_json='{"type":"ValueError","message":"bad"}',
        tasks_json='[{"step":"s"}]',
        created_at_unix_ms=1_000,
    )
    info = RunInfo.from_proto(run)
    assert (info.done, info.input, info.output, info.tasks) == (
        True,
        {"a": 1},
        {"s": {"x": 1}},
        [{"step": "s"}],
    )
    assert info.created_at == datetime.fromtimestamp(1, UTC)
    assert info.finished_at is None
    event = RunEvent.from_proto(pb.RunEvent(run_id="r", kind="started", data_json="", attempt=1))
    assert (event.kind, event.data, event.at) == ("started", None, None)
    error = RunFailedError("r", "failed", info.error)
    assert str(error) == "run r failed: ValueError: bad"
    assert str(RunCancelledError("r", "cancelled", None)) == "run r cancelled: no error details"
    run_error = {"step": "fetch", "attempt": 3, "error": {"type": "Timeout", "message": "slow"}}
    assert (
        str(RunFailedError("r", "failed", run_error)) == "run r failed: step 'fetch': Timeout: slow"
    )


def test_trigger_input_must_be_an_object() -> None:
    assert _input_json(None) == "{}"
    assert _input_json({"a": 1}) == '{"a":1}'
    with pytest.raises(TypeError, match="must be a JSON object"):
        _input_json([1, 2])
