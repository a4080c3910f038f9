"""Traces (pyworker/tracing.py, pydispatch/tracing.py) from real processes to an OTLP receiver
in this test: one trace per run, across the caller, the HTTP API, the dispatcher and the
worker, with the run span exported by the analytics feed; and the JSON logs that carry the
same ids. Workflows are in tests/trace_flows.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.trace.v1 import trace_pb2
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import format_span_id, format_trace_id

from hewer_tools.processes import FAST, Processes, wait_until
from pyworker import SyncClient
from pyworker.tracing import (
    add_traceparent,
    format_traceparent,
    parse_traceparent,
    run_span_context,
)
from tests.otlp import Receiver
from tests.test_api import Api

Conn = psycopg.Connection[Any]
FLOWS = "tests.trace_flows:flows"
ERROR = trace_pb2.Status.StatusCode.STATUS_CODE_ERROR


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def _env(receiver: Receiver) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",
    }


def _attrs(span: trace_pb2.Span) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in span.attributes:
        v = a.value
        out[a.key] = v.string_value if v.HasField("string_value") else v.int_value
    return out


def _trace(receiver: Receiver, trace_id: int) -> list[tuple[str, trace_pb2.Span]]:
    wanted = trace_id.to_bytes(16, "big")
    return [(svc, s) for svc, s in receiver.spans() if s.trace_id == wanted]


def _hex(raw: bytes) -> str:
    return raw.hex()


def test_one_trace_per_run_across_the_caller_the_dispatcher_and_the_worker(
    dsn: str, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    procs = Processes(dsn, tmp_path, env=_env(receiver))
    # The caller's own spans, exported by a provider of its own (not the process's global one).
    caller = TracerProvider(resource=Resource.create({"service.name": "test-caller"}))
    caller.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(f"{receiver.endpoint}/v1/traces"))
    )
    try:
        dispatcher = procs.start_dispatcher(flags=FAST)
        procs._spawn(
            "worker", "w", "worker", FLOWS, "--dispatcher", dispatcher.address,
            "--slots", "4", "--log-format", "json",
        )  # fmt: skip
        with SyncClient([dispatcher.address]) as client:
            with caller.get_tracer("test").start_as_current_span("handle request") as root:
                run_id = wait_until(
                    lambda: _try_trigger(client, {"text": "a long transcript"}),
                    60,
                    "traced_dag to be registered",
                )
            result = client.result(run_id, timeout=60)
        assert result["store"] == {"summary": "a lon", "vector": [17.0]}
        trace_id = root.get_span_context().trace_id

        # 1 caller span, 1 run span, 5 claims (4 steps, one retried) and 5 attempts.
        def complete() -> list[tuple[str, trace_pb2.Span]] | None:
            spans = _trace(receiver, trace_id)
            return spans if len(spans) >= 12 else None

        try:
            spans = wait_until(complete, 60, "the run's spans")
        except AssertionError:
            raise AssertionError(
                [(svc, s.name) for svc, s in receiver.spans()], procs.output()
            ) from None
    finally:
        caller.shutdown()
        procs.close()

    by_name: dict[str, list[tuple[str, trace_pb2.Span]]] = {}
    for svc, span in spans:
        by_name.setdefault(span.name.split(" ")[0], []).append((svc, span))
    assert sorted((k, len(v)) for k, v in by_name.items()) == [
        ("handle", 1), ("hewer.attempt", 5), ("hewer.claim", 5), ("hewer.run", 1)
    ]  # fmt: skip
    [(_, caller_span)] = by_name["handle"]
    [(run_svc, run_span)] = by_name["hewer.run"]
    expected = run_span_context(uuid.UUID(run_id), format_traceparent(root.get_span_context()))
    # The run span: the caller's child, with the id every process derives from the run id.
    assert run_svc == "hewer-dispatcher"
    assert run_span.parent_span_id == caller_span.span_id
    assert run_span.span_id == expected.span_id.to_bytes(8, "big")
    assert run_span.name == "hewer.run traced_dag"
    assert _attrs(run_span)["hewer.run_id"] == run_id
    assert _attrs(run_span)["hewer.run_status"] == "succeeded"
    claims = {s.span_id: s for _, s in by_name["hewer.claim"]}
    for svc, claim in by_name["hewer.claim"]:
        assert svc == "hewer-dispatcher"
        assert claim.parent_span_id == run_span.span_id
    attempts = sorted(
        (s for _, s in by_name["hewer.attempt"]),
        key=lambda s: (s.start_time_unix_nano, _attrs(s)["hewer.attempt"]),
    )
    for svc, attempt in by_name["hewer.attempt"]:
        assert svc == "hewer-worker"
        # Each attempt is the child of its own claim, across the process boundary.
        claim = claims[attempt.parent_span_id]
        for key in ("hewer.task_id", "hewer.attempt", "hewer.step", "hewer.tenant_id"):
            assert _attrs(attempt)[key] == _attrs(claim)[key], key
        assert _attrs(attempt)["hewer.run_id"] == run_id
        assert run_span.start_time_unix_nano <= attempt.start_time_unix_nano
        assert attempt.end_time_unix_nano <= run_span.end_time_unix_nano
    failed = [s for s in attempts if s.status.code == ERROR]
    assert [(_attrs(s)["hewer.step"], _attrs(s)["hewer.attempt"]) for s in failed] == [
        ("summarize", 1)
    ]
    [event] = [e for e in failed[0].events if e.name == "exception"]
    event_attrs = {a.key: a.value.string_value for a in event.attributes}
    assert event_attrs["exception.type"] == "RuntimeError"
    assert event_attrs["exception.message"] == "the model timed out"
    assert "raise RuntimeError" in event_attrs["exception.stacktrace"]
    assert sorted((_attrs(s)["hewer.step"], _attrs(s)["hewer.attempt"]) for s in attempts) == [
        ("embed", 1), ("load", 1), ("store", 1), ("summarize", 1), ("summarize", 2)
    ]  # fmt: skip
    assert _attrs(attempts[0])["hewer.step"] == "load"
    assert _attrs(attempts[-1])["hewer.step"] == "store"

    # The JSON logs of the task code carry the run, the task, the attempt and the trace.
    lines = [
        json.loads(line)
        for line in procs.output().splitlines()
        if line.startswith("{") and '"summarizing"' in line
    ]
    assert [line["attempt"] for line in lines] == [1, 2]
    for line in lines:
        assert line["run_id"] == run_id
        assert line["workflow"] == "traced_dag"
        assert line["step"] == "summarize"
        assert line["trace_id"] == format_trace_id(trace_id)
        assert line["chars"] == len("a long transcript")
    summarize_spans = {
        _attrs(s)["hewer.attempt"]: format_span_id(int.from_bytes(s.span_id, "big"))
        for s in attempts
        if _attrs(s)["hewer.step"] == "summarize"
    }
    assert {line["attempt"]: line["span_id"] for line in lines} == summarize_spans
    print(json.dumps(_readable(spans), indent=1))


def _try_trigger(client: SyncClient, payload: dict[str, Any]) -> str | None:
    try:
        return client.trigger("traced_dag", payload)
    except Exception:  # noqa: BLE001 - not registered yet
        return None


def _readable(spans: list[tuple[str, trace_pb2.Span]]) -> list[dict[str, Any]]:
    """The spans as the receiver saw them, for the eye (pytest -s)."""
    start = min(s.start_time_unix_nano for _, s in spans)
    return [
        {
            "service": svc,
            "name": s.name,
            "span_id": _hex(s.span_id),
            "parent": _hex(s.parent_span_id),
            "start_ms": round((s.start_time_unix_nano - start) / 1e6, 1),
            "ms": round((s.end_time_unix_nano - s.start_time_unix_nano) / 1e6, 1),
            "status": trace_pb2.Status.StatusCode.Name(s.status.code),
            "attributes": _attrs(s),
        }
        for svc, s in sorted(spans, key=lambda p: p[1].start_time_unix_nano)
    ]


def test_a_run_triggered_from_sql_or_over_http_starts_a_trace_too(
    dsn: str, tmp_path: Path, receiver: Receiver, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _env(receiver).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "test-api")
    procs = Processes(dsn, tmp_path, env={"OTEL_SERVICE_NAME": "hewer-proc"})
    api = Api(dsn).start()
    try:
        dispatcher = procs.start_dispatcher(flags=FAST)
        procs.start_worker(dispatcher.address, slots=4, target=FLOWS)
        with SyncClient([dispatcher.address]) as client:
            wait_until(lambda: _try_trigger(client, {}), 60, "traced_dag to be registered")
            # From SQL, no trace context: the run id is the trace id.
            [sql_run] = conn.execute(
                "SELECT run_id FROM hewer.run_trigger('traced_dag', ARRAY['{}'::jsonb])"
            ).fetchall()
            sql_run_id = str(sql_run["run_id"])
            # Over HTTP with a traceparent header: the API's trigger span is its child.
            caller = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
            status, _, body = api.call(
                "POST",
                "/v1/runs",
                {"workflow": "traced_dag", "input": {}},
                headers={"traceparent": caller},
            )
            assert status == 201, body
            http_run_id = body["run_id"]
            for run in (sql_run_id, http_run_id):
                client.result(run, timeout=60)
        sql_trace = uuid.UUID(sql_run_id).int

        def arrived() -> bool:
            names = {s.name for _, s in _trace(receiver, sql_trace)}
            http = {s.name for _, s in _trace(receiver, int("ab" * 16, 16))}
            return "hewer.run traced_dag" in names and {
                "hewer.trigger traced_dag", "hewer.run traced_dag", "hewer.attempt store"
            } <= http  # fmt: skip

        wait_until(arrived, 60, "both runs' spans")
    finally:
        api.stop()
        procs.close()
    [(_, sql_root)] = [p for p in _trace(receiver, sql_trace) if p[1].name.startswith("hewer.run")]
    assert sql_root.parent_span_id == b""  # the root of its own trace
    http_spans = {s.name: (svc, s) for svc, s in _trace(receiver, int("ab" * 16, 16))}
    trigger_svc, trigger = http_spans["hewer.trigger traced_dag"]
    assert trigger_svc == "test-api"
    assert trigger.parent_span_id == bytes.fromhex("cd" * 8)
    assert http_spans["hewer.run traced_dag"][1].parent_span_id == trigger.span_id
    # The run's metadata carries the trace context it was triggered with.
    metadata = conn.execute(
        "SELECT additional_metadata FROM hewer.runs WHERE id = %s", (http_run_id,)
    ).fetchone()
    assert metadata is not None
    sent = parse_traceparent(metadata["additional_metadata"]["traceparent"])
    assert sent is not None and sent.span_id == int.from_bytes(trigger.span_id, "big")


def test_trace_context_in_metadata_is_the_callers_and_malformed_ones_are_ignored() -> None:
    good = "00-" + "1a" * 16 + "-" + "2b" * 8 + "-01"
    assert add_traceparent("", good) == json.dumps({"traceparent": good})
    assert add_traceparent('{"a": 1}', good) == json.dumps({"a": 1, "traceparent": good})
    # The caller's own context wins; what is not an object is left for the database to refuse.
    assert add_traceparent('{"traceparent": "x"}', good) == '{"traceparent": "x"}'
    assert add_traceparent("[1]", good) == "[1]"
    assert add_traceparent('{"a": 1}', None) == '{"a": 1}'
    run = uuid.uuid4()
    for bad in (None, 7, "", "00-" + "0" * 32 + "-" + "2" * 16 + "-01", good.upper(), good + "x"):
        assert parse_traceparent(bad) is None
        assert run_span_context(run, bad).trace_id == run.int
    assert run_span_context(run, good).trace_id == int("1a" * 16, 16)
    assert run_span_context(run, good).span_id == run_span_context(run).span_id
