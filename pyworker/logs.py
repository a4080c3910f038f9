"""Logging for hewer's processes (dispatcher, worker), as JSON lines or as text, chosen by
the same --log-format flag on both. Standard library only.

JSON: one object per line, with the record's extra fields.

`log.info("claimed", extra={"worker_id": w, "count": 3})` becomes
`{"ts": "...", "level": "INFO", "logger": "hewer.dispatcher", "msg": "claimed",
"worker_id": "...", "count": 3}`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    # uvicorn's (hewer api) terminal-coloured copy of the message
    | {"message", "asctime", "color_message"}
)


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
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    wanted = logging.getLevelName(level.upper())
    root.setLevel(max(wanted, logging.INFO) if isinstance(wanted, int) else level.upper())
    for own in ("hewer", "pyworker"):
        logging.getLogger(own).setLevel(level.upper())
