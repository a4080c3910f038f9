"""The dashboard (docs/dashboard.md) in a real browser: Debian's headless Chromium driven by
Playwright, against the API served by uvicorn on a real database. Workers act over SQL here
(claim, complete, fail), so each state the page must show happens at a known moment."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.engine import claim, complete, fail, register, worker
from tests.engine import trigger as engine_trigger
from tests.test_api import Api
from tests.test_olap import feed

Conn = psycopg.Connection[Any]
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
# Nothing downloads a browser: Debian's chromium, with what it would fetch or sync turned off.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DIGEST = {"steps": [{"name": "fetch"}, {"name": "summarize", "parents": ["fetch"]}]}
FLAKY = {"steps": [{"name": "load", "retries": 1}]}
RUN_URL = re.compile(r".*/runs/[0-9a-f-]{36}$")
# Changes show within a second (docs/dashboard.md); the bound leaves room for a loaded machine.
LIVE = 3.0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def api(dsn: str) -> Iterator[Api]:
    served = Api(dsn).start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


class Tenants:
    """Two tenants with a token each; `conn` acts for acme."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        conn.execute("SELECT * FROM hewer.tenant_create('acme')")
        conn.execute("SELECT * FROM hewer.tenant_create('globex')")
        self.acme = self._token("a", "acme")
        self.globex = self._token("g", "globex")
        conn.execute(
            "SELECT set_config('hewer.tenant', (SELECT tenant_id::text FROM hewer.tenant_list()"
            " WHERE name = 'acme'), false)"
        )

    def _token(self, name: str, tenant: str) -> str:
        row = self.conn.execute("SELECT token FROM hewer.token_create(%s, %s)", (name, tenant))
        found = row.fetchone()
        assert found is not None
        return str(found["token"])


@pytest.fixture
def tenants(conn: Conn) -> Tenants:
    return Tenants(conn)


def log_in(page: Page, api: Api, token: str) -> None:
    page.goto(f"http://127.0.0.1:{api.port}/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def status_of(page: Page) -> Any:
    return page.get_by_test_id("run-status")


def node(page: Page, step: str) -> Any:
    return page.locator(f'g.node[data-step="{step}"]')


def trigger(api: Api, token: str, workflow: str) -> str:
    status, _, made = api.call("POST", "/v1/runs", {"workflow": workflow}, token or None)
    assert status == 201, made
    return str(made["run_id"])


def test_the_api_serves_the_dashboard_at_the_root_and_keeps_its_own_paths(api: Api) -> None:
    base = f"http://127.0.0.1:{api.port}"

    def fetch(path: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as r:  # noqa: S310 - http://127.0.0.1
                return r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], exc.read()

    index = fetch("/")
    assert index[0] == 200 and index[1].startswith("text/html") and b'id="root"' in index[2]
    # A client route, reloaded: the same page, which routes itself.
    assert fetch(f"/runs/{uuid.uuid4()}")[2] == index[2]
    script = re.search(rb'src="(/assets/[^"]+\.js)"', index[2])
    assert script is not None
    asset = fetch(script.group(1).decode())
    assert asset[0] == 200 and "javascript" in asset[1]
    # The API's own paths are not the app's: an unknown one is still a JSON 404.
    missing = fetch("/v1/nothing-here")
    assert missing[0] == 404 and missing[1] == "application/problem+json"
    assert json.loads(missing[2])["title"] == "http_error"
    assert fetch("/docs")[0] == 200
    assert fetch("/readyz")[0] == 200
    assert not any("{path" in p for p in api.call("GET", "/openapi.json")[2]["paths"])


def test_a_run_triggered_from_the_page_is_watched_to_success_and_its_dag_opened(
    api: Api, page: Page, tenants: Tenants
) -> None:
    conn = tenants.conn
    register(conn, "digest", DIGEST)
    log_in(page, api, tenants.acme)

    # The runs list is live: a run triggered elsewhere shows up without a reload.
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    elsewhere = trigger(api, tenants.acme, "digest")
    expect(page.locator(f'tr[data-run-id="{elsewhere}"]')).to_be_visible(timeout=LIVE * 1000)
    expect(page.locator(f'tr[data-run-id="{elsewhere}"]')).to_contain_text("queued")

    # Trigger from the form, with its JSON input checked while typed.
    page.get_by_role("link", name="Trigger", exact=True).click()
    page.get_by_label("Workflow").fill("digest")
    page.get_by_label("Input (JSON)").fill('{"url": ')
    expect(page.get_by_role("button", name="Trigger")).to_be_disabled()
    page.get_by_label("Input (JSON)").fill('{"url": "https://example.org"}')
    page.get_by_role("button", name="Trigger").click()
    page.wait_for_url(RUN_URL)
    run_id = page.url.rsplit("/", 1)[1]
    expect(status_of(page)).to_have_text("queued")
    expect(page.get_by_label("Run input")).to_contain_text("https://example.org")

    # The DAG: both steps, the edge between them, coloured by state.
    expect(page.locator("g.node")).to_have_count(2)
    expect(page.locator("path.edge")).to_have_count(1)
    expect(node(page, "fetch")).to_have_attribute("data-status", "queued")

    # A worker does the work: each change shows without a reload, within the bound.
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    [fetch] = [t for t in claim(conn, w) if str(t["run_id"]) == run_id]
    started = time.monotonic()
    expect(node(page, "fetch")).to_have_attribute("data-status", "assigned", timeout=LIVE * 1000)
    conn.execute(
        "SELECT * FROM hewer.task_log(%s, %s, ARRAY['info'], ARRAY['fetched 3 pages'])",
        ([fetch["task_id"]], [fetch["attempt"]]),
    )
    complete(conn, [fetch], [{"pages": 3}])
    expect(node(page, "fetch")).to_have_attribute("data-status", "succeeded", timeout=LIVE * 1000)
    [summarize] = [t for t in claim(conn, w) if str(t["run_id"]) == run_id]
    complete(conn, [summarize], ["three pages"])
    finished = time.monotonic()
    expect(status_of(page)).to_have_text("succeeded", timeout=LIVE * 1000)
    assert time.monotonic() - finished < LIVE
    assert page.evaluate("window.notReloaded") is True, "the page reloaded"
    expect(node(page, "summarize")).to_have_attribute("data-status", "succeeded")
    assert time.monotonic() - started < 4 * LIVE

    # A step opened, by keyboard: its output, its attempt, its logs.
    node(page, "fetch").focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("region", name="Step fetch")
    expect(panel.get_by_label("Task output")).to_contain_text('"pages": 3')
    expect(panel.locator("li[data-attempt]")).to_have_count(1)
    expect(panel.locator('li[data-attempt="1"]')).to_have_attribute("data-outcome", "succeeded")
    expect(panel.get_by_label("Task logs")).to_contain_text("fetched 3 pages")

    # Back on the list, the runs are there, now succeeded, still without a reload.
    page.go_back()
    page.go_back()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    expect(page.locator(f'tr[data-run-id="{run_id}"]')).to_contain_text("succeeded")
    assert page.evaluate("window.notReloaded") is True


def test_a_failed_task_shows_its_error_and_retry_and_runs_are_cancelled_and_replayed(
    api: Api, page: Page, tenants: Tenants
) -> None:
    conn = tenants.conn
    register(conn, "flaky", FLAKY)
    broken = trigger(api, tenants.acme, "flaky")
    w = worker(conn, ["flaky:load"])
    [first] = [t for t in claim(conn, w, limit=1) if str(t["run_id"]) == broken]
    error = {
        "type": "OSError",
        "message": "disk full",
        "traceback": 'Traceback (most recent call last):\n  File "load.py", line 3\n'
        "OSError: disk full",
    }
    fail(conn, [first], error, retryable=True)
    later = datetime.now(UTC) + timedelta(hours=1)
    [second] = [t for t in claim(conn, w, limit=1, now=later) if str(t["run_id"]) == broken]
    fail(conn, [second], {**error, "message": "disk still full"}, retryable=False, now=later)
    waiting = trigger(api, tenants.acme, "flaky")  # no worker claims it: it stays queued

    log_in(page, api, tenants.acme)
    page.goto(f"http://127.0.0.1:{api.port}/runs/{broken}")
    expect(status_of(page)).to_have_text("failed")
    expect(node(page, "load")).to_have_attribute("data-status", "failed")
    node(page, "load").click()
    panel = page.get_by_role("region", name="Step load")
    attempts = panel.locator("li[data-attempt]")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("disk full")
    expect(attempts.nth(0).get_by_label("Traceback")).to_contain_text("OSError: disk full")
    expect(attempts.nth(1)).to_have_attribute("data-outcome", "failed")
    expect(attempts.nth(1)).to_contain_text("disk still full")
    assert attempts.nth(0).get_attribute("data-outcome") != "succeeded"

    # Replay the failed run: the page goes to the new run, which names the one it replays.
    page.get_by_role("button", name="Replay run").click()
    page.wait_for_url(lambda url: bool(RUN_URL.match(url)) and broken not in url)
    replay = page.url.rsplit("/", 1)[1]
    assert replay != broken
    expect(status_of(page)).to_have_text(re.compile("queued|running"))
    expect(page.get_by_role("link", name=broken)).to_be_visible()

    # Cancel the other one, queued: its state changes in place.
    page.goto(f"http://127.0.0.1:{api.port}/runs/{waiting}")
    expect(status_of(page)).to_have_text("queued")
    page.get_by_role("button", name="Cancel run").click()
    expect(status_of(page)).to_have_text("cancelled", timeout=LIVE * 1000)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    assert api.call("GET", f"/v1/runs/{waiting}", token=tenants.acme)[2]["status"] == "cancelled"


def test_a_child_run_links_its_parent_and_the_parent_lists_its_children(
    api: Api, page: Page, conn: Conn
) -> None:
    register(conn, "digest", DIGEST)
    register(conn, "kid", {"steps": [{"name": "work"}]})
    parent = str(engine_trigger(conn, "digest", [{}])[0]["run_id"])
    [fetch] = claim(conn, worker(conn, ["digest:fetch"]))
    kids = [
        str(r["run_id"])
        for r in conn.execute(
            "SELECT * FROM hewer.run_spawn(%s, %s, 'kid', ARRAY['{}'::jsonb, '{}'::jsonb],"
            " ARRAY['a', 'b'])",
            (fetch["task_id"], fetch["attempt"]),
        ).fetchall()
    ]
    page.goto(f"http://127.0.0.1:{api.port}/")
    page.get_by_role("button", name="Log in").click()  # no token exists: the default tenant
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    # The child names its parent, the workflow and the step that spawned it; the link opens it.
    page.goto(f"http://127.0.0.1:{api.port}/runs/{kids[1]}")
    expect(page.get_by_test_id("parent-run")).to_have_text(f"{parent} digest, step fetch")
    page.get_by_role("link", name=parent).click()
    page.wait_for_url(f"**/runs/{parent}")
    # The parent lists both children, each a link; a run with no parent shows none.
    children = page.get_by_role("list", name="Child runs")
    expect(children.get_by_role("link")).to_have_text(kids)
    expect(page.get_by_test_id("parent-run")).to_have_count(0)
    children.get_by_role("link", name=kids[0]).click()
    page.wait_for_url(f"**/runs/{kids[0]}")
    expect(page.get_by_test_id("parent-run")).to_contain_text(parent)


def test_the_operator_revokes_a_token_from_the_admin_page(
    dsn: str, page: Page, tenants: Tenants
) -> None:
    served = Api(dsn, admin_token=ADMIN).start()
    try:
        log_in(page, served, tenants.acme)
        page.get_by_role("link", name="Admin", exact=True).click()
        page.get_by_label("Admin token").fill(ADMIN)
        page.get_by_role("button", name="Show tenants").click()

        # A token made on the page works ...
        form = page.get_by_role("form", name="Create a token")
        form.get_by_label("Token for tenant").select_option("acme")
        form.get_by_label("Token name").fill("ci-worker")
        form.get_by_role("button", name="Create token").click()
        secret = page.get_by_role("status").locator("code").inner_text()
        assert secret.startswith("hwt_")
        assert served.call("GET", "/v1/runs", token=secret)[0] == 200

        # ... until it is revoked there: a first click asks, the second revokes.
        page.get_by_role("button", name="Tokens of acme").click()
        tokens = page.get_by_role("table", name="Tokens of tenant acme")
        expect(tokens.locator("tr[data-token-id]")).to_have_count(2)
        tokens.get_by_role("button", name="Revoke token ci-worker").click()
        assert served.call("GET", "/v1/runs", token=secret)[0] == 200
        tokens.get_by_role("button", name="Confirm: revoke token ci-worker").click()
        row = tokens.locator("tr", has_text="ci-worker")
        expect(row).to_contain_text("revoked")
        expect(row.get_by_role("button")).to_have_count(0)
        status, _, problem = served.call("GET", "/v1/runs", token=secret)
        assert (status, problem["code"]) == (401, "HW093"), problem
        # The other token of acme, and the page's own login, still work.
        expect(tokens.locator("tr", has_text="active")).to_have_count(1)
        assert served.call("GET", "/v1/runs", token=tenants.acme)[0] == 200
        expect(page.get_by_role("table", name="Tenants")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
    finally:
        served.stop()


def stream_chunks(conn: Conn, task: Any, first_seq: int, *texts: str) -> None:
    """Chunks of the task's output stream, as a worker's dispatcher writes them."""
    rows = conn.execute(
        "SELECT * FROM hewer.task_stream(%s, %s, %s, %s)",
        (
            [task["task_id"]] * len(texts),
            [task["attempt"]] * len(texts),
            list(range(first_seq, first_seq + len(texts))),
            list(texts),
        ),
    ).fetchall()
    assert all(r["accepted"] for r in rows), rows


def test_a_runs_streamed_output_shows_live_per_step(api: Api, page: Page, conn: Conn) -> None:
    register(conn, "digest", DIGEST)
    run_id = str(engine_trigger(conn, "digest", [{}])[0]["run_id"])
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    [fetch] = claim(conn, w)
    page.goto(f"http://127.0.0.1:{api.port}/")
    page.get_by_role("button", name="Log in").click()  # no token exists: the default tenant
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.goto(f"http://127.0.0.1:{api.port}/runs/{run_id}")
    expect(node(page, "fetch")).to_have_attribute("data-status", "assigned")
    page.evaluate("window.notReloaded = true")
    # Nothing streamed yet: no output section.
    output = page.get_by_role("region", name="Streamed output")
    expect(output).to_have_count(0)

    # Chunks show as they are written, appended in order, without a reload.
    stream_chunks(conn, fetch, 1, "fetching ", "page 1")
    expect(output.get_by_label("Output of fetch")).to_have_text(
        "fetching page 1", timeout=LIVE * 1000
    )
    stream_chunks(conn, fetch, 3, ", page 2", ", page 3\n")
    expect(output.get_by_label("Output of fetch")).to_have_text(
        "fetching page 1, page 2, page 3\n", timeout=LIVE * 1000
    )
    complete(conn, [fetch], [{"pages": 3}])

    # The next step's chunks in a part of their own; the run ends, the text stays.
    [summarize] = claim(conn, w)
    stream_chunks(conn, summarize, 1, "three ", "pages")
    expect(output.get_by_label("Output of summarize")).to_have_text(
        "three pages", timeout=LIVE * 1000
    )
    complete(conn, [summarize], ["three pages"])
    expect(status_of(page)).to_have_text("succeeded", timeout=LIVE * 1000)
    parts = output.locator(".output-part")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_have_attribute("data-step", "fetch")
    expect(parts.nth(1)).to_have_attribute("data-step", "summarize")
    expect(output.get_by_label("Output of fetch")).to_have_text("fetching page 1, page 2, page 3\n")
    assert page.evaluate("window.notReloaded") is True, "the page reloaded"

    # Opened later, the finished run shows all of it at once.
    page.reload()
    expect(output.get_by_label("Output of summarize")).to_have_text("three pages")
    expect(output.get_by_label("Output of fetch")).to_contain_text("page 3")


def test_another_tenants_token_sees_none_of_the_first_tenants_runs(
    api: Api, page: Page, tenants: Tenants
) -> None:
    register(tenants.conn, "digest", DIGEST)
    acme_runs = [trigger(api, tenants.acme, "digest") for _ in range(3)]

    log_in(page, api, tenants.acme)
    page.get_by_role("link", name="Runs", exact=True).click()
    for run_id in acme_runs:
        expect(page.locator(f'tr[data-run-id="{run_id}"]')).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, api, tenants.globex)
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_text("0 runs shown")).to_be_visible()
    expect(page.locator("tr[data-run-id]")).to_have_count(0)
    page.goto(f"http://127.0.0.1:{api.port}/runs/{acme_runs[0]}")
    expect(page.get_by_role("alert")).to_contain_text("does not exist")
    page.get_by_role("link", name="Workflows", exact=True).click()
    expect(page.get_by_role("link", name="digest")).to_have_count(0)

    # A token the API does not know is refused at the door.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("API token").fill("hwt_not_a_token")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")


def test_runs_are_filtered_and_paged_and_a_workflow_is_rolled_back(
    api: Api, page: Page, conn: Conn
) -> None:
    register(conn, "digest", DIGEST)
    register(conn, "report", {"steps": [{"name": "write"}]})
    register(conn, "report", {"steps": [{"name": "write", "retries": 2}]})
    engine_trigger(conn, "digest", [{"i": i} for i in range(55)])
    engine_trigger(conn, "report", [{"i": 0}, {"i": 1}])
    page.goto(f"http://127.0.0.1:{api.port}/")
    page.get_by_role("button", name="Log in").click()  # no token exists: the default tenant
    page.get_by_role("link", name="Runs", exact=True).click()

    # The newest 50 live, then the rest by the API's cursor, until there is none.
    rows = page.locator("tr[data-run-id]")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Older runs").click()
    expect(rows).to_have_count(57)
    expect(page.get_by_role("button", name="Older runs")).to_have_count(0)

    # A filter is in the address: a reload keeps it.
    page.get_by_label("Workflow").select_option("report")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    assert "workflow=report" in page.url
    page.reload()
    expect(rows).to_have_count(2)
    # A time range reads pages (the live stream has none): an old one, nothing; a wide one, all.
    page.get_by_label("Until").fill("2020-01-01T00:00")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("A time range shows pages, not live.")).to_be_visible()
    expect(rows).to_have_count(0)
    page.get_by_label("Since").fill("2020-01-01T00:00")
    page.get_by_label("Until").fill("2099-01-01T00:00")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    page.get_by_label("Metadata").fill("not json")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("alert")).to_contain_text("JSON object")

    # Versions compared, and the older one made current again.
    page.get_by_role("link", name="Workflows", exact=True).click()
    page.get_by_role("link", name="report").click()
    expect(page.get_by_label("Spec diff")).to_contain_text('"retries": 2')
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_role("button", name="Roll back to v2")).to_be_visible()
    assert api.call("GET", "/v1/workflows/report")[2]["version"] == 1


ADMIN = "a" * 40
# Every page, as the screenshots show it: (file, path, the heading it must show).
PAGES = [
    ("overview", "/", "Overview"),
    ("runs", "/runs", "Runs"),
    ("run", "/runs/{failed}", "Run"),
    ("trigger", "/trigger?workflow=digest", "Trigger a run"),
    ("workflows", "/workflows?name=digest", "Workflows"),
    ("workers", "/workers", "Workers"),
    ("events", "/events", "Events"),
    ("limits", "/limits", "Limits"),
    ("admin", "/admin", "Admin"),
]


def seed(api: Api, conn: Conn, dsn: str) -> dict[str, str]:
    """A little of everything, for the default tenant: two versions of a workflow, runs that
    succeeded, failed (after a retry), run and wait, a worker, an event, a cron and limits."""
    register(conn, "digest", DIGEST)
    mail = {"name": "mail", "parents": ["summarize"], "retries": 1}
    register(conn, "digest", {"steps": [*DIGEST["steps"], mail]})
    w = worker(conn, ["digest:fetch", "digest:summarize", "digest:mail"], slots=8)
    traceback = "Traceback (most recent call last):\n  ...\nSMTPError: refused"
    error = {"type": "SMTPError", "message": "mail server refused", "traceback": traceback}
    later = datetime.now(UTC) + timedelta(hours=1)

    def steps(run_id: str, done: int) -> Any:
        """Complete the run's first `done` steps; the next one's task, claimed."""
        for i in range(done + 1):
            [task] = [t for t in claim(conn, w) if str(t["run_id"]) == run_id]
            if i < done:
                complete(conn, [task], [{"pages": 3}, "three pages", "sent"][i : i + 1])
        return task

    complete(conn, [steps(trigger(api, "", "digest"), 2)], ["sent"])
    failed = trigger(api, "", "digest")
    fail(conn, [steps(failed, 2)], error, retryable=True)
    fail(conn, claim(conn, w, now=later), error, retryable=False, now=later)
    steps(trigger(api, "", "digest"), 1)  # summarize: running
    trigger(api, "", "digest")  # queued
    api.call("POST", "/v1/events", {"key": "order.created", "payload": {"order": 42}})
    cron = {"workflow": "digest", "name": "nightly", "expression": "0 3 * * *"}
    api.call("POST", "/v1/crons", cron)
    api.call("PUT", "/v1/rate-limits/emails", {"rate": 10, "period": 60})
    api.call("PUT", "/v1/concurrency-limits/action/digest:mail", {"max": 2})
    # The analytics store, for the Overview's numbers; in a thread of its own, as Playwright
    # holds this one's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(feed, dsn, dsn).result()
    return {"failed": failed}


def check(page: Page, name: str) -> None:
    """What a page of the seeded database must show beyond its heading."""
    if name == "run":
        node(page, "mail").click()
        expect(page.get_by_label("Traceback").first).to_be_visible()
    elif name == "admin":
        page.get_by_label("Admin token").fill(ADMIN)
        page.get_by_role("button", name="Show tenants").click()
        expect(page.get_by_role("table", name="Tenants")).to_contain_text("default")
    elif name == "workflows":
        expect(page.get_by_label("Spec diff")).to_contain_text('"mail"')
    elif name == "runs":
        expect(page.locator("tr[data-run-id]")).to_have_count(4)
    elif name == "overview":
        expect(page.get_by_role("table", name="Workflow stats")).to_contain_text("digest")
        expect(page.get_by_role("table", name="Queue by action")).to_contain_text("digest:fetch")
    else:
        # The pages without a stream settle once their reads are answered.
        page.wait_for_load_state("networkidle")


def test_every_page_shows_and_fits_a_narrow_window_with_screenshots(
    dsn: str, conn: Conn, browser: Browser, tmp_path: Path
) -> None:
    """Each page opens without an error, in a wide and a narrow window. With
    HEWER_DASHBOARD_SCREENSHOTS set (make dashboard-screenshots), it saves the wide ones there."""
    out = Path(os.environ.get("HEWER_DASHBOARD_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    served = Api(dsn, admin_token=ADMIN).start()
    try:
        ids = seed(served, conn, dsn)
        base = f"http://127.0.0.1:{served.port}"
        for width, suffix in ((1280, ""), (390, "-narrow")):
            context = browser.new_context(viewport={"width": width, "height": 860})
            page = context.new_page()
            page.goto(base + "/")
            page.get_by_role("button", name="Log in").click()  # no token exists: the default
            expect(page.get_by_role("heading", name="Overview")).to_be_visible()
            for name, path, heading in PAGES:
                page.goto(base + path.format(**ids))
                expect(page.get_by_role("heading", name=heading).first).to_be_visible()
                check(page, name)
                expect(page.get_by_role("alert")).to_have_count(0)
                # Nothing wider than the window: wide tables and the DAG scroll in their box.
                overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
                assert overflow <= 1, f"{name} is {overflow}px wider than a {width}px window"
                # The narrow ones are checked, not kept: docs/ shows the wide ones.
                shot = (tmp_path if suffix else out) / f"{name}{suffix}.png"
                page.screenshot(path=str(shot), full_page=True)
            context.close()
    finally:
        served.stop()
