"""Workflow registration: versions, checksums and spec validation."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.engine import DIAMOND, register, snapshot


def test_register_creates_version_and_steps(conn: psycopg.Connection[Any]) -> None:
    row = register(conn, "diamond", DIAMOND)
    assert row["version"] == 1 and row["created"] is True
    steps = conn.execute(
        "SELECT name, action, parents, max_attempts FROM hewer.steps WHERE version_id = %s "
        "ORDER BY ordinal",
        (row["version_id"],),
    ).fetchall()
    assert [s["name"] for s in steps] == ["a", "b", "c", "d"]
    assert steps[0]["action"] == "diamond:a"
    assert steps[3]["parents"] == ["b", "c"]
    assert all(s["max_attempts"] == 1 for s in steps)


def test_identical_spec_returns_existing_version(conn: psycopg.Connection[Any]) -> None:
    first = register(conn, "diamond", DIAMOND)
    again = register(conn, "diamond", DIAMOND)
    assert again["version_id"] == first["version_id"] and again["created"] is False


def test_changed_spec_is_a_new_current_version(conn: psycopg.Connection[Any]) -> None:
    first = register(conn, "wf", {"steps": [{"name": "a"}]})
    second = register(conn, "wf", {"steps": [{"name": "a", "retries": 2}]})
    assert second["version"] == 2 and second["created"]
    current = conn.execute("SELECT current_version_id FROM hewer.workflows WHERE name = 'wf'")
    assert current.fetchone()["current_version_id"] == second["version_id"]  # type: ignore[index]
    # Re-registering the old spec returns version 1 but leaves version 2 current.
    back = register(conn, "wf", {"steps": [{"name": "a"}]})
    assert back["version_id"] == first["version_id"] and not back["created"]
    current = conn.execute("SELECT current_version_id FROM hewer.workflows WHERE name = 'wf'")
    assert current.fetchone()["current_version_id"] == second["version_id"]  # type: ignore[index]


def test_spec_fields_are_normalized(conn: psycopg.Connection[Any]) -> None:
    row = register(
        conn,
        "tuned",
        {
            "steps": [
                {
                    "name": "call",
                    "action": "call_llm",
                    "retries": 3,
                    "timeout": 90,
                    "schedule_timeout": "10 minutes",
                    "backoff": {"base": "500 ms", "factor": 3, "max": "1m", "jitter": 0},
                    "priority": 5,
                }
            ]
        },
    )
    step = conn.execute(
        "SELECT * FROM hewer.steps WHERE version_id = %s", (row["version_id"],)
    ).fetchone()
    assert step is not None
    assert step["action"] == "call_llm" and step["max_attempts"] == 4 and step["priority"] == 5
    assert step["execution_timeout"].total_seconds() == 90
    assert step["schedule_timeout"].total_seconds() == 600
    assert step["backoff_base"].total_seconds() == 0.5 and step["backoff_factor"] == 3


BAD_SPECS: list[tuple[str, Any, str, str]] = [
    ("not an object", [1, 2], "HW001", "must be a JSON object"),
    ("no steps", {}, "HW001", '"steps" must be a non-empty array'),
    ("empty steps", {"steps": []}, "HW001", "non-empty array"),
    ("unknown top field", {"steps": [{"name": "a"}], "stepz": 1}, "HW001", 'unknown field "stepz"'),
    ("step not object", {"steps": ["a"]}, "HW001", "step #1 must be an object"),
    ("missing name", {"steps": [{"action": "x"}]}, "HW001", "step #1 has an invalid name"),
    ("bad name", {"steps": [{"name": "a b'; drop"}]}, "HW001", "invalid name"),
    ("duplicate", {"steps": [{"name": "a"}, {"name": "a"}]}, "HW001", 'step "a" is defined twice'),
    (
        "unknown parent",
        {"steps": [{"name": "a", "parents": ["zz"]}]},
        "HW001",
        "step \"a\": parent 'zz' is not a step",
    ),
    (
        "parents not array",
        {"steps": [{"name": "a", "parents": "b"}]},
        "HW001",
        '"parents" must be an array',
    ),
    ("retries range", {"steps": [{"name": "a", "retries": 101}]}, "HW001", "from 0 to 100"),
    ("retries type", {"steps": [{"name": "a", "retries": "3"}]}, "HW001", "must be an integer"),
    ("retries fraction", {"steps": [{"name": "a", "retries": 1.5}]}, "HW001", "from 0 to 100"),
    (
        "timeout garbage",
        {"steps": [{"name": "a", "timeout": "soon"}]},
        "HW001",
        "must be a duration",
    ),
    ("timeout range", {"steps": [{"name": "a", "timeout": "8 days"}]}, "HW001", "between"),
    ("timeout zero", {"steps": [{"name": "a", "timeout": 0}]}, "HW001", "between"),
    (
        "backoff max below base",
        {"steps": [{"name": "a", "backoff": {"base": "10s", "max": "1s"}}]},
        "HW001",
        "below backoff.base",
    ),
    (
        "backoff unknown",
        {"steps": [{"name": "a", "backoff": {"bse": "1s"}}]},
        "HW001",
        'unknown backoff field "bse"',
    ),
    ("factor range", {"steps": [{"name": "a", "backoff": {"factor": 0.5}}]}, "HW001", "between"),
    (
        "unknown step field",
        {"steps": [{"name": "a", "retry": 1}]},
        "HW001",
        'unknown field "retry"',
    ),
    ("self parent", {"steps": [{"name": "a", "parents": ["a"]}]}, "HW002", "its own parent"),
    (
        "cycle",
        {
            "steps": [
                {"name": "a"},
                {"name": "b", "parents": ["a", "d"]},
                {"name": "c", "parents": ["b"]},
                {"name": "d", "parents": ["c"]},
            ]
        },
        "HW002",
        "cycle: b -> d -> c -> b",
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "code", "message"), BAD_SPECS, ids=[c[0] for c in BAD_SPECS]
)
def test_invalid_spec_is_rejected_and_changes_nothing(
    conn: psycopg.Connection[Any], case: str, spec: Any, code: str, message: str
) -> None:
    register(conn, "existing", {"steps": [{"name": "a"}]})
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT * FROM hewer.workflow_register('existing', %s)", (Jsonb(spec),))
    assert err.value.sqlstate == code, case
    assert message in str(err.value), str(err.value)
    assert snapshot(conn) == before


def test_invalid_workflow_name(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.Error) as err:
        register(conn, "bad name'; --", {"steps": [{"name": "a"}]})
    assert err.value.sqlstate == "HW001"
    assert err.value.diag.message_hint and "letters, digits" in err.value.diag.message_hint


def test_malformed_json_is_rejected_by_postgres(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT * FROM hewer.workflow_register('x', '{\"steps\": [')")
    assert err.value.sqlstate == "22P02"  # invalid_text_representation, documented
    assert conn.execute("SELECT count(*) AS n FROM hewer.workflows").fetchone()["n"] == 0  # type: ignore[index]
