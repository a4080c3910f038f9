"""The `hewer` command, run as a real process against the test server."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import psycopg
import pytest

from pydispatch.paths import REPO_ROOT
from pydispatch.schema import EXPECTED_SCHEMA_VERSION, migration_files

Hewer = Callable[..., subprocess.CompletedProcess[str]]


def _run(
    args: tuple[str, ...], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HEWER_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@pytest.fixture
def hewer(dsn: str) -> Hewer:
    """Run `hewer ARGS...` with HEWER_DATABASE_URL pointing at this test's database."""

    def run(
        *args: str, url: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return _run(args, _env(HEWER_DATABASE_URL=url or dsn), stdin)

    return run


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hewer: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_db_url_prints_hewer_database_url(hewer: Hewer, dsn: str) -> None:
    result = hewer("db", "url")
    assert result.returncode == 0, result.stderr
    assert result.stdout == dsn + "\n"


def test_db_status_reports_the_configured_server(hewer: Hewer, pg_version: int) -> None:
    result = hewer("db", "status")
    assert result.returncode == 0, result.stderr
    assert "server:  HEWER_DATABASE_URL" in result.stdout
    assert "running: yes" in result.stdout
    assert f"version: {pg_version // 10000}." in result.stdout


def test_migrate_status_lists_applied_migrations(hewer: Hewer) -> None:
    result = hewer("migrate", "status")
    assert result.returncode == 0, result.stderr
    for migration in migration_files():
        assert re.search(rf"^{migration.stem} +applied$", result.stdout, re.M), result.stdout
    assert f"schema version: {EXPECTED_SCHEMA_VERSION} (this hewer: {EXPECTED_SCHEMA_VERSION})" in (
        result.stdout
    )
    assert "functions: up to date" in result.stdout


def test_migrate_up_then_down(hewer: Hewer, create_database: Callable[..., str]) -> None:
    fresh = create_database()
    up = hewer("migrate", "up", url=fresh)
    assert up.returncode == 0, up.stderr
    ids = [m.stem for m in migration_files()]
    assert f"applied: {', '.join(ids)}" in up.stdout
    assert "pgmq: installed (bundled SQL)" in up.stdout
    again = hewer("migrate", "up", url=fresh)
    assert "no pending migrations" in again.stdout

    refused = hewer("migrate", "down", url=fresh, stdin="n\n")
    assert refused.returncode == 1
    assert hewer("migrate", "status", url=fresh).stdout.count("applied") == len(ids)

    down = hewer("migrate", "down", "--yes", "-n", str(len(ids)), url=fresh)
    assert down.returncode == 0, down.stderr
    assert f"rolled back: {', '.join(reversed(ids))}" in down.stdout
    status = hewer("migrate", "status", url=fresh)
    for migration in ids:
        assert re.search(rf"^{migration} +pending$", status.stdout, re.M), status.stdout
    assert "schema version: none" in status.stdout


def test_partitions_status_prints_a_table(hewer: Hewer) -> None:
    result = hewer("partitions", "status")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["table_name", "partition", "range_from", "range_to", "rows", "bytes"]


def test_commands_refuse_a_database_without_the_schema(
    hewer: Hewer, create_database: Callable[..., str]
) -> None:
    line = _one_error_line(hewer("partitions", "status", url=create_database()))
    assert line.endswith("has no hewer schema: run `hewer migrate up`")


def test_commands_refuse_stale_functions(hewer: Hewer, conn: psycopg.Connection[object]) -> None:
    conn.execute("UPDATE hewer.meta SET functions_checksum = 'stale'")
    line = _one_error_line(hewer("partitions", "create"))
    assert line.endswith("run `hewer migrate up` to reload the SQL functions")


def test_database_errors_print_sqlstate_message_and_hint(
    hewer: Hewer, conn: psycopg.Connection[object]
) -> None:
    conn.execute(
        """
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT oid FROM pg_proc
                     WHERE proname = 'partition_status' AND pronamespace = 'hewer'::regnamespace
            LOOP
                EXECUTE format('DROP FUNCTION %s', f);
            END LOOP;
        END $$;
        CREATE FUNCTION hewer.partition_status(p_exact boolean DEFAULT false)
        RETURNS TABLE (table_name text, partition text, range_from timestamptz,
                       range_to timestamptz, rows bigint, bytes bigint)
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'partition status is broken'
                USING ERRCODE = 'HW999', HINT = 'Fix the thing.';
        END $$;
        """
    )
    line = _one_error_line(hewer("partitions", "status", "--exact"))
    assert line == "hewer: ERROR HW999: partition status is broken (hint: Fix the thing.)"


def test_connection_errors_are_one_line(hewer: Hewer, dsn: str) -> None:
    bad = psycopg.conninfo.make_conninfo(dsn, dbname="no_such_database")
    line = _one_error_line(hewer("migrate", "status", url=bad))
    assert 'database "no_such_database" does not exist' in line


def test_db_start_refuses_when_a_url_is_configured(hewer: Hewer) -> None:
    line = _one_error_line(hewer("db", "start"))
    assert "HEWER_DATABASE_URL is set" in line


def test_bad_timestamp_is_a_usage_error(hewer: Hewer) -> None:
    result = hewer("partitions", "drop", "--now", "yesterday")
    assert result.returncode == 2
    assert "is not an ISO 8601 timestamp" in result.stderr


@pytest.mark.slow
def test_embedded_server_start_status_url_stop(tmp_path: Path) -> None:
    env = _env(HEWER_HOME=str(tmp_path / "home"))
    try:
        started = _run(("db", "start"), env)
        assert started.returncode == 0, started.stderr
        url = started.stdout.splitlines()[-1]
        assert url.startswith("postgresql://postgres@/postgres?host=")

        # The server outlived the process that started it.
        status = _run(("db", "status"), env)
        assert status.returncode == 0, status.stderr
        assert "running:  yes" in status.stdout
        assert "version:  18." in status.stdout
        assert f"data dir: {tmp_path / 'home' / 'pgdata'}" in status.stdout
        assert _run(("db", "url"), env).stdout.strip() == url
        assert _run(("db", "start"), env).returncode == 0  # idempotent

        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)

        stopped = _run(("db", "stop"), env)
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped" in stopped.stdout
        assert "running:  no" in _run(("db", "status"), env).stdout
    finally:
        _run(("db", "stop"), env)


def test_psql_walkthrough_runs_as_written(dsn: str) -> None:
    """The README's psql walk-through, through `hewer db psql`, ends with a succeeded run."""
    root = Path(__file__).resolve().parent.parent
    hewer = Path(sys.executable).parent / "hewer"
    env = {**os.environ, "HEWER_DATABASE_URL": dsn}
    out = subprocess.run(
        [str(hewer), "db", "psql", "-f", str(root / "docs" / "walkthrough.sql")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "ERROR" not in out.stderr
    last = out.stdout.strip().splitlines()
    assert any(line.strip().startswith("succeeded |") for line in last[-4:]), out.stdout
    assert '"summary": "Hello"' in out.stdout and "embed and summarize received" in out.stdout


def _hewer(dsn: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEWER_DATABASE_URL": dsn}
    out = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def test_bench_cycles_quick_form_reports_both_batch_sizes(dsn: str) -> None:
    out = _hewer(dsn, "bench", "cycles", "--tasks", "60", "--repetitions", "1", "--json")
    results = json.loads(out.stdout)
    assert [r["batch"] for r in results] == [1, 100]
    assert all(r["tasks_per_second"] > 0 and r["tasks"] == 60 for r in results)


def test_bench_e2e_quick_form_runs_the_whole_system(dsn: str) -> None:
    out = _hewer(dsn, "bench", "e2e", "--tasks", "60", "--rate", "20", "--seconds", "1", "--json")
    result = json.loads(out.stdout)
    assert result["workers"] == 2 and result["tasks"] == 60
    assert result["tasks_per_second"] > 0
    assert result["latency_tasks"] == 20
    assert not math.isnan(result["start_p50_ms"])
    assert 0 <= result["start_p50_ms"] <= result["start_p99_ms"]


def test_ratelimits_set_list_and_delete(hewer: Hewer) -> None:
    result = hewer(
        "ratelimits", "set", "openai-rpm", "500", "--period", "1 minute", "--burst", "50"
    )
    assert result.returncode == 0, result.stderr
    assert "openai-rpm" in result.stdout and "0:01:00" in result.stdout
    listed = hewer("ratelimits", "list")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[0].split(), listed.stdout.splitlines()[-1].split()
    assert header == ["name", "rate", "period", "burst", "buckets", "tokens"]
    assert row == ["openai-rpm", "500.0", "0:01:00", "50.0", "0", "50.0"]
    assert hewer("ratelimits", "delete", "openai-rpm").returncode == 0
    assert "no rate limits" in hewer("ratelimits", "list").stdout


def test_bad_rate_limits_are_one_line_errors(hewer: Hewer) -> None:
    line = _one_error_line(hewer("ratelimits", "set", "x", "0"))
    assert line.startswith('hewer: ERROR HW022: rate_limit_set: rate limit "x": rate must be')
    line = _one_error_line(hewer("ratelimits", "delete", "nope"))
    assert "HW023" in line and "'nope' does not exist" in line


def test_limits_set_and_list(hewer: Hewer) -> None:
    assert hewer("limits", "set", "action", "call_openai", "10").returncode == 0
    assert hewer("limits", "set", "tenant", "", "100").returncode == 0
    listed = hewer("limits", "list").stdout.splitlines()
    assert [line.split() for line in listed[-2:]] == [
        ["action", "call_openai", "10", "0"],
        ["tenant", "100", "0"],
    ]
    line = _one_error_line(hewer("limits", "set", "action", "call_openai", "0"))
    assert "HW022" in line and "max must be at least 1, got 0" in line
    assert "limit removed" in hewer("limits", "set", "action", "call_openai").stdout


def test_bench_events_quick_form_measures_latency_and_ingest(dsn: str) -> None:
    out = _hewer(dsn, "bench", "events", "--quick", "--json")
    result = json.loads(out.stdout)
    assert result["events"] == 50
    assert 0 < result["latency_p50_ms"] <= result["latency_p99_ms"] <= result["latency_max_ms"]
    assert 0 < result["direct_p50_ms"] <= result["direct_p99_ms"]
    assert result["ingest_single"] == 300 and result["ingest_single_per_second"] > 0
    assert result["ingest_batch"] == 5000 and result["ingest_batch_per_second"] > 0


def test_every_listed_command_loads_under_its_name() -> None:
    """COMMANDS (pydispatch/cli/__init__.py) is the one list: each entry imports, is a click
    command of that name, and `hewer --help` lists it without importing it."""
    import importlib

    import click

    from pydispatch.cli import COMMANDS, main

    for name, (module, attribute, summary) in COMMANDS.items():
        command = getattr(importlib.import_module(f"pydispatch.cli.{module}"), attribute)
        assert isinstance(command, click.Command) and command.name == name, name
        assert summary.endswith("."), name
    ctx = click.Context(main)
    assert main.list_commands(ctx) == list(COMMANDS)
    assert main.get_command(ctx, "no-such-command") is None


def _leaf_commands() -> list[tuple[str, click.Command]]:
    """Every command under `hewer`, by its full name."""
    from pydispatch.cli import main

    found: list[tuple[str, click.Command]] = []

    def walk(cmd: click.Command, path: str, ctx: click.Context) -> None:
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, name
                walk(sub, f"{path} {name}", click.Context(sub, parent=ctx, info_name=name))
        else:
            found.append((path, cmd))

    walk(main, "hewer", click.Context(main, info_name="hewer"))
    return found


def test_every_option_has_help_and_shows_its_default() -> None:
    missing = []
    for path, cmd in _leaf_commands():
        for param in cmd.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            name = f"{path} {param.opts[0]}"
            if not param.help:
                missing.append(f"{name}: no help")
            elif (
                param.default is None
                and not param.is_flag
                and not param.required
                and not param.multiple
                and "default" not in param.help
            ):
                missing.append(f"{name}: the help does not say what happens without it")
    assert missing == []
    # Defaults are shown for every command, not only where an option asks for it.
    worker_help = _run(("bench", "cycles", "--help"), _env()).stdout
    assert "[default: 20000" in worker_help


def test_output_into_a_closed_pipe_is_quiet(hewer: Hewer, dsn: str) -> None:
    # What `hewer runs list | head -1` does once head has exited: the pipe's reader is gone.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        env = _env(HEWER_DATABASE_URL=dsn)
        for args in (("runs", "list"), ("runs", "list", "--json"), ("--help",)):
            result = subprocess.run(
                [sys.executable, "-m", "cli", *args],
                env=env,
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.stderr == "", (args, result.stderr)
    finally:
        os.close(write_end)


def test_db_psql_dash_u_connects_as_that_role(
    hewer: Hewer, conn: psycopg.Connection[object], roles: Callable[[], str]
) -> None:
    role = roles()
    result = hewer("db", "psql", "-U", role, "-At", "-c", "SELECT current_user")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == role
    result = hewer("db", "psql", f"--username={role}", "-At", "-c", "SELECT current_user")
    assert result.stdout.strip() == role
    result = hewer("db", "psql", "-U")
    assert result.returncode == 1 and "-U needs a role name" in result.stderr


def test_negative_numbers_are_refused_values_not_unknown_options(hewer: Hewer) -> None:
    line = _one_error_line(hewer("ratelimits", "set", "x", "-1"))
    assert "rate must be a positive number, got -1" in line
    line = _one_error_line(hewer("limits", "set", "action", "x", "-1"))
    assert "max must be at least 1, got -1" in line


def test_no_dispatcher_listening_says_how_to_start_one(hewer: Hewer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    line = _one_error_line(hewer("run", "wf", "--dispatcher", f"127.0.0.1:{port}"))
    assert "no dispatcher is listening" in line and "hewer dispatcher" in line


def test_every_command_that_lists_or_shows_takes_json(hewer: Hewer) -> None:
    readers = {"list", "show", "status", "versions", "children", "tagged", "caps", "guard"}
    without = [
        path
        for path, cmd in _leaf_commands()
        if path.split()[-1] in readers
        and "--json" not in {o for p in cmd.params for o in getattr(p, "opts", [])}
    ]
    assert without == []
    hewer("ratelimits", "set", "openai", "5")
    listed = hewer("ratelimits", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["name"] == "openai" and row["rate"] == 5
    status = json.loads(hewer("migrate", "status", "--json").stdout.splitlines()[0])
    assert set(status) >= {"migration", "state"}
    assert json.loads(hewer("db", "status", "--json").stdout)["server"] == "HEWER_DATABASE_URL"


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("filters", "create", "nope", "true"), "start a worker that defines it"),
        (("limits", "set", "action", "x", "-1"), "leave max out to remove the limit"),
        (("ratelimits", "set", "x", "-1"), "hewer ratelimits set name 10 --period 1s"),
        (("tenants", "create", "default"), "hewer tenants update name"),
        (("quarantine", "release", "cron", "nope"), "hewer quarantine list"),
        (
            ("schedule", "cancel", "01a245ff-20fb-78b4-bae4-6daca9dbd638"),
            "the id hewer schedule create printed",
        ),
        (("tenants", "update", "default", "--max-running", "-1"), "leave the option out"),
    ],
)
def test_a_cli_error_names_commands_not_sql_functions(
    hewer: Hewer, args: tuple[str, ...], hint: str
) -> None:
    result = hewer(*args)
    assert result.returncode == 1, result.stdout
    [line] = result.stderr.splitlines()
    said = line.partition("(hint: ")[2]
    assert hint in said.lower(), line
    assert not re.search(r"hewer\.\w+\(|\bNULL\b|\bp_\w+", said), line


def test_a_workflows_versions_hint_becomes_the_command(
    hewer: Hewer, conn: psycopg.Connection[Any]
) -> None:
    conn.execute("""SELECT hewer.workflow_register('wf', '{"steps": [{"name": "a"}]}')""")
    result = hewer("workflows", "rollback", "wf", "--to", "9")
    assert result.returncode == 1
    assert "(hint: Its versions are 1 (hewer workflows versions wf).)" in result.stderr
