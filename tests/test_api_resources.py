"""The HTTP API's resources beyond runs: workflows, tasks, workers, events, filters, crons,
schedules, limits, tokens and tenants, and the live stream of run changes; through real
HTTP to a real database, each also refused to another tenant."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.engine import claim, complete, fail, register, snapshot, worker
from tests.test_api import SPEC, Api
from tests.test_events import route

Conn = psycopg.Connection[Any]
ADMIN = "a" * 40


@pytest.fixture
def api(dsn: str) -> Iterator[Api]:
    served = Api(dsn, admin_token=ADMIN).start()
    try:
        yield served
    finally:
        served.stop()


def ok(api: Api, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    status, _, got = api.call(method, path, body, token)
    assert 200 <= status < 300, (status, got)
    return got


def test_workflows_are_registered_versioned_and_rolled_back(api: Api, conn: Conn) -> None:
    spec = {"steps": [{"name": "fetch", "retries": 2, "backoff": {"base": 1, "factor": 3}},
                      {"name": "summarize", "parents": ["fetch"], "timeout": "30s"}]}  # fmt: skip
    status, _, made = api.call("POST", "/v1/workflows", {"name": "digest", "spec": spec})
    assert status == 201 and made["version"] == 1 and made["created"] is True
    # The same spec again: the same version (200); the stored spec is exactly what was sent.
    status, _, again = api.call("POST", "/v1/workflows", {"name": "digest", "spec": spec})
    assert (status, again["version_id"], again["created"]) == (200, made["version_id"], False)
    stored = conn.execute(
        "SELECT spec FROM hewer.workflow_versions WHERE id = %s", (made["version_id"],)
    ).fetchone()
    assert stored == {"spec": spec}
    spec2 = {"steps": [*spec["steps"], {"name": "embed", "parents": ["fetch"]}]}
    assert ok(api, "POST", "/v1/workflows", {"name": "digest", "spec": spec2})["version"] == 2
    versions = ok(api, "GET", "/v1/workflows/digest/versions")
    assert [(v["version"], v["is_current"], v["steps"]) for v in versions] == [
        (1, False, 2), (2, True, 3),
    ]  # fmt: skip
    rolled = ok(api, "POST", "/v1/workflows/digest/rollback", {"version": 1})
    assert (rolled["version"], rolled["previous_version"]) == (1, 2)
    shown = ok(api, "GET", "/v1/workflows/digest")
    assert shown["version"] == 1 and shown["spec"]["steps"][0]["backoff"] == {
        "base": 1,
        "factor": 3,
    }
    assert ok(api, "GET", "/v1/workflows/digest?version=2")["spec"] == spec2

    before = snapshot(conn)
    # A cycle: the database's code and hint. An unknown field: 422 naming it.
    cycle = {"steps": [{"name": "a", "parents": ["b"]}, {"name": "b", "parents": ["a"]}]}
    status, _, problem = api.call("POST", "/v1/workflows", {"name": "loop", "spec": cycle})
    assert (status, problem["code"]) == (400, "HW002") and problem["hint"], problem
    status, _, problem = api.call(
        "POST", "/v1/workflows", {"name": "x", "spec": {"steps": [{"name": "a", "colour": 1}]}}
    )
    assert status == 422 and problem["errors"][0]["field"] == "body.spec.steps.0.colour"
    status, _, problem = api.call("POST", "/v1/workflows/digest/rollback", {"version": 9})
    assert status == 404 and problem["code"].startswith("HW"), problem
    assert api.call("GET", "/v1/workflows/nope/versions")[0] == 404
    assert snapshot(conn) == before


def test_cancel_matching_children_and_lineage(api: Api, conn: Conn) -> None:
    register(conn, "digest", SPEC)
    register(conn, "kid", {"steps": [{"name": "s"}]})
    ids = [
        ok(api, "POST", "/v1/runs", {"workflow": "digest", "metadata": {"batch": b}})["run_id"]
        for b in ("x", "x", "y")
    ]
    before = snapshot(conn)
    status, _, problem = api.call("POST", "/v1/runs/cancel", {})
    assert status == 422 and "no filter" in problem["detail"]
    assert snapshot(conn) == before
    cancelled = ok(api, "POST", "/v1/runs/cancel", {"metadata": {"batch": "x"}})
    assert cancelled["cancelled"] == 2 and {r["run_id"] for r in cancelled["runs"]} == set(ids[:2])
    assert ok(api, "GET", f"/v1/runs/{ids[2]}")["status"] == "queued"

    # The third run's fetch task spawns a child run.
    w = worker(conn, ["digest:fetch"])
    [task] = claim(conn, w)
    conn.execute(
        "SELECT * FROM hewer.run_spawn(%s, %s, 'kid', ARRAY['{}'::jsonb], ARRAY['k1'])",
        (task["task_id"], task["attempt"]),
    )
    [child] = ok(api, "GET", f"/v1/runs/{ids[2]}/children")
    assert (child["workflow"], child["child_key"], child["parent_task_id"]) == (
        "kid", "k1", str(task["task_id"]),
    )  # fmt: skip
    assert ok(api, "GET", f"/v1/runs/{ids[0]}/children") == []
    # The child names its parent run and task; a run started otherwise, none.
    shown = ok(api, "GET", f"/v1/runs/{child['run_id']}")
    assert (shown["parent_run_id"], shown["parent_task_id"]) == (ids[2], str(task["task_id"]))
    parent = ok(api, "GET", f"/v1/runs/{ids[2]}")
    assert (parent["parent_run_id"], parent["parent_task_id"]) == (None, None)

    replay = ok(api, "POST", f"/v1/runs/{ids[0]}/replay", {})["replay_run_id"]
    assert ok(api, "GET", f"/v1/runs/{ids[0]}/lineage") == {
        "run_id": ids[0], "replay_of": None, "replays": [replay],
    }  # fmt: skip
    assert ok(api, "GET", f"/v1/runs/{replay}/lineage")["replay_of"] == ids[0]


def test_a_tasks_attempts_and_logs(api: Api, conn: Conn) -> None:
    register(conn, "flaky", {"steps": [{"name": "call", "retries": 1}]})
    run_id = ok(api, "POST", "/v1/runs", {"workflow": "flaky"})["run_id"]
    w = worker(conn, ["flaky:call"])
    [first] = claim(conn, w)
    conn.execute("SELECT * FROM hewer.task_start(%s, %s)", ([first["task_id"]], [1]))
    conn.execute(
        "SELECT * FROM hewer.task_log(%s, %s, ARRAY['warning'], ARRAY['rate limited'])",
        ([first["task_id"]], [1]),
    )
    fail(conn, [first], {"message": "429"})
    [second] = claim(conn, w, now=datetime.now(UTC) + timedelta(seconds=5))
    conn.execute(
        "SELECT * FROM hewer.task_log(%s, %s, ARRAY['info'], ARRAY['ok now'])",
        ([second["task_id"]], [2]),
    )
    complete(conn, [second])
    got = ok(api, "GET", f"/v1/tasks/{first['task_id']}/attempts")
    assert (got["run_id"], got["step"]) == (run_id, "call")
    assert [(a["attempt"], a["outcome"], a["error"]) for a in got["attempts"]] == [
        (1, "retrying", {"message": "429"}), (2, "succeeded", None),
    ]  # fmt: skip
    one = got["attempts"][0]
    assert one["worker_id"] == str(w) and one["started_at"] and one["finished_at"]
    assert [e["kind"] for e in one["events"]] == ["assigned", "started", "retrying"]
    logs = ok(api, "GET", f"/v1/tasks/{first['task_id']}/logs")
    assert [(x["attempt"], x["message"]) for x in logs["lines"]] == [
        (1, "rate limited"),
        (2, "ok now"),
    ]
    page = ok(api, "GET", f"/v1/tasks/{first['task_id']}/logs?limit=1")
    rest = ok(api, "GET", f"/v1/tasks/{first['task_id']}/logs?after={page['next_after']}")
    assert [x["message"] for x in page["lines"] + rest["lines"]] == ["rate limited", "ok now"]
    assert api.call("GET", f"/v1/tasks/{uuid.UUID(int=3)}/attempts")[0] == 404


def test_workers_events_filters_crons_and_schedules(api: Api, conn: Conn, dsn: str) -> None:
    register(conn, "digest", {**SPEC, "on_events": ["order.*"]})
    w = worker(conn, ["digest:fetch"])
    [listed] = ok(api, "GET", "/v1/workers")
    assert (listed["worker_id"], listed["status"], listed["actions"]) == (
        str(w), "active", ["digest:fetch"],
    )  # fmt: skip
    assert ok(api, "GET", "/v1/workers?status=dead") == []
    assert ok(api, "GET", f"/v1/workers/{w}")["slots"] == 100
    assert api.call("GET", "/v1/workers?status=asleep")[0] == 422

    made = ok(
        api, "POST", "/v1/filters", {"workflow": "digest", "expression": "payload.total > 100"}
    )
    [shown] = ok(api, "GET", "/v1/filters?workflow=digest")
    assert (shown["filter_id"], shown["version"]) == (made["id"], 1)
    changed = ok(api, "PATCH", f"/v1/filters/{made['id']}", {"expression": "payload.total > 10"})
    assert (changed["expression"], changed["version"]) == ("payload.total > 10", 2)
    status, _, problem = api.call(
        "PATCH", f"/v1/filters/{made['id']}", {"expression": "payload.total >"}
    )
    assert (status, problem["code"]) == (400, "HW042") and problem["hint"], problem
    assert ok(api, "GET", "/v1/filters")[0]["version"] == 2  # unchanged

    small = ok(api, "POST", "/v1/events", {"key": "order.created", "payload": {"total": 5}})
    big = ok(api, "POST", "/v1/events", {"key": "order.created", "payload": {"total": 50}})
    ok(api, "POST", "/v1/events", {"key": "user.signup"})
    route(dsn)
    page = ok(api, "GET", "/v1/events?key=order.created&limit=1")
    assert [e["event_id"] for e in page["events"]] == [big["event_id"]]
    older = ok(api, "GET", f"/v1/events?key=order.created&before={page['next_before']}")
    assert [e["event_id"] for e in older["events"]] == [small["event_id"]]
    assert len(ok(api, "GET", "/v1/events")["events"]) == 3
    detail = ok(api, "GET", f"/v1/events/{big['event_id']}")
    assert detail["payload"] == {"total": 50}
    [match] = detail["matches"]
    assert match["workflow"] == "digest" and match["filter_id"] == made["id"] and match["run_id"]
    assert ok(api, "GET", f"/v1/events/{small['event_id']}")["matches"] == []
    assert ok(api, "DELETE", f"/v1/filters/{made['id']}") == {"removed": True}
    assert api.call("DELETE", f"/v1/filters/{made['id']}")[0] == 404

    cron = {"workflow": "digest", "name": "nightly", "expression": "0 3 * * *", "input": {"a": 1}}
    cron_id = ok(api, "POST", "/v1/crons", cron)["id"]
    [listed_cron] = ok(api, "GET", "/v1/crons")
    assert (listed_cron["cron_id"], listed_cron["input"], listed_cron["source"]) == (
        cron_id, {"a": 1}, "api",
    )  # fmt: skip
    status, _, problem = api.call("POST", "/v1/crons", {**cron, "name": "bad", "expression": "x"})
    assert status == 400 and problem["hint"], problem
    assert ok(api, "DELETE", "/v1/crons/digest/nightly") == {"removed": True}
    assert ok(api, "GET", "/v1/crons") == []

    at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    schedule_id = ok(api, "POST", "/v1/schedules", {"workflow": "digest", "run_at": at})["id"]
    [pending] = ok(api, "GET", "/v1/schedules?workflow=digest")
    assert pending["schedule_id"] == schedule_id and pending["run_id"] is None
    assert ok(api, "DELETE", f"/v1/schedules/{schedule_id}") == {"removed": True}
    assert ok(api, "GET", "/v1/schedules") == []
    assert api.call("DELETE", f"/v1/schedules/{schedule_id}")[0] == 404


def test_rate_and_concurrency_limits(api: Api, conn: Conn) -> None:
    made = ok(api, "PUT", "/v1/rate-limits/openai", {"rate": 10, "period": "1 minute", "burst": 20})
    assert (made["rate"], made["period_seconds"], made["burst"]) == (10, 60, 20)
    assert ok(api, "PUT", "/v1/rate-limits/openai", {"rate": 5})["period_seconds"] == 1
    assert [r["name"] for r in ok(api, "GET", "/v1/rate-limits")] == ["openai"]
    assert api.call("PUT", "/v1/rate-limits/openai", {"rate": -1})[0] == 422
    status, _, problem = api.call("PUT", "/v1/rate-limits/bad%20name!", {"rate": 1})
    assert status == 400 and problem["hint"], problem
    assert ok(api, "DELETE", "/v1/rate-limits/openai") == {"removed": True}
    assert ok(api, "GET", "/v1/rate-limits") == []

    limit = ok(api, "PUT", "/v1/concurrency-limits/action/call_openai", {"max": 3})
    assert limit == {"scope": "action", "name": "call_openai", "max_running": 3, "running": 0}
    assert ok(api, "GET", "/v1/concurrency-limits") == [limit]
    assert ok(api, "DELETE", "/v1/concurrency-limits/action/call_openai") == {"removed": True}
    assert ok(api, "DELETE", "/v1/concurrency-limits/action/call_openai") == {"removed": False}


def _tenants(conn: Conn) -> tuple[str, str]:
    conn.execute("SELECT * FROM hewer.tenant_create('acme')")
    conn.execute("SELECT * FROM hewer.tenant_create('globex')")
    acme = conn.execute("SELECT token FROM hewer.token_create('a', 'acme')").fetchone()
    globex = conn.execute("SELECT token FROM hewer.token_create('g', 'globex')").fetchone()
    assert acme is not None and globex is not None
    return acme["token"], globex["token"]


def test_a_tenant_manages_its_own_tokens_only(api: Api, conn: Conn) -> None:
    acme, globex = _tenants(conn)
    made = ok(api, "POST", "/v1/tokens", {"name": "ci"}, acme)
    assert made["tenant"] == "acme" and made["token"].startswith("hwt_")
    assert [t["name"] for t in ok(api, "GET", "/v1/tokens", token=acme)] == ["a", "ci"]
    assert [t["name"] for t in ok(api, "GET", "/v1/tokens", token=globex)] == ["g"]
    # The new token works; globex cannot revoke it, acme can.
    assert ok(api, "GET", "/v1/runs", token=made["token"])["runs"] == []
    assert api.call("DELETE", f"/v1/tokens/{made['token_id']}", token=globex)[0] == 404
    assert ok(api, "GET", "/v1/runs", token=made["token"])["runs"] == []
    assert ok(api, "DELETE", f"/v1/tokens/{made['token_id']}", token=acme) == {"removed": True}
    assert api.call("GET", "/v1/runs", token=made["token"])[0] == 401
    # Tenant-wide concurrency is the operator's, not a tenant's.
    assert api.call("GET", "/v1/tenants", token=acme)[0] == 403
    assert api.call("PATCH", "/v1/tenants/acme", {"max_running": 1}, acme)[0] == 403


def test_the_operator_manages_tenants_with_the_admin_token(api: Api, conn: Conn, dsn: str) -> None:
    acme, _ = _tenants(conn)
    admin = ADMIN
    made = ok(api, "POST", "/v1/tenants", {"name": "initech", "max_running": 5}, admin)
    assert (made["name"], made["max_running"], made["active_tokens"]) == ("initech", 5, 0)
    changed = ok(api, "PATCH", "/v1/tenants/initech", {"max_trigger_rate": 2.5}, admin)
    assert (changed["max_running"], changed["max_trigger_rate"]) == (5, 2.5)
    assert ok(api, "PATCH", "/v1/tenants/initech", {"max_running": 0}, admin)["max_running"] is None
    names = [t["name"] for t in ok(api, "GET", "/v1/tenants", token=admin)]
    assert {"acme", "globex", "initech"} <= set(names)
    token = ok(api, "POST", "/v1/tenants/initech/tokens", {"name": "svc"}, admin)
    assert token["tenant"] == "initech"
    assert ok(api, "GET", "/v1/runs", token=token["token"])["runs"] == []
    [listed] = ok(api, "GET", "/v1/tenants/initech/tokens", token=admin)
    assert listed["token_id"] == token["token_id"] and "token" not in listed
    # A token of one tenant is not revoked through another's path.
    status = api.call("DELETE", f"/v1/tenants/acme/tokens/{token['token_id']}", token=admin)[0]
    assert status == 404
    assert ok(api, "DELETE", f"/v1/tenants/initech/tokens/{token['token_id']}", token=admin)
    assert api.call("GET", "/v1/runs", token=token["token"])[0] == 401
    # The admin token acts for no tenant; a wrong one or a tenant's is refused.
    status, _, problem = api.call("GET", "/v1/runs", token=admin)
    assert (status, problem["title"]) == (403, "admin_token")
    assert api.call("GET", "/v1/tenants", token="b" * 40)[0] == 403
    status, _, problem = api.call("POST", "/v1/tenants", {"name": "x"}, acme)
    assert (status, problem["title"]) == (403, "admin_only")
    status, _, problem = api.call("POST", "/v1/tenants", {"name": "bad name!"}, admin)
    assert problem["code"] == "HW092" and "valid tenant name" in problem["detail"], problem
    assert problem["hint"] and "initech" in [
        t["name"] for t in ok(api, "GET", "/v1/tenants", token=admin)
    ]


def test_without_an_admin_token_tenants_are_not_managed_over_http(dsn: str) -> None:
    served = Api(dsn).start()
    try:
        status, _, problem = served.call("GET", "/v1/tenants", token="a" * 40)
        assert (status, problem["title"]) == (403, "admin_disabled")
        assert "HEWER_API_ADMIN_TOKEN" in problem["hint"]
    finally:
        served.stop()


def test_an_admin_token_shorter_than_32_characters_is_refused(dsn: str) -> None:
    from pydispatch.api import create_app

    with pytest.raises(ValueError, match="32 or more"):
        create_app(dsn, admin_token="short")


# Each path with another tenant's token: what acme made does not exist for globex.
FOREIGN = [
    ("GET", "/v1/workflows/digest", None),
    ("GET", "/v1/workflows/digest/versions", None),
    ("GET", "/v1/runs/{run}/events", None),
    ("GET", "/v1/runs/{run}/stream", None),
    ("POST", "/v1/runs/{run}/replay", {}),
    ("POST", "/v1/filters", {"workflow": "digest", "expression": "true"}),
    ("POST", "/v1/crons", {"workflow": "digest", "name": "n", "expression": "0 3 * * *"}),
    ("POST", "/v1/schedules", {"workflow": "digest", "run_at": "2030-01-01T00:00:00Z"}),
    ("POST", "/v1/workflows/digest/rollback", {"version": 1}),
    ("GET", "/v1/runs/{run}/children", None),
    ("GET", "/v1/runs/{run}/lineage", None),
    ("GET", "/v1/tasks/{task}/attempts", None),
    ("GET", "/v1/tasks/{task}/logs", None),
    ("GET", "/v1/workers/{worker}", None),
    ("GET", "/v1/events/{event}", None),
    ("PATCH", "/v1/filters/{filter}", {"expression": "true"}),
    ("DELETE", "/v1/filters/{filter}", None),
    ("DELETE", "/v1/crons/digest/nightly", None),
    ("DELETE", "/v1/schedules/{schedule}", None),
    ("DELETE", "/v1/tokens/{token}", None),
]


def test_another_tenants_things_do_not_exist_for_a_token(api: Api, conn: Conn) -> None:
    acme, globex = _tenants(conn)
    ok(api, "POST", "/v1/workflows", {"name": "digest", "spec": SPEC}, acme)
    run = ok(api, "POST", "/v1/runs", {"workflow": "digest"}, acme)["run_id"]
    task = ok(api, "GET", f"/v1/runs/{run}", token=acme)["tasks"][0]["task_id"]
    ids = {
        "run": run,
        "task": task,
        "worker": ok(api, "GET", "/v1/workers", token=acme)[0]["worker_id"]
        if ok(api, "GET", "/v1/workers", token=acme)
        else str(uuid.UUID(int=5)),
        "event": ok(api, "POST", "/v1/events", {"key": "k"}, acme)["event_id"],
        "filter": ok(
            api, "POST", "/v1/filters", {"workflow": "digest", "expression": "true"}, acme
        )["id"],
        "schedule": ok(
            api,
            "POST",
            "/v1/schedules",
            {"workflow": "digest", "run_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
            acme,
        )["id"],
        "token": ok(api, "GET", "/v1/tokens", token=acme)[0]["token_id"],
    }
    ok(
        api,
        "POST",
        "/v1/crons",
        {"workflow": "digest", "name": "nightly", "expression": "0 3 * * *"},
        acme,
    )
    before = snapshot(conn)
    for method, path, body in FOREIGN:
        status, _, problem = api.call(method, path.format(**ids), body, globex)
        assert status == 404, (method, path, status, problem)
    for path in ("/v1/workers", "/v1/events", "/v1/filters", "/v1/crons", "/v1/schedules",
                 "/v1/rate-limits", "/v1/concurrency-limits", "/v1/workflows"):  # fmt: skip
        got = ok(api, "GET", path, token=globex)
        assert got in ([], {"events": [], "next_before": None}), (path, got)
    # Cancelling "every digest run": acme's workflow does not exist for globex.
    status, _, problem = api.call("POST", "/v1/runs/cancel", {"workflow": "digest"}, globex)
    assert (status, problem["code"]) == (404, "HW003")
    assert ok(api, "POST", "/v1/runs/cancel", {"status": ["queued"]}, globex)["cancelled"] == 0
    assert snapshot(conn) == before
    assert ok(api, "GET", f"/v1/runs/{run}", token=acme)["status"] == "queued"


def _changes(api: Api, query: str, token: str, until: Any, found: list[Any]) -> threading.Thread:
    """Read /v1/runs/changes in a thread into `found` until `until(found)` holds."""

    def read() -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{api.port}/v1/runs/changes?{query}")
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http://127.0.0.1
            data = None
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                elif not line and data is not None:
                    found.append(data)
                    data = None
                    if until(found):
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def test_the_run_changes_stream_sends_the_state_then_each_change(api: Api, conn: Conn) -> None:
    acme, globex = _tenants(conn)
    for token in (acme, globex):
        ok(api, "POST", "/v1/workflows", {"name": "digest", "spec": SPEC}, token)
    old = ok(api, "POST", "/v1/runs", {"workflow": "digest"}, acme)["run_id"]
    found: list[Any] = []
    reader = _changes(
        api,
        "workflow=digest",
        acme,
        lambda got: any(r["status"] == "succeeded" for r in got),
        found,
    )
    deadline = time.monotonic() + 30
    while not found and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["run_id"] for r in found] == [old]  # the current state first
    ok(api, "POST", "/v1/runs", {"workflow": "digest"}, globex)  # another tenant's: unseen
    new = ok(api, "POST", "/v1/runs", {"workflow": "digest"}, acme)["run_id"]
    conn.execute(
        "SELECT set_config('hewer.tenant', (SELECT tenant_id::text FROM hewer.tenant_list()"
        " WHERE name = 'acme'), false)"
    )
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    for _ in range(2):
        complete(conn, [t for t in claim(conn, w) if str(t["run_id"]) == new])
    conn.execute("RESET hewer.tenant")
    reader.join(60)
    assert not reader.is_alive(), found
    seen = [(r["run_id"], r["status"]) for r in found]
    # The state first, then changes (coalesced: a stream may skip a state that did not last);
    # globex's run never, and no state twice in a row for a run.
    assert seen[0] == (old, "queued") and seen[-1] == (new, "succeeded")
    assert {run for run, _ in seen} == {old, new}
    for run in (old, new):
        states = [s for r, s in seen if r == run]
        assert all(a != b for a, b in itertools.pairwise(states)), seen
