"""`hewer tenants`, `hewer tokens`, `--tenant` on the SQL-side commands and `--token` on
`hewer run`: the real command (click, in this process) on a real database and dispatcher."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from cli import main
from hewer_tools.processes import trigger_when_registered
from pydispatch.settings import DispatcherSettings
from pyworker import SyncClient
from tests.engine import register, trigger
from tests.test_cli import _env
from tests.test_dispatcher import FAST, ServerThread

Conn = psycopg.Connection[Any]
Hewer = Callable[..., Result]
ONE = {"steps": [{"name": "only"}]}


@pytest.fixture
def hewer(dsn: str) -> Hewer:
    """`hewer ARGS...` on this test's database; env adds variables (HEWER_TENANT, ...)."""

    def call(*args: str, **env: str) -> Result:
        environment = {"HEWER_DATABASE_URL": dsn, "HEWER_TENANT": "", "HEWER_TOKEN": "", **env}
        return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)

    return call


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result.stdout


def one_error_line(result: Result) -> str:
    """A bad input: exit code 1 and one line on stderr naming the problem."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hewer: ")
    return lines[0]


def tenants(conn: Conn) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in conn.execute("SELECT * FROM hewer.tenant_list()").fetchall()}


@pytest.fixture
def role(conn: Conn) -> Iterator[str]:
    """An ordinary database role (roles belong to the server: dropped at the end)."""
    name = f"tenant_role_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE ROLE {name}".encode())
    try:
        yield name
    finally:
        conn.execute(f"REVOKE hewer_client FROM {name}".encode())
        conn.execute(f"DROP ROLE {name}".encode())


def test_tenants_create_list_update(hewer: Hewer, conn: Conn, role: str) -> None:
    out = ok(
        hewer(
            "tenants", "create", "acme", "--max-running", "5", "--max-trigger-rate", "10",
            "--trigger-burst", "20", "--max-payload-bytes", "16MB",
        )
    )  # fmt: skip
    assert "acme" in out and "16777216" in out
    acme = tenants(conn)["acme"]
    assert (acme["max_running"], acme["max_trigger_rate"], acme["trigger_burst"]) == (5, 10, 20)
    assert acme["max_payload_bytes"] == 16 * 1024 * 1024

    listed = ok(hewer("tenants", "list")).splitlines()
    assert listed[0].split()[:2] == ["name", "tenant_id"]
    assert [line.split()[0] for line in listed[2:]] == ["acme", "default"]

    ok(hewer("tenants", "update", "acme", "--max-running", "0", "--max-payload-bytes", "64kB"))
    ok(hewer("tenants", "update", "acme", "--role", role))
    acme = tenants(conn)["acme"]
    assert (acme["max_running"], acme["max_payload_bytes"]) == (None, 65536)
    assert (acme["max_trigger_rate"], acme["db_role"]) == (10, role)
    ok(hewer("tenants", "update", "acme", "--role", ""))
    assert tenants(conn)["acme"]["db_role"] is None

    before = tenants(conn)
    errors = {
        "bad name": hewer("tenants", "create", "bad name!"),
        "exists": hewer("tenants", "create", "acme"),
        "not a number": hewer("tenants", "create", "x", "--max-running", "many"),
        "negative": hewer("tenants", "create", "x", "--max-running", "-1"),
        "bad rate": hewer("tenants", "create", "x", "--max-trigger-rate", "fast"),
        "bad size": hewer("tenants", "create", "x", "--max-payload-bytes", "5 parsecs"),
        "no role": hewer("tenants", "create", "x", "--role", "no_such_role_here"),
        "unknown": hewer("tenants", "update", "nope", "--max-running", "1"),
        "nothing": hewer("tenants", "update", "acme"),
    }
    lines = {k: one_error_line(v) for k, v in errors.items()}
    assert "HW092" in lines["bad name"] and "is not a valid tenant name" in lines["bad name"]
    assert "exists already" in lines["exists"]
    assert "--max-running 'many' is not a whole number" in lines["not a number"]
    assert "HW007" in lines["negative"] and "0 removes" in lines["negative"]
    assert "--max-trigger-rate 'fast' is not a number" in lines["bad rate"]
    assert "'5 parsecs' is not a size" in lines["bad size"] and "16MB" in lines["bad size"]
    assert "role no_such_role_here does not exist" in lines["no role"]
    assert "tenant 'nope' does not exist" in lines["unknown"]
    assert "nothing to change" in lines["nothing"]
    assert tenants(conn) == before  # bad input changed nothing


def test_tokens_create_list_revoke(hewer: Hewer, conn: Conn) -> None:
    conn.execute("SELECT hewer.tenant_create('acme')")
    created = hewer("tokens", "create", "ci", "--tenant", "acme", "--expires-in", "30d")
    [token] = ok(created).splitlines()  # stdout is the token alone: $(hewer tokens create ...)
    assert token.startswith("hwt_")
    assert "shown only once" in created.stderr and "hewer tokens revoke" in created.stderr
    acme = tenants(conn)["acme"]["tenant_id"]
    assert conn.execute("SELECT hewer.token_tenant(%s) AS t", (token,)).fetchone() == {"t": acme}
    token_id = str(uuid.UUID(token[4:36]))

    listed = ok(hewer("tokens", "list"))
    assert token_id in listed and "active" in listed and token not in listed
    assert token_id in ok(hewer("tokens", "list", "--tenant", "acme"))
    assert "no tokens" in ok(hewer("tokens", "list", "--tenant", "default"))
    # HEWER_TENANT picks the tenant of a token created without --tenant.
    [other] = ok(hewer("tokens", "create", "other", HEWER_TENANT="acme")).splitlines()
    assert conn.execute("SELECT hewer.token_tenant(%s) AS t", (other,)).fetchone() == {"t": acme}

    assert "revoked token" in ok(hewer("tokens", "revoke", token_id))
    assert "was revoked already" in ok(hewer("tokens", "revoke", token_id))
    assert "revoked" in ok(hewer("tokens", "list", "--tenant", "acme"))
    with pytest.raises(psycopg.Error, match="was revoked"):
        conn.execute("SELECT hewer.token_tenant(%s)", (token,))

    count = conn.execute("SELECT count(*) AS n FROM hewer.api_tokens").fetchone()
    errors = {
        "not an id": hewer("tokens", "revoke", "nope"),
        "unknown id": hewer("tokens", "revoke", str(uuid.uuid4())),
        "taken": hewer("tokens", "create", "ci", "--tenant", "acme"),
        "no tenant": hewer("tokens", "create", "x", "--tenant", "nope"),
        "bad duration": hewer("tokens", "create", "x", "--expires-in", "soon"),
        "zero": hewer("tokens", "create", "x", "--expires-in", "0s"),
        "bad name": hewer("tokens", "create", "no spaces"),
    }
    lines = {k: one_error_line(v) for k, v in errors.items()}
    assert "'nope' is not a token id" in lines["not an id"]
    assert "HW093" in lines["unknown id"] and "does not exist" in lines["unknown id"]
    assert "has a token named 'ci' already" in lines["taken"]
    assert "HW092" in lines["no tenant"] and "tenant 'nope' does not exist" in lines["no tenant"]
    assert "--expires-in must be a duration" in lines["bad duration"]
    assert "--expires-in must be longer than 0" in lines["zero"]
    assert "is not a valid token name" in lines["bad name"]
    assert conn.execute("SELECT count(*) AS n FROM hewer.api_tokens").fetchone() == count


def test_sql_side_commands_act_for_the_chosen_tenant(hewer: Hewer, conn: Conn) -> None:
    ids = {}
    for name in ("a", "b"):
        ids[name] = conn.execute(
            "SELECT tenant_id FROM hewer.tenant_create(%s)", (name,)
        ).fetchone()["tenant_id"]  # type: ignore[index]
    conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(ids["a"]),))
    register(conn, "wf", ONE)
    [run] = trigger(conn, "wf", [{}])
    run_id = str(run["run_id"])

    assert run_id in ok(hewer("runs", "list", "--tenant", "a"))
    assert "no runs" in ok(hewer("runs", "list", "--tenant", "b"))
    assert "no runs" in ok(hewer("runs", "list"))  # the default tenant
    assert run_id in ok(hewer("runs", "list", HEWER_TENANT="a"))
    assert "no runs" in ok(hewer("runs", "list", "--tenant", "b", HEWER_TENANT="a"))
    assert "wf" in ok(hewer("workflows", "list", "--tenant", "a"))
    assert "no workflows" in ok(hewer("workflows", "list", "--tenant", "b"))
    ok(hewer("ratelimits", "set", "api", "5", "--tenant", "b"))
    assert "api" in ok(hewer("ratelimits", "list", "--tenant", "b"))
    assert "no rate limits" in ok(hewer("ratelimits", "list", "--tenant", "a"))
    # Cancelling as tenant b does not find a's run.
    line = one_error_line(hewer("runs", "cancel", run_id, "--tenant", "b"))
    assert "does not exist" in line
    assert ok(hewer("runs", "cancel", run_id, "--tenant", "a")) == run_id + "\n"
    assert conn.execute(
        "SELECT status::text FROM hewer.run_get(ARRAY[%s::uuid])", (run_id,)
    ).fetchone() == {"status": "cancelled"}

    line = one_error_line(hewer("runs", "list", "--tenant", "nope"))
    assert "tenant 'nope' does not exist" in line and "hewer tenants list" in line


def test_run_presents_the_token(hewer: Hewer, conn: Conn, dsn: str, tmp_path: Path) -> None:
    a = conn.execute("SELECT tenant_id FROM hewer.tenant_create('a')").fetchone()
    assert a is not None
    token = conn.execute("SELECT token FROM hewer.token_create('cli', 'a')").fetchone()
    assert token is not None
    conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(a["tenant_id"]),))
    register(conn, "wf", ONE)
    server = ServerThread(DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST))
    server.start()
    try:
        address = server.address
        token_file = tmp_path / "token"
        token_file.write_text(token["token"] + "\n")
        [by_option] = ok(
            hewer("run", "wf", "--dispatcher", address, "--token-file", str(token_file))
        ).splitlines()
        # The secret never goes on the command line, where every user sees it (ps).
        refused = hewer("run", "wf", "--dispatcher", address, "--token", token["token"])
        assert refused.exit_code == 2 and "HEWER_TOKEN" in refused.stderr
        assert "--token-file" in refused.stderr
        [by_env] = ok(
            hewer("run", "wf", "--dispatcher", address, HEWER_TOKEN=token["token"])
        ).splitlines()
        line = one_error_line(hewer("run", "wf", "--dispatcher", address))
        assert "UNAUTHENTICATED" in line and "an API token is required" in line
        assert "HEWER_TOKEN" in line
    finally:
        server.stop()
    runs = conn.execute("SELECT run_id FROM hewer.run_list(p_limit => 10)").fetchall()
    assert sorted(str(r["run_id"]) for r in runs) == sorted([by_option, by_env])


def test_worker_command_presents_the_token(conn: Conn, dsn: str, tmp_path: Path) -> None:
    a = conn.execute("SELECT tenant_id FROM hewer.tenant_create('a')").fetchone()
    token = conn.execute("SELECT token FROM hewer.token_create('w', 'a')").fetchone()
    assert a is not None and token is not None
    env = _env(HEWER_DATABASE_URL=dsn, HEWER_TEST_LOG=str(tmp_path / "effects.log"))
    env.pop("HEWER_TOKEN", None)
    server = ServerThread(DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, **FAST))
    server.start()
    argv = [sys.executable, "-m", "cli", "worker", "tests.flows:pipeline"]
    argv += ["--dispatcher", server.address, "--shutdown-grace", "1"]
    try:
        refused = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert refused.returncode == 1
        last = refused.stderr.splitlines()[-1]
        assert last.startswith("hewer: RegisterWorkflow failed: UNAUTHENTICATED")
        assert "an API token is required" in last and "HEWER_TOKEN" in last

        token_file = tmp_path / "token"
        token_file.write_text(token["token"])
        worker = subprocess.Popen([*argv, "--token-file", str(token_file)], env=env)
        try:
            with SyncClient([server.address], token=token["token"]) as client:
                run_id = trigger_when_registered(client, "proc_pipeline", {"n": 3})
                assert client.result(run_id, timeout=60) == {
                    "fetch": {"n": 3},
                    "double": 6,
                    "square": 9,
                    "total": 15,
                }
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
    finally:
        server.stop()
    workers = conn.execute("SELECT tenant_id FROM hewer.workers").fetchall()
    assert workers == [{"tenant_id": a["tenant_id"]}]
