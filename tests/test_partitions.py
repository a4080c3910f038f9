"""Partition maintenance: hewer.partition_create / _drop / _status / _analyze.

Time is injected (p_now), so the tests move the clock instead of waiting, and
rows are inserted straight into the partitioned tables with ids made by
hewer.uuidv7(timestamp).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg import sql

Conn = psycopg.Connection[dict[str, Any]]
Connect = Callable[..., Conn]
Row = dict[str, Any]

UTC = dt.UTC
T = dt.datetime(2025, 3, 10, 10, 17, tzinfo=UTC)  # "now" in most tests
HOUR = dt.timedelta(hours=1)
TABLES = ("events", "runs", "task_events", "task_logs", "task_streams", "tasks")

# Work in flight, by table: partitions holding such rows are never dropped.
ACTIVE = {
    "runs": {"queued", "running"},
    "tasks": {"pending", "waiting", "queued", "assigned", "running"},
}


def at(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def configure(
    conn: Conn, period: str = "1 hour", premake: int = 3, retention: str = "2 hours"
) -> None:
    conn.execute(
        "UPDATE hewer.partition_config SET period = %s, premake = %s, retention = %s",
        (period, premake, retention),
    )


def create(conn: Conn, now: dt.datetime) -> list[Row]:
    return conn.execute("SELECT * FROM hewer.partition_create(%s)", (now,)).fetchall()


def drop(conn: Conn, now: dt.datetime) -> list[Row]:
    return conn.execute("SELECT * FROM hewer.partition_drop(%s)", (now,)).fetchall()


def status(conn: Conn, exact: bool = True) -> list[Row]:
    return conn.execute("SELECT * FROM hewer.partition_status(%s)", (exact,)).fetchall()


def names(rows: list[Row], table: str | None = None) -> list[str]:
    return [r["partition"] for r in rows if table is None or r["table_name"] == table]


def insert(conn: Conn, table: str, ts: dt.datetime, status: str = "succeeded") -> uuid.UUID:
    """Insert one row made at ts; the NOT NULL columns get placeholder values by type."""
    columns = conn.execute(
        """
        SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
        WHERE a.attrelid = to_regclass('hewer.' || %s) AND a.attnum > 0
          AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
        ORDER BY a.attnum
        """,
        (table,),
    ).fetchall()
    values: list[sql.Composable] = []
    for col in columns:
        name, typ = col["name"], col["type"]
        if name == "id":
            value: sql.Composable = sql.SQL("hewer.uuidv7({})").format(ts)
        elif name == "tenant_id":
            value = sql.SQL("hewer.current_tenant()")
        elif name == "status":
            value = sql.SQL("{}::{}").format(status, sql.SQL(typ))
        elif name == "level":
            value = sql.Literal("info")
        else:
            placeholder = {
                "uuid": sql.SQL("gen_random_uuid()"),
                "uuid[]": sql.SQL("'{}'::uuid[]"),
                "text": sql.Literal("x"),
                "integer": sql.Literal(0),
                "bigint": sql.Literal(0),
                "double precision": sql.Literal(0.0),
                "boolean": sql.Literal(False),
                "jsonb": sql.SQL("'{}'::jsonb"),
                "interval": sql.SQL("'1 minute'::interval"),
                "timestamp with time zone": sql.Literal(ts),
            }
            if typ not in placeholder:
                pytest.fail(f"insert(): no placeholder for hewer.{table}.{name} of type {typ}")
            value = placeholder[typ]
        values.append(value)
    row = conn.execute(
        sql.SQL("INSERT INTO hewer.{} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.Identifier(c["name"]) for c in columns),
            sql.SQL(", ").join(values),
        )
    ).fetchone()
    assert row is not None
    return uuid.UUID(str(row["id"]))


def home(conn: Conn, table: str, row_id: uuid.UUID) -> str | None:
    """The partition a row lives in, or None if it is gone."""
    row = conn.execute(
        sql.SQL(
            "SELECT c.relname AS part FROM hewer.{} t JOIN pg_class c ON c.oid = t.tableoid"
            " WHERE t.id = %s"
        ).format(sql.Identifier(table)),
        (row_id,),
    ).fetchone()
    return None if row is None else str(row["part"])


def ids(conn: Conn, table: str) -> set[uuid.UUID]:
    rows = conn.execute(sql.SQL("SELECT id FROM hewer.{}").format(sql.Identifier(table))).fetchall()
    return {r["id"] for r in rows}


def notices_of(conn: Conn) -> list[str]:
    seen: list[str] = []
    conn.add_notice_handler(lambda diag: seen.append(diag.message_primary or ""))
    return seen


def sqlstate_of(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> str | None:
    with pytest.raises(psycopg.Error) as err:
        conn.execute(query, params)
    return err.value.sqlstate


def wait_until_blocked(observer: Conn, pid: int) -> None:
    """Wait until backend pid is waiting for a lock (not an advisory one)."""
    for _ in range(500):
        row = observer.execute(
            "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()
        if row and row["wait_event_type"] == "Lock" and row["wait_event"] != "advisory":
            return
        time.sleep(0.01)
    pytest.fail(f"backend {pid} never blocked on a lock")


def race(*works: Callable[[], list[Row]]) -> list[list[Row]]:
    """Run each work in its own thread, all released at once; re-raise the first error."""
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], list[Row]]) -> list[Row]:
        barrier.wait()
        return work()

    with ThreadPoolExecutor(len(works)) as pool:
        futures = [pool.submit(run, work) for work in works]
        return [f.result() for f in futures]


@pytest.fixture(autouse=True)
def no_partitions(conn: Conn) -> None:
    """Start from the default partitions only (migrating creates partitions around now())."""
    conn.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN
                SELECT c.relname
                FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent
                WHERE p.relnamespace = 'hewer'::regnamespace AND p.relkind = 'p'
                  AND c.relkind = 'r' AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
            LOOP
                EXECUTE format('DROP TABLE hewer.%I', r.relname);
            END LOOP;
        END
        $$
        """
    )


# --- partition_create -------------------------------------------------------------------------


def test_create_makes_current_and_premade_hourly_partitions(conn: Conn) -> None:
    configure(conn, premake=3)

    created = create(conn, T)

    expected = {
        (table, f"{table}_p20250310_{h:02d}00", at(h), at(h + 1))
        for table in TABLES
        for h in (10, 11, 12, 13)
    }
    assert {(r["table_name"], r["partition"], r["range_from"], r["range_to"]) for r in created} == (
        expected
    )
    assert len(created) == len(expected)
    for table in TABLES:
        assert names(status(conn), table) == [
            *(f"{table}_p20250310_{h:02d}00" for h in (10, 11, 12, 13)),
            f"{table}_default",
        ]


def test_create_is_idempotent_and_follows_the_clock(conn: Conn) -> None:
    configure(conn, premake=3)
    create(conn, T)

    assert create(conn, T) == []
    assert create(conn, T + dt.timedelta(minutes=40)) == []  # still within 10:00-11:00

    later = create(conn, T + HOUR)
    assert sorted(names(later)) == [
        "events_p20250310_1400",
        "runs_p20250310_1400",
        "task_events_p20250310_1400",
        "task_logs_p20250310_1400",
        "task_streams_p20250310_1400",
        "tasks_p20250310_1400",
    ]


def test_create_names_daily_partitions_by_utc_date(conn: Conn) -> None:
    # The shipped policy: 1 day, 2 ahead. Names and bounds are UTC whatever
    # the session's time zone is.
    conn.execute("SET TimeZone = 'Pacific/Auckland'")

    created = create(conn, T)

    runs = [r for r in created if r["table_name"] == "runs"]
    assert [r["partition"] for r in runs] == [f"runs_p202503{d:02d}" for d in range(10, 13)]
    assert runs[0]["range_from"] == at(0)
    assert runs[-1]["range_to"] == at(0, day=13)
    assert len(created) == len(TABLES) * 3


def test_create_moves_rows_out_of_the_default_partition(conn: Conn) -> None:
    configure(conn, premake=3)
    notices = notices_of(conn)
    made = {
        "runs": [at(10, 20), at(10, 21), at(11, 59), at(13, 0), at(9, 30), at(9, 45), at(20, 0)],
        "tasks": [at(10, 20), at(12, 5), at(9, 59), at(23, 0)],
        "task_events": [at(10, 20), at(10, 20), at(11, 0)],
    }
    rows = {table: {insert(conn, table, ts): ts for ts in stamps} for table, stamps in made.items()}
    for table, by_id in rows.items():
        assert {home(conn, table, i) for i in by_id} == {f"{table}_default"}
    before = {table: ids(conn, table) for table in TABLES}

    created = create(conn, T)

    # Nothing lost, nothing duplicated.
    assert {table: ids(conn, table) for table in TABLES} == before
    # The window 10:00-14:00, plus the period of the strays from before it.
    assert "runs_p20250310_0900" in names(created)
    assert "tasks_p20250310_0900" in names(created)
    assert "task_events_p20250310_0900" not in names(created)
    for table, by_id in rows.items():
        for row_id, ts in by_id.items():
            expected = f"{table}_default" if ts >= at(14) else f"{table}_p20250310_{ts.hour:02d}00"
            assert home(conn, table, row_id) == expected
    assert any("moved 2 rows of hewer.runs" in n and "runs_p20250310_1000" in n for n in notices)
    # The moved rows are finished ones: still immutable in their new partitions.
    with pytest.raises(psycopg.Error) as err:
        conn.execute("DELETE FROM hewer.runs WHERE id = %s", (next(iter(rows["runs"])),))
    assert err.value.sqlstate == "HW080"

    # Once the window reaches the late rows, they move too.
    create(conn, at(20, 5))
    for table, by_id in rows.items():
        for row_id in by_id:
            assert home(conn, table, row_id) != f"{table}_default"
    assert {r["partition"]: r["rows"] for r in status(conn) if r["range_from"] is None} == {
        f"{table}_default": 0 for table in TABLES
    }


def test_create_fills_only_the_gaps_when_the_period_changes(conn: Conn) -> None:
    configure(conn, premake=1)
    create(conn, T)  # 10:00-11:00 and 11:00-12:00

    configure(conn, period="1 day", premake=1)
    created = [r for r in create(conn, T) if r["table_name"] == "runs"]

    assert [(r["partition"], r["range_from"], r["range_to"]) for r in created] == [
        ("runs_p20250310_0000", at(0), at(10)),
        ("runs_p20250310_1200", at(12), at(0, day=11)),
        ("runs_p20250311", at(0, day=11), at(0, day=12)),
    ]
    ranges = [(r["range_from"], r["range_to"]) for r in status(conn) if r["table_name"] == "runs"]
    assert ranges[-1] == (None, None)  # the default partition
    bounded = ranges[:-1]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounded))  # contiguous


def test_concurrent_creates_from_two_connections_do_not_collide(connect: Connect) -> None:
    first, second = connect(), connect()
    configure(first, premake=5)
    expected: set[tuple[str, str]] = set()
    for round_ in range(5):
        now = T + round_ * 6 * HOUR
        # Same clock in even rounds; overlapping windows (one hour apart) in odd ones.
        results = race(
            functools.partial(create, first, now),
            functools.partial(create, second, now + (round_ % 2) * HOUR),
        )
        made = [(r["table_name"], r["partition"]) for rows in results for r in rows]
        assert len(made) == len(set(made))  # nobody created the same partition twice
        expected |= set(made)

    listed = {(r["table_name"], r["partition"]) for r in status(first)}
    assert listed == expected | {(t, f"{t}_default") for t in TABLES}
    # Windows of 6 hours, 6 hours apart (the odd rounds' extra hour is the next
    # round's first): every hour from 10:00 on the 10th to 16:00 on the 11th.
    assert len(expected) == len(TABLES) * 30


def locks_held(conn: Conn, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'"
        " AND relation = to_regclass('hewer.' || %s)",
        (table,),
    ).fetchall()
    return {r["mode"] for r in rows}


def test_premaking_future_partitions_does_not_block_the_table(connect: Connect) -> None:
    conn, tx = connect(), connect(autocommit=False)
    # A clock ahead of the wall clock, so the test does not depend on when it runs.
    now = dt.datetime.now(UTC).replace(minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    configure(conn, premake=3)
    create(conn, now)  # includes the hour that contains `now`: a live range
    configure(conn, premake=5)

    created = create(tx, now)

    assert len(created) == len(TABLES) * 2  # two more hours ahead, per table
    assert locks_held(tx, "runs") == {"ShareUpdateExclusiveLock", "AccessShareLock"}
    assert "AccessExclusiveLock" not in locks_held(tx, "tasks")
    tx.commit()


def test_an_insert_racing_the_creation_of_its_partition_lands_in_it(connect: Connect) -> None:
    conn, tx, observer = connect(), connect(autocommit=False), connect()
    configure(conn, premake=1)
    tx.execute("SELECT * FROM hewer.partition_create(%s)", (T,))  # 10:00 has begun: live
    assert "AccessExclusiveLock" in locks_held(tx, "runs")

    # The insert waits for the creating transaction, then goes to the new
    # partition (attaching behind a lighter lock, it would fail the default
    # partition's new constraint instead).
    inserted: list[uuid.UUID] = []
    writer = threading.Thread(target=lambda: inserted.append(insert(conn, "runs", at(10, 30))))
    writer.start()
    wait_until_blocked(observer, conn.info.backend_pid)
    tx.commit()
    writer.join()

    assert len(inserted) == 1
    assert home(conn, "runs", inserted[0]) == "runs_p20250310_1000"


# --- partition_drop ---------------------------------------------------------------------------


def test_drop_removes_partitions_past_retention_only(conn: Conn) -> None:
    configure(conn, premake=3, retention="2 hours")
    create(conn, T)
    create(conn, T + 3 * HOUR)  # partitions 10:00 .. 17:00
    rows = {
        (table, h): insert(conn, table, at(h, 30)) for table in TABLES for h in (10, 11, 12, 13)
    }

    dropped = drop(conn, T + 3 * HOUR)  # 13:17 - 2 hours = 11:17: only 10:00-11:00 has ended

    assert sorted((r["partition"], r["range_from"], r["range_to"]) for r in dropped) == [
        (f"{t}_p20250310_1000", at(10), at(11)) for t in TABLES
    ]
    for (table, h), row_id in rows.items():
        assert home(conn, table, row_id) == (None if h == 10 else f"{table}_p20250310_{h:02d}00")
    assert drop(conn, T + 3 * HOUR) == []

    # Much later everything goes, except the default partitions.
    insert(conn, "runs", at(23, 0, day=11))  # no partition: lands in the default
    drop(conn, T + 48 * HOUR)
    assert [(r["partition"], r["rows"]) for r in status(conn)] == [
        ("events_default", 0),
        ("runs_default", 1),
        ("task_events_default", 0),
        ("task_logs_default", 0),
        ("task_streams_default", 0),
        ("tasks_default", 0),
    ]


@pytest.mark.parametrize(
    ("table", "status_"),
    [
        ("runs", "queued"),
        ("runs", "running"),
        ("runs", "succeeded"),
        ("runs", "failed"),
        ("runs", "cancelled"),
        ("tasks", "pending"),
        ("tasks", "queued"),
        ("tasks", "assigned"),
        ("tasks", "running"),
        ("tasks", "succeeded"),
        ("tasks", "failed"),
        ("tasks", "cancelled"),
        ("task_events", "running"),  # the log has no work in flight
    ],
)
def test_drop_keeps_partitions_with_work_in_flight(conn: Conn, table: str, status_: str) -> None:
    configure(conn, premake=3, retention="1 hour")
    create(conn, T)
    row_id = insert(conn, table, at(10, 10), status_)
    notices = notices_of(conn)

    dropped = names(drop(conn, at(14)))

    part = f"{table}_p20250310_1000"
    active = status_ in ACTIVE.get(table, set())
    assert (part in dropped) is not active
    assert home(conn, table, row_id) == (part if active else None)
    if active:
        assert any(part in n and "unfinished" in n for n in notices)
        # Once the work is done, the next call drops it.
        conn.execute(
            sql.SQL("UPDATE hewer.{} SET status = 'succeeded' WHERE id = %s").format(
                sql.Identifier(table)
            ),
            (row_id,),
        )
        assert names(drop(conn, at(14))) == [part]


def test_drop_rechecks_for_work_revived_while_it_waited(connect: Connect) -> None:
    conn, other, observer = connect(), connect(autocommit=False), connect()
    configure(conn, premake=3, retention="1 hour")
    create(conn, T)
    run_id = insert(conn, "runs", at(10, 10), "succeeded")
    notices = notices_of(conn)

    # Another transaction adds an active run to the old partition and has not
    # committed when partition_drop's first (lock-free) check runs; its DETACH
    # then waits. (A finished run cannot be revived: the history guard.)
    insert(other, "runs", at(10, 20), "running")
    result: list[list[Row]] = []
    worker = threading.Thread(target=lambda: result.append(drop(conn, at(14))))
    worker.start()
    wait_until_blocked(observer, conn.info.backend_pid)
    other.commit()
    worker.join()

    assert "runs_p20250310_1000" not in names(result[0])
    assert "tasks_p20250310_1000" in names(result[0])
    assert home(conn, "runs", run_id) == "runs_p20250310_1000"
    assert any("runs_p20250310_1000" in n and "active again" in n for n in notices)


def test_drop_skips_a_partition_it_cannot_lock_in_time(connect: Connect) -> None:
    conn, reader = connect(), connect(autocommit=False)
    configure(conn, premake=3, retention="1 hour")
    create(conn, T)
    notices = notices_of(conn)
    reader.execute("SELECT count(*) FROM hewer.runs_p20250310_1000")  # holds ACCESS SHARE

    conn.execute("SET lock_timeout = '200ms'")
    dropped = names(drop(conn, at(14)))

    assert "runs_p20250310_1000" not in dropped
    assert {"tasks_p20250310_1000", "task_events_p20250310_1000"} <= set(dropped)
    assert any("runs_p20250310_1000" in n and "lock timeout" in n for n in notices)
    reader.commit()
    assert names(drop(conn, at(14))) == ["runs_p20250310_1000"]


def test_create_and_drop_at_once_do_not_collide(connect: Connect) -> None:
    first, second = connect(), connect()
    configure(first, premake=3, retention="1 hour")
    create(first, T)
    race(lambda: create(first, T + 2 * HOUR), lambda: drop(second, T + 2 * HOUR))

    assert names(status(first), "runs") == [
        *(f"runs_p20250310_{h}00" for h in (11, 12, 13, 14, 15)),
        "runs_default",
    ]


# --- partition_status and partition_analyze ----------------------------------------------------


def test_status_lists_every_partition_with_exact_counts(conn: Conn) -> None:
    configure(conn, premake=3)
    create(conn, T)
    for ts in (at(10, 1), at(10, 2), at(10, 59), at(12, 0), at(20, 0)):
        insert(conn, "runs", ts)

    rows = status(conn, exact=True)

    assert [r["table_name"] for r in rows] == sorted(r["table_name"] for r in rows)
    runs = [r for r in rows if r["table_name"] == "runs"]
    assert [(r["partition"], r["range_from"], r["range_to"], r["rows"]) for r in runs] == [
        ("runs_p20250310_1000", at(10), at(11), 3),
        ("runs_p20250310_1100", at(11), at(12), 0),
        ("runs_p20250310_1200", at(12), at(13), 1),
        ("runs_p20250310_1300", at(13), at(14), 0),
        ("runs_default", None, None, 1),
    ]
    assert all(r["bytes"] > 0 for r in rows)

    # Estimates: 0 before the first ANALYZE (never negative), then the planner's count.
    assert {r["rows"] for r in status(conn, exact=False)} == {0}
    conn.execute("ANALYZE hewer.runs_p20250310_1000")
    estimated = {r["partition"]: r["rows"] for r in status(conn, exact=False)}
    assert estimated["runs_p20250310_1000"] == 3


def test_analyze_gives_the_parents_statistics(conn: Conn) -> None:
    configure(conn, premake=3)
    create(conn, T)
    for m in range(20):
        insert(conn, "runs", at(10, m))

    def parent_stats() -> int:
        row = conn.execute(
            "SELECT count(*) AS n FROM pg_stats WHERE schemaname = 'hewer' AND tablename = 'runs'"
        ).fetchone()
        assert row is not None
        return int(row["n"])

    assert parent_stats() == 0
    analyzed = conn.execute("SELECT * FROM hewer.partition_analyze() AS t(name)").fetchall()
    assert [r["name"] for r in analyzed] == list(TABLES)
    assert parent_stats() > 0


def test_an_id_lookup_touches_one_partition(conn: Conn) -> None:
    configure(conn, premake=3)
    create(conn, T)
    run_id = insert(conn, "runs", at(11, 30))

    plan = "\n".join(
        str(r["QUERY PLAN"])
        for r in conn.execute(
            sql.SQL("EXPLAIN SELECT * FROM hewer.runs WHERE id = {}").format(str(run_id))
        ).fetchall()
    )

    assert "runs_p20250310_1100" in plan
    for other in ("runs_p20250310_1000", "runs_p20250310_1200", "runs_default"):
        assert other not in plan


# --- errors -----------------------------------------------------------------------------------


def test_bad_arguments_raise_hw007(conn: Conn) -> None:
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_create(NULL)") == "HW007"
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_create('infinity')") == "HW007"
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_create('1969-12-31')") == "HW007"
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_drop(NULL)") == "HW007"
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_status(NULL)") == "HW007"


def test_maintenance_refuses_to_run_above_read_committed(connect: Connect) -> None:
    conn = connect(autocommit=False)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_create()") == "HW062"
    conn.rollback()
    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_drop()") == "HW062"
    conn.rollback()


@pytest.mark.parametrize(
    "change",
    [
        "INSERT INTO hewer.partition_config VALUES ('queue', '1 day', 7, '30 days')",
        "INSERT INTO hewer.partition_config VALUES ('no_such_table', '1 day', 7, '30 days')",
        "UPDATE hewer.partition_config SET period = '1 mon' WHERE table_name = 'tasks'",
    ],
)
def test_bad_config_raises_hw060(conn: Conn, change: str) -> None:
    conn.execute(change)
    for query in (
        "SELECT * FROM hewer.partition_create()",
        "SELECT * FROM hewer.partition_drop()",
        "SELECT * FROM hewer.partition_status()",
        "SELECT * FROM hewer.partition_analyze()",
    ):
        assert sqlstate_of(conn, query) == "HW060"


def test_a_name_taken_by_a_stray_table_raises_hw061(conn: Conn) -> None:
    configure(conn, premake=3)
    conn.execute("CREATE TABLE hewer.runs_p20250310_1100 (LIKE hewer.runs)")

    assert sqlstate_of(conn, "SELECT * FROM hewer.partition_create(%s)", (T,)) == "HW061"
    assert names(status(conn)) == [
        "events_default",
        "runs_default",
        "task_events_default",
        "task_logs_default",
        "task_streams_default",
        "tasks_default",
    ]


def test_dropping_a_runs_partition_forgets_its_idempotency_keys(conn: Conn) -> None:
    from tests.engine import claim, complete, register, trigger, worker

    configure(conn)
    create(conn, at(8))
    register(conn, "idem", {"steps": [{"name": "s"}]})
    [old] = trigger(conn, "idem", [{"v": 1}], keys=["order-1"], now=at(8, 30))
    [kept] = trigger(conn, "idem", [{"v": 2}], keys=["order-2"], now=at(11, 30))
    w = worker(conn, ["idem:s"])
    complete(conn, claim(conn, w, limit=10, now=at(11, 31)), now=at(11, 31))

    dropped = names(drop(conn, at(11, 45)), "runs")
    assert any(n.endswith("0800") for n in dropped)
    keys = conn.execute("SELECT key FROM hewer.idempotency_keys ORDER BY key").fetchall()
    assert keys == [{"key": "order-2"}]
    # The forgotten key starts a new run; the kept one still returns its run.
    [again] = trigger(conn, "idem", [{"v": 3}], keys=["order-1"], now=at(12))
    assert again["created"] and again["run_id"] != old["run_id"]
    [same] = trigger(conn, "idem", [{"v": 4}], keys=["order-2"], now=at(12))
    assert not same["created"] and same["run_id"] == kept["run_id"]
