"""CEL keys compiled to SQL: the compiled form agrees with celpy, and the rest is refused."""

from __future__ import annotations

import json
from typing import Any

import celpy
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Conn = psycopg.Connection[Any]

# Fields the expressions read, each with the JSON types it may hold. Where
# celpy departs from the CEL spec, Hewer follows the spec and the generated
# inputs stay clear: string(true) is "True" in celpy, true && 3 is 3, and
# null == 0 is an error (but null == "a" is false).
_TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def _text(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_TEXT, max_size=size)


FIELDS: dict[str, Any] = {
    "user_id": st.one_of(_text(8), st.integers(-1000, 1000)),
    "org": _text(6),
    "model": _text(6),
    "n": st.integers(-(10**6), 10**6),
    "flag": st.booleans(),
    "tags": st.lists(st.one_of(_text(3), st.integers(0, 9)), max_size=4),
    "meta": st.dictionaries(
        st.sampled_from(["a", "b", "k"]), st.integers(0, 9) | _text(3), max_size=3
    ),
    "x": st.one_of(st.none(), _text(3)),
}

EXPRESSIONS = [
    "input.user_id",
    'input.org + ":" + input.model',
    "input.n + 1",
    "input.n - input.n - 7",
    "-input.n",
    "string(input.n) + '/' + input.org",
    "string(input.user_id)",
    "int(input.n)",
    "size(input.org)",
    "size(input.tags)",
    "size(input.meta)",
    "input.tags[0]",
    "input.tags[1]",
    'input.meta["a"]',
    "input.meta.k",
    "input.flag ? input.org : input.model",
    "!input.flag",
    "input.flag && input.n > 0",
    "input.n > 0 || input.flag",
    "input.flag && input.x == 'b'",
    "input.x == null",
    "input.x == 'a' || input.n < 0",
    "input.n == 5",
    "input.org != input.model",
    "input.org < input.model",
    "input.n >= -3 ? 'big' : 'small'",
    "input.x",
    "input.user_id == input.n",
    "input.tags + input.tags",
    "input.missing",
    "input.meta.missing",
    "(input.org + input.model) + (input.org)",
    '"lit" + input.org',
    "true",
    "42",
]


def _key_text(value: Any) -> str:
    """The key text of a celpy result, by Hewer's rule: strings as is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(_plain(value), separators=(", ", ": "))


def _plain(value: Any) -> Any:
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, celpy.celtypes.IntType):
        return int(value)
    if isinstance(value, celpy.celtypes.StringType):
        return str(value)
    if isinstance(value, (celpy.celtypes.ListType, list)):
        return [_plain(v) for v in value]
    if isinstance(value, (celpy.celtypes.MapType, dict)):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _celpy(expr: str, data: dict[str, Any]) -> tuple[bool, str | None]:
    env = celpy.Environment()
    try:
        result = env.program(env.compile(expr)).evaluate({"input": celpy.json_to_cel(data)})
    except celpy.CELEvalError:
        return False, None
    if isinstance(result, celpy.CELEvalError):
        return False, None
    return True, _key_text(result)


def _sql(conn: Conn, expr: str, data: dict[str, Any]) -> tuple[bool, str | None]:
    row = conn.execute(
        "SELECT hewer.cel_key_eval(%s, %s::jsonb) AS k", (expr, json.dumps(data))
    ).fetchone()
    assert row is not None
    return row["k"] is not None, row["k"]


def _canonical(text: str | None) -> Any:
    """Compare JSON-shaped keys by value (PostgreSQL and Python space JSON differently)."""
    if text is None:
        return None
    try:
        return ("json", json.loads(text))
    except ValueError:
        return ("text", text)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    expr=st.sampled_from(EXPRESSIONS),
    data=st.fixed_dictionaries({}, optional=FIELDS),
)
def test_compiled_key_agrees_with_celpy(conn: Conn, expr: str, data: dict[str, Any]) -> None:
    expected_ok, expected = _celpy(expr, data)
    got_ok, got = _sql(conn, expr, data)
    assert got_ok == expected_ok, (expr, data, expected, got)
    if expected_ok:
        assert _canonical(got) == _canonical(expected), (expr, data)


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ('input.name.startsWith("a")', "method calls (.startsWith())"),
        ("has(input.a)", "the function has()"),
        ("user.id", "unknown identifier user"),
        ("input.n * 2", "the operator *"),
        ("input.n / 2", "the operator /"),
        ('{"a": 1}', "map literals"),
        ("[1, 2]", "list literals"),
        ("input.a in input.b", "the operator in"),
        ("input.", "expected a field name"),
        ("(input.a", 'expected ")"'),
        ("", "the key is empty"),
        ("'a\\q'", "the escape \\q"),
    ],
)
def test_unsupported_cel_is_rejected_naming_the_construct(
    conn: Conn, source: str, named: str
) -> None:
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT hewer._cel_compile(%s)", (source,))
    assert err.value.sqlstate == "HW020"
    assert named in str(err.value)


def test_compiled_sql_quotes_every_constant(conn: Conn) -> None:
    hostile = "input[\"x'); DROP TABLE hewer.runs; --\"] + '$$ab\\''"
    data = {"x'); DROP TABLE hewer.runs; --": "v"}
    assert _sql(conn, hostile, data) == (True, "v$$ab'")
    assert conn.execute("SELECT to_regclass('hewer.runs') IS NOT NULL AS ok").fetchone() == {
        "ok": True
    }
