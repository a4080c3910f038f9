"""The tenant wall: what a hostile tenant role may not do to the engine or to other tenants.

Each test stands for one way a tenant's role (logged in with its own database role)
got past the wall before: choosing the time, changing server-wide settings, using a
limit's side door. See docs/tenants.md#threat-model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests import engine
from tests.test_partitions import insert
from tests.test_tenants import Tenant, _tenant

Conn = psycopg.Connection[Any]

UTC = dt.UTC


@pytest.fixture
def acme(dsn: str, conn: Conn, roles: Callable[[], str]) -> Tenant:
    tenant = _tenant(dsn, conn, roles, "acme")
    engine.register(tenant.conn, "wf", {"steps": [{"name": "a"}]})
    return tenant


def _sqlstate(c: Conn, statement: str, params: Any = None) -> str | None:
    try:
        c.execute(statement, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


# --- item 4: a tenant runs on the server's clock -------------------------------------------


def test_a_tenant_role_cannot_choose_the_time(acme: Tenant, conn: Conn) -> None:
    a = acme.conn
    before = engine.snapshot(conn)
    backdated = dt.datetime(2020, 1, 1, tzinfo=UTC)
    future = dt.datetime.now(UTC) + dt.timedelta(days=400)
    calls = [
        ("SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb], p_now => %s)", (backdated,)),
        ("SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb], p_now => %s)", (future,)),
        ("SELECT hewer.push_event('k', '{}', p_now => %s)", (backdated,)),
        ("SELECT hewer.worker_register('w', ARRAY['wf:a'], 1, p_now => %s)", (backdated,)),
        ("SELECT * FROM hewer.rate_limit_list(%s)", (backdated,)),
        ("SELECT hewer.cron_create('wf', 'c', '0 * * * *', '{}', p_now => %s)", (backdated,)),
    ]
    for statement, params in calls:
        assert _sqlstate(a, statement, params) == "HW120", statement
    assert engine.snapshot(conn) == before
    # The server's clock, passed or not, is accepted.
    a.execute("SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb], p_now => now())")
    a.execute("SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb])")
    # A trusted role keeps injectable time (tests, tools, the dispatcher).
    conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(acme.id),))
    rows = conn.execute(
        "SELECT * FROM hewer.run_trigger('wf', ARRAY['{}'::jsonb], p_now => %s)", (backdated,)
    ).fetchall()
    made = conn.execute("SELECT created_at FROM hewer.runs WHERE id = %s", (rows[0]["run_id"],))
    assert made.fetchone() == {"created_at": backdated}


def test_old_rows_never_make_partition_upkeep_create_unbounded_partitions(conn: Conn) -> None:
    conn.execute(
        "UPDATE hewer.partition_config SET period = '1 day', premake = 2, retention = '3 days'"
    )
    now = dt.datetime(2026, 6, 10, 12, tzinfo=UTC)
    # Rows from yesterday back to 999 days ago land in the default partition.
    for days in (1, 2, 500, 999):
        insert(conn, "runs", now - dt.timedelta(days=days))
    made = conn.execute("SELECT * FROM hewer.partition_create(%s)", (now,)).fetchall()
    runs = sorted(r["partition"] for r in made if r["table_name"] == "runs")
    # Today and 2 ahead, plus the strays within the 3 days of retention: no more.
    assert runs == ["runs_p20260608", "runs_p20260609", "runs_p20260610", "runs_p20260611",
                    "runs_p20260612"]  # fmt: skip
    # Nothing lost: the older rows wait in the default partition.
    count = conn.execute("SELECT count(*) AS n FROM hewer.runs_default").fetchone()
    assert count == {"n": 2}
    assert conn.execute("SELECT count(*) AS n FROM hewer.runs").fetchone() == {"n": 4}
    # A second call makes nothing more.
    assert conn.execute("SELECT * FROM hewer.partition_create(%s)", (now,)).fetchall() == []
