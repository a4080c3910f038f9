"""Cron triggers and one-off scheduled runs, with an injected clock (pydispatch/events.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pydispatch.events import Ticker, plan_tick
from pyworker import Cron, DefinitionError, Events, Workflow
from tests import engine

Conn = psycopg.Connection[Any]
T0 = datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
STEPS = [{"name": "go"}]


def tick(dsn: str, now: datetime, ticker: Ticker | None = None) -> list[Any]:
    async def go() -> list[Any]:
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as aconn:
            return await (ticker or Ticker()).tick(aconn, now)

    return asyncio.run(go())


def runs(conn: Conn, workflow: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT r.id, r.input, r.idempotency_key FROM hewer.runs r "
        "JOIN hewer.workflows w ON w.id = r.workflow_id WHERE w.name = %s ORDER BY r.id",
        (workflow,),
    ).fetchall()


def at(minute: int, second: int = 0) -> datetime:
    return T0.replace(minute=0) + timedelta(minutes=minute, seconds=second)


def test_each_tick_fires_once(dsn: str, conn: Conn) -> None:
    engine.register(conn, "every5", {"steps": STEPS})
    conn.execute(
        "SELECT hewer.cron_create('every5', 'c', '*/5 * * * *', '{\"n\": 1}', p_now => %s)", (T0,)
    )
    assert tick(dsn, at(3)) == []  # first tick is 00:05
    [cron] = Events(conn).crons("every5")
    assert cron["next_at"] == at(5)
    assert len(tick(dsn, at(5, 10))) == 1
    assert tick(dsn, at(5, 20)) == []  # the same tick, again
    assert tick(dsn, at(9, 59)) == []
    assert len(tick(dsn, at(10, 1))) == 1
    made = runs(conn, "every5")
    assert [r["input"] for r in made] == [{"n": 1}, {"n": 1}]
    [cron] = Events(conn).crons("every5")
    assert cron["last_tick_at"] == at(10) and cron["next_at"] == at(15)
    assert cron["last_run_id"] == made[-1]["id"]


def test_racing_tickers_fire_a_tick_once(conn: Conn) -> None:
    """Two dispatchers that computed the same tick: the tick table lets one through."""
    engine.register(conn, "raced", {"steps": STEPS})
    row = conn.execute(
        "SELECT hewer.cron_create('raced', 'c', '* * * * *', p_now => %s) AS id", (T0,)
    ).fetchone()
    assert row is not None
    fire = "SELECT * FROM hewer.cron_fire(%s, %s, true, 0, %s, NULL, %s)"
    first = conn.execute(fire, (row["id"], at(2), at(3), at(2, 1))).fetchone()
    second = conn.execute(fire, (row["id"], at(2), at(3), at(2, 2))).fetchone()
    assert first is not None and first["fired"] is True
    assert second is not None and second["fired"] is False
    assert len(runs(conn, "raced")) == 1


@pytest.mark.parametrize(("catch_up", "fired"), [("skip", 0), ("once", 1)])
def test_catch_up_after_downtime(dsn: str, conn: Conn, catch_up: str, fired: int) -> None:
    engine.register(conn, "hourly", {"steps": STEPS})
    conn.execute(
        "SELECT hewer.cron_create('hourly', 'c', '0 * * * *', p_catch_up => %s, p_now => %s)",
        (catch_up, T0),
    )
    assert tick(dsn, at(1)) == []
    # Down from 00:01 to 05:30: ticks 01:00 .. 05:00 were missed.
    now = T0.replace(hour=5, minute=30)
    assert len(tick(dsn, now)) == fired
    assert len(runs(conn, "hourly")) == fired
    row = conn.execute("SELECT tick_at, missed, run_id FROM hewer.cron_ticks").fetchone()
    assert row is not None
    assert row["tick_at"] == T0.replace(hour=5, minute=0) and row["missed"] == 4
    assert (row["run_id"] is not None) == bool(fired)
    [cron] = Events(conn).crons("hourly")
    assert cron["next_at"] == T0.replace(hour=6, minute=0)
    # Back on time: the next tick fires either way.
    assert len(tick(dsn, T0.replace(hour=6, minute=0, second=5))) == 1


def test_a_slightly_late_tick_still_fires_with_skip() -> None:
    plan = plan_tick("*/5 * * * *", "skip", at(5), T0, at(5, 30), timedelta(seconds=60))
    assert plan.tick_at == at(5) and plan.fire and plan.missed == 0 and plan.next_at == at(10)
    late = plan_tick("*/5 * * * *", "skip", at(5), T0, at(6, 30), timedelta(seconds=60))
    assert late.tick_at == at(5) and not late.fire
    with pytest.raises(ValueError, match="croniter cannot read"):
        plan_tick("61 * * * *", "skip", None, T0, at(6), timedelta(seconds=60))


def test_bad_crons_are_rejected(conn: Conn) -> None:
    engine.register(conn, "wf", {"steps": STEPS})
    for args, code in [
        (("wf", "c", "every day"), "HW044"),
        (("wf", "c", "* * *"), "HW044"),
        (("wf", "bad name!", "* * * * *"), "HW044"),
        (("nope", "c", "* * * * *"), "HW003"),
    ]:
        with pytest.raises(psycopg.Error) as exc:
            conn.execute("SELECT hewer.cron_create(%s, %s, %s)", args)
        assert exc.value.sqlstate == code
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.cron_create('wf', 'c', '* * * * *', p_catch_up => 'all')")
    assert exc.value.sqlstate == "HW044" and "catch_up" in str(exc.value)
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.cron_create('wf', 'c', '* * * * *', '[1]')")
    assert exc.value.sqlstate == "HW004"
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.cron_delete('wf', 'missing')")
    assert exc.value.sqlstate == "HW045"
    assert Events(conn).crons() == []


def test_an_expression_croniter_cannot_read_is_recorded(dsn: str, conn: Conn) -> None:
    engine.register(conn, "wf", {"steps": STEPS})
    conn.execute("SELECT hewer.cron_create('wf', 'c', '99 * * * *', p_now => %s)", (T0,))
    assert tick(dsn, at(5)) == []
    [cron] = Events(conn).crons()
    assert "croniter cannot read" in cron["error"]
    # Replacing it clears the error.
    Events(conn).create_cron("wf", "c", "*/5 * * * *")
    assert Events(conn).crons()[0]["error"] is None


def test_crons_from_the_workflow_spec_follow_its_versions(dsn: str, conn: Conn) -> None:
    wf = Workflow("nightly", cron=[Cron("0 3 * * *", {"full": True}, "once")])

    @wf.task
    def go(inp: Any, ctx: Any) -> None: ...

    engine.register(conn, "nightly", wf.spec())
    [cron] = Events(conn).crons("nightly")
    assert (cron["expression"], cron["catch_up"], cron["source"]) == ("0 3 * * *", "once", "spec")
    assert cron["input"] == {"full": True}
    engine.register(conn, "nightly", {"steps": STEPS, "cron": ["*/10 * * * *"]})
    assert [c["expression"] for c in Events(conn).crons("nightly")] == ["*/10 * * * *"]
    engine.register(conn, "nightly", {"steps": STEPS})
    assert Events(conn).crons("nightly") == []
    for bad in (["nope"], [{"expression": "* * * * *", "catch_up": "all"}], "* * * * *"):
        with pytest.raises(psycopg.Error) as exc:
            engine.register(conn, "nightly", {"steps": STEPS, "cron": bad})
        assert exc.value.sqlstate == "HW001"
    with pytest.raises(DefinitionError, match="not a cron expression"):
        Workflow("x", cron=["61 * * * *"])


def test_scheduled_runs_start_once_at_their_time(dsn: str, conn: Conn) -> None:
    engine.register(conn, "later", {"steps": STEPS})
    events = Events(conn)
    first = events.schedule("later", at(30), {"n": 1})
    second = events.schedule("later", at(45), {"n": 2})
    dropped = events.schedule("later", at(40), {"n": 3})
    assert events.cancel_schedule(dropped) is True
    assert tick(dsn, at(29)) == []
    assert len(tick(dsn, at(30))) == 1
    assert tick(dsn, at(31)) == []
    assert len(tick(dsn, at(50))) == 1
    assert [r["input"] for r in runs(conn, "later")] == [{"n": 1}, {"n": 2}]
    assert [r["idempotency_key"] for r in runs(conn, "later")] == [
        f"schedule:{first}",
        f"schedule:{second}",
    ]
    assert events.cancel_schedule(first) is False  # already started
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.run_schedule('later', '{}', NULL)")
    assert exc.value.sqlstate == "HW047"
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.schedule_cancel(gen_random_uuid())")
    assert exc.value.sqlstate == "HW047"
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT hewer.run_schedule('later', %s, now())", (Jsonb([1]),))
    assert exc.value.sqlstate == "HW004"


def test_cli_cron_and_schedule(dsn: str, conn: Conn) -> None:
    from tests.test_cli import _env, _run

    env = _env(HEWER_DATABASE_URL=dsn)
    engine.register(conn, "cli_cron", {"steps": STEPS})
    made = _run(("cron", "create", "cli_cron", "c", "*/5 * * * *", "--input", '{"a": 1}'), env)
    assert made.returncode == 0, made.stderr
    listed = _run(("cron", "list"), env)
    assert "cli_cron" in listed.stdout and "*/5 * * * *" in listed.stdout
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = _run(("schedule", "create", "cli_cron", "--at", later), env)
    assert scheduled.returncode == 0, scheduled.stderr
    # Ten seconds after a tick: within the catch-up grace, so the cron fires.
    far = (datetime.now(UTC) + timedelta(hours=2)).replace(second=10, microsecond=0)
    far = far.replace(minute=far.minute - far.minute % 5)
    ticked = _run(("cron", "tick", "--now", far.isoformat()), env)
    assert ticked.returncode == 0, ticked.stderr
    # The cron's first tick and the scheduled run.
    assert ticked.stdout.strip() == "2 runs started"
    bad = _run(("cron", "create", "cli_cron", "c", "whenever"), env)
    assert bad.returncode == 1 and "not a cron expression" in bad.stderr
    assert _run(("cron", "delete", "cli_cron", "c"), env).returncode == 0
