"""Database errors as gRPC statuses: the one place that maps SQLSTATEs to status codes."""

from __future__ import annotations

from typing import Final

import grpc
import psycopg

from pydispatch.error_codes import CODES

# Hewer's own SQLSTATEs, from the one list (pydispatch/error_codes.py).
HEWER_CODES: Final[dict[str, grpc.StatusCode]] = {c.code: grpc.StatusCode[c.grpc] for c in CODES}

# Standard SQLSTATE classes and codes that say something about the request.
_STANDARD_CODES: Final[dict[str, grpc.StatusCode]] = {
    "22P02": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_text_representation (bad uuid, json)
    "22P05": grpc.StatusCode.INVALID_ARGUMENT,  # untranslatable_character (\u0000 in json)
    "22023": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_parameter_value
    "22003": grpc.StatusCode.INVALID_ARGUMENT,  # numeric_value_out_of_range
    "40001": grpc.StatusCode.ABORTED,  # serialization_failure
    "40P01": grpc.StatusCode.ABORTED,  # deadlock_detected
    "55P03": grpc.StatusCode.ABORTED,  # lock_not_available
    "57014": grpc.StatusCode.DEADLINE_EXCEEDED,  # query_canceled (statement_timeout)
    "53300": grpc.StatusCode.RESOURCE_EXHAUSTED,  # too_many_connections
}


def status_code(exc: BaseException) -> grpc.StatusCode:
    """The gRPC status code for a database (or pool) error."""
    if isinstance(exc, TimeoutError):
        return grpc.StatusCode.UNAVAILABLE
    if not isinstance(exc, psycopg.Error):
        return grpc.StatusCode.INTERNAL
    state = exc.sqlstate or ""
    code = HEWER_CODES.get(state) or _STANDARD_CODES.get(state)
    if code is None and state.startswith("HW"):
        code = grpc.StatusCode.FAILED_PRECONDITION
    if code is None and (state.startswith("08") or isinstance(exc, psycopg.OperationalError)):
        code = grpc.StatusCode.UNAVAILABLE
    return code or grpc.StatusCode.INTERNAL


def details(exc: BaseException) -> str:
    """The database's message and hint, on one line: what the client is told."""
    if isinstance(exc, psycopg.Error):
        diag = exc.diag
        message = diag.message_primary or str(exc).strip() or type(exc).__name__
        if diag.message_hint:
            message = f"{message} (hint: {diag.message_hint})"
        if exc.sqlstate and exc.sqlstate.startswith("HW"):
            message = f"{message} [{exc.sqlstate}]"
        return " ".join(message.split())
    if isinstance(exc, TimeoutError):
        return "the database did not answer in time; retry"
    return " ".join((str(exc) or type(exc).__name__).split())
