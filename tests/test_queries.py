"""The SQL that Python calls: named blocks in .sql files (pyworker/sqlfile.py), each calling
hewer functions that exist, and no SQL text executed from code."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pydispatch.paths import REPO_ROOT
from pyworker.sqlfile import QueryFileError, load, parse

Conn = psycopg.Connection[Any]

QUERY_FILES = [
    REPO_ROOT / "pydispatch" / "queries.sql",
    REPO_ROOT / "pydispatch" / "tooling.sql",
    REPO_ROOT / "pydispatch" / "cli" / "queries.sql",
    REPO_ROOT / "pydispatch" / "api" / "queries.sql",
    REPO_ROOT / "pydispatch" / "olap.sql",
    REPO_ROOT / "pydispatch" / "payloads.sql",
    REPO_ROOT / "pyworker" / "queries.sql",
]
RUNTIME = [REPO_ROOT / "pydispatch", REPO_ROOT / "pyworker"]

_CALL = re.compile(r"\bhewer\.([a-z_][a-z0-9_]*)\s*\(", re.IGNORECASE)
_SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|SET|LISTEN|NOTIFY|CALL|DO)\b",
    re.IGNORECASE,
)


def test_every_query_file_is_found_by_the_runtime() -> None:
    on_disk = sorted(p for root in RUNTIME for p in root.rglob("*.sql"))
    assert on_disk == sorted(QUERY_FILES)


def test_every_hewer_function_the_queries_call_exists(conn: Conn) -> None:
    existing = {
        r["proname"]
        for r in conn.execute(
            "SELECT proname FROM pg_catalog.pg_proc WHERE pronamespace = 'hewer'::regnamespace"
        )
    }
    called: dict[str, set[str]] = {}
    for path in QUERY_FILES:
        for name, query in load(path).items():
            for function in _CALL.findall(query):
                called.setdefault(function.lower(), set()).add(f"{path.name}:{name}")
    assert len(called) > 50, sorted(called)
    missing = {f: sorted(where) for f, where in called.items() if f not in existing}
    assert missing == {}


def _sql_literal(node: ast.expr) -> bool:
    """A string (or f-string, or concatenation of them) that reads as SQL."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        text = node.value if isinstance(node.value, str) else node.value.decode(errors="ignore")
        return bool(_SQL_START.match(text))
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return isinstance(first, ast.Constant) and bool(_SQL_START.match(str(first.value)))
    if isinstance(node, ast.BinOp):
        return _sql_literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("encode", "format") and _sql_literal(node.func.value)
    return False


def test_no_runtime_module_executes_sql_text_of_its_own() -> None:
    offenders = []
    for root in RUNTIME:
        for path in sorted(root.rglob("*.py")):
            if "proto" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executemany")
                    and node.args
                    and _sql_literal(node.args[0])
                ):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_check_finds_inline_sql() -> None:
    """The AST check above is not vacuous: it flags the shapes it looks for."""
    for source in (
        'conn.execute("SELECT 1")',
        'cur.execute(f"SELECT {x}")',
        'conn.execute("SELECT 1".encode(), ())',
        'conn.execute("UPDATE t " + "SET a = 1")',
    ):
        call = ast.parse(source).body[0]
        assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
        assert _sql_literal(call.value.args[0]), source
    call = ast.parse('conn.execute(QUERIES["x"])').body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert not _sql_literal(call.value.args[0])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", "defined twice"),
        ("-- name: a\n\n-- name: b\nSELECT 2;\n", "is empty"),
        ("SELECT 0;\n-- name: a\nSELECT 1;\n", "before the first"),
    ],
)
def test_a_malformed_query_file_is_refused(text: str, problem: str) -> None:
    with pytest.raises(QueryFileError, match=problem):
        parse(text)


def test_query_files_ship_with_the_package() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    for path in QUERY_FILES:
        assert Path(path).name in pyproject
