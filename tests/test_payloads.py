"""Large payloads in object storage (docs/payloads.md): references in SQL (HW011, HW010, the
row trigger, the history guard), resolving (checksums, tenants), and the lifecycle: the
offloader, the collector, partition drops and the `hewer payloads` commands. Store tests run
on a local directory and on S3 served by a moto subprocess (tests/payload_store.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import obstore
import psycopg
import pytest
from click.testing import CliRunner
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pydispatch.cli import main
from pydispatch.payload_upkeep import Collector, Offloader
from pydispatch.payloads import PayloadError, Payloads, Ref
from tests import engine
from tests.conftest import Conn

# The store fixtures (payload_store: local and s3 on moto).
pytest_plugins = ["tests.payload_store"]

T = TypeVar("T")

# Over the default offload threshold (256 KiB), under the inline limit (4 MiB).
BIG = {"blob": "x" * 300_000, "n": [1, 2, 3]}


def _go(dsn: str, work: Callable[[AsyncConnection[Any]], Awaitable[T]]) -> T:
    """Run `work` on an async autocommit connection to the test's database."""

    async def main_() -> T:
        async with await AsyncConnection.connect(
            dsn, autocommit=True, row_factory=dict_row
        ) as aconn:
            return await work(aconn)

    return asyncio.run(main_())


def _default_tenant(conn: Conn) -> uuid.UUID:
    row = conn.execute("SELECT hewer.current_tenant() AS t").fetchone()
    assert row is not None
    tenant: uuid.UUID = row["t"]
    return tenant


def _ref(tenant: uuid.UUID, **fields: Any) -> dict[str, Any]:
    inner = {"v": 1, "key": f"{tenant}/event/x.json", "size": 2, "sha256": "0" * 64, **fields}
    return {"$hewer_ref": inner}


def _finished_task(conn: Conn, output: Any, *, workflow: str = "wf") -> dict[str, Any]:
    """A run of one step whose task completed with `output`: the run's and task's ids."""
    engine.register(conn, workflow, {"steps": [{"name": "s"}]})
    run = engine.trigger(conn, workflow, [{"k": 1}])[0]
    worker = engine.worker(conn, [f"{workflow}:s"])
    claimed = engine.claim(conn, worker)
    assert len(claimed) == 1
    engine.complete(conn, claimed, [output])
    return {"run_id": run["run_id"], "task_id": claimed[0]["task_id"], "worker": worker}


def _texts(conn: Conn, run_id: Any, task_id: Any) -> dict[str, str]:
    """The run's input and the task's output as JSON text."""
    run = conn.execute("SELECT input::text AS t FROM hewer.runs WHERE id = %s", (run_id,))
    task = conn.execute("SELECT output::text AS t FROM hewer.tasks WHERE id = %s", (task_id,))
    return {"runs": run.fetchone()["t"], "tasks": task.fetchone()["t"]}  # type: ignore[index]


def _exists(payloads: Payloads, key: str) -> bool:
    try:
        obstore.head(payloads.store, key)
    except FileNotFoundError:
        return False
    return True


def _tenant_conn(
    dsn: str, conn: Conn, roles: Callable[[], str], name: str
) -> tuple[uuid.UUID, Conn]:
    role = roles()
    row = conn.execute("SELECT * FROM hewer.tenant_create(%s, %s)", (name, role)).fetchone()
    assert row is not None
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params["user"] = role
    tconn = psycopg.connect(
        psycopg.conninfo.make_conninfo("", **params), autocommit=True, row_factory=dict_row
    )
    return row["tenant_id"], tconn


# --- references in SQL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        ({"$hewer_ref": "x"}, "HW011", "not a payload reference"),
        ({"$hewer_ref": {"v": 1}, "other": 1}, "HW011", "not a payload reference"),
        ("missing-sha", "HW011", "malformed"),
        ("bad-sha", "HW011", "64 lowercase hex"),
        ("other-tenant", "HW011", "does not name an object of tenant"),
        ("dotdot", "HW011", "does not name an object of tenant"),
        ("huge", "HW010", "over the offload limit"),
    ],
)
def test_a_bad_reference_is_refused(conn: Conn, value: Any, code: str, words: str) -> None:
    tenant = _default_tenant(conn)
    cases = {
        "missing-sha": {"$hewer_ref": {"v": 1, "key": f"{tenant}/event/x.json", "size": 2}},
        "bad-sha": _ref(tenant, sha256="ABC"),
        "other-tenant": _ref(tenant, key=f"{uuid.uuid4()}/event/x.json"),
        "dotdot": _ref(tenant, key=f"{tenant}/../{uuid.uuid4()}/x.json"),
        "huge": _ref(tenant, size=65 << 20),
    }
    payload = cases.get(value, value) if isinstance(value, str) else value
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(payload),))
    assert err.value.sqlstate == code
    assert words in str(err.value)
    assert conn.execute("SELECT count(*) AS n FROM hewer.payload_refs").fetchone() == {"n": 0}


def test_a_tenant_offload_limit_lowers_the_database_one(conn: Conn) -> None:
    tenant = _default_tenant(conn)
    conn.execute("SELECT * FROM hewer.tenant_update('default', p_max_offload_bytes => 1000)")
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(_ref(tenant, size=1001)),))
    assert err.value.sqlstate == "HW010"
    conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(_ref(tenant, size=1000)),))


def test_the_trigger_records_references_and_queues_large_payloads(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    tenant = _default_tenant(conn)
    conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(_ref(tenant, size=7)),))
    refs = conn.execute(
        "SELECT key, owner_table, tenant_id, size FROM hewer.payload_refs"
    ).fetchall()
    assert refs == [
        {"key": f"{tenant}/event/x.json", "owner_table": "events", "tenant_id": tenant, "size": 7}
    ]
    ids = _finished_task(conn, BIG)
    queued = conn.execute("SELECT owner_table, owner_id FROM hewer.payload_candidates").fetchall()
    assert queued == [{"owner_table": "tasks", "owner_id": ids["task_id"]}]
    # Another tenant's session sees none of them.
    _, other = _tenant_conn(dsn, conn, roles, "acme")
    assert other.execute("SELECT count(*) AS n FROM hewer.payload_refs").fetchone() == {"n": 0}
    assert other.execute("SELECT count(*) AS n FROM hewer.payload_candidates").fetchone() == {
        "n": 0
    }
    other.close()


def test_the_history_guard_lets_through_only_a_swap_to_the_same_bytes(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    tenant = _default_tenant(conn)
    ids = _finished_task(conn, BIG)
    text = conn.execute(
        "SELECT output::text AS t FROM hewer.tasks WHERE id = %s", (ids["task_id"],)
    ).fetchone()["t"]  # type: ignore[index]
    key = f"{tenant}/output/2026/01/01/{uuid.uuid4().hex}.json"
    size, sha = len(text.encode()), hashlib.sha256(text.encode()).hexdigest()
    wrong = Ref(key, size, hashlib.sha256(b"other").hexdigest())
    with pytest.raises(psycopg.Error) as err:
        conn.execute(
            "UPDATE hewer.tasks SET output = %s::jsonb WHERE id = %s",
            (wrong.text(), ids["task_id"]),
        )
    assert err.value.sqlstate == "HW080"
    # A tenant role that could write the table is still not trusted to swap.
    t_id, tconn = _tenant_conn(dsn, conn, roles, "acme")
    role = psycopg.sql.Identifier(tconn.info.user)
    conn.execute(psycopg.sql.SQL("GRANT SELECT, UPDATE ON hewer.tasks TO {}").format(role))
    assert tconn.execute("SELECT hewer._trusted() AS t").fetchone() == {"t": False}
    own = _finished_task(tconn, BIG, workflow="mine")
    own_text = conn.execute(
        "SELECT output::text AS t FROM hewer.tasks WHERE id = %s", (own["task_id"],)
    ).fetchone()["t"]  # type: ignore[index]
    own_ref = Ref(
        f"{t_id}/output/2026/01/01/{uuid.uuid4().hex}.json",
        len(own_text.encode()),
        hashlib.sha256(own_text.encode()).hexdigest(),
    )
    with pytest.raises(psycopg.Error) as err:
        tconn.execute(
            "UPDATE hewer.tasks SET output = %s::jsonb WHERE id = %s",
            (own_ref.text(), own["task_id"]),
        )
    # The guard's swap test is not a tenant's to call: refused before it could say HW080.
    assert err.value.sqlstate == "42501"
    assert "_payload_swapped" in str(err.value)
    after = conn.execute(
        "SELECT output ? 'blob' AS inline FROM hewer.tasks WHERE id = %s", (own["task_id"],)
    ).fetchone()
    assert after == {"inline": True}
    tconn.close()
    conn.execute(psycopg.sql.SQL("REVOKE SELECT, UPDATE ON hewer.tasks FROM {}").format(role))
    # The trusted swap to the same bytes goes through, and the trigger records it.
    right = Ref(key, size, sha)
    conn.execute(
        "UPDATE hewer.tasks SET output = %s::jsonb WHERE id = %s", (right.text(), ids["task_id"])
    )
    held = conn.execute(
        "SELECT key, size, sha256 FROM hewer.payload_refs WHERE owner_id = %s", (ids["task_id"],)
    ).fetchall()
    assert held == [{"key": right.key, "size": right.size, "sha256": sha}]


# --- resolving ----------------------------------------------------------------------------------


def test_resolve_checks_the_checksum_and_the_tenant(
    dsn: str, conn: Conn, roles: Callable[[], str], payload_store: str
) -> None:
    tenant = _default_tenant(conn)
    other, oconn = _tenant_conn(dsn, conn, roles, "acme")
    oconn.close()
    payloads = Payloads()
    text = json.dumps(BIG)

    async def put(aconn: AsyncConnection[Any]) -> str:
        return await payloads.offload(aconn, tenant, "output", text)

    ref_text = _go(dsn, put)
    assert json.loads(ref_text)["$hewer_ref"]["size"] == len(text)
    _finished_task(conn, json.loads(ref_text))

    async def resolve(aconn: AsyncConnection[Any]) -> str:
        return await payloads.resolve_text(aconn, tenant, ref_text)

    assert json.loads(_go(dsn, resolve)) == BIG

    # Tenant isolation: the other tenant holds no row with that key.
    async def as_other(aconn: AsyncConnection[Any]) -> Any:
        cur = await aconn.execute(
            "SELECT * FROM hewer.payload_lookup(%s, %s)",
            (other, [json.loads(ref_text)["$hewer_ref"]["key"]]),
        )
        found = await cur.fetchall()
        assert found == []
        return await payloads.resolve_text(aconn, other, ref_text)

    with pytest.raises(PayloadError, match="is not an object of tenant"):
        _go(dsn, as_other)

    # The object changed behind Hewer's back (same length): a clear error, not wrong data.
    key = json.loads(ref_text)["$hewer_ref"]["key"]
    obstore.put(payloads.store, key, text.replace("x", "y", 1).encode())
    with pytest.raises(PayloadError, match="is corrupt"):
        _go(dsn, resolve)
    obstore.delete(payloads.store, key)
    with pytest.raises(PayloadError, match="missing from the store"):
        _go(dsn, resolve)


# --- the offloader ------------------------------------------------------------------------------


def test_the_offloader_moves_payloads_once_their_owner_is_done(
    dsn: str, conn: Conn, payload_store: str
) -> None:
    tenant = _default_tenant(conn)
    engine.register(conn, "wf", {"steps": [{"name": "s"}]})
    run = engine.trigger(conn, "wf", [BIG])[0]
    worker = engine.worker(conn, ["wf:s"])
    payloads = Payloads()
    offloader = Offloader(payloads, retry=0.0)
    # The run is queued: its input stays, and comes up again later.
    assert _go(dsn, offloader.run_pass) == 0
    due = conn.execute(
        "SELECT owner_table, not_before > now() AS later FROM hewer.payload_candidates"
    ).fetchall()
    assert due == [{"owner_table": "runs", "later": False}]
    claimed = engine.claim(conn, worker)
    output = {"result": "z" * 400_000}
    engine.complete(conn, claimed, [output])
    originals = _texts(conn, run["run_id"], claimed[0]["task_id"])
    assert _go(dsn, offloader.run_pass) == 2
    assert offloader.stats.moved == 2 and payloads.uploaded == 2
    assert conn.execute("SELECT count(*) AS n FROM hewer.payload_candidates").fetchone() == {"n": 0}
    stored = _texts(conn, run["run_id"], claimed[0]["task_id"])
    for table in ("runs", "tasks"):
        assert '"$hewer_ref"' in stored[table]

        async def back(aconn: AsyncConnection[Any], text: str = stored[table]) -> str:
            return await payloads.resolve_text(aconn, tenant, text)

        # Byte for byte what the column held.
        assert _go(dsn, back) == originals[table]
    refs = conn.execute("SELECT owner_table FROM hewer.payload_refs ORDER BY 1").fetchall()
    assert [r["owner_table"] for r in refs] == ["runs", "tasks"]
    # A second pass finds nothing.
    assert _go(dsn, offloader.run_pass) == 0


def test_the_offloader_survives_a_failing_store_and_a_changed_row(
    dsn: str, conn: Conn, tmp_path: Any
) -> None:
    ids = _finished_task(conn, BIG)
    conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(BIG),))
    # A store that cannot be written (a file where its directory should be).
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    bad = Payloads(blocked.as_uri())
    bad._store = obstore.store.LocalStore(str(blocked))
    (blocked / str(_default_tenant(conn))).write_text("not a directory")
    failing = Offloader(bad, retry=3600.0, event_age=0.0)
    assert _go(dsn, failing.run_pass) == 0
    assert failing.stats.failed == 2
    # Both were put off, not lost.
    later = conn.execute(
        "SELECT count(*) AS n FROM hewer.payload_candidates"
        " WHERE not_before > now() + interval '50 minutes'"
    ).fetchone()
    assert later == {"n": 2}
    conn.execute("UPDATE hewer.payload_candidates SET not_before = now()")
    good = Offloader(Payloads((tmp_path / "good").as_uri()), event_age=0.0)
    assert _go(dsn, good.run_pass) == 2
    assert conn.execute(
        "SELECT output ? '$hewer_ref' AS ref FROM hewer.tasks WHERE id = %s", (ids["task_id"],)
    ).fetchone() == {"ref": True}
    assert conn.execute("SELECT payload ? '$hewer_ref' AS ref FROM hewer.events").fetchone() == {
        "ref": True
    }


def test_a_swap_of_changed_bytes_writes_nothing_and_deletes_its_object(
    dsn: str, conn: Conn, tmp_path: Any
) -> None:
    tenant = _default_tenant(conn)
    ids = _finished_task(conn, BIG)
    payloads = Payloads((tmp_path / "p").as_uri())

    async def swap(aconn: AsyncConnection[Any]) -> bool:
        ref = await payloads.put(tenant, "output", b'{"not": "the output"}')
        cur = await aconn.execute(
            "SELECT hewer.payload_swap('tasks', %s, %s::jsonb) AS ok", (ids["task_id"], ref.text())
        )
        row = await cur.fetchone()
        assert row is not None
        return bool(row["ok"])

    assert _go(dsn, swap) is False
    assert conn.execute(
        "SELECT output ? 'blob' AS inline FROM hewer.tasks WHERE id = %s", (ids["task_id"],)
    ).fetchone() == {"inline": True}
    assert conn.execute("SELECT count(*) AS n FROM hewer.payload_candidates").fetchone() == {"n": 1}


def test_backfill_queues_payloads_stored_before_offload(
    dsn: str, conn: Conn, tmp_path: Any
) -> None:
    ids = _finished_task(conn, BIG)
    small = _finished_task(conn, {"small": 1}, workflow="wf2")
    conn.execute("DELETE FROM hewer.payload_candidates")  # as before migration 19
    offloader = Offloader(Payloads((tmp_path / "p").as_uri()))

    async def backfill(aconn: AsyncConnection[Any]) -> int:
        return await offloader.backfill(aconn, batch=1)  # one row a batch: pages through

    assert _go(dsn, backfill) == 1
    assert conn.execute("SELECT owner_id FROM hewer.payload_candidates").fetchall() == [
        {"owner_id": ids["task_id"]}
    ]
    assert _go(dsn, backfill) == 0  # already queued
    assert _go(dsn, offloader.run_pass) == 1
    assert small["task_id"] != ids["task_id"]


# --- the collector ------------------------------------------------------------------------------


def test_the_collector_deletes_objects_no_row_holds(
    dsn: str, conn: Conn, payload_store: str
) -> None:
    tenant = _default_tenant(conn)
    payloads = Payloads()
    text = json.dumps(BIG)

    async def upload(aconn: AsyncConnection[Any]) -> tuple[Ref, Ref]:
        kept = await payloads.put(tenant, "output", text.encode())
        lost = await payloads.put(tenant, "output", text.encode())
        return kept, lost

    kept, lost = _go(dsn, upload)
    _finished_task(conn, kept.value())
    # An upload whose transaction rolled back: the object, and no row.
    engine.register(conn, "rb", {"steps": [{"name": "s"}]})
    engine.trigger(conn, "rb", [{}])
    worker = engine.worker(conn, ["rb:s"])
    claimed = engine.claim(conn, worker)
    with conn.transaction() as tx:
        engine.complete(conn, claimed, [lost.value()])
        raise psycopg.Rollback(tx)
    assert conn.execute("SELECT key FROM hewer.payload_refs").fetchall() == [{"key": kept.key}]
    # Something else in the bucket is not Hewer's to delete.
    obstore.put(payloads.store, "README.txt", b"not a payload")
    # Within the grace nothing goes.
    collector = Collector(payloads, grace=3600)
    assert _go(dsn, collector.collect) == 0
    assert _exists(payloads, lost.key)

    async def collect_now(aconn: AsyncConnection[Any]) -> int:
        return await collector.collect(aconn, grace=0)

    assert _go(dsn, collect_now) == 1
    assert not _exists(payloads, lost.key)
    assert _exists(payloads, kept.key)
    assert _exists(payloads, "README.txt")


def test_dropping_a_partition_deletes_its_objects(
    dsn: str, conn: Conn, payload_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = _default_tenant(conn)
    payloads = Payloads()

    async def upload(aconn: AsyncConnection[Any]) -> Ref:
        return await payloads.put(tenant, "output", json.dumps(BIG).encode())

    ref = _go(dsn, upload)
    _finished_task(conn, ref.value())
    assert _exists(payloads, ref.key)
    # Every partition of today is past a 30-day retention 100 days from now.
    later = (datetime.now(UTC) + timedelta(days=100)).isoformat()
    monkeypatch.setenv("HEWER_DATABASE_URL", dsn)
    result = CliRunner().invoke(main, ["partitions", "drop", "--now", later])
    assert result.exit_code == 0, result.output
    assert "tasks_p" in result.output
    assert "deleted 1 payload objects" in result.output
    assert not _exists(payloads, ref.key)
    assert conn.execute("SELECT count(*) AS n FROM hewer.payload_refs").fetchone() == {"n": 0}


# --- the commands -------------------------------------------------------------------------------


def test_the_payloads_commands(
    dsn: str, conn: Conn, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEWER_DATABASE_URL", dsn)
    monkeypatch.setenv("HEWER_PAYLOAD_STORE", (tmp_path / "p").as_uri())
    _finished_task(conn, BIG)
    runner = CliRunner()
    status = runner.invoke(main, ["payloads", "status", "--json"])
    assert status.exit_code == 0, status.output
    row = json.loads(status.stdout.strip().splitlines()[-1])
    assert row["tenant"] == "default" and row["candidates"] == 1 and row["refs"] == 0
    conn.execute("DELETE FROM hewer.payload_candidates")
    text = conn.execute("SELECT output::text AS t FROM hewer.tasks").fetchone()["t"]  # type: ignore[index]
    moved = runner.invoke(main, ["payloads", "offload", "--backfill", "--json"])
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout) == {
        "queued": 1, "moved": 1, "bytes": len(text.encode()), "failed": 0, "changed": 0,
    }  # fmt: skip
    status = runner.invoke(main, ["payloads", "status", "--json"])
    row = json.loads(status.stdout.strip().splitlines()[-1])
    assert row["refs"] == 1 and row["objects"] == 1 and row["bytes"] > 300_000
    # An object no row holds, collected with --grace 0.
    stray = Payloads().store
    orphan = f"{_default_tenant(conn)}/output/2026/01/01/{uuid.uuid4().hex}.json"
    obstore.put(stray, orphan, b"{}")
    gc = runner.invoke(main, ["payloads", "gc", "--grace", "0", "--json"])
    assert gc.exit_code == 0, gc.output
    assert json.loads(gc.stdout)["objects_deleted"] == 1
    assert os.path.exists(tmp_path / "p" / orphan) is False


def test_a_tenant_offload_limit_from_the_command_line(
    conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEWER_DATABASE_URL", conn.info.dsn)
    tenant = _default_tenant(conn)
    runner = CliRunner()

    def limit() -> Any:
        listed = runner.invoke(main, ["tenants", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        return json.loads(listed.stdout)["max_offload_bytes"]

    made = runner.invoke(main, ["tenants", "update", "default", "--max-offload-bytes", "1kB"])
    assert made.exit_code == 0, made.output
    assert "max_offload_bytes" in made.output
    assert limit() == 1024
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT hewer.push_event('k', %s)", (Jsonb(_ref(tenant, size=1025)),))
    assert err.value.sqlstate == "HW010"
    runner.invoke(main, ["tenants", "update", "default", "--max-offload-bytes", "0"])
    assert limit() is None
    bad = runner.invoke(main, ["tenants", "update", "default", "--max-offload-bytes", "lots"])
    assert bad.exit_code != 0 and "--max-offload-bytes 'lots' is not a size" in bad.output


# --- event routing --------------------------------------------------------------------------


def test_event_filters_see_an_offloaded_payload_not_its_reference(
    dsn: str, conn: Conn, payload_store: str
) -> None:
    from pydispatch.events import Router
    from pyworker import Events
    from tests.test_events import push, register, route, runs_of

    tenant = _default_tenant(conn)
    register(conn, "big_orders", ["order.big"])
    Events(conn).create_filter("big_orders", "payload.n.size() == 3 && payload.blob.size() > 1000")
    payloads = Payloads()

    async def offload(aconn: AsyncConnection[Any]) -> str:
        return await payloads.offload(aconn, tenant, "event", json.dumps(BIG))

    ref = json.loads(_go(dsn, offload))
    assert "$hewer_ref" in ref
    push(conn, "order.big", ref)
    # A reference nobody stored: that event fails alone, and is not routed.
    push(conn, "order.big", _ref(tenant, key=f"{tenant}/event/2026/01/01/missing.json"))
    stats = route(dsn, Router(payloads=payloads))
    assert stats.runs == 1
    # The run's input is the event's payload as stored: the reference, resolved on assignment.
    assert [r["input"] for r in runs_of(conn, "big_orders")] == [ref]
    # Without the store, the filter sees the reference and does not match.
    push(conn, "order.big", ref)
    assert route(dsn, Router()).runs == 0
