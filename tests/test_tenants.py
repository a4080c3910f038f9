"""Tenants through SQL: row-level security, tenant roles, tokens and per-tenant limits.

Two tenants, each with its own login role. Tenant B's role fills every tenant table
through the API functions (the leader's routing and cron run as the trusted role).
Then tenant A's role reads 0 of B's rows from every table and cannot write any, directly
or through the functions, whatever it sets.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from tests import engine
from tests.test_events import route

Conn = psycopg.Connection[Any]

SPEC = {
    "concurrency": {"key": "input.k", "max": 5},
    "on_events": ["order.*"],
    "steps": [
        {
            "name": "a",
            "concurrency": {"key": "input.k", "max": 3},
            "rate_limits": [{"limit": "rl", "key": "input.k"}],
        },
        {"name": "b", "parents": ["a"]},
        {"name": "w", "wait": {"sleep": "10 minutes"}},
    ],
}


@dataclass(frozen=True)
class Tenant:
    name: str
    id: uuid.UUID
    role: str
    conn: Conn


@dataclass(frozen=True)
class TwoTenants:
    a: Tenant
    b: Tenant
    admin: Conn
    objects: dict[str, Any]  # B's objects: run, task, worker, filter, cron, schedule, token, ...


def _role_conn(dsn: str, role: str) -> Conn:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["user"] = role
    return psycopg.connect(
        psycopg.conninfo.make_conninfo("", **params), autocommit=True, row_factory=dict_row
    )


def _tenant(dsn: str, admin: Conn, roles: Callable[[], str], name: str, **limits: Any) -> Tenant:
    role = roles()
    args = {"p_name": name, "p_db_role": role, **{f"p_{k}": v for k, v in limits.items()}}
    row = admin.execute(
        sql.SQL("SELECT * FROM hewer.tenant_create({})").format(
            sql.SQL(", ").join(
                sql.SQL("{} => {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in args
            )
        ),
        args,
    ).fetchone()
    assert row is not None and row["db_role"] == role
    return Tenant(name, row["tenant_id"], role, _role_conn(dsn, role))


def _fill(dsn: str, admin: Conn, b: Tenant) -> dict[str, Any]:
    """Put rows in every tenant table, as tenant B."""
    c = b.conn
    c.execute("SELECT * FROM hewer.rate_limit_set('rl', 100)")
    c.execute("SELECT * FROM hewer.concurrency_limit_set('action', 'wf:a', 5)")
    engine.register(c, "wf", SPEC)
    filter_id = c.execute("SELECT hewer.filter_create('wf', 'true') AS id").fetchone()["id"]  # type: ignore[index]
    runs = engine.trigger(c, "wf", [{"k": 1}, {"k": 2}], keys=["i1", None])
    worker_id = engine.worker(c, ["wf:a", "wf:b"], slots=4)
    claimed = engine.claim(c, worker_id, 1)
    assert len(claimed) == 1
    engine.complete(c, claimed, [{"ok": True}])
    running = engine.claim(c, worker_id, 1)
    assert len(running) == 1
    logged = c.execute(
        "SELECT * FROM hewer.task_log(%s, %s, ARRAY['info'], ARRAY['fetching'])",
        ([running[0]["task_id"]], [running[0]["attempt"]]),
    ).fetchall()
    assert [r["accepted"] for r in logged] == [True]
    streamed = c.execute(
        "SELECT * FROM hewer.task_stream(%s, %s, ARRAY[1]::bigint[], ARRAY['tokens'])",
        ([running[0]["task_id"]], [running[0]["attempt"]]),
    ).fetchall()
    assert [r["accepted"] for r in streamed] == [True]
    c.execute("SELECT hewer.push_event('order.created', '{\"k\": 7}')")
    # An event whose payload is offloaded (a reference), and one large enough to offload.
    ref = {"v": 1, "key": f"{b.id}/event/x.json", "size": 2, "sha256": "0" * 64}
    c.execute("SELECT hewer.push_event('order.big', %s)", (Jsonb({"$hewer_ref": ref}),))
    c.execute(
        "SELECT hewer.push_event('order.big', %s)", (Jsonb({"x": os.urandom(200_000).hex()}),)
    )
    cron_id = c.execute(
        "SELECT hewer.cron_create('wf', 'c1', '* * * * *', '{\"k\": 8}') AS id"
    ).fetchone()["id"]  # type: ignore[index]
    schedule_id = c.execute(
        "SELECT hewer.run_schedule('wf', '{\"k\": 9}', now() + interval '1 hour') AS id"
    ).fetchone()["id"]  # type: ignore[index]
    token = c.execute("SELECT * FROM hewer.token_create('t1')").fetchone()
    assert token is not None
    # The leader's share, as the trusted role: route the event, fire the cron once.
    assert route(dsn).runs == 1
    admin.execute(
        "SELECT * FROM hewer.cron_fire(%s, date_trunc('minute', now()), true, 0,"
        " date_trunc('minute', now()) + interval '1 minute', NULL, now())",
        (cron_id,),
    )
    # A cron of B's that failed once: a row in hewer.quarantine.
    admin.execute(
        "SELECT * FROM hewer.item_failed('cron', %s, %s, 'HW010: too large')",
        (str(cron_id), b.id),
    )
    return {
        "run": runs[0]["run_id"],
        "task": running[0]["task_id"],
        "attempt": running[0]["attempt"],
        "worker": worker_id,
        "filter": filter_id,
        "cron": cron_id,
        "schedule": schedule_id,
        "token_id": token["token_id"],
        "token": token["token"],
    }


@pytest.fixture
def two(dsn: str, conn: Conn, roles: Callable[[], str]) -> Iterator[TwoTenants]:
    a = _tenant(dsn, conn, roles, "acme")
    b = _tenant(dsn, conn, roles, "globex", max_running=10)
    objects = _fill(dsn, conn, b)
    yield TwoTenants(a, b, conn, objects)
    a.conn.close()
    b.conn.close()


def tenant_tables(conn: Conn) -> list[str]:
    """Every table of schema hewer with a tenant_id column (partitions excluded)."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
        " WHERE c.relnamespace = 'hewer'::regnamespace AND c.relkind IN ('r', 'p')"
        " AND NOT c.relispartition AND a.attname = 'tenant_id' ORDER BY 1"
    ).fetchall()
    return [r["relname"] for r in rows]


def _count(c: Conn, table: str) -> int:
    row = c.execute(
        sql.SQL("SELECT count(*) AS n FROM hewer.{}").format(sql.Identifier(table))
    ).fetchone()
    assert row is not None
    return int(row["n"])


def _denied(c: Conn, statement: sql.SQL | sql.Composed) -> str:
    """Run `statement`; the SQLSTATE it failed with, or 'allowed' (then rolled back)."""
    try:
        with c.transaction():
            cur = c.execute(statement)
            outcome = f"allowed ({cur.rowcount} rows)"
            raise psycopg.Rollback
    except psycopg.Error as exc:
        return str(exc.sqlstate)
    return outcome


# -- isolation ------------------------------------------------------------------------------


def test_row_level_security_covers_exactly_the_tenant_tables(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT c.relname, c.relrowsecurity FROM pg_class c"
        " WHERE c.relnamespace = 'hewer'::regnamespace AND c.relkind IN ('r', 'p')"
        " AND NOT c.relispartition ORDER BY 1"
    ).fetchall()
    secured = {r["relname"] for r in rows if r["relrowsecurity"]}
    assert secured == set(tenant_tables(conn)) | {"tenants"}
    assert {r["relname"] for r in rows} - secured == {"meta", "partition_config", "leases"}
    assert len(secured) == 29


def test_every_tenant_table_is_isolated_for_reads_and_writes(two: TwoTenants, capsys: Any) -> None:
    a, b = two.a, two.b
    matrix: dict[str, dict[str, str]] = {}
    for table in tenant_tables(two.admin):
        ident = sql.Identifier(table)
        seen_by_b = _count(b.conn, table)
        assert seen_by_b > 0, f"{table}: the fixture put no row of B in it"
        assert _count(two.admin, table) >= seen_by_b
        # A sets the tenant setting to B's id: only trusted roles may choose a tenant.
        a.conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(b.id),))
        row = {
            "select": str(_count(a.conn, table)),
            "update": _denied(
                a.conn, sql.SQL("UPDATE hewer.{} SET tenant_id = tenant_id").format(ident)
            ),
            "delete": _denied(a.conn, sql.SQL("DELETE FROM hewer.{}").format(ident)),
            "insert": _denied(
                a.conn,
                sql.SQL("INSERT INTO hewer.{} (tenant_id) VALUES ({})").format(ident, str(b.id)),
            ),
            "truncate": _denied(a.conn, sql.SQL("TRUNCATE hewer.{}").format(ident)),
        }
        a.conn.execute("RESET hewer.tenant")
        matrix[table] = row
        assert row == {
            "select": "0",
            "update": "42501",
            "delete": "42501",
            "insert": "42501",
            "truncate": "42501",
        }, table
        # B still has all of its rows.
        assert _count(b.conn, table) == seen_by_b
    # The tenants table: each tenant role sees its own row only.
    assert [r["name"] for r in a.conn.execute("SELECT name FROM hewer.tenants").fetchall()] == [
        "acme"
    ]
    assert _denied(a.conn, sql.SQL("UPDATE hewer.tenants SET name = name")) == "42501"
    with capsys.disabled():
        print("\ntable | select | update | delete | insert | truncate")
        for table, row in matrix.items():
            print(f"{table} | {' | '.join(row.values())}")


def test_partitions_system_tables_and_queues_are_out_of_a_tenants_reach(two: TwoTenants) -> None:
    a = two.a.conn
    partitions = [
        r["relname"]
        for r in two.admin.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'hewer'::regnamespace"
            " AND c.relispartition AND c.relkind = 'r'"
        ).fetchall()
    ]
    assert {"runs_default", "tasks_default", "task_events_default", "events_default"} <= set(
        partitions
    )
    for name in [*partitions, "meta", "partition_config"]:
        assert (
            _denied(a, sql.SQL("SELECT * FROM hewer.{}").format(sql.Identifier(name))) == "42501"
        ), name
    assert _denied(a, sql.SQL("SELECT * FROM pgmq.q_hewer_events")) == "42501"
    assert _denied(a, sql.SQL("SELECT * FROM pgmq.read('hewer_events', 30, 10)")) == "42501"
    assert _denied(a, sql.SQL("SELECT secret_sha256 FROM hewer.api_tokens")) == "42501"
    # The leader's and the operator's functions are not a tenant's to call.
    for call in [
        "SELECT * FROM hewer.reap()",
        "SELECT * FROM hewer.event_route_read(30, 10)",
        "SELECT * FROM hewer.partition_drop()",
        "SELECT * FROM hewer.tenant_create('evil')",
        "SELECT * FROM hewer.tenant_update('acme', p_max_running => 0)",
        "SELECT hewer.token_tenant(NULL)",
    ]:
        assert _denied(a, sql.SQL(call)) == "42501", call


def test_a_tenant_cannot_touch_another_tenants_objects_through_the_functions(
    two: TwoTenants,
) -> None:
    a, o = two.a.conn, two.objects
    before = engine.snapshot(two.admin)
    calls: list[tuple[str, tuple[Any, ...], str]] = [
        ("SELECT * FROM hewer.run_get(ARRAY[%s::uuid])", (o["run"],), "allowed: []"),
        ("SELECT * FROM hewer.run_cancel(ARRAY[%s::uuid])", (o["run"],), "HW009"),
        ("SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (o["run"],), "HW009"),
        ("SELECT * FROM hewer.run_children(ARRAY[%s::uuid])", (o["run"],), "allowed: []"),
        ("SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb])", (), "HW003"),
        ("SELECT * FROM hewer.workflow_get('wf')", (), "HW003"),
        ("SELECT * FROM hewer.workflow_rollback('wf', 1)", (), "HW003"),
        (
            "SELECT * FROM hewer.task_complete(ARRAY[%s::uuid], ARRAY[%s], ARRAY['{}'::jsonb])",
            (o["task"], o["attempt"]),
            "HW005",
        ),
        (
            "SELECT * FROM hewer.task_fail(ARRAY[%s::uuid], ARRAY[%s], ARRAY['{}'::jsonb])",
            (o["task"], o["attempt"]),
            "HW005",
        ),
        ("SELECT * FROM hewer.task_claim(%s, 10)", (o["worker"],), "HW008"),
        ("SELECT * FROM hewer.filter_delete(%s)", (o["filter"],), "HW043"),
        ("SELECT * FROM hewer.cron_delete('c1', 'wf')", (), "HW003"),
        ("SELECT * FROM hewer.schedule_cancel(%s)", (o["schedule"],), "HW047"),
        ("SELECT * FROM hewer.token_revoke(%s)", (o["token_id"],), "HW093"),
        ("SELECT * FROM hewer.token_list('globex')", (), "HW095"),
        ("SELECT * FROM hewer.token_create('x', 'globex')", (), "HW095"),
        ("SELECT * FROM hewer.rate_limit_delete('rl')", (), "HW023"),
    ]
    outcomes = {}
    for statement, params, _ in calls:
        try:
            rows = a.execute(statement, params).fetchall()
            outcomes[statement] = f"allowed: {rows}"
        except psycopg.Error as exc:
            outcomes[statement] = str(exc.sqlstate)
    assert outcomes == {statement: code for statement, _, code in calls}
    # What A may call shows none of B's.
    assert a.execute("SELECT * FROM hewer.run_list()").fetchall() == []
    assert a.execute("SELECT * FROM hewer.workflow_list()").fetchall() == []
    cancelled = a.execute(
        "SELECT * FROM hewer.run_cancel_matching(p_statuses => '{queued,running}')"
    ).fetchall()
    assert all(not r.get("run_id") for r in cancelled), cancelled
    assert (
        a.execute("SELECT * FROM hewer.task_history(ARRAY[%s::uuid])", (o["task"],)).fetchall()
        == []
    )
    assert a.execute("SELECT * FROM hewer.token_list()").fetchall() == []
    assert a.execute("SELECT * FROM hewer.run_logs(%s)", (o["run"],)).fetchall() == []
    # A cannot write into the log of B's task, even naming B's worker.
    assert a.execute(
        "SELECT accepted, reason FROM hewer.task_log(%s, %s, ARRAY['info'], ARRAY['forged'],"
        " p_worker_ids => %s)",
        ([o["task"]], [o["attempt"]], [o["worker"]]),
    ).fetchall() == [{"accepted": False, "reason": "unknown_task"}]
    assert engine.snapshot(two.admin) == before


def test_the_same_names_live_side_by_side_in_two_tenants(two: TwoTenants) -> None:
    a, b = two.a.conn, two.b.conn
    engine.register(a, "wf", {"steps": [{"name": "only_in_a"}]})
    (run,) = engine.trigger(a, "wf", [{"k": 1}], keys=["i1"])
    assert run["created"]  # B's idempotency key i1 is B's alone
    steps = a.execute("SELECT step FROM hewer.tasks WHERE run_id = %s", (run["run_id"],)).fetchall()
    assert steps == [{"step": "only_in_a"}]
    assert {r["step"] for r in b.execute("SELECT DISTINCT step FROM hewer.tasks").fetchall()} == {
        "a",
        "b",
        "w",
    }
    # A's worker for B's action names claims nothing of B's.
    worker_a = engine.worker(a, ["wf:a", "wf:b"])
    assert engine.claim(a, worker_a) == []


def test_an_unmapped_role_is_refused_with_a_clear_error(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    role = roles()
    conn.execute(sql.SQL("GRANT hewer_client TO {}").format(sql.Identifier(role)))
    engine.register(conn, "wf", {"steps": [{"name": "s"}]})
    engine.trigger(conn, "wf", [{}])
    with _role_conn(dsn, role) as c:
        for statement in ["SELECT * FROM hewer.run_list()", "SELECT count(*) FROM hewer.runs"]:
            with pytest.raises(psycopg.Error, match="is not mapped to a Hewer tenant") as err:
                c.execute(statement)
            assert err.value.sqlstate == "HW092"
    conn.execute(sql.SQL("REVOKE hewer_client FROM {}").format(sql.Identifier(role)))


def test_the_default_tenant_needs_no_setup(conn: Conn) -> None:
    engine.register(conn, "solo", {"steps": [{"name": "s"}]})
    (run,) = engine.trigger(conn, "solo", [{}])
    row = conn.execute(
        "SELECT tenant_id FROM hewer.runs WHERE id = %s", (run["run_id"],)
    ).fetchone()
    assert row == {"tenant_id": uuid.UUID(int=0)}
    assert [t["name"] for t in conn.execute("SELECT * FROM hewer.tenant_list()").fetchall()] == [
        "default"
    ]


# -- roles and administration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "code", "says"),
    [
        ("SELECT * FROM hewer.tenant_create('bad name!')", "HW092", "not a valid tenant name"),
        ("SELECT * FROM hewer.tenant_create('default')", "HW092", "exists already"),
        ("SELECT * FROM hewer.tenant_create('x', 'no_such_role_here')", "HW092", "does not exist"),
        (
            "SELECT * FROM hewer.tenant_create('x', current_user)",
            "HW092",
            "trusted with every tenant",
        ),
        ("SELECT * FROM hewer.tenant_create('x', p_max_running => -1)", "HW007", "positive"),
        (
            "SELECT * FROM hewer.tenant_update('nope', p_max_running => 1)",
            "HW092",
            "does not exist",
        ),
        ("SELECT * FROM hewer.token_create('bad name!')", "HW093", "not a valid token name"),
        (
            "SELECT * FROM hewer.token_create('t', p_expires_at => now() - interval '1 s')",
            "HW093",
            "future",
        ),
        ("SELECT * FROM hewer.token_create('t', 'nope')", "HW092", "does not exist"),
        ("SELECT * FROM hewer.token_revoke(gen_random_uuid())", "HW093", "does not exist"),
        ("SELECT hewer.token_tenant('not-a-token')", "HW093", "malformed"),
        (
            "SELECT hewer.token_tenant('hwt_' || repeat('0', 32) || '_' || repeat('0', 64))",
            "HW093",
            "not valid",
        ),
    ],
)
def test_bad_administration_is_refused_and_changes_nothing(
    conn: Conn, call: str, code: str, says: str
) -> None:
    before = engine.snapshot(conn)
    with pytest.raises(psycopg.Error, match=says) as err:
        conn.execute(call)
    assert err.value.sqlstate == code
    assert engine.snapshot(conn) == before


def test_a_role_belongs_to_one_tenant(dsn: str, conn: Conn, roles: Callable[[], str]) -> None:
    t = _tenant(dsn, conn, roles, "one")
    with pytest.raises(psycopg.Error, match="already the role of tenant") as err:
        conn.execute("SELECT * FROM hewer.tenant_create('two', %s)", (t.role,))
    assert err.value.sqlstate == "HW092"
    t.conn.close()


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_a_revoked_one_is_refused_at_once(conn: Conn) -> None:
    conn.execute("SELECT * FROM hewer.tenant_create('acme')")
    assert conn.execute("SELECT hewer.token_tenant(NULL) AS t").fetchone() == {
        "t": uuid.UUID(int=0)
    }
    tok = conn.execute("SELECT * FROM hewer.token_create('ci', 'acme')").fetchone()
    assert tok is not None and tok["token"].startswith("hwt_")
    stored = conn.execute("SELECT * FROM hewer.api_tokens").fetchone()
    assert stored is not None and tok["token"].split("_")[2] not in str(stored)
    acme = conn.execute("SELECT id FROM hewer.tenants WHERE name = 'acme'").fetchone()
    assert acme is not None
    assert conn.execute("SELECT hewer.token_tenant(%s) AS t", (tok["token"],)).fetchone() == {
        "t": acme["id"]
    }
    # Once a token exists, a client without one is refused.
    with pytest.raises(psycopg.Error, match="an API token is required"):
        conn.execute("SELECT hewer.token_tenant(NULL)")
    # A wrong secret with a real id is refused.
    forged = tok["token"][:-4] + ("0000" if not tok["token"].endswith("0000") else "1111")
    with pytest.raises(psycopg.Error, match="not valid"):
        conn.execute("SELECT hewer.token_tenant(%s)", (forged,))
    conn.execute("LISTEN hewer_tokens")
    assert conn.execute("SELECT hewer.token_revoke(%s) AS r", (tok["token_id"],)).fetchone() == {
        "r": True
    }
    # A hint without the token's id: dispatchers re-check the tokens they see in use.
    assert [n.payload for n in conn.notifies(timeout=5, stop_after=1)] == [""]
    with pytest.raises(psycopg.Error, match="was revoked") as err:
        conn.execute("SELECT hewer.token_tenant(%s)", (tok["token"],))
    assert err.value.sqlstate == "HW093"
    assert conn.execute("SELECT hewer.token_revoke(%s) AS r", (tok["token_id"],)).fetchone() == {
        "r": False
    }
    listed = conn.execute("SELECT tenant, name, status FROM hewer.token_list()").fetchall()
    assert listed == [{"tenant": "acme", "name": "ci", "status": "revoked"}]
    assert (
        conn.execute(
            "SELECT hewer.tokens_valid(ARRAY[%s::uuid]) AS v", (tok["token_id"],)
        ).fetchall()
        == []
    )


def test_a_tenant_role_manages_its_own_tokens(two: TwoTenants) -> None:
    b = two.b.conn
    assert [r["name"] for r in b.execute("SELECT * FROM hewer.token_list()").fetchall()] == ["t1"]
    tok = b.execute("SELECT * FROM hewer.token_create('t2')").fetchone()
    assert tok is not None and tok["tenant"] == "globex"
    row = two.admin.execute("SELECT hewer.token_tenant(%s) AS t", (tok["token"],)).fetchone()
    assert row == {"t": two.b.id}
    assert b.execute("SELECT hewer.token_revoke(%s) AS r", (tok["token_id"],)).fetchone() == {
        "r": True
    }


# -- per-tenant limits --------------------------------------------------------------------------


def test_max_running_caps_a_tenants_running_tasks(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    t = _tenant(dsn, conn, roles, "capped", max_running=2)
    engine.register(t.conn, "wf", {"steps": [{"name": "s"}]})
    engine.trigger(t.conn, "wf", [{}] * 5)
    w = engine.worker(t.conn, ["wf:s"], slots=10)
    assert len(engine.claim(t.conn, w, 10)) == 2
    assert engine.claim(t.conn, w, 10) == []
    # A tenant role cannot lift its own cap; the operator can.
    with pytest.raises(psycopg.Error, match="set by the operator") as err:
        t.conn.execute("SELECT * FROM hewer.concurrency_limit_set('tenant', '', 100)")
    assert err.value.sqlstate == "HW095"
    conn.execute("SELECT * FROM hewer.tenant_update('capped', p_max_running => 3)")
    assert len(engine.claim(t.conn, w, 10)) == 1
    conn.execute("SELECT * FROM hewer.tenant_update('capped', p_max_running => 0)")
    assert len(engine.claim(t.conn, w, 10)) == 2
    t.conn.close()


def test_the_trigger_rate_refuses_what_is_over_it_and_changes_nothing(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    t = _tenant(dsn, conn, roles, "slow", max_trigger_rate=0.001, trigger_burst=3)
    engine.register(t.conn, "wf", {"steps": [{"name": "s"}]})
    assert len(engine.trigger(t.conn, "wf", [{}, {}])) == 2
    before = engine.snapshot(conn)
    with pytest.raises(psycopg.Error, match="over its trigger rate") as err:
        engine.trigger(t.conn, "wf", [{}, {}])
    assert err.value.sqlstate == "HW094" and "Retry in" in (err.value.diag.message_hint or "")
    with pytest.raises(psycopg.Error, match="at most 3 runs or events at once") as err:
        engine.trigger(t.conn, "wf", [{}] * 4)
    assert engine.snapshot(conn) == before
    # Events spend the same bucket: one token is left.
    t.conn.execute("SELECT hewer.push_event('e.1')")
    with pytest.raises(psycopg.Error, match="over its trigger rate"):
        t.conn.execute("SELECT hewer.push_event('e.2')")
    # Other tenants are not limited by it.
    engine.register(conn, "wf", {"steps": [{"name": "s"}]})
    assert len(engine.trigger(conn, "wf", [{}] * 10)) == 10
    conn.execute("SELECT * FROM hewer.tenant_update('slow', p_max_trigger_rate => 0)")
    assert len(engine.trigger(t.conn, "wf", [{}] * 10)) == 10
    t.conn.close()


def test_max_payload_bytes_limits_what_a_tenant_stores(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    t = _tenant(dsn, conn, roles, "small", max_payload_bytes=1000)
    engine.register(t.conn, "wf", {"steps": [{"name": "s"}]})
    engine.trigger(t.conn, "wf", [{"x": "y" * 500}])
    before = engine.snapshot(conn)
    with pytest.raises(psycopg.Error, match="over the limit of 1000 bytes") as err:
        engine.trigger(t.conn, "wf", [{"x": "y" * 2000}])
    assert err.value.sqlstate == "HW010" and "--max-payload-bytes" in (
        err.value.diag.message_hint or ""
    )
    with pytest.raises(psycopg.Error, match="over the limit of 1000 bytes"):
        t.conn.execute("SELECT hewer.push_event('e', %s)", (Jsonb({"x": "y" * 2000}),))
    assert engine.snapshot(conn) == before
    # The default tenant keeps the server-wide limit.
    engine.register(conn, "wf", {"steps": [{"name": "s"}]})
    engine.trigger(conn, "wf", [{"x": "y" * 2000}])
    t.conn.close()
