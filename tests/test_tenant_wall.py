"""The tenant wall: what a hostile tenant role may not do to the engine or to other tenants.

Each test stands for one way a tenant's role (logged in with its own database role)
got past the wall before: choosing the time, changing server-wide settings, using a
limit's side door. See docs/tenants.md#threat-model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from hewer_tools.processes import wait_until
from pydispatch.celeval import OVER_BUDGET, Evaluator
from pydispatch.events import Router, RouteStats
from pydispatch.server import Dispatcher
from pydispatch.settings import DispatcherSettings
from pyworker import Client, RpcError, SyncClient, Worker, Workflow
from pyworker.logs import setup_logging
from tests import engine
from tests import test_cli as tc
from tests import test_dispatcher as td
from tests import test_tenants_grpc as tg
from tests.test_partitions import insert
from tests.test_tenants import Tenant, _tenant

Conn = psycopg.Connection[Any]

UTC = dt.UTC


@pytest.fixture
def acme(dsn: str, conn: Conn, roles: Callable[[], str]) -> Tenant:
    tenant = _tenant(dsn, conn, roles, "acme")
    engine.register(tenant.conn, "wf", {"steps": [{"name": "a"}]})
    return tenant


def _statuses(conn: Conn, run_id: Any) -> list[str]:
    """The statuses of a run's tasks, read as the trusted role (any tenant)."""
    rows = conn.execute(
        "SELECT status::text AS s FROM hewer.tasks WHERE run_id = %s ORDER BY id", (run_id,)
    ).fetchall()
    return [r["s"] for r in rows]


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


# --- item 2: no tenant stops the leader for everyone ----------------------------------------

KEYED = {"concurrency": {"key": "input.k", "max": 5}, "steps": [{"name": "a", "retries": 2}]}


@pytest.fixture
def two_tenants(dsn: str, conn: Conn, roles: Callable[[], str]) -> Iterator[tuple[Tenant, Tenant]]:
    attacker = _tenant(dsn, conn, roles, "mallory")
    victim = _tenant(dsn, conn, roles, "victim")
    for t in (attacker, victim):
        engine.register(t.conn, "wf", KEYED)
    yield attacker, victim
    attacker.conn.close()
    victim.conn.close()


@pytest.fixture
def dispatcher(dsn: str) -> Iterator[Callable[..., td.ServerThread]]:
    started: list[td.ServerThread] = []

    def make(**overrides: Any) -> td.ServerThread:
        settings = DispatcherSettings(
            listen="127.0.0.1:0", database_url=dsn, **{**td.FAST, **overrides}
        )
        server = td.ServerThread(settings).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def test_a_poison_schedule_fails_alone_then_is_quarantined_and_released(
    two_tenants: tuple[Tenant, Tenant], conn: Conn
) -> None:
    attacker, victim = two_tenants
    now = dt.datetime.now(UTC) + dt.timedelta(seconds=5)
    # The attacker's input lacks the concurrency key (HW021 at every try); the victim's is fine.
    bad = attacker.conn.execute("SELECT hewer.run_schedule('wf', '{}', now()) AS id").fetchone()[
        "id"
    ]  # type: ignore[index]
    good = victim.conn.execute(
        "SELECT hewer.run_schedule('wf', '{\"k\": 1}', now()) AS id"
    ).fetchone()["id"]  # type: ignore[index]

    fired = conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (now,)).fetchall()
    assert [r["schedule_id"] for r in fired] == [good]
    # Backing off: the next passes leave it alone until its retry time, then try again.
    assert conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (now,)).fetchall() == []
    at = now
    for failures in range(2, 6):
        at += dt.timedelta(minutes=11)
        assert conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (at,)).fetchall() == []
        row = conn.execute(
            "SELECT failures, quarantined_at FROM hewer.quarantine WHERE item_id = %s", (str(bad),)
        ).fetchone()
        assert row is not None and row["failures"] == failures
    assert row is not None and row["quarantined_at"] == at
    # The attacker sees its own quarantined schedule and why; the victim sees nothing.
    [listed] = attacker.conn.execute("SELECT * FROM hewer.quarantine_list()").fetchall()
    assert listed["kind"] == "schedule" and listed["item_id"] == str(bad)
    assert "HW021" in listed["error"]
    assert victim.conn.execute("SELECT * FROM hewer.quarantine_list()").fetchall() == []
    with pytest.raises(psycopg.Error) as refused:
        victim.conn.execute("SELECT hewer.quarantine_release('schedule', %s)", (str(bad),))
    assert refused.value.sqlstate == "HW100"
    # Quarantined: not tried again, however late.
    at += dt.timedelta(days=1)
    assert conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (at,)).fetchall() == []
    # Released (after a fix the schedule would start; this one still fails): tried at once.
    attacker.conn.execute("SELECT hewer.quarantine_release('schedule', %s)", (str(bad),))
    assert conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (at,)).fetchall() == []
    row = conn.execute(
        "SELECT failures, quarantined_at FROM hewer.quarantine WHERE item_id = %s", (str(bad),)
    ).fetchone()
    assert row == {"failures": 1, "quarantined_at": None}


def test_poison_events_crons_and_schedules_never_stop_the_leader(
    two_tenants: tuple[Tenant, Tenant],
    conn: Conn,
    dispatcher: Callable[..., td.ServerThread],
) -> None:
    attacker, victim = two_tenants
    spec = {**KEYED, "on_events": ["order.*"]}
    for t in (attacker, victim):
        engine.register(t.conn, "wf", spec)
    # Poison: an event nested 3,000 deep; a per-minute cron and a schedule whose input lacks
    # the concurrency key.
    deep = "[" * 3000 + "]" * 3000
    attacker.conn.execute(
        "SELECT hewer.push_event('order.deep', %s::jsonb)", ('{"x": ' + deep + "}",)
    )
    attacker.conn.execute("SELECT hewer.cron_create('wf', 'poison', '* * * * *', '{}')")
    attacker.conn.execute("SELECT hewer.run_schedule('wf', '{}', now())")
    # The victim: a dead worker holding a task, an event, a schedule.
    [run] = engine.trigger(victim.conn, "wf", [{"k": 1}])
    worker = engine.worker(victim.conn, ["wf:a"], slots=1)
    assert len(engine.claim(victim.conn, worker, 1)) == 1
    victim.conn.execute("SELECT hewer.push_event('order.fine', '{\"k\": 2}')")
    victim.conn.execute("SELECT hewer.run_schedule('wf', '{\"k\": 3}', now())")

    server = dispatcher(
        worker_timeout=1.0,
        item_backoff=0.05,
        quarantine_after=2,
        event_visibility_timeout=1,
        event_interval=0.2,
    )
    leader = server.dispatcher.leader
    assert leader is not None

    def victim_served() -> bool:
        states = conn.execute(
            "SELECT count(*) FILTER (WHERE r.workflow_id IS NOT NULL) AS runs FROM hewer.runs r"
            " WHERE r.tenant_id = %s",
            (victim.id,),
        ).fetchone()
        reaped = _statuses(conn, run["run_id"]) == ["queued"]
        return bool(states and states["runs"] >= 3 and reaped)

    wait_until(victim_served, 30, "the victim's event, schedule and reap")
    # The poison cron is quarantined too once a minute boundary passes (its first tick):
    # whether one does during the test depends on the clock, so it may or may not be there.
    wait_until(
        lambda: {"event", "schedule"} <= {r["kind"] for r in conn.execute(
            "SELECT kind FROM hewer.quarantine WHERE quarantined_at IS NOT NULL").fetchall()}
        <= {"event", "schedule", "cron"},
        30, "the attacker's event and schedule to be quarantined",
    )  # fmt: skip
    assert leader.is_leader
    passes = leader.reap_passes
    wait_until(lambda: leader.reap_passes > passes + 3, 10, "the leader to go on reaping")
    # The poison event's message is gone from the queue; the rest was acked too.
    left = conn.execute("SELECT count(*) AS n FROM pgmq.q_hewer_events").fetchone()
    assert left == {"n": 0}


def test_locks_a_tenant_holds_never_block_leadership_partitions_or_the_reap(
    two_tenants: tuple[Tenant, Tenant],
    conn: Conn,
    dispatcher: Callable[..., td.ServerThread],
) -> None:
    attacker, victim = two_tenants
    a = attacker.conn
    # The advisory keys leadership and partition upkeep used to take.
    for key in (b"hewer-ld", b"hewer-pt"):
        a.execute("SELECT pg_advisory_lock(%s)", (int.from_bytes(key, "big", signed=True),))
    # Its own worker row, held in a transaction left open after a heartbeat.
    own = engine.worker(a, ["wf:a"], slots=1)
    a.execute("BEGIN")
    a.execute("SELECT * FROM hewer.worker_heartbeat(ARRAY[%s::uuid])", (own,))
    # The victim's worker dies holding a task.
    [run] = engine.trigger(victim.conn, "wf", [{"k": 1}])
    dead = engine.worker(victim.conn, ["wf:a"], slots=1)
    assert len(engine.claim(victim.conn, dead, 1)) == 1
    conn.execute("UPDATE hewer.partition_config SET premake = premake + 3")

    server = dispatcher(worker_timeout=1.0, leader_lock_timeout=0.5)
    leader = server.dispatcher.leader
    assert leader is not None
    wait_until(lambda: leader.is_leader, 10, "leadership")
    wait_until(
        lambda: _statuses(conn, run["run_id"]) == ["queued"], 30,
        "the victim's task to be reaped",
    )  # fmt: skip
    # Partition upkeep went on: the three extra premade periods exist.
    made = conn.execute(
        "SELECT count(*) AS n FROM hewer.partition_status() WHERE table_name = 'runs'"
        " AND range_from > now() + interval '2 days'"
    ).fetchone()
    assert made is not None and made["n"] >= 2
    a.execute("ROLLBACK")


def test_hewer_quarantine_lists_and_releases(
    two_tenants: tuple[Tenant, Tenant], conn: Conn, dsn: str
) -> None:
    attacker, _ = two_tenants
    bad = attacker.conn.execute("SELECT hewer.run_schedule('wf', '{}', now()) AS id").fetchone()
    assert bad is not None
    at = dt.datetime.now(UTC) + dt.timedelta(seconds=5)
    for _ in range(5):
        conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (at,))
        at += dt.timedelta(minutes=11)
    env = {**tc._env(HEWER_DATABASE_URL=dsn)}
    listed = tc._run(("quarantine", "list"), env, None)
    assert listed.returncode == 0, listed.stderr
    assert (
        "mallory" in listed.stdout and str(bad["id"]) in listed.stdout and "HW021" in listed.stdout
    )
    released = tc._run(("quarantine", "release", "schedule", str(bad["id"])), env, None)
    assert released.returncode == 0, released.stderr
    assert tc._run(("quarantine", "list"), env, None).stdout.strip() == "nothing is failing"
    again = tc._run(("quarantine", "release", "schedule", str(bad["id"])), env, None)
    assert again.returncode == 1 and "is failing or quarantined" in again.stderr, again.stderr


# --- item 8: server guards on tenant roles ---------------------------------------------------


def test_tenant_roles_get_server_guards_settable_per_tenant(
    dsn: str, conn: Conn, acme: Tenant
) -> None:
    guards = conn.execute("SELECT * FROM hewer.tenant_guard('acme')").fetchone()
    assert guards == {
        "role": acme.role,
        "max_connections": 20,
        "statement_timeout": "30000ms",
        "idle_in_transaction_timeout": "60000ms",
    }
    fresh = psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=acme.role), autocommit=True)
    with fresh:
        shown = fresh.execute("SHOW statement_timeout").fetchone()
        assert shown is not None and shown[0] == "30s"
    # Tighter for this tenant: an idle transaction is ended by the server, its locks freed.
    conn.execute(
        "SELECT * FROM hewer.tenant_guard('acme', p_max_connections => 3,"
        " p_idle_in_transaction_timeout => interval '300 milliseconds')"
    )
    idle = psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=acme.role))
    idle.execute("SELECT * FROM hewer.worker_register('w', ARRAY['wf:a'], 1)")
    time.sleep(1.0)  # idle in its transaction, three times the timeout
    assert _ended(idle)
    # Over the connection limit (acme.conn is one of the 3): refused by the server.
    idle.close()
    wait_until(
        lambda: conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = %s", (acme.role,)
        ).fetchone() == {"n": 1},
        10, "the ended sessions to go",
    )  # fmt: skip
    held = [psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=acme.role)) for _ in range(2)]
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=acme.role))
    finally:
        for c in held:
            c.close()
    # 0 removes a guard; a tenant role cannot change any.
    row = conn.execute(
        "SELECT * FROM hewer.tenant_guard('acme', p_max_connections => 0)"
    ).fetchone()
    assert row is not None and row["max_connections"] is None
    assert _sqlstate(acme.conn, "SELECT * FROM hewer.tenant_guard('acme', 100)") == "42501"


def _ended(c: psycopg.Connection[Any]) -> bool:
    """Whether the server ended this session for idling in its transaction."""
    try:
        c.execute("SELECT 1")
    except psycopg.Error as exc:
        return exc.sqlstate == "25P03" or c.broken
    return False


# --- item 7: shared work is fair across tenants ----------------------------------------------


def test_one_tenants_event_backlog_does_not_delay_anothers_events(
    two_tenants: tuple[Tenant, Tenant], conn: Conn, dsn: str
) -> None:
    noisy, quiet = two_tenants
    for t in (noisy, quiet):
        engine.register(t.conn, "wf", {**KEYED, "on_events": ["order.*"]})
    noisy.conn.execute(
        "SELECT count(*) FROM hewer.push_events(array_fill('order.bulk'::text, ARRAY[2000]),"
        " array_fill('{\"k\": 1}'::jsonb, ARRAY[2000]))"
    )
    quiet.conn.execute("SELECT hewer.push_event('order.one', '{\"k\": 2}')")

    async def one_batch() -> RouteStats:
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as aconn:
            return await Router(batch_size=100).route_batch(aconn)

    stats = asyncio.run(one_batch())
    # First-in-first-out, the quiet tenant's event would wait for 20 batches of the other's.
    assert stats.messages == 100
    runs = conn.execute("SELECT tenant_id, count(*) AS n FROM hewer.runs GROUP BY 1").fetchall()
    assert {r["tenant_id"]: r["n"] for r in runs} == {noisy.id: 99, quiet.id: 1}


def test_one_tenants_due_crons_do_not_delay_anothers(
    two_tenants: tuple[Tenant, Tenant], conn: Conn
) -> None:
    noisy, quiet = two_tenants
    for i in range(50):
        noisy.conn.execute(
            "SELECT hewer.cron_create('wf', %s, '* * * * *', '{\"k\": 1}')", (f"c{i}",)
        )
    quiet.conn.execute("SELECT hewer.cron_create('wf', 'mine', '* * * * *', '{\"k\": 1}')")
    due = conn.execute(
        "SELECT tenant_id FROM hewer.cron_due(now() + interval '1 minute', 10)"
    ).fetchall()
    tenants = [r["tenant_id"] for r in due]
    assert len(tenants) == 10 and quiet.id in tenants[:2]


# --- item 3: CEL filters cannot freeze the dispatcher ----------------------------------------


def test_a_filter_whose_cost_cannot_be_bounded_is_refused_at_creation(acme: Tenant) -> None:
    before = acme.conn.execute("SELECT count(*) AS n FROM hewer.filters").fetchone()
    nested = "payload.a.all(x, payload.a.all(y, payload.a.all(z, x + y + z > 0)))"
    with pytest.raises(psycopg.Error) as refused:
        acme.conn.execute("SELECT hewer.filter_create('wf', %s)", (nested,))
    assert refused.value.sqlstate == "HW042"
    assert "comprehension" in str(refused.value) and "cannot be bounded" in str(refused.value)
    assert acme.conn.execute("SELECT count(*) AS n FROM hewer.filters").fetchone() == before
    # One comprehension is bounded by the payload: accepted.
    acme.conn.execute("SELECT hewer.filter_create('wf', 'payload.a.all(x, x > 0)')")


def test_a_filter_over_its_time_budget_does_not_match_and_never_blocks_the_loop(
    acme: Tenant, conn: Conn, dsn: str
) -> None:
    engine.register(acme.conn, "wf", {"on_events": ["big.*"], "steps": [{"name": "a"}]})
    filter_id = acme.conn.execute(
        "SELECT hewer.filter_create('wf',"
        " 'payload.xs.all(x, string(x).size() < 20 && x >= 0 && x < 10000000)') AS id"
    ).fetchone()["id"]  # type: ignore[index]
    acme.conn.execute(
        "SELECT hewer.push_event('big.one', jsonb_build_object('xs',"
        " (SELECT jsonb_agg(g) FROM generate_series(1, 120000) g)))"
    )
    evaluator = Evaluator(budget=3.0)
    gaps: list[float] = []

    async def scenario() -> RouteStats:
        stop = asyncio.Event()

        async def heartbeat() -> None:
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        try:
            async with await AsyncConnection.connect(
                dsn, autocommit=True, row_factory=dict_row
            ) as aconn:
                return await Router(evaluator=evaluator).route_batch(aconn)
        finally:
            stop.set()
            await beat
            evaluator.close()

    stats = asyncio.run(scenario())
    assert stats.messages == 1 and stats.runs == 0 and stats.errors == 1
    match = conn.execute("SELECT error FROM hewer.event_matches").fetchone()
    assert match is not None and OVER_BUDGET in match["error"]
    # The tenant sees it on its filter.
    [listed] = acme.conn.execute("SELECT * FROM hewer.filter_list('wf')").fetchall()
    assert listed["filter_id"] == filter_id and OVER_BUDGET in listed["error"]
    # The evaluation ran its whole 3 s budget in the child; the event loop never stalled for it.
    assert sum(gaps) >= 3.0
    assert max(gaps) < 1.5, max(gaps)


# --- item 5: notifications are hints ---------------------------------------------------------


def test_forged_notifications_end_nothing_leak_nothing_and_cost_little(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    asyncio.run(_forged_notifications(dsn, conn, roles))


async def _forged_notifications(dsn: str, conn: Conn, roles: Callable[[], str]) -> None:
    attacker = _tenant(dsn, conn, roles, "mallory")
    victim_id, token, token_id = tg.new_tenant(conn, "victim")
    tg.act_for(conn, victim_id)
    settings = DispatcherSettings(
        listen="127.0.0.1:0", database_url=dsn, **(td.FAST | {"worker_timeout": 600.0})
    )
    d = Dispatcher(settings)
    address = f"127.0.0.1:{await d.start()}"
    spy = psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=attacker.role), autocommit=True)
    try:
        spy.execute("LISTEN hewer_ready; LISTEN hewer_run_done; LISTEN hewer_cancel")
        w = Worker("victim-w", [tg._workflow("victim")], dispatchers=[address], token=token)
        await asyncio.wait_for(w.start(), 15)
        claims_before = d.claims
        # Forged: the victim's token "revoked", and floods of fake ids and wake-ups.
        a = attacker.conn
        a.execute("SELECT pg_notify('hewer_tokens', %s)", (str(token_id),))
        a.execute(
            "SELECT pg_notify('hewer_tokens', gen_random_uuid()::text)"
            " FROM generate_series(1, 5000)"
        )
        for channel in ("hewer_ready", "hewer_cancel", "hewer_run_done"):
            a.execute(
                "SELECT pg_notify(%s, json_build_object('tags', NULL, 'workers', NULL,"
                " 'runs', NULL, 'n', g)::text) FROM generate_series(1, 3000) g",
                (channel,),
            )
        await asyncio.sleep(2.5)
        # Nothing was ended or refused: the victim's stream is up and its token works.
        assert len(d.connected_workers()) == 1
        assert d.revoked_tokens == set()
        async with Client([address], token=token) as client:
            run_id = await client.trigger("job", {})
            assert (await client.result(run_id, timeout=30))["step"]["ran_for"] == "victim"
        # 9,000 forged wake-ups cost the worker's claim loop a bounded number of claims
        # (at most one per 10 ms while they lasted), not one each.
        assert d.claims - claims_before < 1000, d.claims - claims_before
        # What the attacker heard of the victim's work names nothing of it.
        heard = [n.payload for n in spy.notifies(timeout=0.5, stop_after=100000)]
        assert heard and not any(
            s in p for p in heard for s in (str(run_id), "job", str(victim_id))
        )
        w.stop()
        await asyncio.wait_for(w.wait_closed(), 15)
    finally:
        spy.close()
        await d.stop(grace=0.5)


# --- item 6: limits without side doors -------------------------------------------------------


def test_every_way_a_run_starts_counts_against_the_trigger_rate(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    t = _tenant(dsn, conn, roles, "slow", max_trigger_rate=0.001, trigger_burst=3)
    engine.register(t.conn, "wf", KEYED)
    runs = engine.trigger(t.conn, "wf", [{"k": i} for i in range(3)])  # the whole burst
    # Replays start runs: refused over the rate, and nothing is stored.
    engine.register(t.conn, "wf", {**KEYED, "steps": [{"name": "a", "timeout": "1s"}]})
    conn.execute("SELECT set_config('hewer.tenant', %s, false)", (str(t.id),))
    conn.execute("SELECT * FROM hewer.run_cancel(%s::uuid[])", ([r["run_id"] for r in runs],))
    assert (
        _sqlstate(t.conn, "SELECT * FROM hewer.run_replay(%s::uuid[])", ([runs[0]["run_id"]],))
        == "HW094"
    )
    # Scheduled runs the leader starts: over the rate they wait (never fail, never vanish).
    conn.execute("SELECT * FROM hewer.tenant_update('slow', p_trigger_burst => 4)")  # refilled
    engine.trigger(t.conn, "wf", [{"k": i} for i in range(3)])  # one token left
    for i in range(3):
        t.conn.execute("SELECT hewer.run_schedule('wf', %s, now())", (Jsonb({"k": i}),))
    at = dt.datetime.now(UTC) + dt.timedelta(seconds=5)
    fired = conn.execute("SELECT * FROM hewer.schedule_fire(%s)", (at,)).fetchall()
    assert len(fired) == 1  # the one token left
    waiting = conn.execute(
        "SELECT failures, quarantined_at, error FROM hewer.quarantine WHERE kind = 'schedule'"
    ).fetchall()
    assert len(waiting) == 2
    assert all(w["failures"] == 0 and w["quarantined_at"] is None for w in waiting)
    assert all("HW094" in w["error"] for w in waiting)
    pending = conn.execute(
        "SELECT count(*) AS n FROM hewer.scheduled_runs WHERE run_id IS NULL"
    ).fetchone()
    assert pending == {"n": 2}
    # Cron ticks: the same admission (the cron's run is not started, its tick not spent).
    t.conn.execute("SELECT hewer.cron_create('wf', 'c', '* * * * *', '{\"k\": 1}')")
    cron = conn.execute("SELECT id FROM hewer.crons").fetchone()
    assert cron is not None
    tick = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    assert (
        _sqlstate(
            conn,
            "SELECT * FROM hewer.cron_fire(%s, %s, true, 0, %s, NULL, now())",
            (cron["id"], tick, tick + dt.timedelta(minutes=1)),
        )
        == "HW094"
    )
    assert conn.execute("SELECT count(*) AS n FROM hewer.cron_ticks").fetchone() == {"n": 0}


def test_every_stored_payload_counts_and_a_session_cannot_raise_the_limit(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    t = _tenant(dsn, conn, roles, "small", max_payload_bytes=1024)
    engine.register(t.conn, "wf", {"steps": [{"name": "a"}]})
    big = Jsonb({"x": "y" * 5000})
    before = engine.snapshot(conn)
    for statement in (
        "SELECT hewer.run_schedule('wf', %s, now() + interval '1 hour')",
        "SELECT hewer.cron_create('wf', 'c', '0 * * * *', %s)",
        "SELECT hewer.worker_register('w', ARRAY['wf:a'], 1, %s)",
    ):
        assert _sqlstate(t.conn, statement, (big,)) == "HW010", statement
    assert engine.snapshot(conn) == before
    # The server-wide limit cannot be raised from a tenant's own session.
    other = _tenant(dsn, conn, roles, "other")
    engine.register(other.conn, "wf", {"steps": [{"name": "a"}]})
    conn.execute("ALTER DATABASE " + psycopg.sql.Identifier(conn.info.dbname).as_string(conn)
                 + " SET hewer.max_payload_bytes = '2kB'")  # fmt: skip
    fresh = psycopg.connect(psycopg.conninfo.make_conninfo(dsn, user=other.role), autocommit=True)
    with fresh:
        fresh.execute("SET hewer.max_payload_bytes = '1GB'")
        with pytest.raises(psycopg.Error) as refused:
            fresh.execute("SELECT * FROM hewer.run_trigger('wf', ARRAY[%s::jsonb])", (big,))
        assert refused.value.sqlstate == "HW010" and "2048" in str(refused.value)


def test_tenants_have_caps_and_a_minimum_cron_interval(acme: Tenant, conn: Conn) -> None:
    a = acme.conn
    # Per-second crons: refused for a tenant by default (once a minute at most)...
    assert _sqlstate(a, "SELECT hewer.cron_create('wf', 'fast', '* * * * * *', '{}')") == "HW122"
    assert (
        _sqlstate(
            a,
            "SELECT * FROM hewer.workflow_register('fast', %s)",
            (Jsonb({"cron": ["*/5 * * * * *"], "steps": [{"name": "a"}]}),),
        )
        == "HW122"
    )
    a.execute("SELECT hewer.cron_create('wf', 'ok', '30 * * * * *', '{}')")  # once a minute
    # ...and the default tenant keeps them.
    engine.register(conn, "wf", {"steps": [{"name": "a"}]})
    conn.execute("SELECT hewer.cron_create('wf', 'fast', '* * * * * *', '{}')")
    # Caps, set per tenant.
    caps = conn.execute(
        "SELECT * FROM hewer.tenant_caps('acme', p_max_filters => 1, p_max_workflows => 1,"
        " p_max_pending_schedules => 1, p_max_crons => 1)"
    ).fetchone()
    assert caps is not None and caps["max_filters"] == 1
    a.execute("SELECT hewer.filter_create('wf', 'true')")
    for statement in (
        "SELECT hewer.filter_create('wf', 'false')",
        'SELECT * FROM hewer.workflow_register(\'second\', \'{"steps": [{"name": "a"}]}\')',
        "SELECT hewer.cron_create('wf', 'another', '0 * * * *', '{}')",
    ):
        assert _sqlstate(a, statement) == "HW121", statement
    a.execute("SELECT hewer.run_schedule('wf', '{}', now() + interval '1 hour')")
    with pytest.raises(psycopg.Error) as refused:
        a.execute("SELECT hewer.run_schedule('wf', '{}', now() + interval '1 hour')")
    assert refused.value.sqlstate == "HW121"
    assert "hewer tenants caps acme --max-pending-schedules" in str(refused.value.diag.message_hint)
    # A tenant role cannot raise its own caps.
    assert _sqlstate(a, "SELECT * FROM hewer.tenant_caps('acme', 100)") in {"HW095", "42501"}


def test_hewer_tenants_caps_and_guard_from_the_cli(acme: Tenant, dsn: str) -> None:
    env = tc._env(HEWER_DATABASE_URL=dsn)
    caps = tc._run(
        ("tenants", "caps", "acme", "--max-crons", "7", "--min-cron-interval", "5m"), env, None
    )
    assert caps.returncode == 0, caps.stderr
    assert "7" in caps.stdout and "0:05:00" in caps.stdout
    guard = tc._run(("tenants", "guard", "acme", "--statement-timeout", "10s"), env, None)
    assert guard.returncode == 0, guard.stderr
    assert acme.role in guard.stdout and "10000ms" in guard.stdout
    bad = tc._run(("tenants", "caps", "nobody", "--max-crons", "7"), env, None)
    assert bad.returncode == 1 and "does not exist" in bad.stderr


# --- item 9: transport and CLI ---------------------------------------------------------------


def test_debug_logs_carry_no_payloads(dsn: str, conn: Conn) -> None:
    asyncio.run(_debug_logs(dsn, conn))


async def _debug_logs(dsn: str, conn: Conn) -> None:
    marker = "SECRET-7f3a9c"
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("hewer").level)
    setup_logging("DEBUG", stream)
    engine.register(conn, "wf", {"on_events": ["order.*"], "steps": [{"name": "a"}]})
    d = Dispatcher(
        DispatcherSettings(listen="127.0.0.1:0", database_url=dsn, log_level="DEBUG", **td.FAST)
    )
    address = f"127.0.0.1:{await d.start()}"
    try:
        flow = Workflow("echo")

        @flow.task()
        async def step(data: dict[str, Any], ctx: Any) -> dict[str, Any]:
            return {"echo": data["secret"], "again": marker}

        w = Worker("w", [flow], dispatchers=[address])
        await asyncio.wait_for(w.start(), 15)
        async with Client([address]) as client:
            run_id = await client.trigger("echo", {"secret": marker})
            assert (await client.result(run_id, timeout=30))["step"]["echo"] == marker
        conn.execute("SELECT hewer.push_event('order.x', %s)", (Jsonb({"secret": marker}),))
        await asyncio.sleep(1.0)
        w.stop()
        await asyncio.wait_for(w.wait_closed(), 15)
    finally:
        await d.stop(grace=0.5)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("hewer").setLevel(saved[2])
    logged = stream.getvalue()
    assert '"level": "DEBUG"' in logged  # DEBUG was on
    assert marker not in logged


def _self_signed(tmp: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by itself (so it is its own CA), and its key."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    argv = [shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048"]
    argv += ["-nodes", "-days", "1", "-subj", "/CN=localhost"]
    argv += ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
    argv += ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_grpc_over_tls(dsn: str, conn: Conn, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    engine.register(conn, "wf", {"steps": [{"name": "a"}]})
    server = td.ServerThread(
        DispatcherSettings(
            listen="127.0.0.1:0", database_url=dsn, tls_cert=cert, tls_key=key, **td.FAST
        )
    ).start()
    address = f"127.0.0.1:{server.port}"
    try:
        with SyncClient([address], tls_ca=cert, timeout=10) as client:
            run_id = client.trigger("wf", {})
            assert client.get(run_id).status == "queued"
        # A plaintext client cannot talk to a TLS dispatcher.
        with SyncClient([address], timeout=3) as plain, pytest.raises(RpcError) as refused:
            plain.trigger("wf", {})
        assert refused.value.code == "UNAVAILABLE"
    finally:
        server.stop()
    with pytest.raises(ValueError, match="HEWER_TLS_CA"):
        SyncClient([address], tls_ca=str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="tls_cert and tls_key"):
        DispatcherSettings(tls_cert=cert)


def test_a_tenant_role_running_a_trusted_command_is_told_who_may(acme: Tenant, dsn: str) -> None:
    url = psycopg.conninfo.make_conninfo(dsn, user=acme.role)
    result = tc._run(("runs", "list"), tc._env(HEWER_DATABASE_URL=url), None)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("hewer: ") and "42501" in line
    assert "trusted with every tenant" in line and "API token" in line
