"""Traces of runs (docs/observability.md#traces): W3C trace context in run metadata and in
assignments, and the span ids every process derives the same way.

One trace per run. Its root is the run's own span, `hewer.run <workflow>`: its span id is
derived from the run id, so the dispatcher (which opens a `hewer.claim` span under it for each
task attempt it assigns), the worker (`hewer.attempt`, under the claim) and the analytics feed
(which exports the run span itself when it sees the run end) agree on it without asking each
other. The trace id is the caller's when the run's metadata has a valid `traceparent` (the
Python client, the HTTP API and the gRPC Trigger put the caller's span there), and is derived
from the run id otherwise: a run triggered from SQL starts a trace of its own.

Only the OpenTelemetry API is needed here; without an SDK (or with no exporter configured)
every span is a no-op and only the trace context strings are computed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from typing import Final

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

log = logging.getLogger("pyworker.tracing")

#: The run metadata key (and gRPC metadata key, HTTP header) carrying W3C trace context.
TRACEPARENT: Final = "traceparent"
#: The instrumentation scope of hewer's spans.
SCOPE: Final = "hewer"

_TRACEPARENT_RE: Final = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)

ENDPOINT_VARIABLES: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def parse_traceparent(value: object) -> SpanContext | None:
    """The span context of a W3C traceparent (version 00), or None for anything else.

    Run metadata is the tenant's: a malformed value is ignored, never an error."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT_RE.fullmatch(value)
    if match is None:
        return None
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not trace_id or not span_id:
        return None
    return SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match[3], 16) & 1)
    )


def format_traceparent(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags) & 1:02x}"


def run_span_id(run_id: uuid.UUID) -> int:
    """The run span's id: the run id's last 64 bits (random in a UUIDv7), never 0."""
    return (run_id.int & 0xFFFF_FFFF_FFFF_FFFF) or 1


def run_span_context(run_id: uuid.UUID, traceparent: object = None) -> SpanContext:
    """The run's span context: the caller's trace (a valid metadata traceparent) or the run id
    as trace id, and the span id derived from the run id. Sampled unless the caller's says not."""
    parent = parse_traceparent(traceparent)
    return SpanContext(
        parent.trace_id if parent is not None else run_id.int,
        run_span_id(run_id),
        is_remote=True,
        trace_flags=parent.trace_flags if parent is not None else _SAMPLED,
    )


def context_of(span_context: SpanContext) -> Context:
    """An OpenTelemetry context whose current span is `span_context` (as a parent)."""
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def current_traceparent() -> str | None:
    """The traceparent of the current span if this process records it (it exports spans):
    a run triggered or spawned there joins its trace. Otherwise None, and the run's metadata
    is left as the caller gave it."""
    span = trace.get_current_span()
    if not span.is_recording():
        return None
    span_context = span.get_span_context()
    return format_traceparent(span_context) if span_context.is_valid else None


def add_traceparent(metadata_json: str, traceparent: str | None) -> str:
    """Run metadata (JSON text, "" for none) with `traceparent` added, unless it has one, or
    is not an object (the database refuses that with its own message)."""
    if traceparent is None:
        return metadata_json
    try:
        tags = json.loads(metadata_json) if metadata_json else {}
    except ValueError:
        return metadata_json
    if not isinstance(tags, dict) or TRACEPARENT in tags:
        return metadata_json
    tags[TRACEPARENT] = traceparent
    return json.dumps(tags)


def tracer() -> trace.Tracer:
    return trace.get_tracer(SCOPE)


def otlp_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether an OTLP endpoint for traces is set: only then are spans exported."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def configure(service: str) -> bool:
    """Export this process's spans over OTLP/HTTP when an endpoint is set (the standard
    OTEL_* variables configure the exporter and the batching), unless the application has
    already set a tracer provider of its own. Needs the OpenTelemetry SDK and OTLP exporter
    (the `server` extra, or `pip install opentelemetry-sdk
    opentelemetry-exporter-otlp-proto-http`). Returns whether spans are exported."""
    if not otlp_configured():
        return False
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return False  # the application's own provider, and its exporters, are used
    try:
        # Optional: a worker installed without the SDK still runs, and says what is missing.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not installed: "
            "pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http"
        )
        return False
    named = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    provider = TracerProvider(resource=Resource.create({} if named else {SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)  # flushed at exit (the SDK's atexit hook)
    return True
