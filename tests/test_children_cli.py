"""`hewer run --metadata`, `hewer children` and `hewer tagged`, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from hewer_tools.processes import Processes
from pydispatch.paths import REPO_ROOT
from tests.engine import claim, register, worker


def hewer(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEWER_DATABASE_URL": dsn, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1, result
    return lines[-1]


def test_run_with_metadata_then_children_and_tagged(
    dsn: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    register(conn, "cli_parent", {"steps": [{"name": "p"}]})
    register(conn, "cli_child", {"steps": [{"name": "c"}]})
    procs = Processes(dsn, tmp_path)
    try:
        address, _ = procs.dispatcher()
        result = hewer(
            dsn, "run", "cli_parent", "--metadata", '{"customer": "acme"}', "--dispatcher", address
        )
        assert result.returncode == 0, result
        run_id = result.stdout.strip()
    finally:
        procs.close()

    w = worker(conn, ["cli_parent:p"])
    [t] = claim(conn, w)
    assert str(t["run_id"]) == run_id
    conn.execute(
        "SELECT * FROM hewer.run_spawn(%s, %s, 'cli_child', ARRAY['{}'::jsonb, '{}'], "
        "ARRAY['one', 'two'], ARRAY['{\"part\": 1}'::jsonb, NULL])",
        (t["task_id"], t["attempt"]),
    )

    kids = hewer(dsn, "children", run_id)
    assert kids.returncode == 0, kids
    lines = kids.stdout.strip().splitlines()
    assert lines[0].split() == [
        "run_id",
        "workflow",
        "status",
        "child_key",
        "metadata",
        "created_at",
    ]
    assert len(lines) == 4  # header, rule, two children
    assert "one" in lines[2] and '"part": 1' in lines[2] and "two" in lines[3]

    tagged = hewer(dsn, "tagged", '{"customer": "acme"}', "--status", "queued")
    assert tagged.returncode == 0, tagged
    body = tagged.stdout.strip().splitlines()[2:]
    assert len(body) == 2 and all("cli_child" in line and run_id in line for line in body)
    everyone = hewer(dsn, "tagged", '{"customer": "acme"}')
    assert len(everyone.stdout.strip().splitlines()) == 5  # header, rule, parent, 2 children
    nobody = hewer(dsn, "tagged", '{"customer": "other"}')
    assert nobody.stdout.strip() == "no runs with these tags"
    none = hewer(dsn, "children", str(t["task_id"]))
    assert none.stdout.strip() == f"run {t['task_id']} has no children"


def test_bad_metadata_and_run_ids_are_one_line_errors(dsn: str) -> None:
    line = one_error(hewer(dsn, "run", "x", "--metadata", "[1]"))
    assert "--metadata must be a JSON object of tags" in line
    line = one_error(hewer(dsn, "run", "x", "--metadata", "{"))
    assert "--metadata is not valid JSON" in line
    line = one_error(hewer(dsn, "tagged", '{"a": [1]}'))
    assert "HW090" in line and json.dumps({"a": [1]}) in line
    line = one_error(hewer(dsn, "children", "nope"))
    assert "'nope' is not a run id" in line
    for command in (("runs", "show"), ("runs", "cancel"), ("runs", "replay")):
        line = one_error(hewer(dsn, *command, "not-a-uuid"))
        assert "'not-a-uuid' is not a run id" in line and "22P02" not in line
