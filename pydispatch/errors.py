"""Errors that hewer reports to users, and how any error becomes one clear line."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


class HewerError(Exception):
    """An error with a message meant for the user: it names the thing, the problem and the fix."""


def describe(exc: BaseException) -> str:
    """One line for the user: SQLSTATE, message and hint for database errors, else the message."""
    # psycopg is the server extra's: where it is not loaded, no error can be one of its own.
    psycopg_module = sys.modules.get("psycopg")
    if psycopg_module is not None and isinstance(exc, psycopg_module.Error):
        return describe_db_error(exc)
    if isinstance(exc, subprocess.CalledProcessError):
        cmd = exc.cmd if isinstance(exc.cmd, str) else " ".join(str(c) for c in exc.cmd)
        return f"command failed with exit code {exc.returncode}: {cmd}"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def describe_db_error(exc: psycopg.Error) -> str:
    """`ERROR <sqlstate>: <message> (hint: <hint>)`, on a single line."""
    diag = exc.diag
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    parts = []
    if exc.sqlstate:
        parts.append(f"{diag.severity or 'ERROR'} {exc.sqlstate}: {message}")
    else:
        parts.append(message)
    if diag.message_detail:
        parts.append(f"(detail: {diag.message_detail})")
    if diag.message_hint:
        parts.append(f"(hint: {diag.message_hint})")
    elif exc.sqlstate == "42501":
        # A tenant's role reaching for what only trusted roles may (the schema's bookkeeping,
        # partitions, other tenants): say who may, and what a tenant uses instead.
        parts.append(
            "(hint: this needs a role trusted with every tenant: a member of hewer_owner, such "
            "as the role that ran hewer migrate. A tenant's role uses the SQL functions directly, "
            "and hewer run and hewer worker with an API token; see docs/tenants.md, "
            "'Commands and the roles they need')"
        )
    return " ".join(" ".join(parts).split())
