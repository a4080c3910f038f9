"""pydispatch.db.array_literal: what the report calls and the analytics feed pass instead of
Python lists. Each literal is read back by a real PostgreSQL and must give the values."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import psycopg

from pydispatch.db import array_literal

AWKWARD = [
    "plain",
    "",
    " spaced ",
    'a "quoted" word',
    'back\\slash and \\"both\\',
    "comma, {braces} and ;",
    "NULL",
    "null",
    "ünïcödé ✓",
    "line\nbreak\ttab",
]


def roundtrip(admin: psycopg.Connection[Any], values: list[Any], pg_type: str) -> list[Any]:
    row = admin.execute(f"SELECT %s::{pg_type}[] AS v", (array_literal(values),)).fetchone()
    assert row is not None
    return list(row["v"] if isinstance(row, dict) else row[0])


def test_text_survives_quotes_backslashes_and_the_word_null(
    admin: psycopg.Connection[Any],
) -> None:
    assert roundtrip(admin, [*AWKWARD, None], "text") == [*AWKWARD, None]


def test_ids_numbers_booleans_dates_and_times(admin: psycopg.Connection[Any]) -> None:
    ids = [uuid.uuid4(), None, uuid.UUID(int=0)]
    assert roundtrip(admin, ids, "uuid") == ids
    assert roundtrip(admin, [1, -7, None, 2**40], "bigint") == [1, -7, None, 2**40]
    assert roundtrip(admin, [True, False, None], "boolean") == [True, False, None]
    assert roundtrip(admin, [date(2026, 12, 6), None], "date") == [date(2026, 12, 6), None]
    plus_five = timezone(timedelta(hours=5, minutes=30))
    times = [
        datetime(2026, 12, 6, 4, 30, 1, 123456, tzinfo=UTC),
        datetime(2026, 12, 6, 10, 0, tzinfo=plus_five),
        None,
    ]
    assert roundtrip(admin, times, "timestamptz") == times


def test_json_texts_come_back_as_the_same_documents(admin: psycopg.Connection[Any]) -> None:
    docs = [{"k": v} for v in AWKWARD] + [None, [1, "x\\"], "s"]
    got = roundtrip(admin, [json.dumps(d) for d in docs], "jsonb")
    assert got == docs
    assert array_literal([]) == "{}"
