"""GET /v1/stats/...: the analytics store's rollups and the ready queue over HTTP, each
tenant seeing its own (a real API on a real database, the store fed by a real feeder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from pydispatch import olap
from tests.engine import claim, complete, fail, register, trigger, worker
from tests.test_api import Api
from tests.test_olap import feed

Conn = psycopg.Connection[Any]
SPEC = {
    "steps": [
        {"name": "fetch", "retries": 1, "backoff": {"base": 0, "jitter": 0}},
        {"name": "summarize", "parents": ["fetch"]},
    ]
}


@pytest.fixture
def api(dsn: str) -> Iterator[Api]:
    served = Api(dsn).start()
    try:
        yield served
    finally:
        served.stop()


def as_tenant(conn: Conn, name: str) -> None:
    conn.execute(
        "SELECT set_config('hewer.tenant', (SELECT tenant_id::text FROM hewer.tenant_list()"
        " WHERE name = %s), false)",
        (name,),
    )


def test_stats_per_workflow_and_step_and_the_queue_each_tenant_its_own(
    api: Api, conn: Conn, dsn: str
) -> None:
    conn.execute("SELECT * FROM hewer.tenant_create('acme')")
    conn.execute("SELECT * FROM hewer.tenant_create('globex')")
    tokens = {
        name: conn.execute("SELECT token FROM hewer.token_create('t', %s)", (name,)).fetchone()[
            "token"
        ]  # type: ignore[index]
        for name in ("acme", "globex")
    }
    # Before any feed pass there is no store: said so, not a 500.
    status, _, problem = api.call("GET", "/v1/stats/workflows", token=tokens["acme"])
    assert (status, problem["title"]) == (503, "no_analytics_store"), problem

    # acme: three runs, each fetch failing once then succeeding, then summarize; and two
    # runs waiting in the queue. globex: one run, done.
    as_tenant(conn, "acme")
    register(conn, "digest", SPEC)
    trigger(conn, "digest", [{"i": i} for i in range(3)])
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    fail(conn, claim(conn, w), "flaky", retryable=True)
    complete(conn, claim(conn, w), [{"ok": True}] * 3)
    complete(conn, claim(conn, w), ["done"] * 3)
    trigger(conn, "digest", [{"i": 9}, {"i": 10}])
    as_tenant(conn, "globex")
    register(conn, "report", {"steps": [{"name": "write"}]})
    trigger(conn, "report", [{}])
    complete(conn, claim(conn, worker(conn, ["report:write"])), ["ok"])
    feed(dsn, dsn)

    status, _, page = api.call("GET", "/v1/stats/workflows", token=tokens["acme"])
    assert status == 200, page
    [digest] = page["workflows"]
    assert digest["workflow"] == "digest"
    assert (digest["attempts"], digest["succeeded"], digest["retried"]) == (9, 6, 3)
    assert digest["failed"] == 0 and digest["failure_rate"] == 0
    assert digest["per_minute"] == pytest.approx(9 / 60)
    assert digest["wait_p50_ms"] is not None  # run times need a started event: none here
    [report] = api.call("GET", "/v1/stats/workflows", token=tokens["globex"])[2]["workflows"]
    assert (report["workflow"], report["attempts"]) == ("report", 1)

    status, _, steps = api.call("GET", "/v1/stats/workflows/digest/steps", token=tokens["acme"])
    assert status == 200
    assert [(s["step"], s["attempts"], s["retried"]) for s in steps["steps"]] == [
        ("fetch", 6, 3),
        ("summarize", 3, 0),
    ]
    # Another tenant's workflow has no steps for it; an old window has nothing.
    assert (
        api.call("GET", "/v1/stats/workflows/digest/steps", token=tokens["globex"])[2]["steps"]
        == []
    )
    old = quote((datetime.now(UTC) - timedelta(days=2)).isoformat())
    older = quote((datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert (
        api.call("GET", f"/v1/stats/workflows?since={old}&until={older}", token=tokens["acme"])[2][
            "workflows"
        ]
        == []
    )
    status, _, problem = api.call(
        "GET", f"/v1/stats/workflows?since={older}&until={old}", token=tokens["acme"]
    )
    assert status == 422 and "since" in problem["detail"]

    assert api.call("GET", "/v1/stats/queue", token=tokens["acme"])[2] == [
        {"action": "digest:fetch", "ready": 2, "delayed": 0}
    ]
    assert api.call("GET", "/v1/stats/queue", token=tokens["globex"])[2] == []


def test_stats_read_a_store_on_another_database(
    api: Api,
    conn: Conn,
    dsn: str,
    create_database: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HEWER_OLAP_DATABASE_URL: the store elsewhere (a database of its own here); the API
    reads it there, and the core's database has no store at all."""
    store = create_database()
    monkeypatch.setenv(olap.STORE_ENV, store)
    register(conn, "digest", SPEC)
    trigger(conn, "digest", [{"i": 1}])
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    complete(conn, claim(conn, w), [{"ok": True}])
    complete(conn, claim(conn, w), ["done"])
    feed(dsn, store)
    status, _, page = api.call("GET", "/v1/stats/workflows")
    assert status == 200, page
    assert [(w["workflow"], w["attempts"]) for w in page["workflows"]] == [("digest", 2)]
    assert conn.execute("SELECT to_regnamespace('hewer_olap') AS s").fetchone() == {"s": None}
