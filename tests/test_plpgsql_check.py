"""plpgsql_check, the PL/pgSQL linter, over every PL/pgSQL function of schema hewer and of the
analytics store (schema hewer_olap, sql/olap/store.sql).

It runs on servers that have the plpgsql_check extension: Debian's
postgresql-15-plpgsql-check, which .ci/run installs for the PostgreSQL 15 pass (and
`make test15` insists on). tests/conftest.py leaves this file out of the collection
on a server without it, such as the embedded PostgreSQL 18.

Every finding fails the test: errors (e.g. a relation that does not resolve with the
definer functions' search_path, such as a session temp table), security warnings
(dynamic SQL built from unquoted text), type coercions, unused variables. Two kinds
of rows are not findings, listed in _NOT_FINDINGS with the reason.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pydispatch import olap

Conn = psycopg.Connection[Any]

# Every PL/pgSQL function of schemas hewer and hewer_olap; a trigger function is checked against
# the first table it is attached to (the linter needs one to type NEW and OLD),
# with that trigger's transition tables.
_CHECK = """
SELECT p.oid::regprocedure::text AS function, c.lineno, c.sqlstate, c.message, c.level, c.query
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
LEFT JOIN LATERAL (
    SELECT t.tgrelid, t.tgoldtable, t.tgnewtable FROM pg_catalog.pg_trigger t
    WHERE t.tgfoid = p.oid ORDER BY t.tgrelid LIMIT 1) trg ON true
CROSS JOIN LATERAL public.plpgsql_check_function_tb(
    p.oid, coalesce(trg.tgrelid, 0),
    oldtable => trg.tgoldtable, newtable => trg.tgnewtable,
    fatal_errors => false, other_warnings => true, performance_warnings => false,
    extra_warnings => true, security_warnings => true) c
WHERE p.pronamespace::regnamespace::text IN ('hewer', 'hewer_olap')
ORDER BY 1, 2
"""


def _not_a_finding(row: dict[str, Any]) -> bool:
    # The linter reports each RAISE of our own errors (SQLSTATE class HW) that it
    # can see is reached for some input: those are the API's documented errors.
    if (row["sqlstate"] or "").startswith("HW"):
        return True
    # One trigger function guards four tables (workflow_versions, runs, tasks,
    # task_events) and reads the fields of the one TG_ARGV names; the linter types
    # OLD by the first table only.
    return bool(row["function"] == "hewer._history_guard()" and row["sqlstate"] == "42703")


def test_plpgsql_check_finds_nothing_in_any_function(conn: Conn) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    conn.execute(olap.store_sql())
    rows = [dict(r) for r in conn.execute(_CHECK).fetchall()]
    assert any(r["function"] == "hewer._history_guard()" for r in rows), "the linter ran"
    store = conn.execute(
        "SELECT count(*) AS n FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l"
        " ON l.oid = p.prolang WHERE l.lanname = 'plpgsql'"
        " AND p.pronamespace = 'hewer_olap'::regnamespace"
    ).fetchone()
    assert store is not None and store["n"] >= 5, "the store's functions are there to check"
    findings = [
        f"{r['function']} line {r['lineno']}: {r['level']} {r['sqlstate']}: {r['message']}"
        for r in rows
        if not _not_a_finding(r)
    ]
    assert findings == []


def test_the_linter_catches_a_session_temp_table_in_definer_code(conn: Conn) -> None:
    """The check above can fail: a function written as _spec_crons_sync once was."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    conn.execute(
        "CREATE FUNCTION hewer._lint_probe() RETURNS void LANGUAGE plpgsql"
        " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$"
        " BEGIN CREATE TEMP TABLE IF NOT EXISTS _probe (x int) ON COMMIT DROP;"
        " INSERT INTO _probe VALUES (1); END $$"
    )
    rows = [dict(r) for r in conn.execute(_CHECK).fetchall()]
    probe = [r for r in rows if r["function"] == "hewer._lint_probe()"]
    assert [(r["level"], r["sqlstate"]) for r in probe] == [("error", "42P01")]
