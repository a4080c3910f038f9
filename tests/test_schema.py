"""Schema, migrations and the function loader.

The canonical schema (sql/schema.sql) and the migrations must build the same
database; hewer must refuse a database it does not match, naming the fix.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from yoyo.connections import parse_uri

from pydispatch import migrate, paths, schema
from pydispatch.schema import (
    EXPECTED_SCHEMA_VERSION,
    SchemaMismatchError,
    check_schema,
    migration_files,
)
from tests import catalog
from tests.conftest import TEMPLATE_DB

CreateDb = Callable[..., str]


def _snapshot(dsn: str) -> dict[str, list[dict[str, Any]]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return catalog.snapshot(conn)


def _reference(create_database: CreateDb) -> dict[str, list[dict[str, Any]]]:
    """The catalog of a database migrated by the session (a copy of the template)."""
    return _snapshot(create_database(TEMPLATE_DB))


def test_schema_matches_migrations(create_database: CreateDb) -> None:
    from_schema = create_database()
    with psycopg.connect(from_schema, autocommit=True) as conn:
        migrate.build_from_schema(conn)
    from_migrations = create_database()
    migrate.up(from_migrations)

    a, b = _snapshot(from_schema), _snapshot(from_migrations)
    assert catalog.diff(a, b) == "", "sql/schema.sql and migrations/ build different databases"
    # The comparison is only meaningful if it saw the objects.
    names = {r["relname"] for r in a["relations"]}
    assert {"meta", "runs", "tasks", "queue", "runs_default"} <= names
    assert any(r["nspname"] == "pgmq" for r in a["functions"])
    assert {r["proname"] for r in a["functions"] if r["nspname"] == "hewer"} >= {
        "uuidv7",
        "uuid_floor",
        "uuid_time",
        "current_tenant",
    }


def test_migration_files_are_numbered_reversible_and_set_their_version() -> None:
    files = schema.migration_files()
    assert [int(p.name[:4]) for p in files] == list(range(1, len(files) + 1))
    assert len(files) == EXPECTED_SCHEMA_VERSION
    for number, path in enumerate(files, start=1):
        assert path.with_name(path.name[: -len(".sql")] + ".rollback.sql").exists(), path
        text = path.read_text()
        assert re.search(rf"schema_version\b[^;]*\b{number}\b", text), (
            f"{path.name} must set hewer.meta.schema_version to {number}"
        )
    latest = (paths.sql_dir() / "schema.sql").read_text()
    assert re.search(rf"schema_version\b[^;]*\b{len(files)}\b", latest), (
        f"sql/schema.sql must set schema_version to {len(files)}"
    )


# --- check_schema ---------------------------------------------------------------


def test_check_schema_accepts_a_migrated_database(conn: psycopg.Connection[Any]) -> None:
    check_schema(conn)


def test_check_schema_refuses_a_database_without_hewer(create_database: CreateDb) -> None:
    with (
        psycopg.connect(create_database(), autocommit=True) as conn,
        pytest.raises(SchemaMismatchError, match=r"no hewer schema: run `hewer migrate up`"),
    ):
        check_schema(conn)


def test_check_schema_refuses_an_older_database(conn: psycopg.Connection[Any]) -> None:
    older = EXPECTED_SCHEMA_VERSION - 1
    conn.execute("UPDATE hewer.meta SET schema_version = %s", (older,))
    with pytest.raises(
        SchemaMismatchError, match=rf"schema version {older}, .* run `hewer migrate up`$"
    ):
        check_schema(conn)


def test_check_schema_refuses_a_newer_database(conn: psycopg.Connection[Any]) -> None:
    newer = EXPECTED_SCHEMA_VERSION + 1
    conn.execute("UPDATE hewer.meta SET schema_version = %s", (newer,))
    expected = (
        rf"this hewer is older than the database \(schema {newer}, "
        rf"this code knows {EXPECTED_SCHEMA_VERSION}\): upgrade hewer"
    )
    with pytest.raises(SchemaMismatchError, match=expected):
        check_schema(conn)


def test_check_schema_refuses_stale_functions_until_migrate_up(
    conn: psycopg.Connection[Any], dsn: str
) -> None:
    conn.execute("UPDATE hewer.meta SET functions_checksum = 'stale'")
    with pytest.raises(
        SchemaMismatchError, match=r"run `hewer migrate up` to reload the SQL functions"
    ):
        check_schema(conn)
    result = migrate.up(dsn)
    assert result.applied == []
    check_schema(conn)


# --- the function loader --------------------------------------------------------


def _hewer_functions(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = 'hewer'::regnamespace"
    ).fetchall()
    return {r["proname"] for r in rows}


def test_reload_drops_functions_no_longer_in_the_bundle(
    conn: psycopg.Connection[Any], dsn: str
) -> None:
    before = _hewer_functions(conn)
    conn.execute(
        "CREATE FUNCTION hewer.zz_removed_api(a int) RETURNS int LANGUAGE sql AS 'SELECT a'"
    )
    migrate.up(dsn)
    after = _hewer_functions(conn)
    assert "zz_removed_api" not in after
    assert after == before
    # The schema's own functions survive whether or not a column default uses them.
    assert {"uuidv7", "uuid_floor", "uuid_time", "current_tenant"} <= after


def test_reload_drops_bundle_functions_that_only_other_bundle_functions_use(
    conn: psycopg.Connection[Any], dsn: str
) -> None:
    conn.execute("CREATE FUNCTION hewer.zz_inner() RETURNS int LANGUAGE sql RETURN 1")
    conn.execute(
        "CREATE FUNCTION hewer.zz_outer() RETURNS int LANGUAGE sql BEGIN ATOMIC"
        " SELECT hewer.zz_inner(); END"
    )
    migrate.up(dsn)
    assert not {"zz_inner", "zz_outer"} & _hewer_functions(conn)


def test_a_failing_bundle_file_is_named_and_changes_nothing(
    conn: psycopg.Connection[Any], dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql_copy = tmp_path / "sql"
    shutil.copytree(paths.sql_dir(), sql_copy)
    (sql_copy / "functions" / "events" / "zz_broken.sql").write_text(
        "-- a broken file\n\n"
        "CREATE FUNCTION hewer.zz_broken() RETURNS int\nLANGUAGE sql AS $$ SELEC 1 $$;\n"
    )
    monkeypatch.setenv("HEWER_SQL_DIR", str(sql_copy))
    before = _hewer_functions(conn)
    checksum = conn.execute("SELECT functions_checksum FROM hewer.meta").fetchone()
    with pytest.raises(migrate.FunctionLoadError, match=r"zz_broken\.sql line \d+: ERROR 42601: "):
        migrate.up(dsn)
    assert _hewer_functions(conn) == before
    assert conn.execute("SELECT functions_checksum FROM hewer.meta").fetchone() == checksum


def test_the_bundle_is_loaded_in_its_written_order_and_leaves_no_file_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [str(p.relative_to(paths.sql_dir())) for p in paths.function_files()]
    assert files[:2] == ["functions/base/error_codes.sql", "functions/base/helpers.sql"]
    assert files[-1] == "privileges.sql"
    assert files.index("functions/claims/task_claim.sql") < files.index(
        "partitions/_partitions.sql"
    )
    on_disk = {
        str(p.relative_to(paths.sql_dir()))
        for sub in ("functions", "partitions")
        for p in (paths.sql_dir() / sub).rglob("*.sql")
    }
    assert set(files) == on_disk | {"privileges.sql"}
    # A file the order does not name is refused, with the fix, before anything is loaded.
    sql_copy = tmp_path / "sql"
    shutil.copytree(paths.sql_dir(), sql_copy)
    (sql_copy / "functions" / "stray.sql").write_text("SELECT 1;\n")
    monkeypatch.setenv("HEWER_SQL_DIR", str(sql_copy))
    with pytest.raises(paths.BundleError, match=r"functions/stray\.sql not in .*bundle\.txt"):
        paths.function_files()


def test_schema_function_names_come_from_schema_sql() -> None:
    assert migrate.schema_function_names() == [
        "_events_immutable",
        "_history_guard",
        "_olap_capture",
        "_payload_track",
        "_trusted",
        "current_tenant",
        "uuid_floor",
        "uuid_time",
        "uuidv7",
    ]


# --- migrate up / down / status / new ---------------------------------------------


def test_down_then_up_rebuilds_the_same_schema(dsn: str, create_database: CreateDb) -> None:
    reference = _reference(create_database)
    ids = [m.stem for m in migration_files()]
    assert migrate.down(1, dsn) == ids[-1:]
    assert migrate.status(dsn).pending == ids[-1:]
    assert migrate.up(dsn).applied == ids[-1:]
    assert catalog.diff(reference, _snapshot(dsn)) == ""

    assert migrate.down(len(ids), dsn) == ids[::-1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT to_regnamespace('hewer')").fetchone()
        assert row == (None,)
        with pytest.raises(SchemaMismatchError, match="run `hewer migrate up`"):
            check_schema(conn)
    st = migrate.status(dsn)
    assert st.applied == [] and st.pending == ids and st.schema_version is None

    result = migrate.up(dsn)
    assert result.applied == ids
    assert result.pgmq == "present"
    assert catalog.diff(reference, _snapshot(dsn)) == ""


def test_up_twice_changes_nothing(dsn: str, create_database: CreateDb) -> None:
    reference = _reference(create_database)
    result = migrate.up(dsn)
    assert result.applied == [] and result.pgmq == "present"
    assert catalog.diff(reference, _snapshot(dsn)) == ""


def test_concurrent_migrators_take_turns(create_database: CreateDb) -> None:
    reference = _reference(create_database)
    target = create_database()
    barrier = threading.Barrier(3)
    results: list[migrate.UpResult] = []
    errors: list[BaseException] = []

    def migrator() -> None:
        barrier.wait()
        try:
            results.append(migrate.up(target))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=migrator) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(len(r.applied) for r in results) == [0, 0, len(migration_files())]
    assert sorted(r.pgmq for r in results) == ["present", "present", "sql"]
    assert catalog.diff(reference, _snapshot(target)) == ""
    with psycopg.connect(target, autocommit=True) as conn:
        check_schema(conn)
        row = conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone()
        assert row == (len(migration_files()),)


def test_status_reports_applied_version_and_checksum(dsn: str) -> None:
    st = migrate.status(dsn)
    assert st.applied == [p.stem for p in schema.migration_files()]
    assert st.pending == []
    assert st.schema_version == st.expected_version == EXPECTED_SCHEMA_VERSION
    assert st.functions_ok


def test_new_creates_the_next_numbered_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(paths.migrations_dir(), copy)
    monkeypatch.setenv("HEWER_MIGRATIONS_DIR", str(copy))
    forward, rollback = migrate.new("Add widgets!")
    n = EXPECTED_SCHEMA_VERSION + 1
    assert forward.name == f"{n:04d}_add_widgets.sql"
    assert rollback.name == f"{n:04d}_add_widgets.rollback.sql"
    assert f"schema_version = {n};" in forward.read_text()
    assert f"schema_version = {n - 1};" in rollback.read_text()
    assert schema.expected_schema_version() == n
    with pytest.raises(migrate.MigrationError, match="pick a name"):
        migrate.new("!!!")


def test_yoyo_url_keeps_unix_sockets_and_credentials() -> None:
    url = migrate.yoyo_url("postgresql://al%40ice:p%2Fw@/my%20db?host=/tmp/sock%20dir&port=5433")
    parsed = parse_uri(url)
    assert parsed.scheme == "postgresql+psycopg"
    assert parsed.args == {
        "user": "al@ice",
        "password": "p/w",
        "dbname": "my db",
        "host": "/tmp/sock dir",
        "port": "5433",
    }
