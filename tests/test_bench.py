"""`hewer bench`: the quick form runs end to end and fills every cell; the pieces it is built
from compute what they say. Nothing here asserts that anything is fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from cli import main
from hewer_tools.bench import dashboard
from hewer_tools.bench import run as bench
from hewer_tools.bench.common import Sizes, percentile

ROOT = Path(__file__).resolve().parent.parent


#: W8 and W9 (scaling out, a noisy neighbour), W12 (the dashboard), W13 (streamed output)
#: and W14 (large payloads) have tests of their own, below.
SUITE = [w for w in bench.WORKLOADS if w not in ("W8", "W9", "W12", "W13", "W14")]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_bench_fills_every_cell_and_writes_json_and_png(dsn: str, tmp_path: Path) -> None:
    # `make venv` installs the bench extra, so every system runs.
    systems = ["hewer", "procrastinate", "pgqueuer", "raw"]
    out = tmp_path / "out"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "cli", "bench", "--quick", "--out", str(out), "--only"]
    proc = subprocess.run(
        [*argv, ",".join(SUITE), "--systems", ",".join(systems)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    report = json.loads((out / "bench.json").read_text())
    assert report["systems"] == systems
    assert report["workloads"] == SUITE
    metrics = [k for k, m in report["metrics"].items() if m["workload"] in report["workloads"]]
    assert len(metrics) >= 15
    incomplete = [
        f"{system} {key}: {report['cells'][system].get(key)}"
        for system in systems
        for key in metrics
        if not (
            report["cells"][system].get(key, {}).get("na")
            or isinstance(report["cells"][system].get(key, {}).get("value"), int | float)
        )
    ]
    assert incomplete == []
    # W2 at 1,000/s beside 100/s, for every system, with the rate the bench reached.
    for system in systems:
        high = {k: report["cells"][system][f"W2.{k}_1000"]["value"] for k in ("p50", "p99")}
        assert 0 < high["p50"] <= high["p99"], system
        assert report["cells"][system]["W2.sent_1000"]["value"] > 0, system
    # Only Hewer runs DAGs; the others say so.
    assert report["cells"]["raw"]["W3.hop_p50"]["na"] == "no DAGs"
    assert report["cells"]["hewer"]["W3.hop_p50"]["value"] > 0
    assert report["cells"]["hewer"]["W6.dispatcher"]["value"] > 0
    assert set(report["targets"]) >= {"W1.vs_hewer", "W2.p50", "W4.ratio", "W6.dispatcher"}
    # W7 is Hewer's alone: limits cost something, and the rate limit was held at all.
    assert report["cells"]["raw"]["W7.cost"]["na"] == "no concurrency or rate limits"
    assert report["cells"]["hewer"]["W7.limited"]["value"] > 0
    assert 0 < report["cells"]["hewer"]["W7.rate"]["value"] < 2
    assert {"W7.cost", "W7.rate"} <= set(report["targets"])
    # W10: each trigger path started runs, and they started on a worker.
    for path in ("sql", "grpc", "http"):
        assert report["cells"]["hewer"][f"W10.{path}"]["value"] > 0
        assert report["cells"]["hewer"][f"W10.{path}_p50"]["value"] > 0
    assert report["cells"]["raw"]["W10.http"]["na"]
    # W11: the feed's cost (noise can make it negative), lag and catch-up, a week's queries.
    w11 = [m for m in metrics if m.startswith("W11.")]
    assert len(w11) == 10
    for key in w11:
        value = report["cells"]["hewer"][key]["value"]
        if key == "W11.feed_cost":
            assert isinstance(value, int | float), key
        elif key == "W11.lag_p50":  # a feed that keeps up half the time lags 0
            assert value >= 0, key
        else:
            assert value > 0, key
        for peer in systems[1:]:
            assert report["cells"][peer][key]["na"] == "Hewer's analytics feed", (peer, key)
    assert {"W11.feed_cost", "W11.week_workflows_p50", "W11.week_steps_p50"} <= set(
        report["targets"]
    )

    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = proc.stdout[proc.stdout.index("hewer target") - 400 :]
    for system in systems:
        assert system in table
    assert "error" not in table.split("took")[0]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_dashboard_fill_copies_runs_whole_and_spreads_them_over_partitions(
    conn: psycopg.Connection[Any], dsn: str
) -> None:
    # 1,000 runs through the engine, 1,940 copies of them over 28 days, 60 left unfinished.
    made = dashboard.fill(dsn, 3000)
    assert (made.runs, made.engine_runs, made.copied.runs) == (3000, 1000, 1940)
    assert made.copied.tasks == 3 * 1940
    assert sum(made.statuses.values()) == 3000
    assert made.statuses["queued"] == made.statuses["running"] == 30

    def one(query: str) -> Any:
        row = conn.execute(query).fetchone()
        assert row is not None
        return next(iter(row.values()))

    # Every run has its 3 tasks; every link, event and failed run's error names a task of
    # the same run; every run and task id carries its row's time (to the millisecond).
    assert (
        one(
            "SELECT count(*) FROM hewer.runs r"
            " WHERE (SELECT count(*) FROM hewer.tasks t WHERE t.run_id = r.id) <> 3"
        )
        == 0
    )
    assert (
        one(
            "SELECT count(*) FROM hewer.tasks t WHERE EXISTS (SELECT 1 FROM unnest(t.parent_ids"
            " || t.child_ids) x WHERE NOT EXISTS (SELECT 1 FROM hewer.tasks p WHERE p.id = x"
            " AND p.run_id = t.run_id))"
        )
        == 0
    )
    assert (
        one(
            "SELECT count(*) FROM hewer.task_events e WHERE NOT EXISTS (SELECT 1 FROM"
            " hewer.tasks t WHERE t.id = e.task_id AND t.run_id = e.run_id)"
        )
        == 0
    )
    assert (
        one(
            "SELECT count(*) FROM hewer.runs r WHERE r.status = 'failed' AND NOT EXISTS (SELECT 1"
            " FROM hewer.tasks t WHERE t.id = (r.error ->> 'task_id')::uuid AND t.run_id = r.id"
            " AND t.status = 'failed')"
        )
        == 0
    )
    skew = one(
        "SELECT max(abs(extract(epoch FROM hewer.uuid_time(id) - created_at))) FROM"
        " (SELECT id, created_at FROM hewer.runs"
        " UNION ALL SELECT id, created_at FROM hewer.tasks) x"
    )
    assert skew < 0.002, skew
    # A copy has its source's history: as many events per run, on average, as the engine's.
    per_run = conn.execute(
        "SELECT r.input ? 'copy' AS copy, count(*)::float / count(DISTINCT e.run_id) AS n"
        " FROM hewer.task_events e JOIN hewer.runs r ON r.id = e.run_id"
        " WHERE r.status IN ('succeeded', 'failed') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [r["copy"] for r in per_run] == [False, True]
    assert abs(per_run[0]["n"] - per_run[1]["n"]) < 0.5, per_run
    # Spread over the 28 days before, in daily partitions, none in a default partition.
    days = one("SELECT count(DISTINCT tableoid) FROM hewer.runs WHERE input ? 'copy'")
    assert days >= 28, days
    assert (
        one(
            "SELECT (SELECT count(*) FROM hewer.runs_default) + (SELECT count(*) FROM"
            " hewer.tasks_default) + (SELECT count(*) FROM hewer.task_events_default)"
        )
        == 0
    )
    span = one("SELECT max(created_at) - min(created_at) FROM hewer.runs")
    assert timedelta(days=27) < span < timedelta(days=29), span


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_quick_dashboard_bench_times_the_api_and_both_pages(dsn: str, tmp_path: Path) -> None:
    # W12 over the quick form's 20,000 runs: the fill, the API calls, both pages in Debian's
    # chromium (which the browser tests need too); a peer's cells say it has no dashboard.
    out = tmp_path / "out"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "cli", "bench", "--quick", "--out", str(out)]
    proc = subprocess.run(
        [*argv, "--only", "W12", "--systems", "hewer,raw"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((out / "bench.json").read_text())
    assert report["workloads"] == ["W12"]
    w12 = [k for k, m in report["metrics"].items() if m["workload"] == "W12"]
    assert len(w12) == 15
    for key in w12:
        assert report["cells"]["hewer"][key]["value"] > 0, key
        assert report["cells"]["raw"][key]["na"] == "Hewer's dashboard", key
    assert len(report["cells"]["hewer"]["W12.runs_page_p50"]["samples"]) == 5
    assert {"W12.runs_page_p99", "W12.run_page_p99"} <= set(report["targets"])


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_quick_scale_and_neighbour_bench_drain_with_more_dispatchers_and_beside_a_backlog(
    dsn: str, tmp_path: Path
) -> None:
    # W8: 1,000 tasks drained by 8 workers over 1, 2 and 4 dispatchers; W9: W2 in one tenant
    # for 1 s while another tenant's 3,000 tasks drain.
    out = tmp_path / "out"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "cli", "bench", "--quick", "--out", str(out)]
    proc = subprocess.run(
        [*argv, "--only", "W8,W9", "--systems", "hewer,raw"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((out / "bench.json").read_text())
    assert report["workloads"] == ["W8", "W9"]
    cells = report["cells"]["hewer"]
    for count in (1, 2, 4):
        assert cells[f"W8.drain_{count}"]["value"] > 0, count
        assert report["cells"]["raw"][f"W8.drain_{count}"]["na"] == "Hewer's dispatchers"
    assert 0 < cells["W9.p50"]["value"] <= cells["W9.p99"]["value"]
    assert cells["W9.noisy_drain"]["value"] > 0
    assert report["cells"]["raw"]["W9.p50"]["na"] == "Hewer's tenants"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_quick_stream_bench_times_chunks_to_a_follower(dsn: str, tmp_path: Path) -> None:
    # W13: 100 chunks at 100/s, then 2,000 at once, followed over gRPC; every chunk checked.
    out = tmp_path / "out"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "cli", "bench", "--quick", "--out", str(out)]
    proc = subprocess.run(
        [*argv, "--only", "W13", "--systems", "hewer,raw"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((out / "bench.json").read_text())
    assert report["workloads"] == ["W13"]
    w13 = [k for k, m in report["metrics"].items() if m["workload"] == "W13"]
    assert w13 == ["W13.latency_p50", "W13.latency_p99", "W13.chunks_per_s", "W13.stored_per_s"]
    for key in w13:
        assert report["cells"]["hewer"][key]["value"] > 0, key
        assert report["cells"]["raw"][key]["na"] == "Hewer's streamed output", key
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_quick_payload_bench_drains_large_outputs_with_offload_on_and_off(
    dsn: str, tmp_path: Path
) -> None:
    # W14: 40 tasks returning 1 MB each, offload on and off; the database keeps the outputs
    # only when offload is off.
    out = tmp_path / "out"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "cli", "bench", "--quick", "--out", str(out)]
    proc = subprocess.run(
        [*argv, "--only", "W14", "--systems", "hewer,raw"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads((out / "bench.json").read_text())
    assert report["workloads"] == ["W14"]
    w14 = [k for k, m in report["metrics"].items() if m["workload"] == "W14"]
    assert len(w14) == 6
    cells = report["cells"]["hewer"]
    for key in w14:
        assert cells[key]["value"] > 0, key
        assert report["cells"]["raw"][key]["na"] == "Hewer's payload offload", key
    # 1 MB outputs inline: about 1,000 MB of table and WAL per 1,000 tasks; offloaded, a
    # small fraction of it.
    assert cells["W14.db_off"]["value"] > 500
    assert cells["W14.wal_off"]["value"] > 500
    assert cells["W14.wal_on"]["value"] < cells["W14.wal_off"]["value"] / 5


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_tenant_bench_measures_both_modes(dsn: str, tmp_path: Path) -> None:
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "bench", "tenants", "--quick", "--rounds", "1", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout)
    for what in ("enqueue", "drain"):
        assert result[what]["default_tasks_per_s"] > 0
        assert result[what]["tenant_tasks_per_s"] > 0
        assert len(result[what]["samples"]["tenant"]) == 1


def test_sizes_quick_is_smaller_than_full_everywhere() -> None:
    full, quick = Sizes.full(), Sizes.quick()
    assert (full.drain_tasks, full.backlog_large, full.dag_runs) == (20_000, 1_000_000, 500)
    assert full.latency_rate == 100 and full.latency_seconds == 20 and full.idle_seconds == 60
    assert full.repetitions >= 3 and full.warmup
    names = ("drain_tasks", "latency_seconds", "dag_runs", "backlog_large", "idle_seconds")
    assert (full.week_minutes, full.week_workflows, full.week_steps) == (10_080, 20, 5)
    assert full.dashboard_runs == 1_000_000
    assert (full.scale_workers, full.scale_dispatchers) == (8, (1, 2, 4))
    assert full.noisy_backlog == 100_000 > quick.noisy_backlog
    extra = ("limits_backlog", "limits_measured", "rate_seconds", "week_minutes", "scale_tasks")
    board = ("dashboard_runs", "dashboard_calls", "dashboard_loads", "talk_chunks", "talk_burst")
    for name in (*names, *extra, *board):
        assert getattr(quick, name) < getattr(full, name), name
    assert quick.backlog_measured <= quick.backlog_small < quick.backlog_large


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 51.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_diamond_hops_wait_for_the_last_parent() -> None:
    from hewer_tools.bench.hewer import diamond_hops

    # (run, step, started, done) in seconds; e starts 5 ms after d, the last middle, ends.
    rows = [
        ("r", "a", 0.000, 0.001),
        ("r", "b", 0.003, 0.004),
        ("r", "c", 0.004, 0.005),
        ("r", "d", 0.005, 0.010),
        ("r", "e", 0.015, 0.016),
        ("unfinished", "a", 0.0, 0.001),
    ]
    assert [round(h, 3) for h in diamond_hops(rows)] == [2.0, 3.0, 4.0, 5.0]


def test_feed_lag_is_read_inside_the_drain_and_catchup_from_the_last_empty_streak() -> None:
    from datetime import UTC, datetime, timedelta

    from hewer_tools.bench.feed import LagSample, lag_figures

    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def at(ms: int, messages: int, oldest_ms: float) -> LagSample:
        return LagSample(t0 + timedelta(milliseconds=ms), messages, oldest_ms)

    samples = [
        at(0, 3, 50.0),  # before the first assignment: enqueue's messages
        at(100, 5, 120.0),
        at(200, 0, 0.0),
        at(300, 7, 90.0),  # the drain ends at 300 ms
        at(400, 0, 0.0),  # empty, but a late commit's message shows up after
        at(500, 2, 40.0),
        at(600, 0, 0.0),
        at(700, 0, 0.0),
    ]
    lags, catchup = lag_figures(samples, t0 + timedelta(milliseconds=100), samples[3].at)
    assert lags == [120.0, 0.0, 90.0]
    assert catchup == 300.0
    with pytest.raises(RuntimeError, match="no empty-queue sample"):
        lag_figures(samples[:6], samples[1].at, samples[3].at)


def test_report_marks_missing_cells_and_checks_targets() -> None:
    from hewer_tools.bench.report import Cell, Report

    cells = {
        "hewer": {"W1.drain": Cell(value=300.0), "W4.ratio": Cell(value=0.9)},
        "procrastinate": {"W1.drain": Cell(value=100.0), "W4.ratio": Cell(error="boom")},
        "pgqueuer": {"W1.drain": Cell(value=200.0)},
    }
    report = Report(
        started_at="now", quick=True, sizes={}, server={}, systems=list(cells),
        workloads=["W1", "W4"], cells=cells, methods={}, batching={}, versions={},
    )  # fmt: skip
    missing = report.missing()
    assert "procrastinate W4.ratio" in missing  # an error is not a value
    assert "hewer W1.enqueue" in missing  # neither value nor n/a
    assert report.verdicts()["W1.vs_hewer"] is True  # 300 >= 1 x 200 (PgQueuer's)
    assert report.verdicts()["W4.ratio"] is True
    assert report.verdicts()["W1.enqueue"] is None  # neither has a value
    cells["hewer"]["W1.drain"] = Cell(value=150.0)
    assert report.verdicts()["W1.vs_hewer"] is False
    assert "n/a" in Cell(na="no DAGs").text(1)
    assert "W4" in report.table(Sizes.quick())


def test_asyncpg_gets_a_url_for_a_unix_socket_conninfo() -> None:
    from hewer_tools.bench.peers import _asyncpg_dsn

    url = _asyncpg_dsn("host=/tmp/x port=5433 user=postgres dbname=hewer_bench_pgqueuer")
    assert url == "postgresql://postgres@/hewer_bench_pgqueuer?host=/tmp/x&port=5433"
    assert _asyncpg_dsn("postgresql://u@h/db") == "postgresql://u@h/db"


def test_profile_summary_sums_functions_and_packages(tmp_path: Path) -> None:
    from hewer_tools.bench.profile import summarize

    stacks = tmp_path / "d.collapsed"
    stacks.write_text(
        "process 1;thread 2;main (cli.py:3);fetch (/x/site-packages/psycopg/cursor.py:9) 3\n"
        "process 1;thread 2;main (cli.py:3);claim (/w/pydispatch/server.py:40) 1\n"
    )
    p = summarize("dispatcher", stacks)
    assert p.samples == 4
    assert p.self_time[0] == ("fetch (psycopg/cursor.py)", 75.0)
    assert dict(p.by_package) == {"psycopg": 75.0, "pydispatch": 25.0}
    assert dict(p.inclusive)["main (cli.py)"] == 100.0


def test_bench_filters_are_checked() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["bench", "--systems", "hewer,celery"])
    assert result.exit_code == 2
    assert "unknown celery" in result.output
    result = runner.invoke(main, ["bench", "--only", "W99"])
    assert result.exit_code == 2
    assert "W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W11,W12,W13,W14" in result.output
