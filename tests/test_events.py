"""Events, filters and the event router (pydispatch/events.py), against real PostgreSQL.

The router runs in-process here (one pass at a time); the exactly-once test kills a real
dispatcher process between trigger and ack.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from hewer_tools.processes import FAST, Processes, wait_until
from pydispatch.events import CRASH_ENV, CRASH_EXIT_CODE, Router, RouteStats
from pyworker import CelError, Events
from tests import engine
from tests.test_cli import Hewer, _env, _run

Conn = psycopg.Connection[Any]

STEPS = [{"name": "go"}]


def route(dsn: str, router: Router | None = None) -> RouteStats:
    """One router drain, as the leader would run it."""

    async def go() -> RouteStats:
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as aconn:
            return await (router or Router()).drain(aconn)

    return asyncio.run(go())


def push(conn: Conn, key: str, payload: Any = None, scope: str | None = None) -> str:
    row = conn.execute(
        "SELECT hewer.push_event(%s, %s, p_scope => %s) AS id",
        (key, Jsonb(payload if payload is not None else {}), scope),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def runs_of(conn: Conn, workflow: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT r.input, r.idempotency_key FROM hewer.runs r "
        "JOIN hewer.workflows w ON w.id = r.workflow_id WHERE w.name = %s ORDER BY r.id",
        (workflow,),
    ).fetchall()


def queued(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) AS n FROM pgmq.q_hewer_events").fetchone()
    assert row is not None
    return int(row["n"])


def register(conn: Conn, name: str, on_events: list[str]) -> None:
    engine.register(conn, name, {"steps": STEPS, "on_events": on_events})


def test_push_event_stores_an_immutable_event_and_queues_it(conn: Conn) -> None:
    event_id = push(conn, "order.created", {"order_id": 7})
    row = conn.execute(
        "SELECT key, payload, metadata, scope FROM hewer.events WHERE id = %s", (event_id,)
    ).fetchone()
    assert row == {
        "key": "order.created",
        "payload": {"order_id": 7},
        "metadata": {},
        "scope": None,
    }
    msg = conn.execute("SELECT message FROM pgmq.q_hewer_events").fetchone()
    # The message names the event and its tenant (the router reads the queue tenant by tenant).
    assert msg == {
        "message": {"event_id": event_id, "tenant_id": "00000000-0000-0000-0000-000000000000"}
    }
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("UPDATE hewer.events SET payload = '{}' WHERE id = %s", (event_id,))
    assert exc.value.sqlstate == "HW046"
    assert "immutable" in str(exc.value)


def test_push_events_in_a_batch_and_rolled_back_with_the_callers_transaction(
    conn: Conn, connect: Any
) -> None:
    rows = conn.execute(
        "SELECT * FROM hewer.push_events(ARRAY['a.1', 'a.2'], NULL, NULL, ARRAY[NULL, 'eu'])"
    ).fetchall()
    assert [r["ord"] for r in rows] == [1, 2]
    assert queued(conn) == 2
    with connect(autocommit=False) as tx:
        tx.execute("SELECT hewer.push_event('a.3')")
        tx.rollback()
    assert queued(conn) == 2
    scopes = conn.execute("SELECT scope FROM hewer.events ORDER BY id").fetchall()
    assert [r["scope"] for r in scopes] == [None, "eu"]


@pytest.mark.parametrize(
    ("call", "code", "words"),
    [
        ("SELECT hewer.push_event('bad key!')", "HW040", "not a valid key"),
        ("SELECT hewer.push_event(NULL)", "HW040", "NULL"),
        ("SELECT hewer.push_event('.starts.with.dot')", "HW040", "not a valid key"),
        ("SELECT hewer.push_event('k', '[1, 2]')", "HW041", "payload"),
        ("SELECT hewer.push_event('k', '{}', '\"x\"')", "HW041", "metadata"),
        (
            "SELECT hewer.push_event('k', jsonb_build_object('blob', repeat('x', 1100000)))",
            "HW041",
            "1 MiB",
        ),
        ("SELECT hewer.push_event('k', '{}', '{}', '')", "HW007", "scope"),
        ("SELECT hewer.push_events(ARRAY['a'], ARRAY['{}'::jsonb, '{}'])", "HW007", "length"),
    ],
)
def test_bad_events_are_rejected_and_nothing_is_stored(
    conn: Conn, call: str, code: str, words: str
) -> None:
    with pytest.raises(psycopg.Error) as exc:
        conn.execute(call)
    assert exc.value.sqlstate == code
    assert words in str(exc.value)
    row = conn.execute("SELECT count(*) AS n FROM hewer.events").fetchone()
    assert row == {"n": 0}
    assert queued(conn) == 0


def test_wildcard_keys_start_runs_and_unknown_keys_are_acked(dsn: str, conn: Conn) -> None:
    register(conn, "orders", ["order.*"])
    register(conn, "everything_created", ["*.created"])
    register(conn, "exact", ["payment.settled"])
    push(conn, "order.created", {"n": 1})
    push(conn, "order.item.added", {"n": 2})
    push(conn, "payment.settled", {"n": 3})
    push(conn, "user.created", {"n": 4})
    push(conn, "nobody.listens", {"n": 5})
    push(conn, "orderXcreated", {"n": 6})  # '.' is literal in a pattern
    stats = route(dsn)
    assert stats.messages == 6
    assert [r["input"] for r in runs_of(conn, "orders")] == [{"n": 1}, {"n": 2}]
    assert [r["input"] for r in runs_of(conn, "everything_created")] == [{"n": 1}, {"n": 4}]
    assert [r["input"] for r in runs_of(conn, "exact")] == [{"n": 3}]
    assert queued(conn) == 0
    # Runs are ordinary runs: their root task is on the ready queue.
    row = conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone()
    assert row == {"n": 5}
    assert route(dsn).messages == 0


def test_underscore_in_a_pattern_is_a_plain_character(dsn: str, conn: Conn) -> None:
    register(conn, "underscored", ["a_b.*"])
    push(conn, "a_b.x")
    push(conn, "aXb.x")
    route(dsn)
    assert len(runs_of(conn, "underscored")) == 1


def test_filters_change_at_runtime(dsn: str, conn: Conn) -> None:
    register(conn, "big_orders", ["order.created"])
    events = Events(conn)
    router = Router()
    filter_id = events.create_filter("big_orders", "payload.total > 100")
    push(conn, "order.created", {"total": 50})
    push(conn, "order.created", {"total": 150})
    route(dsn, router)
    assert [r["input"] for r in runs_of(conn, "big_orders")] == [{"total": 150}]

    assert events.update_filter(filter_id, "payload.total < 100") == 2
    push(conn, "order.created", {"total": 60})
    push(conn, "order.created", {"total": 160})
    route(dsn, router)
    assert [r["input"]["total"] for r in runs_of(conn, "big_orders")] == [150, 60]
    assert router.programs.compiled == 2  # one program per filter version

    # Two true filters: one run each.
    second = events.create_filter("big_orders", "key == 'order.created' && metadata.size() == 0")
    push(conn, "order.created", {"total": 70})
    route(dsn, router)
    assert [r["input"]["total"] for r in runs_of(conn, "big_orders")] == [150, 60, 70, 70]
    keys = {r["idempotency_key"] for r in runs_of(conn, "big_orders")[-2:]}
    assert {k.rsplit(":", 1)[1] for k in keys} == {filter_id, second}

    # Without filters, every event with the key starts a run again.
    assert events.delete_filter(filter_id) and events.delete_filter(second)
    push(conn, "order.created", {"total": 80})
    route(dsn, router)
    assert [r["input"]["total"] for r in runs_of(conn, "big_orders")][-1] == 80
    assert events.filters("big_orders") == []


def test_scoped_filters_see_only_their_scope(dsn: str, conn: Conn) -> None:
    register(conn, "tenant_flow", ["signup"])
    Events(conn).create_filter("tenant_flow", "true", scope="acme")
    push(conn, "signup", {"who": "a"}, scope="acme")
    push(conn, "signup", {"who": "b"}, scope="other")
    push(conn, "signup", {"who": "c"})
    route(dsn)
    assert [r["input"] for r in runs_of(conn, "tenant_flow")] == [{"who": "a"}]


def test_bad_cel_is_rejected_at_creation(conn: Conn) -> None:
    register(conn, "wf", ["k"])
    events = Events(conn)
    with pytest.raises(CelError, match=r"invalid CEL expression 'payload.total >'") as exc:
        events.create_filter("wf", "payload.total >")
    assert "^" in str(exc.value)  # the parser's caret under the problem
    for bad, words in [
        ("payload.total > (1", "( is never closed"),
        ("payload.name == 'x", "never closed"),
        ("payload]", "unexpected ]"),
        ("   ", "empty"),
    ]:
        with pytest.raises(psycopg.Error) as sql_exc:
            conn.execute("SELECT hewer.filter_create('wf', %s)", (bad,))
        assert sql_exc.value.sqlstate == "HW042"
        assert words in str(sql_exc.value)
    with pytest.raises(psycopg.Error) as sql_exc:
        conn.execute("SELECT hewer.filter_create('nope', 'true')")
    assert sql_exc.value.sqlstate == "HW003"
    with pytest.raises(psycopg.Error) as sql_exc:
        conn.execute("SELECT hewer.filter_update(gen_random_uuid(), 'true')")
    assert sql_exc.value.sqlstate == "HW043"
    assert events.filters() == []


def test_evaluation_errors_are_recorded_and_never_stop_the_router(dsn: str, conn: Conn) -> None:
    register(conn, "typed", ["order.created"])
    register(conn, "plain", ["order.created"])
    events = Events(conn)
    good = events.create_filter("typed", "payload.total > 100")
    # Balanced, so plain SQL accepts it; the router finds it does not compile.
    broken = conn.execute(
        "SELECT hewer.filter_create('typed', 'payload.total >> 1') AS id"
    ).fetchone()
    assert broken is not None
    not_bool = events.create_filter("typed", "payload.total")
    bad = push(conn, "order.created", {"total": "a lot"})
    ok = push(conn, "order.created", {"total": 500})
    missing = push(conn, "order.created", {})
    stats = route(dsn)
    assert stats.messages == 3
    assert queued(conn) == 0
    # The good event still started its runs.
    assert {r["input"]["total"] for r in runs_of(conn, "typed") if "total" in r["input"]} == {500}
    assert len(runs_of(conn, "plain")) == 3
    by_event: dict[str, list[dict[str, Any]]] = {}
    for m in events.matches(bad, ok, missing):
        if m["workflow"] == "typed":
            by_event.setdefault(str(m["event_id"]), []).append(m)
    bad_rows = {str(m["filter_id"]): m for m in by_event[bad]}
    assert "no matching overload" in bad_rows[good]["error"]
    assert bad_rows[good]["run_id"] is None
    assert "does not compile" in bad_rows[str(broken["id"])]["error"]
    assert "not a bool" in bad_rows[not_bool]["error"]
    assert "no such member" in {str(m["filter_id"]): m for m in by_event[missing]}[good]["error"]
    ok_rows = {str(m["filter_id"]): m for m in by_event[ok]}
    assert ok_rows[good]["run_id"] is not None and ok_rows[good]["error"] is None
    listed = {str(f["filter_id"]): f for f in events.filters("typed")}
    assert "invalid CEL expression 'payload.total >> 1'" in listed[str(broken["id"])]["error"]
    assert listed[good]["error"] is None
    # Fixing the filter clears the error and the next event uses the new version.
    assert events.update_filter(str(broken["id"]), "payload.total >= 1") == 2
    fixed = {str(f["filter_id"]): f for f in events.filters("typed")}[str(broken["id"])]
    assert fixed["error"] is None
    later = push(conn, "order.created", {"total": 3})
    route(dsn)
    [decided] = [m for m in events.matches(later) if str(m["filter_id"]) == str(broken["id"])]
    assert decided["run_id"] is not None and decided["filter_version"] == 2


def test_a_redelivered_message_starts_no_second_run(dsn: str, conn: Conn) -> None:
    """In-process: the router's decisions commit but the ack never comes."""
    register(conn, "once", ["tick"])
    event_id = push(conn, "tick", {"n": 1})
    rows = conn.execute("SELECT * FROM hewer.event_route_read(10, 1)").fetchall()
    assert [str(r["event_id"]) for r in rows] == [event_id]
    r = rows[0]
    applied = conn.execute(
        "SELECT * FROM hewer.event_route_apply(ARRAY[%s::uuid], ARRAY[%s::uuid], ARRAY[%s::uuid],"
        " ARRAY[NULL::integer], ARRAY[NULL::text])",
        (r["event_id"], r["workflow_id"], r["filter_id"]),
    ).fetchall()
    assert applied[0]["created"] is True
    # Visible again once the 1 s visibility timeout is over; the pair is already decided.
    conn.execute("UPDATE pgmq.q_hewer_events SET vt = now() - interval '1 second'")
    again = conn.execute("SELECT * FROM hewer.event_route_read(10, 1)").fetchall()
    assert len(again) == 1 and again[0]["workflow_id"] is None
    # Applying the same decision twice is a no-op too.
    twice = conn.execute(
        "SELECT * FROM hewer.event_route_apply(ARRAY[%s::uuid], ARRAY[%s::uuid], ARRAY[%s::uuid],"
        " ARRAY[NULL::integer], ARRAY[NULL::text])",
        (r["event_id"], r["workflow_id"], r["filter_id"]),
    ).fetchall()
    assert twice[0]["created"] is False and twice[0]["run_id"] == applied[0]["run_id"]
    conn.execute("UPDATE pgmq.q_hewer_events SET vt = now() - interval '1 second'")
    route(dsn)
    assert len(runs_of(conn, "once")) == 1
    assert queued(conn) == 0


@pytest.mark.chaos
def test_router_killed_between_trigger_and_ack_triggers_exactly_once(
    dsn: str, conn: Conn, tmp_path: Path
) -> None:
    register(conn, "exactly_once", ["payment.*"])
    Events(conn).create_filter("exactly_once", "payload.amount > 0")
    ids = [push(conn, "payment.received", {"amount": n}) for n in range(1, 6)]
    flags = [*FAST, "--event-visibility-timeout", "1"]
    (tmp_path / "crash").mkdir()
    crashing = Processes(dsn, tmp_path / "crash", env={CRASH_ENV: "1"})
    try:
        child = crashing.start_dispatcher(flags=flags, wait=False)
        assert child.proc.wait(timeout=120) == CRASH_EXIT_CODE, crashing.output()
    finally:
        crashing.close()
    # The runs were committed, the messages were not acked.
    assert len(runs_of(conn, "exactly_once")) == 5
    assert queued(conn) == 5
    (tmp_path / "ok").mkdir()
    healthy = Processes(dsn, tmp_path / "ok")
    try:
        healthy.start_dispatcher(flags=flags)
        wait_until(lambda: queued(conn) == 0, 60, "the redelivered messages to be acked")
    finally:
        healthy.close()
    runs = runs_of(conn, "exactly_once")
    assert sorted(r["input"]["amount"] for r in runs) == [1, 2, 3, 4, 5]
    rows = conn.execute("SELECT count(*) AS n FROM hewer.event_matches").fetchone()
    assert rows == {"n": 5}
    assert {m["event_id"] for m in Events(conn).matches(*ids)} == {
        __import__("uuid").UUID(i) for i in ids
    }


def test_events_partitioned_and_managed_by_the_partition_functions(conn: Conn) -> None:
    rows = conn.execute("SELECT table_name FROM hewer.partition_status()").fetchall()
    assert "events" in {r["table_name"] for r in rows}
    made = conn.execute(
        "SELECT * FROM hewer.partition_create(p_now => now() + interval '10 days')"
    ).fetchall()
    assert "events" in {r["table_name"] for r in made}
    future = conn.execute(
        "SELECT hewer.push_event('later', p_now => now() + interval '10 days') AS id"
    ).fetchone()
    assert future is not None
    part = conn.execute(
        "SELECT tableoid::regclass::text AS p FROM hewer.events WHERE id = %s", (future["id"],)
    ).fetchone()
    assert part is not None and part["p"] != "hewer.events_default"


def test_spec_rejects_bad_on_events(conn: Conn) -> None:
    for bad in (["bad key"], "order.*", [1], ["x"] * 101):
        with pytest.raises(psycopg.Error) as exc:
            engine.register(conn, "wf", {"steps": STEPS, "on_events": bad})
        assert exc.value.sqlstate == "HW001"
        assert "on_events" in str(exc.value)


@pytest.fixture
def cli(dsn: str) -> Hewer:
    """Run `hewer ARGS...` as a process against this test's database."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(args, _env(HEWER_DATABASE_URL=dsn))

    return run


def test_cli_events_and_filters(dsn: str, conn: Conn, cli: Hewer) -> None:
    hewer = cli
    register(conn, "cli_flow", ["cli.*"])
    out = hewer("filters", "create", "cli_flow", "payload.x == 1")
    assert out.returncode == 0, out.stderr
    filter_id = out.stdout.strip()
    bad = hewer("filters", "create", "cli_flow", "payload.x ==")
    assert bad.returncode == 1
    assert "invalid CEL expression" in bad.stderr and "^" in bad.stderr
    listed = hewer("filters", "list")
    assert filter_id in listed.stdout and "payload.x == 1" in listed.stdout
    pushed = hewer("events", "push", "cli.hello", "--payload", json.dumps({"x": 1}))
    assert pushed.returncode == 0, pushed.stderr
    event_id = pushed.stdout.strip()
    hewer("events", "push", "cli.hello", "--payload", json.dumps({"x": 2}))
    route(dsn)
    assert [r["input"] for r in runs_of(conn, "cli_flow")] == [{"x": 1}]
    shown = hewer("events", "show", event_id)
    assert "cli_flow" in shown.stdout
    wrong = hewer("events", "push", "cli.hello", "--payload", "[1]")
    assert wrong.returncode == 1 and "must be a JSON object" in wrong.stderr
    assert hewer("filters", "update", filter_id, "payload.x == 2").returncode == 0
    assert hewer("filters", "delete", filter_id).returncode == 0
    gone = hewer("filters", "delete", filter_id)
    assert gone.returncode == 1 and "does not exist" in gone.stderr


def test_readme_psql_example_triggers_a_workflow(dsn: str, conn: Conn) -> None:
    """The README's events block, statement by statement (those using psql variables left
    out): the event it pushes starts a run once routed."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("### Events and cron from psql", 1)[1].split("```sql", 1)[1]
    block = block.split("```", 1)[0]
    code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
    ran = 0
    for body in (s.strip() for s in code.replace("\\gset", ";").split(";")):
        if not body or ":'" in body:
            continue
        conn.execute(body.encode())
        ran += 1
    assert ran == 5
    route(dsn)
    [run] = runs_of(conn, "fulfil")
    assert run["input"] == {"order_id": 42, "total": 150}
    assert [c["name"] for c in Events(conn).crons("fulfil")] == ["sweep"]


def test_events_pushed_while_the_router_reads_are_all_routed(dsn: str, conn: Conn) -> None:
    """pgmq.read sees messages committed after the reading statement began; their events
    must be found all the same (they once were acked unrouted)."""
    import threading

    register(conn, "busy", ["busy.*"])
    total = 400
    done = threading.Event()

    def producer() -> None:
        with psycopg.connect(dsn, autocommit=True) as pconn:
            for n in range(total):
                pconn.execute("SELECT hewer.push_event('busy.e', %s)", (Jsonb({"n": n}),))
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()

    async def consume() -> None:
        router = Router(batch_size=7, visibility_timeout=1)
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as aconn:
            while not done.is_set():
                await router.drain(aconn)
            await router.drain(aconn)

    asyncio.run(consume())
    thread.join()
    wait_until(lambda: route(dsn).messages == 0 and queued(conn) == 0, 30, "an empty queue")
    assert sorted(r["input"]["n"] for r in runs_of(conn, "busy")) == list(range(total))


@pytest.mark.slow
def test_events_from_sql_start_runs_and_satisfy_waits_through_real_processes(
    dsn: str, conn: Conn, tmp_path: Path
) -> None:
    """A dispatcher and a worker process; everything else is plain SQL."""
    procs = Processes(dsn, tmp_path)
    try:
        dispatcher = procs.start_dispatcher()
        procs.start_worker(dispatcher.address, target="tests.flows:event_flows")
        wait_until(
            lambda: conn.execute(
                "SELECT 1 FROM hewer.workflows WHERE name = 'proc_orders'"
            ).fetchone(),
            60,
            "the worker to register proc_orders",
        )
        conn.execute("SELECT hewer.filter_create('proc_orders', 'payload.total >= 100')")
        conn.execute(
            "SELECT hewer.push_event('order.created', '{\"order_id\": 1, \"total\": 150}')"
        )
        conn.execute("SELECT hewer.push_event('order.created', '{\"order_id\": 2, \"total\": 50}')")

        def states() -> dict[str, str]:
            rows = conn.execute(
                "SELECT t.step, t.status::text AS status FROM hewer.tasks t "
                "JOIN hewer.runs r ON r.id = t.run_id "
                "JOIN hewer.workflows w ON w.id = r.workflow_id WHERE w.name = 'proc_orders'"
            ).fetchall()
            return {r["step"]: r["status"] for r in rows}

        wait_until(lambda: states() == {"reserve": "succeeded", "ship": "waiting"}, 60, "the wait")
        conn.execute("SELECT hewer.push_event('payment.settled', '{\"order_id\": 1}')")
        wait_until(lambda: states().get("ship") == "succeeded", 60, "ship to run")
        [run] = runs_of(conn, "proc_orders")
        assert run["input"] == {"order_id": 1, "total": 150}
        assert [e[0] for e in procs.effects()] == ["reserve", "ship"]
    finally:
        procs.close()
