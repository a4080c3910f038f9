"""Metrics (pydispatch/telemetry.py) from real processes: a `hewer dispatcher` with
--metrics-listen scraped over HTTP, the HTTP API's /metrics, and a dispatcher exporting over
OTLP/HTTP to a receiver in this test. Workflows are in tests/metrics_flows.py."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hewer_tools.processes import FAST, Processes, free_port, trigger_when_registered, wait_until
from pydispatch.paths import REPO_ROOT
from pydispatch.settings import DispatcherSettings
from pydispatch.telemetry import otlp_configured, parse_listen
from pyworker import SyncClient
from pyworker.errors import RunFailedError
from tests.engine import register
from tests.otlp import Receiver
from tests.test_api import Api

Conn = psycopg.Connection[Any]
FLOWS = "tests.metrics_flows:flows"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

# What the workload below does: the pipeline's 4 tasks, metrics_flaky's one task twice (its
# first attempt fails and is retried), metrics_doomed's one task once (it fails for good).
EXPECTED = {
    "hewer_tasks_claimed_total": 7,
    "hewer_tasks_started_total": 7,
    "hewer_tasks_succeeded_total": 5,
    "hewer_tasks_retried_total": 1,
    "hewer_tasks_failed_total": 1,
    "hewer_tasks_cancelled_total": 0,
}


@pytest.fixture
def procs(dsn: str, tmp_path: Path) -> Iterator[Processes]:
    p = Processes(dsn, tmp_path)
    try:
        yield p
    finally:
        p.close()


def scrape(port: int) -> Samples:
    """Every sample of http://127.0.0.1:port/metrics, by (name, labels)."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def run_workload(address: str) -> None:
    """The pipeline, a task retried once, a task failed for good; each run to its end."""
    with SyncClient([address]) as client:
        # The worker registers its workflows one by one: wait for each.
        pipeline = trigger_when_registered(client, "proc_pipeline", {"n": 3})
        flaky = trigger_when_registered(client, "metrics_flaky", {})
        doomed = trigger_when_registered(client, "metrics_doomed", {})
        assert client.result(pipeline, timeout=60)["total"] == 15
        assert client.result(flaky, timeout=60) == {"wobble": "steady on attempt 2"}
        with pytest.raises(RunFailedError):
            client.result(doomed, timeout=60)


def test_the_dispatcher_serves_prometheus_metrics_counting_what_it_applied(
    procs: Processes, conn: Conn
) -> None:
    metrics_port = free_port()
    dispatcher = procs.start_dispatcher(
        flags=[*FAST, "--metrics-listen", f"127.0.0.1:{metrics_port}"]
    )
    # Before any worker: every counter is there, at zero.
    first = wait_until(lambda: scrape(metrics_port), 30, "the first scrape")
    for name in EXPECTED:
        assert value(first, name) == 0, name
    procs.start_worker(dispatcher.address, slots=4, target=FLOWS)
    run_workload(dispatcher.address)

    # The failure outcomes are read just after the reports are answered: wait for them.
    def counted() -> Samples | None:
        samples = scrape(metrics_port)
        got = {name: value(samples, name) for name in EXPECTED}
        return samples if got == EXPECTED else None

    try:
        samples = wait_until(counted, 30, "the task counters")
    except AssertionError:
        samples = scrape(metrics_port)
        raise AssertionError(
            {name: value(samples, name) for name in EXPECTED}, procs.output()
        ) from None
    # A task that ends within the worker's start report delay sends no start report (its
    # completion counts it started); a failure always has one before it.
    starts = value(samples, "hewer_reports_total", kind="start", result="accepted")
    assert starts is not None and 2 <= starts <= 7
    assert value(samples, "hewer_reports_total", kind="complete", result="accepted") == 5
    assert value(samples, "hewer_reports_total", kind="fail", result="accepted") == 2
    # Every accepted start had its assignment here: one latency each.
    assert value(samples, "hewer_task_start_latency_seconds_count") == starts
    assert value(samples, "hewer_task_enqueue_to_start_seconds_count") == starts
    # Each task waited at least its trip from assignment to start.
    assert (value(samples, "hewer_task_enqueue_to_start_seconds_sum") or 0) >= (
        value(samples, "hewer_task_start_latency_seconds_sum") or 0
    )
    assert (value(samples, "hewer_task_start_latency_seconds_sum") or 0) > 0
    # Each task_claim call is timed; those that found tasks found all 7.
    claims = value(samples, "hewer_claim_duration_seconds_count")
    with_tasks = value(samples, "hewer_claims_total", result="tasks")
    assert claims is not None and with_tasks is not None and 1 <= with_tasks <= 7
    assert claims >= with_tasks + (value(samples, "hewer_claims_total", result="empty") or 0)
    assert value(samples, "hewer_claim_duration_seconds_bucket", le="+Inf") == claims

    # Gauges: a task no worker serves waits on the queue; an item is quarantined.
    register(conn, "metrics_idle", {"steps": [{"name": "wait_here"}]})
    conn.execute("SELECT * FROM hewer.run_trigger('metrics_idle', ARRAY['{}'::jsonb])")
    conn.execute(
        "INSERT INTO hewer.quarantine (tenant_id, kind, item_id, failures, error,"
        " first_failed_at, last_failed_at, quarantined_at)"
        " VALUES (%s, 'cron', 'metrics-test', 5, 'boom', now(), now(), now())",
        (uuid.UUID(int=0),),
    )

    def gauged() -> Samples | None:
        samples = scrape(metrics_port)
        queued = value(samples, "hewer_queue_depth", action="metrics_idle:wait_here", state="ready")
        used = value(samples, "hewer_worker_slots", state="used")
        return samples if queued == 1 and used == 0 else None

    try:
        samples = wait_until(gauged, 30, "the queue and slot gauges")
    except AssertionError:
        raise AssertionError(scrape(metrics_port), procs.output()) from None
    assert (
        value(samples, "hewer_queue_depth", action="metrics_idle:wait_here", state="delayed") == 0
    )
    assert value(samples, "hewer_workers_connected") == 1
    assert value(samples, "hewer_worker_slots", state="free") == 4
    assert value(samples, "hewer_quarantined_items", kind="cron") == 1
    assert value(samples, "hewer_quarantined_items", kind="event") == 0
    # The only dispatcher leads; its lease was renewed within its length (15 s by default).
    assert value(samples, "hewer_leader_up") == 1
    assert value(samples, "hewer_leader_is_self") == 1
    age = value(samples, "hewer_leader_tick_age_seconds")
    assert age is not None and 0 <= age < 15
    assert value(samples, "hewer_tasks_reaped_total") == 0
    # The analytics feed keeps up with this little: its queue is read at every scrape.
    backlog = value(samples, "hewer_olap_backlog")
    lag = value(samples, "hewer_olap_lag_seconds")
    assert backlog is not None and backlog >= 0
    assert lag is not None and 0 <= lag < 60
    # Every metric served is documented, and the dashboard uses only documented ones.
    documented = set(
        re.findall(r"`(hewer_[a-z_]+)`", (REPO_ROOT / "docs/observability.md").read_text())
    )
    served = {re.sub(r"_(bucket|count|sum)$", "", name) for name, _ in samples}
    assert {n for n in served if n.startswith("hewer_")} <= documented
    dashboard = json.loads((REPO_ROOT / "docs/grafana/hewer.json").read_text())
    used = {
        re.sub(r"_bucket$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"hewer_[a-z_]+", target["expr"])
    }
    assert used and used <= documented, used - documented


def test_the_api_serves_its_request_metrics_by_route_template(dsn: str) -> None:
    api = Api(dsn).start()
    try:
        for _ in range(3):
            assert api.call("GET", "/healthz")[0] == 200
        missing = uuid.UUID(int=5)
        assert api.call("GET", f"/v1/runs/{missing}")[0] == 404
        assert api.call("GET", f"/v1/runs/{uuid.UUID(int=6)}")[0] == 404
        assert api.call("GET", "/v1/nothing-here")[0] == 404
        assert api.call("POST", "/v1/runs", {"workflow": "x", "priority": 5000})[0] == 422
        samples = scrape(api.port)
    finally:
        api.stop()
    requests = "hewer_api_requests_total"
    assert value(samples, requests, method="GET", route="/healthz", status_class="2xx") == 3
    # By the route's template, never the path with its id.
    assert (
        value(samples, requests, method="GET", route="/v1/runs/{run_id}", status_class="4xx") == 2
    )
    assert value(samples, requests, method="GET", route="unmatched", status_class="4xx") == 1
    assert value(samples, requests, method="POST", route="/v1/runs", status_class="4xx") == 1
    assert not any(str(missing) in str(labels) for _, labels in samples)
    duration = "hewer_api_request_duration_seconds_count"
    assert value(samples, duration, method="GET", route="/healthz") == 3
    assert value(samples, duration, method="GET", route="/v1/runs/{run_id}") == 2


def test_the_dispatcher_exports_the_same_counts_over_otlp(dsn: str, tmp_path: Path) -> None:
    receiver = Receiver()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "200",
        "OTEL_SERVICE_NAME": "hewer-test-dispatcher",
    }
    procs = Processes(dsn, tmp_path, env=env)
    try:
        dispatcher = procs.start_dispatcher()  # no --metrics-listen: OTLP only
        procs.start_worker(dispatcher.address, slots=4, target=FLOWS)
        run_workload(dispatcher.address)
        wanted = {name.removesuffix("_total").replace("_", "."): n for name, n in EXPECTED.items()}

        def exported() -> bool:
            got = receiver.latest()
            return all(got.get(name) == n for name, n in wanted.items())

        try:
            wait_until(exported, 30, "the exported counters")
        except AssertionError:
            raise AssertionError(receiver.latest(), procs.output()) from None
    finally:
        procs.close()
        receiver.close()
    with receiver.lock:
        resource = receiver.metrics[-1].resource_metrics[0].resource
    names = {a.key: a.value.string_value for a in resource.attributes}
    assert names["service.name"] == "hewer-test-dispatcher"


def test_metrics_are_off_unless_asked_for() -> None:
    assert DispatcherSettings().metrics_listen is None
    assert not otlp_configured({})
    assert otlp_configured({"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://collector:4318"})
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    for bad in ("9464", "host:", "host:port", "host:70000"):
        with pytest.raises(ValueError, match="host:port"):
            DispatcherSettings(metrics_listen=bad)
