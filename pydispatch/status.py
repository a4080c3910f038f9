"""Database errors as gRPC statuses: the one place that maps SQLSTATEs to status codes."""

from __future__ import annotations

from typing import Final

import grpc
import psycopg

# Hewer's own SQLSTATEs (documented in sql/functions/00_helpers.sql).
HEWER_CODES: Final[dict[str, grpc.StatusCode]] = {
    "HW001": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_spec
    "HW002": grpc.StatusCode.INVALID_ARGUMENT,  # cyclic_dag
    "HW003": grpc.StatusCode.NOT_FOUND,  # unknown_workflow
    "HW004": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_input
    "HW005": grpc.StatusCode.NOT_FOUND,  # unknown_task
    "HW006": grpc.StatusCode.FAILED_PRECONDITION,  # stale_attempt
    "HW007": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_argument
    "HW008": grpc.StatusCode.NOT_FOUND,  # unknown_worker
    "HW009": grpc.StatusCode.NOT_FOUND,  # unknown_run
    "HW090": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_metadata
    "HW091": grpc.StatusCode.FAILED_PRECONDITION,  # parent_not_active
    "HW080": grpc.StatusCode.FAILED_PRECONDITION,  # immutable_history
    "HW081": grpc.StatusCode.NOT_FOUND,  # unknown_version
    "HW082": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_run_filter
    "HW083": grpc.StatusCode.FAILED_PRECONDITION,  # run_not_replayable
    "HW084": grpc.StatusCode.INVALID_ARGUMENT,  # invalid_replay_from
    "HW092": grpc.StatusCode.NOT_FOUND,  # unknown tenant or role
    "HW093": grpc.StatusCode.UNAUTHENTICATED,  # bad, unknown, revoked or expired API token
    "HW094": grpc.StatusCode.RESOURCE_EXHAUSTED,  # over the tenant's trigger rate
    "HW095": grpc.StatusCode.PERMISSION_DENIED,  # only a trusted role may do this
    "HW100": grpc.StatusCode.NOT_FOUND,  # no such failing or quarantined item
    "HW120": grpc.StatusCode.PERMISSION_DENIED,  # a tenant role chose the time (p_now)
    "HW121": grpc.StatusCode.RESOURCE_EXHAUSTED,  # over a tenant's cap (crons, filters, ...)
    "HW122": grpc.StatusCode.INVALID_ARGUMENT,  # a cron more frequent than the tenant allows
}

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
