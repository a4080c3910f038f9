"""JSON in and out of task functions, with Pydantic models when Pydantic is installed.

Pydantic is optional: it is never imported here. A class counts as a model when the `pydantic`
module is already loaded (it must be, for the user to have defined one) and the class derives
from `pydantic.BaseModel`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
from typing import Any


def is_model_class(obj: object) -> bool:
    """Whether `obj` is a Pydantic model class."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(obj, type):
        return False
    return issubclass(obj, pydantic.BaseModel)


def is_model(obj: object) -> bool:
    """Whether `obj` is a Pydantic model instance."""
    return is_model_class(type(obj))


def parse_input(value: Any, model: type[Any] | None) -> Any:
    """The input as a task receives it: `model.model_validate(value)`, or as is without a model."""
    if model is None:
        return value
    return model.model_validate(value if value is not None else {})


def _default(obj: Any) -> Any:
    if is_model(obj):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Compact JSON for a value: plain JSON types, Pydantic models and dataclasses.

    Raises TypeError or ValueError (NaN and infinities are not JSON) for anything else.
    """
    return json.dumps(value, default=_default, allow_nan=False, separators=(",", ":"))


def loads(text: str, default: Any = None) -> Any:
    """Parse JSON text; an empty string (an unset proto field) gives `default`."""
    if not text:
        return default
    return json.loads(text)


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, str]:
    """The error JSON a failed task reports: {"type", "message", "traceback"}."""
    return {
        "type": error_type or type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


ERROR_FIELD_CHARS = 64 * 1024


def clip_error(error: dict[str, str]) -> dict[str, str]:
    """An error payload with each field cut to ERROR_FIELD_CHARS (a huge exception message
    must not make the failure report itself too large to send)."""
    return {
        k: v if len(v) <= ERROR_FIELD_CHARS else v[:ERROR_FIELD_CHARS] + "... (clipped)"
        for k, v in error.items()
    }
