"""The database's hints, said to a CLI user: the SQL API's hints name SQL functions and
arguments (`hewer.workflow_register(name, spec)`, "pass NULL"); from the command line the fix
is a command or an option. Each rule rewrites one hint the CLI can meet; a hint no rule knows
stays as the database wrote it."""

from __future__ import annotations

import re
from typing import Final

_RULES: Final[list[tuple[re.Pattern[str], str]]] = [
    (
        re.compile(r"Register it first with hewer\.workflow_register\(name, spec\)"),
        "Start a worker that defines it (hewer worker MODULE:ATTR), or see the registered ones "
        "with hewer workflows list",
    ),
    (
        re.compile(r"\(hewer\.workflow_versions\('((?:[^']|'')*)'\)\)"),
        r"(hewer workflows versions \1)",
    ),
    (re.compile(r"Pass NULL to remove the limit\."), "Leave MAX out to remove the limit."),
    (
        re.compile(r"Pass a positive number, 0 to remove the limit, or NULL to keep it\."),
        "Give a positive number, or 0 to remove the limit; leave the option out to keep it.",
    ),
    (
        re.compile(r"Pass a positive value, 0 to remove the guard, or NULL to keep it\."),
        "Give a positive value, or 0 to remove the guard; leave the option out to keep it.",
    ),
    (
        re.compile(r"Pass a positive number, or NULL to keep a cap\."),
        "Give a positive number; leave the option out to keep a cap.",
    ),
    (
        re.compile(r"Pass a future time, or NULL for a token that does not expire\."),
        "Give a duration to come (--expires-in 90d), or leave --expires-in out for a token that "
        "does not expire.",
    ),
    (re.compile(r"Pass NULL for no scope\."), "Leave --scope out for no scope."),
    (re.compile(r"Pass NULL to see events of every scope\."), "Leave --scope out for every scope."),
    (
        re.compile(r"Change it with hewer\.tenant_update,"),
        "Change it with hewer tenants update NAME,",
    ),
    (re.compile(r"List (\w+) with hewer\.\w+\(\) or `(hewer [^`]+)`"), r"List \1 with \2"),
    (
        re.compile(r"List them with hewer\.quarantine_list\(\) \(hewer quarantine list\)"),
        "List them with hewer quarantine list",
    ),
    (
        re.compile(
            r"Create one with hewer\.rate_limit_set\(name, rate, period\) or `hewer ratelimits set`"
        ),
        "Create one with hewer ratelimits set NAME RATE --period 1s",
    ),
    (
        re.compile(r"Use the id hewer\.run_schedule returned\."),
        "Use the id hewer schedule create printed.",
    ),
    (
        re.compile(r"rate is the tokens added per period, e\.g\. 10 per '1 second'\."),
        "RATE is the tokens added per --period, e.g. hewer ratelimits set NAME 10 --period 1s.",
    ),
]


def for_cli(text: str) -> str:
    """`text` (an error line) with the SQL API's hints said as commands and options."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
