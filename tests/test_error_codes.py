"""The one list of error codes (pydispatch/error_codes.py) and what comes from it."""

from __future__ import annotations

import re
from typing import Any

import grpc
import psycopg
import pytest

from pydispatch import error_codes, paths
from pydispatch.error_codes import CODES
from pydispatch.status import status_code

Conn = psycopg.Connection[Any]

_RAISED = re.compile(r"ERRCODE\s*=\s*'(HW\d{3})'")


def _raised_in_sql() -> set[str]:
    found: set[str] = set()
    for root in (paths.sql_dir(), paths.migrations_dir()):
        for path in root.rglob("*.sql"):
            if path.name == "error_codes.sql":
                continue
            found |= set(_RAISED.findall(path.read_text()))
    return found


def test_every_code_raised_is_listed_and_every_listed_code_is_raised() -> None:
    listed = {c.code for c in CODES}
    raised = _raised_in_sql()
    assert sorted(raised - listed) == [], "raised in sql/ but missing from error_codes.py"
    assert sorted(listed - raised) == [], "listed in error_codes.py but raised nowhere"
    assert len(listed) == len(CODES), "a code is listed twice"
    assert len({c.name for c in CODES}) == len(CODES), "a name is used twice"


def test_the_sql_function_and_the_docs_table_are_written_from_the_list() -> None:
    sql_file = paths.sql_dir() / error_codes.SQL_FILE
    assert sql_file.read_text() == error_codes.render_sql(), "run `make codes`"
    docs = error_codes.DOCS_FILE.read_text()
    assert error_codes.docs_with_table(docs) == docs, "run `make codes`"
    assert error_codes.main(["--check"]) == 0


def test_statuses_are_members_and_agree() -> None:
    http_for = {
        "INVALID_ARGUMENT": {400, 413},
        "NOT_FOUND": {404},
        "FAILED_PRECONDITION": {409},
        "UNAUTHENTICATED": {401},
        "PERMISSION_DENIED": {403},
        "RESOURCE_EXHAUSTED": {429},
    }
    for c in CODES:
        assert c.grpc in grpc.StatusCode.__members__, c
        assert c.http in http_for[c.grpc], c


def test_the_database_lists_the_codes_and_raises_them_with_their_status(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT code, name, grpc_status, http_status, raised_when, fix FROM hewer.error_codes()"
    ).fetchall()
    assert [tuple(r.values()) for r in rows] == [
        (c.code, c.name, c.grpc, c.http, c.raised_when, c.fix) for c in CODES
    ]
    # A real error from a real call carries a listed code, mapped to its listed status.
    with pytest.raises(psycopg.Error) as caught:
        conn.execute("SELECT hewer.run_trigger('no_such_workflow', ARRAY['{}'::jsonb])")
    assert caught.value.sqlstate == "HW003"
    assert status_code(caught.value) == grpc.StatusCode[error_codes.BY_CODE["HW003"].grpc]
