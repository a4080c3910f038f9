"""Metrics of the dispatcher and the HTTP API, on the OpenTelemetry SDK (docs/observability.md).

Instruments are counted where the dispatcher applies claims and reports (claims.py calls
`claimed`, reports.py calls `applied`); gauges are observable callbacks, read when a reader
collects, never on the hot path. Labels are low-cardinality only: no run, task or tenant ids.

Two ways out, each off unless configured:

- **Prometheus** (`--metrics-listen HOST:PORT`, `HEWER_METRICS_LISTEN`; the API's `GET
  /metrics`): opentelemetry-exporter-prometheus's PrometheusMetricReader collects the SDK's
  metrics into a prometheus_client registry of this process's own (not the global one, so
  two dispatchers or APIs in one process never mix), served by prometheus_client's HTTP
  server. Both are the maintained reference implementations of the text format, and the SDK
  turns `hewer.tasks.succeeded` with unit `{task}` into `hewer_tasks_succeeded_total` and
  `hewer.claim.duration` with unit `s` into `hewer_claim_duration_seconds`.
- **OTLP/HTTP** when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is
  set: a PeriodicExportingMetricReader with the OTLP exporter, both configured by the
  standard `OTEL_*` variables (interval, headers, timeout, resource attributes).

With neither, the instruments are no-ops. Gauges that read the database run on the
dispatcher's event loop (run_coroutine_threadsafe from the collecting thread), once per
collection however many gauges ask, and report nothing when the database does not answer
within a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Meter, NoOpMeter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    start_http_server,
)

from pydispatch.reports import Kind, Report

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.telemetry")

#: The Prometheus text format's content type, for the API's /metrics.
PROMETHEUS_CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

#: Queue depth is reported for this many actions (the deepest); the rest sum into `_other`.
QUEUE_TOP_ACTIONS: Final = 20
OTHER_ACTIONS: Final = "_other"
#: The dashboard's catch-all route (pydispatch/api/web.py): its pages count as `dashboard`.
DASHBOARD_ROUTE: Final = "/{path:path}"
#: The kinds of hewer.quarantine, reported even when none is quarantined.
QUARANTINE_KINDS: Final = ("event", "cron", "schedule", "wait", "partition")

# Seconds: from a fast local claim to a slow one.
_CLAIM_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
_LATENCY_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Tasks assigned but not yet started, remembered for the start latency; the oldest are
# forgotten past this many (tasks whose worker died before starting them).
_ASSIGNED_CAP: Final = 100_000
# A collection waits this long for the database gauges, and reuses a reading this fresh.
_DB_TIMEOUT: Final = 5.0
_DB_FRESH: Final = 1.0
# A failure report's outcome (retried, failed, cancelled) as task_history names it.
_FAIL_OUTCOMES: Final = {"retrying": "retried", "failed": "failed", "cancelled": "cancelled"}

#: hewer_tasks_<outcome>_total: what each counts.
TASK_COUNTERS: Final = {
    "claimed": "Tasks claimed (assigned) by this dispatcher's hewer.task_claim calls.",
    "started": "Accepted start reports.",
    "succeeded": "Accepted completion reports.",
    "failed": "Accepted failure reports that failed the task for good.",
    "retried": "Accepted failure reports that put the task back on the queue.",
    "cancelled": "Accepted failure reports that cancelled the task (cancel requested, or run "
    "finished).",
}

ENDPOINT_VARIABLES: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")


def otlp_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether an OTLP endpoint is set: only then are metrics exported over OTLP."""
    env = os.environ if environ is None else environ
    return any(env.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def meter_provider(service: str, registry: CollectorRegistry | None) -> MeterProvider | None:
    """A MeterProvider with a Prometheus reader into `registry` (if given) and an OTLP
    reader (if an endpoint is set); None when there is neither, so instruments stay no-ops."""
    readers: list[MetricReader] = []
    if registry is not None:
        readers.append(
            PrometheusMetricReader(registry=registry, scope_info_enabled=False),
        )
    if otlp_configured():
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    if not readers:
        return None
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    named = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    resource = Resource.create({} if named else {SERVICE_NAME: service})
    return MeterProvider(metric_readers=readers, resource=resource)


def parse_listen(value: str) -> tuple[str, int]:
    """HOST:PORT as (host, port); ValueError naming the fix."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"metrics listen must be host:port (e.g. 127.0.0.1:9464), got {value!r}")
    return host.strip("[]"), int(port)


# -- the dispatcher ------------------------------------------------------------------------------


@dataclass
class _Reading:
    """What the database gauges read at one collection."""

    at: float
    queue: Sequence[Mapping[str, Any]] = ()
    leader: Mapping[str, Any] | None = None
    quarantine: Sequence[Mapping[str, Any]] = ()
    olap: Mapping[str, Any] | None = None


class DispatcherTelemetry:
    """The dispatcher's instruments, its gauges' callbacks and its exporters."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        self.metrics_port = 0  # the bound /metrics port once started (0: not serving)
        self.registry: CollectorRegistry | None = None
        self._provider: MeterProvider | None = None
        self._server: WSGIServer | None = None
        self._server_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._reading: _Reading | None = None
        self._reading_lock = threading.Lock()
        # (task_id, attempt) -> monotonic times of its assignment and of when it became
        # claimable (the claim's queue_wait before it), until its start report.
        self._assigned: MutableMapping[tuple[uuid.UUID, int], tuple[float, float]] = {}
        self._lookups: set[asyncio.Task[None]] = set()
        # The counters: plain integers on the hot path, read by observable counters when a
        # reader collects (an SDK Counter.add costs microseconds; this, tens of nanoseconds).
        self.tasks: dict[str, int] = dict.fromkeys(TASK_COUNTERS, 0)
        self.claim_calls: dict[str, int] = {"tasks": 0, "empty": 0, "error": 0}
        self.report_results: dict[tuple[str, str], int] = {}
        self._instruments(NoOpMeter("hewer.dispatcher"))

    def _instruments(self, meter: Meter) -> None:
        for outcome, description in TASK_COUNTERS.items():
            meter.create_observable_counter(
                f"hewer.tasks.{outcome}",
                callbacks=[self._task_counter(outcome)],
                unit="{task}",
                description=description,
            )
        meter.create_observable_counter(
            "hewer.reports",
            callbacks=[self._observe_reports],
            unit="{report}",
            description="Worker reports applied, by kind and result (accepted or the reason).",
        )
        meter.create_observable_counter(
            "hewer.claims",
            callbacks=[self._observe_claims],
            unit="{call}",
            description="hewer.task_claim calls, by result (tasks, empty, error).",
        )
        self.claim_duration = meter.create_histogram(
            "hewer.claim.duration",
            unit="s",
            description="Duration of one hewer.task_claim call.",
            explicit_bucket_boundaries_advisory=_CLAIM_BUCKETS,
        )
        self.start_latency = meter.create_histogram(
            "hewer.task.start.latency",
            unit="s",
            description="From the task's assignment by this dispatcher to its accepted start.",
            explicit_bucket_boundaries_advisory=_LATENCY_BUCKETS,
        )
        self.enqueue_latency = meter.create_histogram(
            "hewer.task.enqueue_to_start",
            unit="s",
            description="From when the task became claimable (queued, or its retry's backoff "
            "over) to its accepted start.",
            explicit_bucket_boundaries_advisory=_LATENCY_BUCKETS,
        )
        meter.create_observable_counter(
            "hewer.tasks.reaped",
            callbacks=[self._observe_reaped],
            unit="{task}",
            description="Tasks the reaper handled while this dispatcher led.",
        )
        meter.create_observable_gauge(
            "hewer.queue.depth",
            callbacks=[self._observe_queue],
            unit="{task}",
            description="Tasks on the ready queue, by action (the deepest 20) and state.",
        )
        meter.create_observable_gauge(
            "hewer.workers.connected",
            callbacks=[self._observe_workers],
            unit="{worker}",
            description="Worker streams connected to this dispatcher.",
        )
        meter.create_observable_gauge(
            "hewer.worker.slots",
            callbacks=[self._observe_slots],
            unit="{slot}",
            description="Slots of this dispatcher's workers, by state (used, free).",
        )
        meter.create_observable_gauge(
            "hewer.leader.tick.age",
            callbacks=[self._observe_tick_age],
            unit="s",
            description="Seconds since the maintenance leader last renewed its lease.",
        )
        meter.create_observable_gauge(
            "hewer.leader.up",
            callbacks=[self._observe_leader_up],
            unit="1",
            description="1 while some dispatcher holds an unexpired maintenance lease.",
        )
        meter.create_observable_gauge(
            "hewer.leader.is_self",
            callbacks=[self._observe_is_self],
            unit="1",
            description="1 while this dispatcher is the maintenance leader.",
        )
        meter.create_observable_gauge(
            "hewer.quarantined.items",
            callbacks=[self._observe_quarantine],
            unit="{item}",
            description="Quarantined items of the leader's work, by kind.",
        )
        meter.create_observable_gauge(
            "hewer.olap.lag",
            callbacks=[self._observe_olap_lag],
            unit="s",
            description="Age of the oldest task-event batch the analytics feed has not stored.",
        )
        meter.create_observable_gauge(
            "hewer.olap.backlog",
            callbacks=[self._observe_olap_backlog],
            unit="{message}",
            description="Task-event batches waiting for the analytics feed.",
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Make the readers and serve /metrics, as the settings and environment ask; on the
        dispatcher's event loop."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        listen = self.core.settings.metrics_listen
        self.registry = CollectorRegistry() if listen else None
        self._provider = meter_provider("hewer-dispatcher", self.registry)
        if self._provider is None:
            return
        self._instruments(self._provider.get_meter("hewer.dispatcher"))
        if listen and self.registry is not None:
            host, port = parse_listen(listen)
            try:
                self._server, self._server_thread = start_http_server(
                    port, host, registry=self.registry
                )
            except OSError as exc:
                raise RuntimeError(f"cannot serve metrics on {listen}: {exc.strerror}") from exc
            self.metrics_port = int(self._server.server_port)
            log.info("serving metrics", extra={"listen": listen, "port": self.metrics_port})

    async def stop(self) -> None:
        """Finish the failure lookups, export once more (OTLP), stop serving. The database
        pool must still be open."""
        if self._lookups:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await asyncio.gather(*self._lookups, return_exceptions=True)
        if self._provider is not None:
            # Off the loop: the final collection's database gauges need the loop running.
            await asyncio.to_thread(self._provider.shutdown)
            self._provider = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._instruments(NoOpMeter("hewer.dispatcher"))

    # -- the hot path --------------------------------------------------------------------------

    def claimed(self, rows: Sequence[Mapping[str, Any]], seconds: float) -> None:
        """One task_claim call took `seconds` and assigned `rows`."""
        if self._provider is None:
            return
        self.claim_duration.record(seconds)
        if not rows:
            self.claim_calls["empty"] += 1
            return
        self.claim_calls["tasks"] += 1
        self.tasks["claimed"] += len(rows)
        now = time.monotonic()
        assigned = self._assigned
        for row in rows:
            assigned[(row["task_id"], row["attempt"])] = (now, now - (row["queue_wait"] or 0.0))
        while len(assigned) > _ASSIGNED_CAP:
            del assigned[next(iter(assigned))]

    def claim_failed(self) -> None:
        self.claim_calls["error"] += 1

    def applied(
        self, kind: Kind, reports: Sequence[Report], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """A report call answered `rows` (ord, accepted, reason) for `reports`."""
        if self._provider is None:
            return
        if kind is Kind.LOG or kind is Kind.REFRESH:
            self._results(kind, rows)
            return
        accepted = [reports[row["ord"] - 1] for row in rows if row["accepted"]]
        self._results(kind, rows)
        if kind is Kind.START:
            self.tasks["started"] += len(accepted)
            now = time.monotonic()
            for r in accepted:
                at = self._assigned.pop((r.task_id, r.attempt), None)
                if at is not None:
                    self.start_latency.record(now - at[0])
                    self.enqueue_latency.record(now - at[1])
        elif kind is Kind.COMPLETE:
            self.tasks["succeeded"] += len(accepted)
            for r in accepted:
                # A task that ended within the worker's start report delay sent no `started`:
                # its completion records the start (docs/protocol.md#reports).
                if self._assigned.pop((r.task_id, r.attempt), None) is not None:
                    self.tasks["started"] += 1
        elif kind is Kind.FAIL and accepted:
            for r in accepted:
                self._assigned.pop((r.task_id, r.attempt), None)
            # What each failure led to is in the task's history: read off the hot path.
            lookup = asyncio.create_task(self._count_failures(accepted))
            self._lookups.add(lookup)
            lookup.add_done_callback(self._lookups.discard)

    def _results(self, kind: Kind, rows: Sequence[Mapping[str, Any]]) -> None:
        counts = self.report_results
        name = kind.name.lower()
        for row in rows:
            key = (name, "accepted" if row["accepted"] else (row["reason"] or "rejected"))
            counts[key] = counts.get(key, 0) + 1

    async def _count_failures(self, reports: Sequence[Report]) -> None:
        try:
            params = {
                "task_ids": [r.task_id for r in reports],
                "attempts": [r.attempt for r in reports],
            }
            rows = await self.core.fetch(
                "task_fail_outcomes", params, tenant=reports[0].session.tenant
            )
        except Exception as exc:  # noqa: BLE001 - a metric lost, never a report
            log.warning("could not read failure outcomes for metrics", extra={"error": str(exc)})
            return
        for row in rows:
            outcome = _FAIL_OUTCOMES.get(row["kind"])
            if outcome is not None:
                self.tasks[outcome] += int(row["tasks"])

    # -- gauges, read at collection ------------------------------------------------------------

    def _task_counter(self, outcome: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(self.tasks[outcome])]

        return observe

    def _observe_reports(self, options: CallbackOptions) -> Iterable[Observation]:
        counts = dict(self.report_results)  # one step: the loop may add a key meanwhile
        return [Observation(n, {"kind": k, "result": r}) for (k, r), n in counts.items()]

    def _observe_claims(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"result": r}) for r, n in dict(self.claim_calls).items()]

    def _observe_reaped(self, options: CallbackOptions) -> Iterable[Observation]:
        leader = self.core.leader
        return [Observation(leader.reaped if leader is not None else 0)]

    def _observe_workers(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(len(self._sessions()))]

    def _observe_slots(self, options: CallbackOptions) -> Iterable[Observation]:
        sessions = self._sessions()
        used = sum(len(s.held) for s in sessions)
        free = sum(max(s.free, 0) for s in sessions)
        return [Observation(used, {"state": "used"}), Observation(free, {"state": "free"})]

    def _observe_is_self(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(1 if self.core.is_leader else 0)]

    def _observe_queue(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None:
            return []
        observed = []
        for row in reading.queue:
            action = row["action"] if row["action"] is not None else OTHER_ACTIONS
            observed.append(Observation(row["ready"], {"action": action, "state": "ready"}))
            observed.append(Observation(row["delayed"], {"action": action, "state": "delayed"}))
        return observed

    def _observe_tick_age(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None or reading.leader is None or reading.leader["tick_age"] is None:
            return []
        return [Observation(max(float(reading.leader["tick_age"]), 0.0))]

    def _observe_leader_up(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None:
            return []
        return [Observation(1 if reading.leader is not None and reading.leader["held"] else 0)]

    def _observe_quarantine(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None:
            return []
        counts = dict.fromkeys(QUARANTINE_KINDS, 0)
        for row in reading.quarantine:
            counts[row["kind"]] = int(row["quarantined"])
        return [Observation(n, {"kind": kind}) for kind, n in counts.items()]

    def _observe_olap_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None or reading.olap is None:
            return []
        return [Observation(max(float(reading.olap["oldest_seconds"]), 0.0))]

    def _observe_olap_backlog(self, options: CallbackOptions) -> Iterable[Observation]:
        reading = self._read()
        if reading is None or reading.olap is None:
            return []
        return [Observation(int(reading.olap["messages"]))]

    def _sessions(self) -> list[Any]:
        # Read from the collecting thread; a copy of the values is taken in one step.
        return list(self.core.streams.sessions.values())

    def _read(self) -> _Reading | None:
        """The database gauges' reading: one per collection (reused while fresh)."""
        with self._reading_lock:
            now = time.monotonic()
            if self._reading is not None and now - self._reading.at < _DB_FRESH:
                return self._reading
            loop = self._loop
            if loop is None or loop.is_closed() or threading.get_ident() == self._loop_thread:
                return None
            future = asyncio.run_coroutine_threadsafe(self._read_database(now), loop)
            try:
                self._reading = future.result(_DB_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - a gauge left out, never a failed scrape
                future.cancel()
                log.warning("metrics could not read the database", extra={"error": str(exc)})
                return None
            return self._reading

    async def _read_database(self, at: float) -> _Reading:
        fetch = self.core.fetch
        # No tenant: the dispatcher's role sees every tenant's rows (queries.sql).
        queue = await fetch("metrics_queue_depth", {"top": QUEUE_TOP_ACTIONS}, tenant=None)
        lease = {"lease": self.core.settings.leader_lease}
        leader = await fetch("metrics_leader", lease, tenant=None)
        quarantine = await fetch("metrics_quarantine", {}, tenant=None)
        olap = await fetch("metrics_olap", {}, tenant=None)
        return _Reading(
            at, queue, leader[0] if leader else None, quarantine, olap[0] if olap else None
        )


# -- the HTTP API --------------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class ApiTelemetry:
    """The HTTP API's request metrics, served by its own GET /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._provider: MeterProvider | None = None
        self._instruments(NoOpMeter("hewer.api"))

    def _instruments(self, meter: Meter) -> None:
        self.requests = meter.create_counter(
            "hewer.api.requests",
            unit="{request}",
            description="HTTP requests, by method, route template and status class.",
        )
        self.duration = meter.create_histogram(
            "hewer.api.request.duration",
            unit="s",
            description="HTTP request duration (a stream's: until it ends), by route.",
            explicit_bucket_boundaries_advisory=_LATENCY_BUCKETS,
        )

    def start(self) -> None:
        self._provider = meter_provider("hewer-api", self.registry)
        if self._provider is not None:
            self._instruments(self._provider.get_meter("hewer.api"))

    def stop(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()
            self._provider = None
        self._instruments(NoOpMeter("hewer.api"))

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = {"method": method, "route": route, "status_class": f"{status // 100}xx"}
        self.requests.add(1, labels)
        self.duration.record(seconds, {"method": method, "route": route})


class ApiMetricsMiddleware:
    """ASGI middleware counting each HTTP request by its route template (`/v1/runs/{run_id}`,
    never the path itself: `unmatched` when no route matched)."""

    def __init__(self, app: App, telemetry: ApiTelemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            if route == DASHBOARD_ROUTE:
                # The dashboard's catch-all: its pages, or a 404 for a path no route has.
                route = "unmatched" if status == 404 else "dashboard"
            self.telemetry.record(
                scope.get("method", ""), route, status, time.perf_counter() - started
            )
