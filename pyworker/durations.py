"""Durations as users write them ("30s", "5m", "1h30m", 45, timedelta) and as specs store them.

A spec stores every duration as a JSON number of seconds, an integer when it is whole, so that
"60s", "1m", 60 and timedelta(minutes=1) give byte-identical specs (and so one workflow version).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

Duration = str | int | float | timedelta
"""What the SDK accepts wherever it asks for a duration."""

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ms|s|m|h|d))+")


def parse_duration(value: Duration, what: str = "duration") -> float:
    """Seconds in `value`: a number of seconds, a timedelta, or a string like "1h30m", "250ms".

    Raises ValueError naming `what` for anything else, and for negative or non-finite values.
    """
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a duration, got {value!r}; {_HINT}")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if not _WHOLE.fullmatch(text):
            raise ValueError(f"{what} must be a duration, got {value!r}; {_HINT}")
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    else:
        raise ValueError(
            f"{what} must be a duration, got {type(value).__name__} {value!r}; {_HINT}"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{what} must be a finite duration of 0 or more, got {value!r}")
    return seconds


def spec_seconds(seconds: float) -> int | float:
    """The JSON number a spec stores: whole seconds as an int, else rounded to the millisecond."""
    millis = round(seconds * 1000)
    if millis % 1000 == 0:
        return millis // 1000
    return millis / 1000


def format_seconds(seconds: float) -> str:
    """A short human form of a number of seconds, for error messages ("90s" -> "1m30s")."""
    if seconds < 1:
        return f"{spec_seconds(seconds)}s"
    parts = []
    rest = spec_seconds(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count = int(rest // size)
        if count:
            parts.append(f"{count}{unit}")
            rest -= count * size
    if rest or not parts:
        parts.append(f"{spec_seconds(rest)}s")
    return "".join(parts)


_HINT = 'use seconds (30, 0.5), a timedelta, or a string such as "30s", "5m", "1h30m", "250ms"'
