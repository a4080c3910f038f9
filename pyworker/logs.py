"""Logging for hewer's processes (dispatcher, worker), as JSON lines or as text, chosen by
the same --log-format flag on both.

JSON: one object per line, with the record's extra fields.

`log.info("claimed", extra={"worker_id": w, "count": 3})` becomes
`{"ts": "...", "level": "INFO", "logger": "hewer.dispatcher", "msg": "claimed",
"worker_id": "...", "count": 3}`.

Context: every record logged while a task attempt runs (the worker's own records and the task
code's, through any logger) carries `tenant_id`, `workflow`, `run_id`, `step`, `task_id` and
`attempt`, and a dispatcher's records about one worker stream carry `tenant_id` and
`worker_id`: `log_context` sets them for a block, in a context variable, so asyncio tasks and
the thread a sync task runs in inherit them. A record logged inside a span (the attempt's, or
one of the task code's) also carries `trace_id` and `span_id` (docs/observability.md#logs).

The standard library's logging, not a structured-logging library: the records of grpc,
psycopg and uvicorn all arrive through it anyway, and a filter and a 20-line formatter are all
that JSON lines with context need.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TextIO

from opentelemetry import trace

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    # uvicorn's (hewer api) terminal-coloured copy of the message
    | {"message", "asctime", "color_message"}
)


_NONE: Final[Mapping[str, Any]] = MappingProxyType({})
_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "hewer_log_context", default=_NONE
)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (None values left out) to every record logged in this block, in this
    context and the asyncio tasks and threads (contextvars.copy_context) started from it."""
    merged = {**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def set_log_context(**fields: Any) -> None:
    """Add `fields` to the log context of the current context (an asyncio task's own copy) for
    the rest of it."""
    _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}})


class ContextFilter(logging.Filter):
    """Puts the log context's fields and the current span's trace and span ids on each record
    (a field the call passed in `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = vars(record)
        for key, value in _CONTEXT.get().items():
            fields.setdefault(key, value)
        span = trace.get_current_span().get_span_context()
        if span.is_valid and "trace_id" not in fields:
            fields["trace_id"] = f"{span.trace_id:032x}"
            fields["span_id"] = f"{span.span_id:016x}"
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: ts, level, logger, msg, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Formats a record as one text line with the JSON lines' timestamp:
    `2026-01-31T12:00:00.123+00:00 INFO hewer.dispatcher: msg key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        extra = " ".join(
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_")
        )
        line = f"{ts} {record.levelname} {record.name}: {record.getMessage()}"
        line = f"{line} {extra}" if extra else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


LOG_FORMATS: Final = ("json", "text")


def setup_logging(
    level: str = "INFO", stream: TextIO | None = None, log_format: str = "json"
) -> None:
    """Send every log record (hewer's, grpc's, psycopg's) to `stream` (default stderr) as
    JSON lines, or as text lines with log_format="text".

    DEBUG is hewer's own: its records name tasks, runs and workers by id and give sizes,
    never tenants' inputs, outputs or event payloads. Other libraries stay at INFO at most,
    since their DEBUG records (connection and protocol traces) may carry what a tenant sent.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    wanted = logging.getLevelName(level.upper())
    root.setLevel(max(wanted, logging.INFO) if isinstance(wanted, int) else level.upper())
    for own in ("hewer", "pyworker"):
        logging.getLogger(own).setLevel(level.upper())
