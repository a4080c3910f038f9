"""The analytics store: the feed from the core's task events into hewer_olap (facts per run
and attempt, minute rollups), exactly once over at-least-once delivery, on the same database
and on a second PostgreSQL server, across a feeder killed with SIGKILL, and outliving the
core's partitions."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from pydispatch import embedded, olap
from pydispatch.paths import REPO_ROOT
from tests.conftest import PG_BIN_ENV, _start_embedded, _start_from_bin
from tests.engine import claim, complete, fail, register, trigger, worker

Conn = psycopg.Connection[Any]
SPEC = {
    "steps": [
        {"name": "fetch", "retries": 1, "backoff": {"base": 0, "jitter": 0}},
        {"name": "summarize", "parents": ["fetch"]},
    ]
}


def feed(core_dsn: str, store_dsn: str, *, vt: int = 30) -> olap.FeedStats:
    """One feeder pass until the queue is empty."""

    async def go() -> olap.FeedStats:
        feeder = olap.Feeder(store_dsn, batch=3, vt=vt)
        async with await AsyncConnection.connect(
            core_dsn, autocommit=True, row_factory=dict_row
        ) as core:
            try:
                return await feeder.drain(core)
            finally:
                await feeder.close()

    return asyncio.run(go())


def work(conn: Conn, runs: int, *, fail_first: bool = True) -> None:
    """Run `runs` digests through the SQL path: the first fetch fails once and is retried."""
    trigger(conn, "digest", [{"i": i} for i in range(runs)])
    w = worker(conn, ["digest:fetch", "digest:summarize"])
    failed = not fail_first
    for _ in range(40):
        tasks = claim(conn, w, limit=4)
        if not tasks:
            break
        conn.execute(
            "SELECT * FROM hewer.task_start(%s, %s)",
            ([t["task_id"] for t in tasks], [t["attempt"] for t in tasks]),
        )
        if not failed:
            fail(conn, tasks[:1], {"type": "RateLimited", "message": "429"})
            complete(conn, tasks[1:])
            failed = True
        else:
            complete(conn, tasks)


def core_attempts(conn: Conn) -> dict[tuple[str, int], str]:
    """(task, attempt) -> the kind of the event that ended it, from the core's history."""
    rows = conn.execute(
        "SELECT DISTINCT ON (task_id, attempt) task_id::text AS task, attempt, kind"
        " FROM hewer.task_events WHERE attempt > 0 AND kind = ANY (%s)"
        " ORDER BY task_id, attempt, id",
        (sorted(olap.ENDINGS),),
    ).fetchall()
    return {(r["task"], r["attempt"]): r["kind"] for r in rows}


def store_attempts(store: Conn) -> dict[tuple[str, int], str]:
    rows = store.execute(
        "SELECT task_id::text AS task, attempt, outcome FROM hewer_olap.attempts"
    ).fetchall()
    return {(r["task"], r["attempt"]): r["outcome"] for r in rows}


def test_the_feed_makes_facts_and_rollups_exactly_once(conn: Conn, dsn: str) -> None:
    register(conn, "digest", SPEC)
    work(conn, 3)
    stats = feed(dsn, dsn)
    assert stats.messages > 0 and stats.skipped == 0
    assert conn.execute("SELECT count(*) AS n FROM pgmq.q_hewer_olap").fetchone() == {"n": 0}
    expected = core_attempts(conn)
    assert store_attempts(conn) == expected
    assert sorted(expected.values()).count("retrying") == 1
    assert sorted(expected.values()).count("succeeded") == 6
    retried = conn.execute(
        "SELECT * FROM hewer_olap.attempts WHERE outcome = 'retrying'"
    ).fetchone()
    assert retried is not None
    assert (retried["step"], retried["action"], retried["error_type"]) == (
        "fetch", "digest:fetch", "RateLimited",
    )  # fmt: skip
    assert retried["queued_at"] <= retried["assigned_at"] <= retried["started_at"]
    second = conn.execute(
        "SELECT * FROM hewer_olap.attempts WHERE task_id = %s AND attempt = 2",
        (retried["task_id"],),
    ).fetchone()
    # The retry was claimable when its backoff ended: when attempt 1 failed (base 0).
    assert second is not None and second["outcome"] == "succeeded"
    assert second["queued_at"] >= retried["finished_at"] - timedelta(milliseconds=1)
    runs = conn.execute("SELECT status, workflow, version FROM hewer_olap.runs").fetchall()
    assert runs == [{"status": "succeeded", "workflow": "digest", "version": 1}] * 3

    def rollups() -> Any:
        return conn.execute(
            "SELECT step, sum(attempts) AS attempts, sum(succeeded) AS ok, sum(retried) AS retried"
            " FROM hewer_olap.minutes GROUP BY step ORDER BY step"
        ).fetchall()

    assert rollups() == [
        {"step": "fetch", "attempts": 4, "ok": 3, "retried": 1},
        {"step": "summarize", "attempts": 3, "ok": 3, "retried": 0},
    ]
    # Delivered again (a feeder that died before deleting): nothing counts twice.
    before = (store_attempts(conn), rollups())
    conn.execute(
        "SELECT pgmq.send('hewer_olap', message) FROM (SELECT jsonb_build_object('events',"
        " jsonb_agg(jsonb_build_object('id', id, 'tenant_id', tenant_id, 'task_id', task_id,"
        " 'run_id', run_id, 'attempt', attempt, 'kind', kind, 'status', status, 'worker_id',"
        " worker_id, 'created_at', created_at) ORDER BY id)) AS message"
        " FROM hewer.task_events) e"
    )
    assert feed(dsn, dsn).messages == 1
    assert (store_attempts(conn), rollups()) == before
    # A malformed message (no queue a tenant can write to, but still) is left out, said,
    # and the feed goes on.
    conn.execute(
        'SELECT pgmq.send(\'hewer_olap\', \'{"events": [{"kind": 1}, "x"]}\'),'
        " pgmq.send('hewer_olap', '[1]')"
    )
    skipped = feed(dsn, dsn)
    assert (skipped.messages, skipped.skipped) == (2, 2)
    assert (store_attempts(conn), rollups()) == before

    [stats_row] = conn.execute(
        "SELECT * FROM hewer_olap.workflow_stats(now() - interval '1 hour')"
    ).fetchall()
    assert (stats_row["workflow"], stats_row["attempts"], stats_row["retried"]) == ("digest", 7, 1)
    assert stats_row["failed"] == 0 and stats_row["wait_p50_ms"] is not None
    steps = conn.execute(
        "SELECT step, attempts FROM hewer_olap.step_latency('digest', now() - interval '1 hour')"
    ).fetchall()
    assert steps == [{"step": "fetch", "attempts": 4}, {"step": "summarize", "attempts": 3}]


def test_histograms_add_up_and_give_percentiles(conn: Conn, dsn: str) -> None:
    feed(dsn, dsn)  # makes the store
    row = conn.execute(
        "SELECT hewer_olap.hist(ARRAY[0.5, 3, 3, 40, 999999999]::float8[]) AS h,"
        " hewer_olap.hist(ARRAY[]::float8[]) AS empty"
    ).fetchone()
    assert row is not None
    h = row["h"]
    assert len(h) == 21 and sum(h) == 5 and h[0] == 1 and h[2] == 2 and h[-1] == 1
    assert sum(row["empty"]) == 0
    got = conn.execute(
        "SELECT hewer_olap.hist_percentile(s, 0.5) AS p50,"
        " hewer_olap.hist_percentile(s, 1) AS p100,"
        " hewer_olap.hist_percentile(hewer_olap.hist(ARRAY[]::float8[]), 0.5) AS none"
        " FROM (SELECT hewer_olap.hist_sum(h) AS s FROM (VALUES"
        " (hewer_olap.hist(ARRAY[3, 3]::float8[])), (hewer_olap.hist(ARRAY[40, 40, 40]::float8[])))"
        " AS v(h)) t"
    ).fetchone()
    assert got == {"p50": 50.0, "p100": 50.0, "none": None}


def test_history_outlives_the_cores_partitions(conn: Conn, dsn: str) -> None:
    register(conn, "digest", SPEC)
    work(conn, 2)
    feed(dsn, dsn)
    kept = store_attempts(conn)
    assert len(kept) == 5
    dropped = conn.execute(
        "SELECT * FROM hewer.partition_drop(now() + interval '3 years')"
    ).fetchall()
    assert {d["table_name"] for d in dropped} >= {"task_events", "tasks", "runs"}
    assert conn.execute("SELECT count(*) AS n FROM hewer.task_events").fetchone() == {"n": 0}
    assert store_attempts(conn) == kept
    [row] = conn.execute(
        "SELECT attempts FROM hewer_olap.workflow_stats(now() - interval '1 hour')"
    ).fetchall()
    assert row["attempts"] == 5
    # The store's own retention drops its own partitions (runs, attempts, minutes, hours: one
    # day's each) and its day rollups, by its own policy.
    assert _value(conn, "SELECT count(*) FROM hewer_olap.days") >= 2
    assert conn.execute(
        "SELECT hewer_olap.retention_apply(now() + interval '1 day', interval '0 days') AS n"
    ).fetchone() == {"n": 4}
    assert store_attempts(conn) == {}
    assert conn.execute("SELECT count(*) AS n FROM hewer_olap.days").fetchone() == {"n": 0}


def test_the_cli_shows_stats_and_status(conn: Conn, dsn: str, tmp_path: Path) -> None:
    register(conn, "digest", SPEC)
    work(conn, 2)
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path)}

    def hewer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    done = hewer("stats")
    assert done.returncode != 0 and "hewer olap feed --once" in done.stderr
    fed = hewer("olap", "feed", "--once")
    assert fed.returncode == 0 and "5 attempt facts" in fed.stdout, fed.stdout + fed.stderr
    stats = hewer("stats", "--since", "1h")
    assert stats.returncode == 0 and "digest" in stats.stdout, stats.stderr
    steps = hewer("stats", "--workflow", "digest", "--json")
    assert steps.returncode == 0 and '"step": "fetch"' in steps.stdout, steps.stderr
    status = hewer("olap", "status")
    assert status.returncode == 0 and "queued_messages" in status.stdout, status.stderr
    bad = hewer("stats", "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr


# --- a second server, a killed feeder --------------------------------------------------------


@pytest.fixture(scope="module")
def second_server() -> Iterator[str]:
    """A second PostgreSQL server (embedded, or HEWER_TEST_PG_BIN's) for the store."""
    tmp = Path(tempfile.mkdtemp(prefix="hewer-olap-"))
    handle = None
    bin_env = os.environ.get(PG_BIN_ENV)
    try:
        if bin_env:
            server = _start_from_bin(Path(bin_env), tmp)
        else:
            server, handle = _start_embedded(tmp)
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE olap_store")
        yield server.dsn("olap_store")
    finally:
        pgdata = tmp / "pgdata"
        if (pgdata / "postmaster.pid").exists():
            embedded.pg_ctl(
                pgdata, "stop", "-w", "-m", "immediate", bindir=Path(bin_env or embedded.bin_dir())
            )
        if handle is not None:
            handle.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_feeder_killed_mid_stream_loses_and_doubles_nothing_on_a_second_server(
    conn: Conn, dsn: str, second_server: str, tmp_path: Path
) -> None:
    register(conn, "digest", SPEC)
    for _ in range(6):
        work(conn, 8)
    queued = conn.execute("SELECT count(*) AS n FROM pgmq.q_hewer_olap").fetchone()
    assert queued is not None and queued["n"] > 30
    env = {
        **os.environ,
        "HEWER_DATABASE_URL": dsn,
        "HEWER_OLAP_DATABASE_URL": second_server,
        "HEWER_HOME": str(tmp_path),
    }
    argv = [
        sys.executable,
        "-m",
        "cli",
        "olap",
        "feed",
        "--batch",
        "1",
        "--visibility-timeout",
        "1",
    ]
    log = (tmp_path / "feeder.log").open("wb")
    feeder = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with psycopg.connect(second_server, row_factory=dict_row, autocommit=True) as store:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert feeder.poll() is None, (tmp_path / "feeder.log").read_text()
                made = store.execute("SELECT to_regclass('hewer_olap.attempts') AS t").fetchone()
                if made and made["t"] and store_attempts(store):
                    break
                time.sleep(0.02)
            feeder.send_signal(signal.SIGKILL)
            feeder.wait()
            left = conn.execute("SELECT count(*) AS n FROM pgmq.q_hewer_olap").fetchone()
            assert left is not None and left["n"] > 0, "the feeder finished before it was killed"
            partial = store_attempts(store)
            assert 0 < len(partial) < len(core_attempts(conn))

            again = subprocess.run(
                [*argv[:5], "--once", "--visibility-timeout", "1"],
                cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert again.returncode == 0, again.stdout + again.stderr
            expected = core_attempts(conn)
            assert store_attempts(store) == expected
            totals = store.execute(
                "SELECT sum(attempts) AS attempts, sum(succeeded) AS ok, sum(retried) AS retried"
                " FROM hewer_olap.minutes"
            ).fetchone()
            assert totals == {
                "attempts": len(expected),
                "ok": list(expected.values()).count("succeeded"),
                "retried": list(expected.values()).count("retrying"),
            }
            runs = store.execute("SELECT count(*) AS n FROM hewer_olap.runs").fetchone()
            assert runs == {"n": 48}
        # Nothing of the store went to the core's database.
        assert conn.execute("SELECT to_regclass('hewer_olap.attempts') AS t").fetchone() == {
            "t": None
        }
    finally:
        if feeder.poll() is None:
            feeder.kill()
        log.close()


def test_the_leader_feeds_the_store(dsn: str, tmp_path: Path, conn: Conn) -> None:
    """A running dispatcher (its leader) moves the feed without being asked."""
    from hewer_tools.processes import Processes

    register(conn, "digest", SPEC)
    procs = Processes(dsn, tmp_path)
    try:
        procs.start_dispatcher()
        work(conn, 2)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = conn.execute("SELECT to_regclass('hewer_olap.attempts') AS t").fetchone()
            if done and done["t"] and store_attempts(conn) == core_attempts(conn):
                break
            time.sleep(0.1)
        assert store_attempts(conn) == core_attempts(conn), procs.output()
    finally:
        procs.close()


# Three days of synthetic facts for one workflow's two steps, ending at 17 past some hour.
_FACTS = """
INSERT INTO hewer_olap.attempts
SELECT (f.at AT TIME ZONE 'UTC')::date, %(tenant)s, gen_random_uuid(), 1, gen_random_uuid(),
       'synthetic', 1, s.step, 'synthetic:' || s.step, NULL,
       f.at - mod(g.i, 97) * interval '7 ms', f.at - mod(g.i, 13) * interval '1 ms',
       f.at - mod(g.i, 50) * interval '11 ms', f.at,
       CASE WHEN mod(g.i, 10) = 0 THEN 'failed' WHEN mod(g.i, 7) = 0 THEN 'retrying'
            ELSE 'succeeded' END, NULL
FROM generate_series(0, 3 * 24 * 60 - 1) AS g(i)
CROSS JOIN LATERAL (SELECT %(end)s::timestamptz - g.i * interval '1 minute'
                    - mod(g.i, 40) * interval '1 second' AS at) f
CROSS JOIN (VALUES ('a'), ('b')) AS s(step)
"""

# The same figures computed from the facts, over the minutes workflow_stats counts.
_EXPECTED = """
SELECT count(*) AS attempts,
       count(*) FILTER (WHERE a.outcome = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE a.outcome = 'retrying') AS retried,
       count(*) FILTER (WHERE a.outcome = 'failed') AS failed,
       hewer_olap.hist_percentile(h.wait, 0.5) AS wait_p50_ms,
       hewer_olap.hist_percentile(h.wait, 0.99) AS wait_p99_ms,
       hewer_olap.hist_percentile(h.run, 0.99) AS run_p99_ms
FROM hewer_olap.attempts a,
     LATERAL (SELECT 1) AS one,
     (SELECT hewer_olap.hist(array_agg(extract(epoch FROM b.assigned_at - b.queued_at) * 1000))
                AS wait,
             hewer_olap.hist(array_agg(extract(epoch FROM b.finished_at - b.started_at) * 1000))
                AS run
      FROM hewer_olap.attempts b
      WHERE b.workflow = 'synthetic'
        AND date_trunc('minute', b.finished_at) >= %(since)s AND b.finished_at < %(until)s) h
WHERE a.workflow = 'synthetic'
  AND date_trunc('minute', a.finished_at) >= %(since)s AND a.finished_at < %(until)s
GROUP BY h.wait, h.run
"""


def _value(conn: Conn, sql: str, params: Any = None) -> Any:
    """The first column of the one row `sql` returns."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


def test_rollups_of_days_hours_and_minutes_add_up_to_the_facts(conn: Conn) -> None:
    conn.execute(olap.store_sql())
    tenant = _value(conn, "SELECT gen_random_uuid()")
    end = _value(
        conn, "SELECT date_trunc('hour', now(), 'UTC') - interval '2 days' + interval '17 minutes'"
    )
    conn.execute(
        "SELECT hewer_olap.partitions_ensure(((%(end)s::timestamptz AT TIME ZONE 'UTC')::date"
        " - 4), 6)",
        {"end": end},
    )
    conn.execute(_FACTS, {"tenant": tenant, "end": end})
    conn.execute(
        "INSERT INTO hewer_olap.dirty SELECT DISTINCT date_trunc('minute', finished_at, 'UTC'),"
        " tenant_id, workflow, step FROM hewer_olap.attempts WHERE workflow = 'synthetic'"
    )
    marked = _value(conn, "SELECT count(*) FROM hewer_olap.dirty")
    refreshed = _value(conn, "SELECT hewer_olap.rollups_refresh()")
    assert refreshed == marked > 2 * 3 * 24 * 50
    assert conn.execute("SELECT count(*) AS n FROM hewer_olap.dirty").fetchone() == {"n": 0}
    h, m = timedelta(hours=1), timedelta(minutes=1)
    start = end - timedelta(days=3)
    windows = [
        # (since, until) asked; (since, until) counted: a day or less counts its minutes,
        # a longer window is widened to whole hours.
        ((end - 5 * h - 23 * m, end - 2 * h - 51 * m), None),
        ((end - 22 * h - 1 * m, end - 1 * m), None),
        ((start + 13 * m, end - 3 * m), (start, end - 17 * m + h)),
        ((end - 50 * h - 30 * m, end), (end - 51 * h - 17 * m, end - 17 * m + h)),
    ]
    for (since, until), counted in windows:
        cs, cu = counted or (since.replace(second=0, microsecond=0), until)
        [stats] = conn.execute(
            "SELECT * FROM hewer_olap.workflow_stats(%s, %s, %s)", (since, until, tenant)
        ).fetchall()
        [expected] = conn.execute(_EXPECTED, {"since": cs, "until": cu}).fetchall()
        got = {k: stats[k] for k in expected}
        assert got == expected, (since, until)
        steps = conn.execute(
            "SELECT * FROM hewer_olap.step_latency('synthetic', %s, %s, %s)",
            (since, until, tenant),
        ).fetchall()
        assert [s["step"] for s in steps] == ["a", "b"]
        assert sum(s["attempts"] for s in steps) == expected["attempts"]
    # A minute refreshed twice (its facts delivered again) still counts once.
    conn.execute(
        "INSERT INTO hewer_olap.dirty SELECT date_trunc('minute', %s::timestamptz, 'UTC'),"
        " %s, 'synthetic', 'a'",
        (end - 90 * m, tenant),
    )
    conn.execute("SELECT hewer_olap.rollups_refresh()")
    [again] = conn.execute(
        "SELECT attempts FROM hewer_olap.workflow_stats(%s, %s, %s)",
        (windows[2][0][0], windows[2][0][1], tenant),
    ).fetchall()
    assert again["attempts"] == 2 * 3 * 24 * 60
    # A store of version 1 (minutes only) gets its hours and days built when a feeder of this
    # version applies the store's SQL.
    before = conn.execute(
        "SELECT * FROM hewer_olap.workflow_stats(%s, %s, %s)",
        (windows[3][0][0], windows[3][0][1], tenant),
    ).fetchall()
    conn.execute("DELETE FROM hewer_olap.hours; DELETE FROM hewer_olap.days")
    conn.execute("UPDATE hewer_olap.meta SET store_version = 1")
    conn.execute(olap.store_sql())
    assert conn.execute("SELECT store_version FROM hewer_olap.meta").fetchone() == {
        "store_version": 2
    }
    after = conn.execute(
        "SELECT * FROM hewer_olap.workflow_stats(%s, %s, %s)",
        (windows[3][0][0], windows[3][0][1], tenant),
    ).fetchall()
    assert after == before and before[0]["attempts"] > 0
