"""Which database hewer talks to, and connections to it.

HEWER_DATABASE_URL (any libpq URL or key=value string) selects a server; without
it, hewer uses the embedded PostgreSQL, starting it when needed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow

from pydispatch import embedded

URL_ENV = "HEWER_DATABASE_URL"


def configured_url() -> str | None:
    """HEWER_DATABASE_URL, or None when hewer should use the embedded server."""
    return os.environ.get(URL_ENV) or None


def database_url() -> str:
    """HEWER_DATABASE_URL if set, else the embedded server's URL (started if needed)."""
    return configured_url() or embedded.start()


def connect(
    url: str | None = None, *, autocommit: bool = True, **kwargs: Any
) -> psycopg.Connection[TupleRow]:
    """A new connection to `url` (default: database_url()), tagged with application_name."""
    conninfo = url or database_url()
    params = conninfo_to_dict(conninfo)
    params.setdefault("application_name", "hewer")
    return psycopg.connect(make_conninfo("", **params), autocommit=autocommit, **kwargs)


def with_dbname(url: str, dbname: str) -> str:
    """The same server and credentials as `url`, database `dbname` (key=value form)."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def redact(url: str) -> str:
    """`url` with any password replaced by `***`, for display."""
    if "://" not in url:
        params = conninfo_to_dict(url)
        if params.get("password"):
            params["password"] = "***"  # noqa: S105 - a mask, not a password
        return make_conninfo("", **params)
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = urlencode(
        [
            (k, "***" if k == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="/*",
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


# SQLSTATEs of a session the server ended or could not start: admin_shutdown, crash_shutdown,
# cannot_connect_now, too_many_connections.
_SESSION_ENDED = frozenset({"57P01", "57P02", "57P03", "53300"})


def connection_lost(exc: psycopg.Error) -> bool:
    """Whether an error means the connection is gone (retry on a new one), not that the statement
    failed. psycopg files every unknown SQLSTATE class under OperationalError, Hewer's own HWxxx
    errors included, so OperationalError alone says nothing about the connection."""
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _SESSION_ENDED


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of `values` (ids, numbers, booleans, text, dates and times;
    None is NULL), to be cast by the query (`%(x)s::uuid[]`). The report calls and the
    analytics feed pass their arrays so: psycopg's list dumper looks up a dumper per element,
    which cost the dispatcher a sixth of its time."""
    return "{" + ",".join(_element(v) for v in values) + "}"


def _element(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (uuid.UUID, int)):
        return str(value)
    # date and datetime: ISO 8601 (an aware datetime keeps its offset; a naive one is read
    # in the session's time zone, as psycopg's own dumper has it).
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
