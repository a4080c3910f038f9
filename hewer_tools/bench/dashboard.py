"""W12 in `hewer bench`: the dashboard with a large history (issue 18: with 1,000,000 runs in
the database, the runs page and a run's page still load in <= 500 ms).

Three parts, all on one fresh database:

- the fill: runs of two 3-step chains, started with hewer.run_trigger 1,000 inputs a call
  and finished (most succeeded, some failed) through the SQL API a worker uses
  (hewer.task_claim + hewer.task_complete / hewer.task_fail), on a few connections at once:
  a tenth of the finished runs, at most 10,000; then copies of those runs, their tasks and
  their task events, written with INSERT ... SELECT under new ids and times spread over the
  28 days before them, until `runs` exist; the last 2 % are triggered after and left queued
  or running; ANALYZE;
- the HTTP API (pydispatch.api.create_app under uvicorn, in a thread) on that database: the
  calls the runs page and a run's page make, each timed many times on one keep-alive
  connection;
- the pages themselves in headless Chromium (Debian's, driven by Playwright), logged in:
  from `page.goto` to the runs table's 50 rows, and to a run's DAG and its first step's
  attempts. Skipped (n/a) where Chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import importlib
import importlib.util
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import uvicorn
from psycopg.types.json import Jsonb

from hewer_tools import dev
from hewer_tools.bench import run as bench
from pydispatch import db, migrate
from pydispatch.api import create_app

#: The two workflows of the fill: 3-step chains; a quarter of the runs are `report`'s.
WORKFLOWS = ("bench_w12_etl", "bench_w12_report")
STEPS = ("extract", "transform", "load")
SPEC = {
    "steps": [
        {"name": "extract", "timeout": "1h"},
        {"name": "transform", "parents": ["extract"], "timeout": "1h"},
        {"name": "load", "parents": ["transform"], "timeout": "1h"},
    ]
}
#: Runs per hewer.run_trigger call (as W1 enqueues), and tasks per claim.
TRIGGER_BATCH = 1000
CLAIM_BATCH = 500
#: Connections the fill uses at once.
FILL_CONNECTIONS = 4
#: Finished runs made through the engine: a tenth of them, at least ENGINE_MIN and at most
#: ENGINE_MAX (the engine finishes about 1,000 runs a second here; a million would take
#: most of an hour). The rest are copies of these (see _copy).
ENGINE_MIN = 1000
ENGINE_MAX = 10_000
#: The copies lie over the SPAN_DAYS days before the engine's runs, evenly: within the
#: 30 days that hewer.partition_config keeps runs, tasks and task events.
SPAN_DAYS = 28
#: One task in FAIL_ONE_IN fails for good (so about one run in ten fails, at some step).
FAIL_ONE_IN = 30
#: The most a worker may hold (hewer.worker_register's bound).
MAX_SLOTS = 10_000
#: The share of runs left unfinished: half of them (at most MAX_SLOTS) running, their
#: first step claimed.
UNFINISHED = 0.02
#: The runs page's page size (dashboard/src/pages/Runs.tsx PAGE).
PAGE = 50
#: The filter timed: one workflow, one status (about a tenth of its runs).
FILTER = (WORKFLOWS[1], "failed")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: How long one page may take before the sample is an error (s).
PAGE_TIMEOUT = 30.0


@dataclass
class _Copies:
    """What _copy wrote: runs, tasks, task events."""

    runs: int = 0
    tasks: int = 0
    events: int = 0


@dataclass
class Fill:
    runs: int
    seconds: float
    statuses: dict[str, int]
    middle_run: str  # a run from the middle of the list (by id)
    deep_before: str  # a run id 90 % of the way down the newest-first list
    engine_runs: int = 0  # finished through the engine
    engine_seconds: float = 0.0
    copied: _Copies = field(default_factory=_Copies)
    copy_seconds: float = 0.0


@dataclass
class Timings:
    """Milliseconds per sample of each measure; `browser_na` says why the pages were not."""

    runs_api: list[float] = field(default_factory=list)
    filter_api: list[float] = field(default_factory=list)
    deep_api: list[float] = field(default_factory=list)
    run_api: list[float] = field(default_factory=list)
    runs_page: list[float] = field(default_factory=list)
    run_page: list[float] = field(default_factory=list)
    browser_na: str | None = None


# -- the fill ----------------------------------------------------------------------------------


def _connect(url: str) -> psycopg.Connection[Any]:
    return db.connect(url)


def _trigger(url: str, batches: list[tuple[str, int, int]]) -> None:
    """Each (workflow, first input number, count): one hewer.run_trigger call."""
    with _connect(url) as conn:
        for workflow, first, count in batches:
            inputs = [Jsonb({"i": i, "source": f"s{i % 97}"}) for i in range(first, first + count)]
            conn.execute(
                "SELECT count(*) FROM hewer.run_trigger(%s, %s::jsonb[])", (workflow, inputs)
            )


def _register_worker(conn: psycopg.Connection[Any], name: str) -> Any:
    actions = [f"{w}:{s}" for w in WORKFLOWS for s in STEPS]
    row = conn.execute(
        "SELECT hewer.worker_register(%s, %s, %s)", (name, actions, MAX_SLOTS)
    ).fetchone()
    if row is None:
        raise RuntimeError("hewer.worker_register returned nothing")
    return row[0]


_ERROR = {
    "type": "ValueError",
    "message": "bad record",
    "traceback": "Traceback (most recent call last):\n  ...\nValueError: bad record",
}
_CLAIM = "SELECT task_id, attempt, step FROM hewer.task_claim(%s, %s)"
_COMPLETE = "SELECT count(*) FROM hewer.task_complete(%s, %s, %s::jsonb[], false)"
_FAIL = "SELECT count(*) FROM hewer.task_fail(%s, %s, %s::jsonb[], %s, false)"


def _finish(url: str, name: str) -> int:
    """Claim and finish tasks until two claims in a row (a moment apart) find none: the
    others' completions may still be making the next steps' tasks. Tasks done."""
    done = 0
    empty = 0
    with _connect(url) as conn:
        worker = _register_worker(conn, name)
        while empty < 2:
            rows = conn.execute(_CLAIM, (worker, CLAIM_BATCH), prepare=True).fetchall()
            if not rows:
                empty += 1
                time.sleep(0.05)
                continue
            empty = 0
            failing = [r for r in rows if r[0].int % FAIL_ONE_IN == 0]
            passing = [r for r in rows if r[0].int % FAIL_ONE_IN != 0]
            if passing:
                conn.execute(
                    _COMPLETE,
                    (
                        [r[0] for r in passing],
                        [r[1] for r in passing],
                        [json.dumps({"rows": r[0].int % 1000, "step": r[2]}) for r in passing],
                    ),
                    prepare=True,
                )
            if failing:
                error = json.dumps(_ERROR)
                conn.execute(
                    _FAIL,
                    (
                        [r[0] for r in failing],
                        [r[1] for r in failing],
                        [error] * len(failing),
                        [False] * len(failing),
                    ),
                    prepare=True,
                )
            done += len(rows)
    return done


def _batches(first: int, count: int, batch: int) -> list[tuple[str, int, int]]:
    """hewer.run_trigger calls of `batch` runs from input `first` on; every 4th for the
    second workflow."""
    out = []
    for n, start in enumerate(range(first, first + count, batch)):
        size = min(batch, first + count - start)
        out.append((WORKFLOWS[1] if n % 4 == 3 else WORKFLOWS[0], start, size))
    return out


def _parallel(work: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        return [f.result() for f in [pool.submit(w) for w in work]]


# A UUIDv7 moved by d milliseconds: its 48-bit time plus d, its other 80 bits (version,
# sub-millisecond order, random) kept. Ids moved by one d keep their order; copies of one id
# moved by different d are different ids.
_SHIFT_FUNCTION = """
CREATE FUNCTION pg_temp.w12_shift(u uuid, d bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT encode(substring(int8send(('x' || left(replace(u::text, '-', ''), 12))::bit(48)::bigint
                                     + d) FROM 3)
                  || substring(uuid_send(u) FROM 7), 'hex')::uuid
$$
"""

# One copy of the engine's finished runs (ids from %(floor)s on), or of the first %(size)s of
# them: each run moved by its own d, to lie %(gap)s ms after the previous one from
# %(base)s (unix ms) on, in id order; its tasks and task events moved by the same d, so
# that every id, time and link (run_id, task_id, parent_ids, child_ids, a failed run's
# error.task_id) stays consistent and each row lands in the partition of its new time.
_COPY = """
WITH src AS MATERIALIZED (
    SELECT r.id, %(base)s::bigint + (row_number() OVER (ORDER BY r.id) - 1) * %(gap)s::bigint
               - ('x' || left(replace(r.id::text, '-', ''), 12))::bit(48)::bigint AS d
    FROM hewer.runs r
    WHERE r.id >= %(floor)s::uuid AND r.status IN ('succeeded', 'failed')
    ORDER BY r.id LIMIT %(size)s
), new_runs AS (
    INSERT INTO hewer.runs (tenant_id, id, workflow_id, version_id, status, input, priority,
                            idempotency_key, tasks_left, error, created_at, started_at,
                            finished_at, concurrency_key, additional_metadata)
    SELECT r.tenant_id, pg_temp.w12_shift(r.id, s.d), r.workflow_id, r.version_id, r.status,
           r.input || jsonb_build_object('copy', %(copy)s::integer), r.priority,
           r.idempotency_key, r.tasks_left,
           CASE WHEN jsonb_typeof(r.error) = 'object' AND r.error ? 'task_id'
                THEN jsonb_set(r.error, '{task_id}',
                               to_jsonb(pg_temp.w12_shift((r.error ->> 'task_id')::uuid, s.d)))
                ELSE r.error END,
           r.created_at + s.d * interval '1 millisecond',
           r.started_at + s.d * interval '1 millisecond',
           r.finished_at + s.d * interval '1 millisecond',
           r.concurrency_key, r.additional_metadata
    FROM src s JOIN hewer.runs r ON r.id = s.id
    RETURNING 1
), new_tasks AS (
    INSERT INTO hewer.tasks (tenant_id, id, run_id, step, action, status, attempt, max_attempts,
                             priority, parent_ids, child_ids, parents_left, execution_timeout,
                             schedule_timeout, worker_id, timeout_at, cancel_requested, output,
                             error, created_at, queued_at, assigned_at, started_at, finished_at,
                             slots, limits, holds)
    SELECT t.tenant_id, pg_temp.w12_shift(t.id, s.d), pg_temp.w12_shift(t.run_id, s.d), t.step,
           t.action, t.status, t.attempt, t.max_attempts, t.priority,
           ARRAY(SELECT pg_temp.w12_shift(p, s.d) FROM unnest(t.parent_ids) AS p ORDER BY 1),
           ARRAY(SELECT pg_temp.w12_shift(c, s.d) FROM unnest(t.child_ids) AS c ORDER BY 1),
           t.parents_left, t.execution_timeout, t.schedule_timeout, t.worker_id,
           t.timeout_at + s.d * interval '1 millisecond', t.cancel_requested, t.output, t.error,
           t.created_at + s.d * interval '1 millisecond',
           t.queued_at + s.d * interval '1 millisecond',
           t.assigned_at + s.d * interval '1 millisecond',
           t.started_at + s.d * interval '1 millisecond',
           t.finished_at + s.d * interval '1 millisecond', t.slots, t.limits, t.holds
    FROM src s JOIN hewer.tasks t ON t.run_id = s.id AND t.id >= %(floor)s::uuid
    RETURNING 1
), new_events AS (
    INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status,
                                   worker_id, data, created_at)
    SELECT e.tenant_id, pg_temp.w12_shift(e.id, s.d), pg_temp.w12_shift(e.task_id, s.d),
           pg_temp.w12_shift(e.run_id, s.d), e.attempt, e.kind, e.status, e.worker_id, e.data,
           e.created_at + s.d * interval '1 millisecond'
    FROM src s JOIN hewer.task_events e ON e.run_id = s.id AND e.id >= %(floor)s::uuid
    RETURNING 1
)
SELECT (SELECT count(*) FROM new_runs), (SELECT count(*) FROM new_tasks),
       (SELECT count(*) FROM new_events)
"""


def _copy_some(url: str, jobs: list[dict[str, Any]]) -> _Copies:
    out = _Copies()
    with _connect(url) as conn:
        conn.execute(_SHIFT_FUNCTION)
        for job in jobs:
            row = conn.execute(_COPY, job).fetchone()
            if row is None:
                raise RuntimeError("a copy wrote nothing")
            out.runs += row[0]
            out.tasks += row[1]
            out.events += row[2]
    return out


def _copy(url: str, count: int) -> _Copies:
    """`count` runs more, copied from the engine's finished runs (all of the database's runs
    so far) with their tasks and task events, each copy under new ids and times: the copies
    spread evenly over the SPAN_DAYS days before the first of them, every row in the daily
    partition of its new time (made first, as hewer.partition_create makes them on each of
    those days; then hewer.partition_drop, as maintenance runs it, drops what the shorter
    retentions of logs and streams no longer keep)."""
    if count <= 0:
        return _Copies()
    with _connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), (SELECT id FROM hewer.runs ORDER BY id LIMIT 1) FROM hewer.runs "
            "WHERE status IN ('succeeded', 'failed')"
        ).fetchone()
        if row is None or not row[0]:
            raise RuntimeError("nothing to copy: the engine finished no run")
        made = int(row[0])
        first_ms = int(row[1].hex[:12], 16)
        # The smallest id of that millisecond (hewer.uuid_floor): a run's tasks and events
        # may sort before it within its millisecond.
        first = uuid.UUID(int=first_ms << 80)
        start_ms = first_ms - SPAN_DAYS * 86_400_000
        day = start_ms - start_ms % 86_400_000
        while day < first_ms:
            conn.execute(
                "SELECT count(*) FROM hewer.partition_create(to_timestamp(%s / 1000.0))", (day,)
            )
            day += 86_400_000
    copies = -(-count // made)
    # Copy c covers [start + c * slot, start + (c + 1) * slot), its runs gap ms apart.
    slot = (first_ms - start_ms) // copies
    gap = max(1, slot // made)
    jobs = [
        {
            "floor": first,
            "size": min(made, count - c * made),
            "base": start_ms + c * slot,
            "gap": gap,
            "copy": c + 1,
        }
        for c in range(copies)
    ]
    done = _parallel(
        [
            functools.partial(_copy_some, url, jobs[i::FILL_CONNECTIONS])
            for i in range(min(FILL_CONNECTIONS, len(jobs)))
        ]
    )
    with _connect(url) as conn:
        conn.execute("SELECT count(*) FROM hewer.partition_drop()")
    return _Copies(
        sum(d.runs for d in done), sum(d.tasks for d in done), sum(d.events for d in done)
    )


def fill(url: str, runs: int) -> Fill:
    """Register the workflows on the migrated database at `url`; make `runs` runs, all but
    UNFINISHED of them finished: some through the engine, as workers would, the rest copies
    of those; ANALYZE; how long that took."""
    started = time.perf_counter()
    with _connect(url) as conn:
        conn.execute(bench.OLAP_CAPTURE_OFF)
        for workflow in WORKFLOWS:
            conn.execute("SELECT * FROM hewer.workflow_register(%s, %s)", (workflow, Jsonb(SPEC)))
    finished = runs - max(2, round(runs * UNFINISHED))
    engine = min(finished, ENGINE_MAX, max(ENGINE_MIN, finished // 10))
    # At least 20 calls, so that both workflows have runs whatever the size.
    batch = max(1, min(TRIGGER_BATCH, engine // 20))
    batches = _batches(0, engine, batch)
    _parallel(
        [
            functools.partial(_trigger, url, batches[i::FILL_CONNECTIONS])
            for i in range(min(FILL_CONNECTIONS, len(batches)))
        ]
    )
    _parallel([functools.partial(_finish, url, f"bench-w12-{i}") for i in range(FILL_CONNECTIONS)])
    _finish(url, "bench-w12-last")
    engine_seconds = time.perf_counter() - started
    copied = _copy(url, finished - engine)
    copy_seconds = time.perf_counter() - started - engine_seconds
    _trigger(url, _batches(engine, runs - finished, batch))
    with _connect(url) as conn:
        worker = _register_worker(conn, "bench-w12-running")
        conn.execute(_CLAIM, (worker, min(MAX_SLOTS, (runs - finished) // 2)))
        conn.execute("ANALYZE")
        statuses = dict(
            conn.execute("SELECT status::text, count(*) FROM hewer.runs GROUP BY 1").fetchall()
        )
        ids = conn.execute(
            "SELECT (SELECT id FROM hewer.runs ORDER BY id OFFSET %s LIMIT 1), "
            "(SELECT id FROM hewer.runs ORDER BY id OFFSET %s LIMIT 1)",
            (runs // 2, runs // 10),
        ).fetchone()
    seconds = time.perf_counter() - started
    if ids is None or sum(statuses.values()) != runs:
        raise RuntimeError(f"the fill made {sum(statuses.values())} runs, not {runs}")
    return Fill(
        runs, seconds, statuses, str(ids[0]), str(ids[1]),
        engine_runs=engine, engine_seconds=engine_seconds, copied=copied,
        copy_seconds=copy_seconds,
    )  # fmt: skip


# -- the API -----------------------------------------------------------------------------------


@contextlib.contextmanager
def serving(url: str) -> Iterator[int]:
    """pydispatch.api.create_app on `url` under uvicorn in a thread; its port."""
    port = dev.free_port()
    config = uvicorn.Config(
        create_app(url, pool_size=4), host="127.0.0.1", port=port, log_config=None,
        lifespan="on", access_log=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="bench-w12-api")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


class Client:
    """GETs on one keep-alive connection; each body read in full and parsed."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> Any:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()


def run_page_paths(client: Client, run_id: str) -> list[str]:
    """What a run's page asks for (dashboard/src/pages/RunDetail.tsx) with its first step
    selected, and the run's events: the run, its lineage and children, its workflow
    version, the step's attempts and logs."""
    run = client.get(f"/v1/runs/{run_id}")
    task = next(t for t in run["tasks"] if t["step"] == STEPS[0])
    workflow = urllib.parse.quote(run["workflow"], safe="")
    return [
        f"/v1/runs/{run_id}",
        f"/v1/runs/{run_id}/lineage",
        f"/v1/runs/{run_id}/children",
        f"/v1/runs/{run_id}/events",
        f"/v1/workflows/{workflow}?version={run['version']}",
        f"/v1/tasks/{task['task_id']}/attempts",
        f"/v1/tasks/{task['task_id']}/logs?limit=1000",
    ]


def _timed(samples: int, warmup: int, call: Callable[[], None]) -> list[float]:
    out: list[float] = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        call()
        if i >= warmup:
            out.append((time.perf_counter() - t0) * 1000)
    return out


def time_api(port: int, made: Fill, samples: int, warmup: int, timings: Timings) -> None:
    client = Client(port)
    try:

        def page(path: str, least: int) -> Callable[[], None]:
            def call() -> None:
                got = client.get(path)
                if len(got["runs"]) < least:
                    raise RuntimeError(f"GET {path}: {len(got['runs'])} runs")

            return call

        workflow, status = FILTER
        timings.runs_api = _timed(samples, warmup, page(f"/v1/runs?limit={PAGE}", PAGE))
        timings.filter_api = _timed(
            samples, warmup, page(f"/v1/runs?limit={PAGE}&workflow={workflow}&status={status}", 1)
        )
        timings.deep_api = _timed(
            samples, warmup, page(f"/v1/runs?limit={PAGE}&before={made.deep_before}", PAGE)
        )
        paths = run_page_paths(client, made.middle_run)

        def run_page() -> None:
            for path in paths:
                client.get(path)

        timings.run_api = _timed(samples, warmup, run_page)
    finally:
        client.close()


# -- the pages ---------------------------------------------------------------------------------


def browser_missing() -> str | None:
    """Why the pages cannot be timed here, or None."""
    if not CHROMIUM.exists():
        return f"no {CHROMIUM}"
    if importlib.util.find_spec("playwright") is None:
        return "no playwright"
    return None


def time_pages(port: int, made: Fill, samples: int, warmup: int, timings: Timings) -> None:
    """Each page loaded `warmup + samples` times in one logged-in tab: wall time from
    `page.goto` to the runs table's 50 rows; to the run's DAG, then (the first step
    clicked) its attempts."""
    sync_playwright = importlib.import_module("playwright.sync_api").sync_playwright
    base = f"http://127.0.0.1:{port}"
    timeout = PAGE_TIMEOUT * 1000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(timeout)
            # No token exists: log in with the field empty (the default tenant).
            page.goto(base + "/")
            page.get_by_label("API token").fill("")
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Overview").wait_for()

            def runs_page() -> None:
                page.goto(base + "/runs")
                page.wait_for_function(
                    f"document.querySelectorAll('tr[data-run-id]').length >= {PAGE}",
                    timeout=timeout,
                )

            def run_page() -> None:
                page.goto(f"{base}/runs/{made.middle_run}")
                for step in STEPS:
                    page.locator(f'g.node[data-step="{step}"]').wait_for()
                page.locator(f'g.node[data-step="{STEPS[0]}"]').click()
                page.locator("li[data-attempt]").first.wait_for()

            timings.runs_page = _timed(samples, warmup, runs_page)
            timings.run_page = _timed(samples, warmup, run_page)
            context.close()
        finally:
            browser.close()


def measure(
    url: str, runs: int, api_calls: int, page_loads: int, warmup: int
) -> tuple[Fill, Timings]:
    """W12 on the migrated, empty database at `url` (blocking: run it in a thread)."""
    migrate.up(url)
    made = fill(url, runs)
    timings = Timings(browser_na=browser_missing())
    with serving(url) as port:
        time_api(port, made, api_calls, warmup, timings)
        if timings.browser_na is None:
            time_pages(port, made, page_loads, warmup, timings)
    return made, timings
