"""Spans of the dispatcher, the HTTP API and the analytics feed (docs/observability.md#traces).

Each process that exports has a TracerProvider of its own (not the global one, so two
dispatchers in one process, or an application embedding the API, never mix), with a batch
processor and the OTLP/HTTP exporter configured by the standard `OTEL_*` variables. With no
endpoint set there is no provider: nothing is recorded or exported, and the claim path only
formats each assignment's trace context (the run span's, derived from the run id).

The spans (pyworker/tracing.py explains the ids):
- `hewer.trigger <workflow>` (SERVER): the API's and the gRPC Trigger's handling of a trigger,
  a child of the caller's `traceparent` header; its context goes into the run's metadata.
- `hewer.run <workflow>`: the run, from its creation to its end, exported by the analytics
  feed when it sees the run end (its id is derived from the run id, so it is the parent of
  spans exported long before it).
- `hewer.claim <step>`: one task attempt's claim (the task_claim call), under the run span.
  The worker's `hewer.attempt <step>` is its child.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from pyworker.tracing import (
    SCOPE,
    TRACEPARENT,
    context_of,
    format_traceparent,
    otlp_configured,
    parse_traceparent,
    run_span_context,
    run_span_id,
)

log = logging.getLogger("hewer.tracing")

#: Run statuses that end a run: the feed exports its span then.
FINISHED: Final = frozenset({"succeeded", "failed", "cancelled"})

# (trace id or None, span id) the next span must have: the run span's derived ids.
_FORCED: contextvars.ContextVar[tuple[int | None, int] | None] = contextvars.ContextVar(
    "hewer_forced_ids", default=None
)


class _Ids(RandomIdGenerator):
    """Random ids, except where a run span's derived ids are forced."""

    def generate_span_id(self) -> int:
        forced = _FORCED.get()
        return forced[1] if forced is not None else super().generate_span_id()

    def generate_trace_id(self) -> int:
        forced = _FORCED.get()
        if forced is not None and forced[0] is not None:
            return forced[0]
        return super().generate_trace_id()


def _ns(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp() * 1_000_000_000)


class Tracing:
    """One process's spans: off (nothing recorded) unless an OTLP endpoint is set."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.provider: TracerProvider | None = None
        self.tracer: trace.Tracer = trace.NoOpTracer()

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def start(self) -> None:
        if self.provider is not None or not otlp_configured():
            return
        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
        named = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
            "OTEL_RESOURCE_ATTRIBUTES", ""
        )
        resource = Resource.create({} if named else {SERVICE_NAME: self.service})
        self.provider = TracerProvider(resource=resource, id_generator=_Ids())
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self.tracer = self.provider.get_tracer(SCOPE)

    def stop(self) -> None:
        """Export what is left (blocking: call it off the event loop)."""
        if self.provider is not None:
            self.provider.shutdown()
            self.provider = None
            self.tracer = trace.NoOpTracer()

    # -- claims (the hot path) -----------------------------------------------------------------

    def claimed(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        tenant: uuid.UUID,
        worker_id: uuid.UUID,
        began_ns: int,
    ) -> list[str]:
        """The traceparent each claimed row's assignment carries: its `hewer.claim` span's,
        or (not exporting) its run span's."""
        if self.provider is None:
            return [
                format_traceparent(run_span_context(row["run_id"], row["traceparent"]))
                for row in rows
            ]
        ended = time.time_ns()
        out = []
        for row in rows:
            parent = context_of(run_span_context(row["run_id"], row["traceparent"]))
            span = self.tracer.start_span(
                f"hewer.claim {row['step']}",
                context=parent,
                kind=SpanKind.INTERNAL,
                start_time=began_ns,
                attributes={
                    "hewer.tenant_id": str(tenant),
                    "hewer.workflow": row["workflow"],
                    "hewer.run_id": str(row["run_id"]),
                    "hewer.step": row["step"],
                    "hewer.action": row["action"],
                    "hewer.task_id": str(row["task_id"]),
                    "hewer.attempt": row["attempt"],
                    "hewer.worker_id": str(worker_id),
                },
            )
            span.end(ended)
            out.append(format_traceparent(span.get_span_context()))
        return out

    # -- triggers ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def trigger(
        self, workflow: str, carrier: Mapping[str, str], tenant: uuid.UUID | None = None
    ) -> Iterator[str | None]:
        """A `hewer.trigger` span, child of the caller's `traceparent` (an HTTP header or
        gRPC metadata in `carrier`); yields the traceparent the run's metadata should carry
        (None: neither a caller's nor one of ours)."""
        caller = parse_traceparent(carrier.get(TRACEPARENT))
        parent = context_of(caller) if caller is not None else None
        if self.provider is None:
            yield format_traceparent(caller) if caller is not None else None
            return
        attributes: dict[str, str] = {"hewer.workflow": workflow}
        if tenant is not None:
            attributes["hewer.tenant_id"] = str(tenant)
        with self.tracer.start_as_current_span(
            f"hewer.trigger {workflow}", context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            yield format_traceparent(span.get_span_context())

    # -- runs (the analytics feed) -------------------------------------------------------------

    def run_finished(self, run: Mapping[str, Any]) -> None:
        """Export the span of a run that ended: a core_runs row of pydispatch/olap.sql."""
        if self.provider is None:
            return
        run_id: uuid.UUID = run["run_id"]
        metadata = run["metadata"] if isinstance(run["metadata"], dict) else {}
        caller = parse_traceparent(metadata.get(TRACEPARENT))
        parent = context_of(caller) if caller is not None else None
        expected = run_span_context(run_id, metadata.get(TRACEPARENT))
        token = _FORCED.set((None if caller is not None else run_id.int, run_span_id(run_id)))
        try:
            span = self.tracer.start_span(
                f"hewer.run {run['workflow']}",
                context=parent,
                kind=SpanKind.INTERNAL,
                start_time=_ns(run["created_at"]),
                attributes={
                    "hewer.tenant_id": str(run["tenant_id"]),
                    "hewer.workflow": run["workflow"],
                    "hewer.workflow_version": run["version"],
                    "hewer.run_id": str(run_id),
                    "hewer.run_status": run["status"],
                },
            )
        finally:
            _FORCED.reset(token)
        if span.get_span_context().span_id != expected.span_id:  # pragma: no cover - SDK change
            log.warning("a run span did not get its derived id", extra={"run_id": str(run_id)})
        if run["parent_run_id"] is not None:
            span.set_attribute("hewer.parent_run_id", str(run["parent_run_id"]))
        if run["status"] == "failed":
            span.set_status(Status(StatusCode.ERROR, "the run failed"))
        span.end(_ns(run["finished_at"]))
