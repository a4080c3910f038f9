"""Checks on what workers and clients send: ids, attempts, JSON; worker reports parsed.

Every error names the field, the bad value and the fix, and is raised as
BadRequestError: gRPC calls answer it with INVALID_ARGUMENT, streams with a
StreamError and an Ack(accepted=false, reason="invalid").
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydispatch.reports import Kind, Report
from pydispatch.session import Session
from pyworker.proto import hewer_pb2 as pb

MAX_EXTEND_MS: Final = 7 * 24 * 3600 * 1000
# Errors are stored with a size limit (hewer.max_error_bytes, 256 KiB by default); longer
# ones are replaced by an excerpt rather than refused.
MAX_ERROR_CHARS: Final = 200 * 1024
ERROR_EXCERPT_CHARS: Final = 16 * 1024
# Log lines are stored up to this many characters (as hewer.task_log cuts them); the rest
# is cut, and the line says how much.
MAX_LOG_CHARS: Final = 16384
# at_unix_ms outside these bounds (1970 to 9999) is not a time: such lines get the
# dispatcher's clock.
_MAX_UNIX_MS: Final = 253402300799000
# Python's json module recurses once per level, so its limit is the interpreter's.
_DEPTH: Final = sys.getrecursionlimit() - 50


class BadRequestError(ValueError):
    """A request field is malformed; the message names the field and the fix."""


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """`value` as a UUID, or BadRequestError naming `field`."""
    try:
        return uuid.UUID(value)
    except ValueError:
        what = repr(value) if value else "empty"
        raise BadRequestError(
            f"{field} must be a UUID like 0190c6a2-7d1e-7c3a-9f00-1b2c3d4e5f60, got {what}"
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json(text: str, field: str, fix: str) -> str:
    """`text` if it is JSON that PostgreSQL's jsonb accepts, else BadRequestError naming `field`."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        reason = (
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise BadRequestError(f"{field} is not valid JSON ({reason}): {fix}") from None
    except RecursionError:
        raise BadRequestError(
            f"{field} is nested more deeply than the dispatcher parses (about {_DEPTH} levels of "
            f"arrays and objects): flatten it, or store the deep part as a string"
        ) from None
    if "\\u0000" in text:
        raise BadRequestError(f"{field} contains \\u0000, which PostgreSQL cannot store: {fix}")
    return text


def attempt_number(value: int, field: str) -> int:
    """`value` if it can be an attempt number (attempts count from 1)."""
    if value < 1:
        raise BadRequestError(
            f"{field} must be the attempt number from the Assignment (1 or more), got {value}"
        )
    return value


def unix_ms(ts: datetime | None) -> int:
    """Milliseconds since the epoch, as the proto's *_unix_ms fields carry them; 0 for None."""
    return int(ts.timestamp() * 1000) if ts is not None else 0


def maybe_uuid(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None (for notification payloads, which are not validated)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def parse_report(s: Session, rid: int, message: pb.WorkerMessage) -> Report:
    """A started/completed/failed/refresh message as a Report for the batcher.

    An empty output_json is stored as NULL (a task that returns nothing); an empty
    error_json becomes a {"type", "message"} object saying that no details came.
    """
    body = message.WhichOneof("body")
    if body == "started":
        m = message.started
        return Report(
            Kind.START,
            s,
            rid,
            parse_uuid(m.task_id, "started.task_id"),
            attempt_number(m.attempt, "started.attempt"),
        )
    if body == "completed":
        c = message.completed
        output = (
            check_json(
                c.output_json,
                "completed.output_json",
                "send the task's result serialized as JSON, e.g. json.dumps(result)",
            )
            if c.output_json
            else None
        )
        return Report(
            Kind.COMPLETE,
            s,
            rid,
            parse_uuid(c.task_id, "completed.task_id"),
            attempt_number(c.attempt, "completed.attempt"),
            payload=output,
        )
    if body == "failed":
        f = message.failed
        if len(f.error_json) > MAX_ERROR_CHARS:
            # Keep the failure (the task must not wait for its lease) but not all of it.
            error = json.dumps(
                {
                    "type": "error_too_large",
                    "message": f"the worker's error report was {len(f.error_json):,} characters; "
                    f"it began: {f.error_json[:ERROR_EXCERPT_CHARS]}",
                }
            )
        elif f.error_json:
            error = check_json(
                f.error_json,
                "failed.error_json",
                'send the error serialized as JSON, e.g. {"type": "ValueError", "message": "..."}',
            )
        elif f.cancelled:
            error = json.dumps(
                {"type": "cancelled", "message": "the worker stopped the task when told to cancel"}
            )
        else:
            error = json.dumps({"type": "unknown", "message": "the worker sent no error details"})
        return Report(
            Kind.FAIL,
            s,
            rid,
            parse_uuid(f.task_id, "failed.task_id"),
            attempt_number(f.attempt, "failed.attempt"),
            payload=error,
            retryable=f.retryable,
        )
    if body == "refresh":
        r = message.refresh
        if not 0 <= r.extend_by_ms <= MAX_EXTEND_MS:
            raise BadRequestError(
                f"refresh.extend_by_ms must be from 1 to {MAX_EXTEND_MS} (7 days), or 0 for "
                f"the step's timeout; got {r.extend_by_ms}"
            )
        return Report(
            Kind.REFRESH,
            s,
            rid,
            parse_uuid(r.task_id, "refresh.task_id"),
            attempt_number(r.attempt, "refresh.attempt"),
            extend_by=timedelta(milliseconds=r.extend_by_ms) if r.extend_by_ms else None,
        )
    raise BadRequestError(f"unknown message {body!r}")


def log_text(message: str) -> str:
    """A log line's message as it is stored: cut at MAX_LOG_CHARS, saying how much was cut."""
    if len(message) <= MAX_LOG_CHARS:
        return message
    return f"{message[:MAX_LOG_CHARS]} [cut: {len(message) - MAX_LOG_CHARS} more characters]"


def parse_log(s: Session, rid: int, line: pb.LogLine) -> Report | None:
    """A task's log line as a report to store, or None for a line of no task (task_id "")."""
    if not line.task_id:
        return None
    return Report(
        Kind.LOG,
        s,
        rid,
        parse_uuid(line.task_id, "log.task_id"),
        attempt_number(line.attempt, "log.attempt"),
        payload=log_text(line.message),
        level=line.level,
        logged_at=(
            datetime.fromtimestamp(line.at_unix_ms / 1000, UTC)
            if 0 < line.at_unix_ms <= _MAX_UNIX_MS
            else None
        ),
    )


def parse_stream(s: Session, rid: int, chunk: pb.TaskStream) -> Report:
    """An output chunk (ctx.stream) as a report to store."""
    if chunk.seq < 1:
        raise BadRequestError(f"stream.seq must count the attempt's chunks from 1, got {chunk.seq}")
    return Report(
        Kind.STREAM,
        s,
        rid,
        parse_uuid(chunk.task_id, "stream.task_id"),
        attempt_number(chunk.attempt, "stream.attempt"),
        payload=chunk.data,
        seq=chunk.seq,
    )
