"""CEL expressions for event filters and waits: compile once, evaluate many times (celpy).

A filter sees three variables: `key` (the event key), `payload` and `metadata` (JSON objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes

from pyworker.errors import CelError

__all__ = ["FILTER_VARIABLES", "CelError", "Program", "ProgramCache", "compile_expression"]

FILTER_VARIABLES = ("key", "payload", "metadata")


@dataclass(frozen=True)
class Program:
    """A compiled CEL expression."""

    expression: str
    _runner: Any

    def evaluate(self, variables: dict[str, Any]) -> bool:
        """True or false for these JSON variables; CelError for an error or a non-bool result."""
        activation = {name: celpy.json_to_cel(value) for name, value in variables.items()}
        try:
            result = self._runner.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise CelError(_eval_message(exc)) from None
        except Exception as exc:  # noqa: BLE001 - celpy raises plain errors for odd input
            raise CelError(f"{type(exc).__name__}: {exc}") from None
        if isinstance(result, celpy.CELEvalError):
            raise CelError(_eval_message(result))
        if not isinstance(result, celtypes.BoolType):
            raise CelError(
                f"the expression gave {type(result).__name__} {result!s}, not a bool; "
                "compare it, e.g. payload.total > 100"
            )
        return bool(result)


def _eval_message(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    return str(args[0]) if args else str(exc)


_MACRO = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*$")


def unbounded(expression: str) -> str | None:
    """Why the expression's cost has no bound, or None. A comprehension (all, exists, exists_one,
    map, filter) costs the length of its list; one inside another costs the product of the
    lengths, which grows without bound with the payload (three nested all() over 50 elements
    took 36 s). The same rule as hewer._cel_precheck, which refuses such filters in SQL."""
    stack: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(expression):
        ch = expression[i]
        if quote is not None:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "(" and _MACRO.search(expression[max(0, i - 24) : i]):
            if "M" in stack:
                return (
                    f"a comprehension (all, exists, exists_one, map, filter) inside another, at "
                    f"character {i + 1}: its cost grows with the product of the lists' lengths, so "
                    f"it cannot be bounded; rewrite it with one comprehension"
                )
            stack.append("M")
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and stack:
            stack.pop()
        i += 1
    return None


def compile_expression(expression: str) -> Program:
    """Compile a CEL expression; CelError with the parser's message (and caret) if it is bad,
    or if its cost cannot be bounded (see unbounded)."""
    if not isinstance(expression, str) or not expression.strip():
        raise CelError("the CEL expression is empty; write e.g. payload.total > 100")
    problem = unbounded(expression)
    if problem is not None:
        raise CelError(f"CEL expression {expression!r}: {problem}")
    env = celpy.Environment()
    try:
        ast = env.compile(expression)
        return Program(expression, env.program(ast))
    except celpy.CELParseError as exc:
        raise CelError(f"invalid CEL expression {expression!r}:\n{exc}") from None
    except Exception as exc:  # noqa: BLE001 - the parser's other failures are parse errors too
        raise CelError(f"invalid CEL expression {expression!r}: {exc}") from None


class ProgramCache:
    """Compiled programs by (filter id, version): a changed filter is compiled again."""

    def __init__(self, limit: int = 10000) -> None:
        self._limit = limit
        self._programs: dict[tuple[str, int], Program | CelError] = {}
        self.compiled = 0

    def get(self, filter_id: str, version: int, expression: str) -> Program | CelError:
        """The program for this filter version, or the CelError compiling it gave."""
        key = (filter_id, version)
        found = self._programs.get(key)
        if found is None:
            if len(self._programs) >= self._limit:
                self._programs.clear()
            try:
                found = compile_expression(expression)
            except CelError as exc:
                found = exc
            self._programs[key] = found
            self.compiled += 1
        return found
