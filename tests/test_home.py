"""The Hewer home: one per project, found from any directory below it, and the dispatcher
serving it found by the home's commands without flags."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from hewer_tools.processes import Processes
from pyworker import home
from tests.waiting import wait_until


def test_the_home_is_found_by_walking_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEWER_HOME", raising=False)
    project = tmp_path / "project"
    deep = project / "src" / "pipelines"
    deep.mkdir(parents=True)
    # No home yet: the current directory's, made when first needed.
    assert home.hewer_home(deep) == deep / ".hewer"
    (project / ".hewer").mkdir()
    assert home.hewer_home(deep) == project / ".hewer"
    assert home.hewer_home(project) == project / ".hewer"
    monkeypatch.setenv("HEWER_HOME", str(tmp_path / "elsewhere"))
    assert home.hewer_home(deep) == tmp_path / "elsewhere"


def test_a_dead_dispatchers_record_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "dispatcher.json").write_text(json.dumps({"address": "h:1", "pid": 2**22 + 7}))
    assert home.home_dispatcher(tmp_path) is None
    (tmp_path / "dispatcher.json").write_text("{not json")
    assert home.home_dispatcher(tmp_path) is None


def test_the_homes_commands_reach_the_dispatcher_serving_it(dsn: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".hewer").mkdir(parents=True)
    (project / "sub").mkdir()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""SELECT hewer.workflow_register('wf', '{"steps": [{"name": "a"}]}')""")
    procs = Processes(dsn, tmp_path, env={"HEWER_HOME": str(project / ".hewer")})
    try:
        dispatcher = procs.start_dispatcher()
        record = project / ".hewer" / "dispatcher.json"
        wait_until(record.exists, 30, "the dispatcher to record its address")
        assert json.loads(record.read_text())["address"] == f"127.0.0.1:{dispatcher.port}"
        # From a directory below the project, with no flag, HEWER_HOME or HEWER_DISPATCHERS.
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("HEWER_HOME", "HEWER_DISPATCHERS", "HEWER_DATABASE_URL")
        }
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        result = subprocess.run(
            [sys.executable, "-m", "pydispatch.cli", "run", "wf"],
            cwd=project / "sub",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT count(*) FROM hewer.runs").fetchone()
        assert row == (1,)
        dispatcher.proc.send_signal(signal.SIGTERM)
        dispatcher.proc.wait(timeout=60)
        assert not record.exists()
    finally:
        procs.close()


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_worker_and_the_dispatcher_take_the_same_log_format_flag(
    dsn: str, tmp_path: Path, log_format: str
) -> None:
    procs = Processes(dsn, tmp_path)
    try:
        dispatcher = procs.start_dispatcher(flags=("--log-format", log_format))
        worker = procs._spawn(
            "worker", "w", "worker", "pyworker.examples.noop:noop",
            "--dispatcher", f"127.0.0.1:{dispatcher.port}", "--log-format", log_format,
        )  # fmt: skip
        wait_until(
            lambda: "bench_noop" in worker.log.read_text() or not worker.alive(),
            60,
            "the worker to register its workflow",
        )
        for child in (dispatcher, worker):
            lines = [line for line in child.log.read_text().splitlines() if line.strip()]
            assert lines, child.name
            if log_format == "json":
                assert all(json.loads(line)["ts"] for line in lines), lines
            else:
                assert not any(line.startswith("{") for line in lines), lines
                assert lines[0][:4].isdigit() and "T" in lines[0][:11], lines
    finally:
        procs.close()


def test_a_worker_started_before_its_homes_dispatcher_finds_it(dsn: str, tmp_path: Path) -> None:
    procs = Processes(dsn, tmp_path)

    def hewer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pydispatch.cli", *args],
            env={k: v for k, v in procs.env.items() if k != "HEWER_DISPATCHERS"},
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    try:
        # Nothing listens yet: ping and workflows wait say so, and what to do.
        refused = hewer("ping")
        assert refused.returncode == 1
        assert "no dispatcher is listening" in refused.stderr
        assert "start one with `hewer dispatcher`" in refused.stderr
        unknown = hewer("workflows", "wait", "bench_noop", "--timeout", "0.5")
        assert unknown.returncode == 1
        assert "'bench_noop' is not registered after 0.5 s" in unknown.stderr
        # The worker first, with no address: it keeps looking in its home.
        worker = procs._spawn("worker", "w", "worker", "pyworker.examples.noop:noop")
        wait_until(lambda: "reconnecting" in worker.log.read_text(), 60, "a failed attempt")
        procs.start_dispatcher()
        ready = hewer("ping", "--wait", "30")
        assert ready.returncode == 0, ready.stderr
        assert ready.stdout.startswith("dispatcher 127.0.0.1:")
        # ... and finds the dispatcher within a second or so, not after its backoff.
        served = hewer("workflows", "wait", "bench_noop", "--timeout", "30")
        assert served.returncode == 0, served.stderr + worker.log.read_text()
        assert "a live worker serves each of its 1 steps" in served.stdout
        assert worker.alive()
    finally:
        procs.close()
