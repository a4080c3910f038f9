"""`hewer dev`, the newcomer's first command: it runs again after the user's own work, and its
dispatcher and worker die with it, whatever signal ends it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.waiting import wait_until

DEV = [sys.executable, "-m", "pydispatch.cli", "dev"]


def _env(dsn: str, home: Path) -> dict[str, str]:
    return {**os.environ, "HEWER_DATABASE_URL": dsn, "HEWER_HOME": str(home)}


def _children(pid: int) -> list[int]:
    """The processes whose parent is pid (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_dev_runs_again_after_the_user_registers_workflows_of_their_own(
    dsn: str, tmp_path: Path
) -> None:
    first = subprocess.run(
        DEV, env=_env(dsn, tmp_path), capture_output=True, text=True, timeout=180, check=False
    )
    assert first.returncode == 0, first.stdout + first.stderr
    # What the walkthrough and the docs' examples do: workflows named digest and summarize,
    # whose steps no worker serves.
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in ("digest", "summarize"):
            conn.execute(
                "SELECT hewer.workflow_register(%s, %s::jsonb)",
                (name, '{"steps": [{"name": "fetch"}, {"name": "embed", "parents": ["fetch"]}]}'),
            )
    again = subprocess.run(
        DEV, env=_env(dsn, tmp_path), capture_output=True, text=True, timeout=180, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "run succeeded" in again.stdout


def _start_kept(dsn: str, home: Path) -> tuple[subprocess.Popen[str], list[int], Any]:
    """`hewer dev --keep` in a session of its own (as a shell runs it), once it serves."""
    out = (home / "dev.out").open("w")
    proc = subprocess.Popen(
        [*DEV, "--keep"],
        env=_env(dsn, home),
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    wait_until(
        lambda: "still running" in (home / "dev.out").read_text() or proc.poll() is not None,
        120,
        "hewer dev --keep to serve",
    )
    assert proc.poll() is None, (home / "dev.out").read_text()
    kids = _children(proc.pid)
    assert len(kids) == 3, kids  # the dispatcher, the HTTP API and the worker
    # The HTTP API it printed answers, and knows the demo's run.
    printed = (home / "dev.out").read_text()
    url = re.search(r"HTTP API on (http://127\.0\.0\.1:\d+) ", printed)
    run = re.search(r"curl -s (\S+)", printed)
    assert url and run, printed
    with urllib.request.urlopen(run.group(1), timeout=30) as response:  # noqa: S310 - local
        assert json.loads(response.read())["status"] == "succeeded"
    assert run.group(1).startswith(url.group(1))
    # The dashboard it printed is served by the same API.
    page = re.search(r"dashboard on (\S+) ", printed)
    assert page and page.group(1) == f"{url.group(1)}/", printed
    with urllib.request.urlopen(page.group(1), timeout=30) as response:  # noqa: S310 - local
        assert b'id="root"' in response.read()
    return proc, kids, out


def _end(proc: subprocess.Popen[str], kids: list[int], out: Any, send: Any) -> int:
    """Send the signal, wait for `hewer dev` to exit and for its children to be gone (killed
    on the way out if the test fails); its exit code."""
    try:
        send()
        code = proc.wait(timeout=60)
        wait_until(lambda: not any(_alive(k) for k in kids), 30, "the children to exit")
    finally:
        for k in kids:
            if _alive(k):
                os.kill(k, signal.SIGKILL)
        out.close()
    return code


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_children_die_with_hewer_dev_whatever_the_signal(
    dsn: str, tmp_path: Path, sig: signal.Signals
) -> None:
    proc, kids, out = _start_kept(dsn, tmp_path)
    code = _end(proc, kids, out, lambda: proc.send_signal(sig))
    assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGTERM)
    if sig == signal.SIGTERM:
        text = (tmp_path / "dev.out").read_text()
        assert "SIGTERM: the dispatcher and the worker are stopped" in text


@pytest.mark.parametrize("when", ["while the run goes", "while --keep serves"])
def test_ctrl_c_stops_everything_with_one_quiet_line(dsn: str, tmp_path: Path, when: str) -> None:
    if when == "while --keep serves":
        proc, kids, out = _start_kept(dsn, tmp_path)
        mark = "still running"
    else:
        # A long document: the simulated model's rate limit keeps the run going for a while.
        text = " ".join(f"Sentence number {i} of a long document." for i in range(400))
        out = (tmp_path / "dev.out").open("w")
        proc = subprocess.Popen(
            [*DEV, "--text", text],
            env=_env(dsn, tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        mark = "triggered"
        wait_until(
            lambda: mark in (tmp_path / "dev.out").read_text() or proc.poll() is not None,
            120,
            "hewer dev to trigger its run",
        )
        assert proc.poll() is None, (tmp_path / "dev.out").read_text()
        kids = _children(proc.pid)
        assert len(kids) == 3, kids  # the dispatcher, the HTTP API and the worker
    before = (tmp_path / "dev.out").read_text()
    started = time.monotonic()
    # What the terminal does on Ctrl-C: SIGINT to the whole foreground process group.
    code = _end(proc, kids, out, lambda: os.killpg(proc.pid, signal.SIGINT))
    took = time.monotonic() - started
    after = (tmp_path / "dev.out").read_text()[len(before) :]
    lines = [line for line in after.splitlines() if not line.startswith("  +")]
    assert "Traceback" not in after and "destroyed" not in after, after
    if when == "while --keep serves":
        # --keep serves until Ctrl-C: that is its normal end.
        assert code == 0 and lines == [], after
    else:
        assert code == 130, after
        assert lines == ["interrupted: the dispatcher and the worker are stopped"], after
    print(f"hewer dev stopped {took:.2f}s after Ctrl-C {when}")
