"""The HTTP API through real HTTP (uvicorn on a free port) to a real database."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import uvicorn

from hewer_tools.processes import free_port
from pydispatch.api import create_app, openapi_document
from pydispatch.paths import REPO_ROOT
from tests.engine import claim, register, worker
from tests.ts_flows import spec_cases

Conn = psycopg.Connection[Any]
SPEC = {"steps": [{"name": "fetch"}, {"name": "summarize", "parents": ["fetch"]}]}


class Api:
    """The API app served by uvicorn in a thread."""

    def __init__(self, dsn: str, admin_token: str | None = None) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(dsn, pool_size=4, admin_token=admin_token),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Api:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive(), "the API did not start"
            assert time.monotonic() < deadline, "the API did not start in 30 s"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, Any]:
        """(status, content type, JSON body) of one request."""
        data = (
            raw.encode() if raw is not None else None if body is None else json.dumps(body).encode()
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http://127.0.0.1
                return (
                    response.status,
                    response.headers["Content-Type"],
                    json.loads(response.read()),
                )
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], json.loads(exc.read())


@pytest.fixture
def api(dsn: str) -> Iterator[Api]:
    served = Api(dsn).start()
    try:
        yield served
    finally:
        served.stop()


def test_health_and_readiness(api: Api) -> None:
    assert api.call("GET", "/healthz") == (200, "application/json", {"status": "ok"})
    status, _, body = api.call("GET", "/readyz")
    assert status == 200 and body["status"] == "ready" and body["schema_version"] >= 14


def test_a_run_is_triggered_read_listed_logged_cancelled_and_replayed(api: Api, conn: Conn) -> None:
    register(conn, "digest", SPEC)
    status, _, made = api.call(
        "POST",
        "/v1/runs",
        {"workflow": "digest", "input": {"url": "u"}, "idempotency_key": "k1",
         "metadata": {"customer": "acme"}, "priority": 5},
    )  # fmt: skip
    assert status == 201 and made["created"] is True
    run_id = made["run_id"]
    # The same key: the same run.
    again = api.call("POST", "/v1/runs", {"workflow": "digest", "idempotency_key": "k1"})
    assert again[0] == 201 and again[2] == {"run_id": run_id, "created": False}

    status, _, run = api.call("GET", f"/v1/runs/{run_id}")
    assert status == 200
    assert (run["workflow"], run["status"], run["input"], run["priority"]) == (
        "digest", "queued", {"url": "u"}, 5,
    )  # fmt: skip
    fetch = next(t for t in run["tasks"] if t["step"] == "fetch")
    assert fetch["status"] == "queued" and fetch["served"] is False

    # A worker (over SQL here) claims fetch and logs a line.
    w = worker(conn, ["digest:fetch"])
    [task] = claim(conn, w)
    conn.execute(
        "SELECT * FROM hewer.task_log(%s, %s, ARRAY['info'], ARRAY['fetching u'])",
        ([task["task_id"]], [task["attempt"]]),
    )
    status, _, logs = api.call("GET", f"/v1/runs/{run_id}/logs")
    assert status == 200
    assert [(x["step"], x["level"], x["message"]) for x in logs["lines"]] == [
        ("fetch", "info", "fetching u")
    ]
    assert logs["next_after"] == logs["lines"][-1]["log_id"]
    later = api.call("GET", f"/v1/runs/{run_id}/logs?after={logs['next_after']}")[2]
    assert later["lines"] == []

    page = api.call("GET", "/v1/runs?workflow=digest&status=running&limit=1")[2]
    assert [r["run_id"] for r in page["runs"]] == [run_id]
    assert page["runs"][0]["metadata"] == {"customer": "acme"}
    assert page["next_before"] == run_id
    assert api.call("GET", f"/v1/runs?before={run_id}")[2]["runs"] == []
    tagged = api.call("GET", "/v1/runs?metadata=%7B%22customer%22%3A%22acme%22%7D")[2]
    assert [r["run_id"] for r in tagged["runs"]] == [run_id]

    status, _, cancelled = api.call("POST", f"/v1/runs/{run_id}/cancel")
    assert status == 200 and cancelled == {
        "run_id": run_id,
        "cancelled": True,
        "status": "cancelled",
    }
    kinds = [e["kind"] for e in api.call("GET", f"/v1/runs/{run_id}/events")[2]]
    assert kinds[:2] == ["created", "created"] and "cancel_requested" in kinds

    status, _, replayed = api.call("POST", f"/v1/runs/{run_id}/replay", {"start_from": "start"})
    assert status == 201 and replayed["run_id"] == run_id and replayed["to_run"] == 2
    assert api.call("GET", f"/v1/runs/{replayed['replay_run_id']}")[2]["status"] == "queued"


def test_workflows_and_events(api: Api, conn: Conn) -> None:
    register(conn, "digest", SPEC)
    status, _, listed = api.call("GET", "/v1/workflows")
    assert status == 200 and [w["name"] for w in listed] == ["digest"]
    status, _, shown = api.call("GET", "/v1/workflows/digest")
    assert status == 200 and shown["version"] == 1 and shown["is_current"] is True
    assert [s["name"] for s in shown["spec"]["steps"]] == ["fetch", "summarize"]
    status, _, pushed = api.call(
        "POST", "/v1/events", {"key": "order.created", "payload": {"total": 150}}
    )
    assert status == 201
    row = conn.execute(
        "SELECT key, payload FROM hewer.events WHERE id = %s", (pushed["event_id"],)
    ).fetchone()
    assert row == {"key": "order.created", "payload": {"total": 150}}


def test_the_typed_spec_carries_worker_affinity(api: Api, conn: Conn) -> None:
    # The spec both SDKs send for the same affinity options registers as it is.
    text = spec_cases()["spec_affinity"]
    spec = json.loads(text)
    status, _, made = api.call("POST", "/v1/workflows", {"name": "spec_affinity", "spec": spec})
    assert status == 201, made
    stored = conn.execute(
        "SELECT spec FROM hewer.workflow_versions WHERE id = %s", (made["version_id"],)
    ).fetchone()
    assert stored == {"spec": spec}
    assert api.call("GET", "/v1/workflows/spec_affinity")[2]["spec"] == spec
    # A preference's weight may be left out (1); the database checks the ranges.
    loose = {"steps": [{"name": "a", "preferred_labels": {"m": {"value": "x"}}}], "sticky": "hard"}
    assert api.call("POST", "/v1/workflows", {"name": "loose", "spec": loose})[0] == 201
    bad_weight = {"steps": [{"name": "a", "preferred_labels": {"m": {"value": "x", "weight": 0}}}]}
    status, _, problem = api.call("POST", "/v1/workflows", {"name": "bad", "spec": bad_weight})
    assert (status, problem["code"]) == (400, "HW001"), problem
    for spec_bad in (
        {"steps": [{"name": "a"}], "sticky": "always"},
        {"steps": [{"name": "a", "worker_labels": ["gpu"]}]},
        {"steps": [{"name": "a", "preferred_labels": {"m": {"value": "x", "w": 1}}}]},
    ):
        status, _, problem = api.call("POST", "/v1/workflows", {"name": "bad", "spec": spec_bad})
        assert (status, problem["title"]) == (422, "invalid_request"), problem


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("POST", "/v1/runs", {"workflow": "nope"}, 404,
         {"title": "unknown_workflow", "code": "HW003"}),
        ("POST", "/v1/runs", {"workflow": "digest", "priority": 5000}, 422,
         {"title": "invalid_request"}),
        ("POST", "/v1/runs", {"workflow": "digest", "colour": "red"}, 422,
         {"title": "invalid_request"}),
        ("GET", "/v1/runs/not-a-uuid", None, 422, {"title": "invalid_request"}),
        ("GET", f"/v1/runs/{uuid.UUID(int=7)}", None, 404, {"title": "not_found"}),
        ("POST", f"/v1/runs/{uuid.UUID(int=7)}/cancel", None, 404, {"code": "HW009"}),
        ("GET", "/v1/workflows/nope", None, 404, {"code": "HW003"}),
        ("POST", "/v1/events", {"key": "bad key!"}, 400, {"code": "HW040"}),
        ("GET", "/v1/nothing-here", None, 404, {"title": "http_error"}),
    ],
)  # fmt: skip
def test_bad_requests_get_a_problem_naming_the_fix_and_change_nothing(
    api: Api, conn: Conn, method: str, path: str, body: Any, status: int, expected: dict[str, Any]
) -> None:
    from tests.engine import snapshot

    register(conn, "digest", SPEC)
    before = snapshot(conn)
    got, content_type, problem = api.call(method, path, body)
    assert (got, content_type) == (status, "application/problem+json"), problem
    assert problem["status"] == status and problem["detail"]
    assert expected.items() <= problem.items(), problem
    if status == 422:
        assert problem["errors"] and problem["errors"][0]["field"] in problem["detail"]
    if problem.get("code", "").startswith("HW"):
        assert problem["hint"]
    assert snapshot(conn) == before


def test_tokens_keep_each_tenant_to_its_own_runs(api: Api, conn: Conn) -> None:
    conn.execute("SELECT * FROM hewer.tenant_create('acme')")
    conn.execute("SELECT * FROM hewer.tenant_create('globex')")
    acme = conn.execute("SELECT token FROM hewer.token_create('a', 'acme')").fetchone()["token"]  # type: ignore[index]
    globex = conn.execute("SELECT token FROM hewer.token_create('g', 'globex')").fetchone()["token"]  # type: ignore[index]
    conn.execute(
        "SELECT set_config('hewer.tenant', (SELECT tenant_id::text FROM hewer.tenant_list()"
        " WHERE name = 'acme'), false)"
    )
    register(conn, "digest", SPEC)
    conn.execute("RESET hewer.tenant")
    status, _, made = api.call("POST", "/v1/runs", {"workflow": "digest"}, acme)
    assert status == 201
    run_id = made["run_id"]
    assert api.call("GET", f"/v1/runs/{run_id}", token=acme)[0] == 200
    # Another tenant's token: the run, its logs and the workflow do not exist for it.
    for path in (f"/v1/runs/{run_id}", f"/v1/runs/{run_id}/logs", "/v1/workflows/digest"):
        assert api.call("GET", path, token=globex)[0] == 404, path
    assert api.call("POST", f"/v1/runs/{run_id}/cancel", token=globex)[0] == 404
    assert api.call("GET", "/v1/runs", token=globex)[2]["runs"] == []
    assert api.call("POST", "/v1/runs", {"workflow": "digest"}, globex)[2]["code"] == "HW003"
    # Tokens exist now: no token, a bad one, or a revoked one is refused.
    status, _, problem = api.call("GET", "/v1/runs")
    assert (status, problem["code"]) == (401, "HW093") and "token" in problem["hint"].lower()
    assert api.call("GET", "/v1/runs", token="hwt_nope")[0] == 401
    conn.execute("SELECT hewer.token_revoke(token_id) FROM hewer.token_list('globex')")
    assert api.call("GET", "/v1/runs", token=globex)[0] == 401
    wrong_scheme = urllib.request.Request(f"http://127.0.0.1:{api.port}/v1/runs")
    wrong_scheme.add_header("Authorization", f"Token {acme}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong_scheme, timeout=30)  # noqa: S310 - http://127.0.0.1
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["title"] == "bad_authorization"


def test_the_committed_openapi_document_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "openapi.json").read_text()
    assert committed == openapi_document(), "docs/openapi.json is stale: run `make openapi`"
    document = json.loads(committed)
    assert document["openapi"].startswith("3.1")
    # Typed down to the field: no response is a bare object.
    run = document["components"]["schemas"]["Run"]
    assert run["properties"]["tasks"]["items"] == {"$ref": "#/components/schemas/Task"}
    assert set(document["paths"]) >= {"/v1/runs", "/v1/runs/{run_id}", "/v1/events"}


def _read_stream(api: Api, run_id: str, last: str | None = None) -> list[tuple[str, str, Any]]:
    """The (event, id, data) of a run's stream, read to its end."""
    request = urllib.request.Request(f"http://127.0.0.1:{api.port}/v1/runs/{run_id}/stream")
    if last is not None:
        request.add_header("Last-Event-ID", last)
    got: list[tuple[str, str, Any]] = []
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http://127.0.0.1
        assert response.headers["Content-Type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line:
                key, _, value = line.partition(": ")
                fields[key] = value
                continue
            got.append((fields["event"], fields.get("id", ""), json.loads(fields["data"])))
            fields = {}
    return got


def test_a_runs_stream_sends_its_events_live_and_resumes_after_last_event_id(
    api: Api, conn: Conn
) -> None:
    from tests.engine import complete

    register(conn, "digest", SPEC)
    run_id = api.call("POST", "/v1/runs", {"workflow": "digest"})[2]["run_id"]
    streamed: list[tuple[str, str, Any]] = []
    reader = threading.Thread(target=lambda: streamed.extend(_read_stream(api, run_id)))
    reader.start()
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    time.sleep(1.0)  # the stream is open and has sent the created events
    for _ in range(2):
        complete(conn, claim(conn, w))
    reader.join(60)
    assert not reader.is_alive()
    kinds = [(e, d.get("step"), d.get("kind")) for e, _, d in streamed]
    assert kinds[-1] == ("run", None, None) and streamed[-1][2]["status"] == "succeeded"
    task_events = [d for e, _, d in streamed if e == "task"]
    # No start was reported (task_start): each completion records it, just before its success.
    assert [(d["step"], d["kind"]) for d in task_events if d["kind"] != "created"] == [
        ("fetch", "assigned"), ("summarize", "queued"),
        ("fetch", "started"), ("fetch", "succeeded"),
        ("summarize", "assigned"), ("summarize", "started"), ("summarize", "succeeded"),
    ]  # fmt: skip
    assert len({i for _, i, _ in streamed if i}) == len(task_events)  # each event once
    # Reconnecting after the third event: the rest, not what was received.
    third = streamed[2][1]
    resumed = _read_stream(api, run_id, last=third)
    assert [i for e, i, _ in resumed if e == "task"] == [i for _, i, _ in streamed[3:-1]]
    # Another run's stream, unknown: a problem, not a stream.
    assert api.call("GET", f"/v1/runs/{uuid.UUID(int=9)}/stream")[0] == 404
