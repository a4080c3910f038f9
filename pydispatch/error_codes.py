"""Hewer's own SQLSTATEs (class HW): the one list of error codes.

Each code has a name, when it is raised and how to fix it, the gRPC status a dispatcher
answers with and the HTTP status an HTTP front answers with. From this list come:

- `sql/functions/base/error_codes.sql`: `hewer.error_codes()`, the same list in SQL, for
  clients in any language;
- `pydispatch.status`: the database errors' gRPC statuses;
- the table of docs/sql-api.md#error-codes.

Change a code here, then run `make codes` (python -m pydispatch.error_codes), which
rewrites the SQL file and the docs table; tests/test_error_codes.py fails while they differ,
and while a code raised in sql/ is missing here (or one here is raised nowhere).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from typing import Final

from pydispatch.paths import REPO_ROOT, sql_dir


@dataclass(frozen=True)
class ErrorCode:
    code: str  # the SQLSTATE, HW and three digits
    name: str
    grpc: str  # a grpc.StatusCode member's name
    http: int
    raised_when: str  # Markdown
    fix: str  # Markdown


CODES: Final[tuple[ErrorCode, ...]] = (
    ErrorCode(
        "HW001",
        "invalid_spec",
        "INVALID_ARGUMENT",
        400,
        "`workflow_register`: the workflow name is invalid, the spec is not an "
        "object, has an unknown field, no steps or more than 1000, a step name that "
        "is invalid or used twice, an invalid action, `parents` that is not an array,"
        " names an unknown step or a step twice, a value of the wrong type or out of "
        "range, `backoff.max` below `backoff.base`",
        "fix the spec: the message names the step and field, the hint lists the valid"
        " fields; see [The workflow spec](#the-workflow-spec)",
    ),
    ErrorCode(
        "HW002",
        "cyclic_dag",
        "INVALID_ARGUMENT",
        400,
        "`workflow_register`: a step is its own parent, or the steps form a cycle",
        "remove an edge of the cycle shown in the message",
    ),
    ErrorCode(
        "HW003",
        "unknown_workflow",
        "NOT_FOUND",
        404,
        "`run_trigger`: no workflow of that name in the current tenant",
        "register it first; check the spelling (names are case-sensitive) and `hewer.tenant`",
    ),
    ErrorCode(
        "HW004",
        "invalid_input",
        "INVALID_ARGUMENT",
        400,
        "`run_trigger`: an input is not a JSON object (or is `NULL`)",
        'wrap the value in an object, e.g. `{"value": ...}`',
    ),
    ErrorCode(
        "HW005",
        "unknown_task",
        "NOT_FOUND",
        404,
        "a strict report (`task_start`, `task_heartbeat`, `task_complete`, "
        "`task_fail`) names a task that does not exist in the current tenant",
        "check the id and `hewer.tenant`; non-strict calls return reason `unknown_task` instead",
    ),
    ErrorCode(
        "HW006",
        "stale_attempt",
        "FAILED_PRECONDITION",
        409,
        "a strict report's attempt is not the task's current one, or the task is no "
        "longer `assigned` or `running` (it finished, was cancelled, or was reaped "
        "and queued or claimed again)",
        "stop working on the task: it is no longer yours. Non-strict calls return "
        "reason `stale_attempt` instead",
    ),
    ErrorCode(
        "HW007",
        "invalid_argument",
        "INVALID_ARGUMENT",
        400,
        "a `NULL` first array, arrays of different lengths, a `NULL` `p_strict`; a "
        "task and attempt reported twice in one strict call; a `NULL` or infinite "
        "`p_now`; a priority out of -1000..1000; a claim limit out of 1..10000; "
        "`p_extend_by` not in (0, 7 days]; `reap` arguments; `worker_register` "
        "arguments (name, actions, slots, labels, a worker id of another tenant)",
        "fix the argument named in the message",
    ),
    ErrorCode(
        "HW008",
        "unknown_worker",
        "NOT_FOUND",
        404,
        "`task_claim` for a worker id that is not registered in the current tenant",
        "register the worker with `worker_register` (a worker that was declared dead "
        "is still known: it just gets no tasks until it re-registers)",
    ),
    ErrorCode(
        "HW009",
        "unknown_run",
        "NOT_FOUND",
        404,
        "`run_cancel` names an id that is not a run of the current tenant; nothing is cancelled",
        "check the id and `hewer.tenant`",
    ),
    ErrorCode(
        "HW010",
        "payload_too_large",
        "INVALID_ARGUMENT",
        413,
        "`run_trigger`: an input, `workflow_register`: the spec, strict "
        "`task_complete`: an output, over `hewer.max_payload_bytes` (4 MiB by "
        "default); `task_fail`: an error over `hewer.max_error_bytes` (256 KiB). The "
        "size is the jsonb's (`pg_column_size`). A non-strict `task_complete` (the "
        "dispatcher's) instead refuses that report with reason `payload_too_large` "
        "and fails its task for good with an error of type `output_too_large`",
        "keep large data in object storage and pass a reference; or raise the limit, "
        "e.g. `ALTER DATABASE app SET hewer.max_payload_bytes = '16MB'` (a value that"
        " is not a size is `HW007`)",
    ),
    ErrorCode(
        "HW011",
        "invalid_payload_ref",
        "INVALID_ARGUMENT",
        400,
        "a run input, task output or event payload holds the reserved top-level key "
        "`$hewer_ref` but is not a well-formed reference to an object of the current "
        "tenant (docs/payloads.md); an offloaded payload's reference over "
        "`hewer.max_offload_bytes` (64 MiB by default) is `HW010`",
        "rename the key or nest it one level down; a reference's key must start with "
        "the tenant's own id",
    ),
    ErrorCode(
        "HW020",
        "invalid_key",
        "INVALID_ARGUMENT",
        400,
        "`workflow_register` (or `_cel_compile`): a concurrency or rate-limit key is "
        "not a string or uses CEL outside the supported subset; the message names the"
        " construct (`the function has()`, `method calls (.startsWith())`, `the "
        "operator *`, ...)",
        "rewrite the key with the [supported subset](#concurrency-and-rate-limits)",
    ),
    ErrorCode(
        "HW021",
        "key_eval_failed",
        "INVALID_ARGUMENT",
        400,
        "`run_trigger`: a run input lacks a field that a key reads, or has one of the"
        " wrong type; the message names the workflow, the key and the input's "
        "position; nothing is triggered",
        "give every run the fields its keys read",
    ),
    ErrorCode(
        "HW022",
        "invalid_limit",
        "INVALID_ARGUMENT",
        400,
        "a `concurrency.max` not from 1 to 1,000,000, an unknown strategy (or a "
        "cancel strategy on a step), `units` out of range; `rate_limit_set` with a "
        "rate, period or burst that is zero, negative or out of range, or a bad name;"
        " `concurrency_limit_set` with an unknown scope, a bad name or a max below 1",
        "fix the value named in the message",
    ),
    ErrorCode(
        "HW023",
        "unknown_rate_limit",
        "NOT_FOUND",
        404,
        "`workflow_register`: a step spends from a rate limit that does not exist; "
        "`rate_limit_delete` of one that does not exist",
        "create it first with `rate_limit_set` (or `hewer ratelimits set`)",
    ),
    ErrorCode(
        "HW040",
        "invalid_event_key",
        "INVALID_ARGUMENT",
        400,
        "an event key (or an `on_events` pattern) is malformed",
        "letters, digits and `_ . : / -`, 1 to 255 characters",
    ),
    ErrorCode(
        "HW041",
        "invalid_event",
        "INVALID_ARGUMENT",
        413,
        "a payload or metadata is not a JSON object, or over 1 MiB",
        "wrap values in an object; store large data elsewhere and reference it",
    ),
    ErrorCode(
        "HW042",
        "invalid_filter",
        "INVALID_ARGUMENT",
        400,
        "a filter expression is empty, over 4096 characters, or has unclosed quotes or brackets",
        "fix the CEL expression",
    ),
    ErrorCode(
        "HW043",
        "unknown_filter",
        "NOT_FOUND",
        404,
        "no such filter in this tenant",
        "`filter_list()`",
    ),
    ErrorCode(
        "HW044",
        "invalid_cron",
        "INVALID_ARGUMENT",
        400,
        "a cron expression, name or catch-up policy is malformed",
        "5 fields, e.g. `*/5 * * * *`; `skip` or `once`",
    ),
    ErrorCode(
        "HW045",
        "unknown_cron",
        "NOT_FOUND",
        404,
        "no such cron",
        "`cron_list()`",
    ),
    ErrorCode(
        "HW046",
        "immutable_event",
        "FAILED_PRECONDITION",
        409,
        "an event was updated",
        "push a new event",
    ),
    ErrorCode(
        "HW047",
        "invalid_schedule",
        "INVALID_ARGUMENT",
        400,
        "`run_at` missing or infinite, or no such scheduled run",
        "pass a time; use the id `run_schedule` returned",
    ),
    ErrorCode(
        "HW060",
        "invalid_partition_config",
        "FAILED_PRECONDITION",
        409,
        "`partition_config` names something that is not a range-partitioned table in "
        "schema `hewer`, or a period has a month part, or a partition name would "
        "exceed 63 bytes",
        "fix or delete that row of `hewer.partition_config`",
    ),
    ErrorCode(
        "HW061",
        "partition_name_taken",
        "FAILED_PRECONDITION",
        409,
        "a table already has the name a new partition needs, but is not that "
        "partition (e.g. detached by hand)",
        "attach it, rename it or drop it, then run `partition_create` again",
    ),
    ErrorCode(
        "HW062",
        "wrong_isolation_level",
        "FAILED_PRECONDITION",
        409,
        "`partition_create` / `partition_drop` called at REPEATABLE READ or SERIALIZABLE",
        "call it in its own READ COMMITTED transaction",
    ),
    ErrorCode(
        "HW080",
        "immutable_history",
        "FAILED_PRECONDITION",
        409,
        "an `UPDATE` or `DELETE` of a workflow version, of a finished (`succeeded`, "
        "`failed`, `cancelled`) run or task, or of any task event",
        "nothing to fix in the row: replay the run (`run_replay`); history leaves "
        "only with its partition (`partition_drop`). See "
        "[versions-runs.md](versions-runs.md#what-is-immutable)",
    ),
    ErrorCode(
        "HW081",
        "unknown_version",
        "NOT_FOUND",
        404,
        "`workflow_rollback`, `workflow_get`: the workflow has no such version",
        "pick one of the versions the hint lists (`workflow_versions`)",
    ),
    ErrorCode(
        "HW082",
        "invalid_run_filter",
        "INVALID_ARGUMENT",
        400,
        "`run_list`, `run_cancel_matching`: an empty or infinite time range, an input"
        " filter that is not a JSON object, a metadata filter that is not a JSON "
        "object of string, number or boolean values, a `NULL` status, a limit out of "
        "1..10000; `run_cancel_matching` with no filter at all (`{}` metadata is "
        "none) or a finished status",
        'fix the filter named in the message, e.g. `p_metadata => \'{"customer": '
        '"acme"}\'`; to cancel every active run pass `p_statuses => '
        "'{queued,running}'`",
    ),
    ErrorCode(
        "HW083",
        "run_not_replayable",
        "FAILED_PRECONDITION",
        409,
        "`run_replay` of a run that is not `failed` or `cancelled`",
        "wait for it to finish or cancel it; trigger a new run instead of replaying a"
        " succeeded one",
    ),
    ErrorCode(
        "HW084",
        "invalid_replay_from",
        "INVALID_ARGUMENT",
        400,
        "`run_replay` with a `p_from` other than `failed` or `start`",
        "pass `'failed'` or `'start'`",
    ),
    ErrorCode(
        "HW090",
        "invalid_metadata",
        "INVALID_ARGUMENT",
        400,
        "`run_trigger`, `run_spawn`, `runs_by_metadata`: metadata that is not a JSON "
        "object whose values are strings, numbers or booleans (or `NULL` for "
        "`runs_by_metadata`)",
        'pass key/value tags, e.g. `{"customer": "acme", "batch": 7}`',
    ),
    ErrorCode(
        "HW091",
        "parent_not_active",
        "FAILED_PRECONDITION",
        409,
        "`run_spawn`: the parent task's run is already cancelled or failed; nothing is spawned",
        "stop the task: its run is over",
    ),
    ErrorCode(
        "HW092",
        "tenant",
        "NOT_FOUND",
        404,
        "an unknown tenant name, a bad or taken name, a database role that does not "
        "exist, is trusted, or belongs to another tenant; a session whose login role "
        "is mapped to no tenant",
        "the message names the tenant or role; see [tenants.md](tenants.md)",
    ),
    ErrorCode(
        "HW093",
        "token",
        "UNAUTHENTICATED",
        401,
        "an API token that is malformed, unknown, revoked or expired; no token while "
        "tokens exist; a bad token name or expiry",
        "create a token with `hewer tokens create NAME --tenant T` and pass the whole token",
    ),
    ErrorCode(
        "HW094",
        "tenant_trigger_rate",
        "RESOURCE_EXHAUSTED",
        429,
        "`run_trigger`, `run_spawn`, `push_event`: over the tenant's "
        "`max_trigger_rate`, or a batch larger than its `trigger_burst`",
        "retry after the time in the hint, split the batch, or raise the limit "
        "(`hewer tenants update`)",
    ),
    ErrorCode(
        "HW095",
        "not_trusted",
        "PERMISSION_DENIED",
        403,
        "a tenant role calling what only the operator may do: another tenant's "
        "tokens, the tenant-wide concurrency limit",
        "connect as a trusted role, or ask the operator",
    ),
    ErrorCode(
        "HW100",
        "unknown_quarantined_item",
        "NOT_FOUND",
        404,
        "`quarantine_release` of an item that is not failing, or is another tenant's",
        "list them with `quarantine_list()`",
    ),
    ErrorCode(
        "HW120",
        "tenant_clock",
        "PERMISSION_DENIED",
        403,
        "a tenant role passing a `p_now` more than 5 s from the server's clock",
        "omit `p_now`: tenant roles run on the server's clock; only trusted roles "
        "(tests, tools, the dispatcher) choose the time",
    ),
    ErrorCode(
        "HW121",
        "tenant_cap",
        "RESOURCE_EXHAUSTED",
        429,
        "`workflow_register`, `cron_create`, `filter_create`, `run_schedule`: the "
        "tenant already keeps as many workflows, crons, filters or pending scheduled "
        "runs as its cap allows; nothing is stored",
        "delete some, or raise the cap (`hewer tenants caps NAME --max-crons N`, "
        "`hewer.tenant_caps`); see [tenants.md](tenants.md)",
    ),
    ErrorCode(
        "HW122",
        "cron_too_often",
        "INVALID_ARGUMENT",
        400,
        "`cron_create` (or a workflow's crons at registration): the cron fires more "
        "often than the tenant's `min_cron_interval`; nothing is stored",
        "fire less often, or lower the tenant's `min_cron_interval` (`hewer tenants "
        "caps NAME --min-cron-interval 1m`)",
    ),
)

BY_CODE: Final = {c.code: c for c in CODES}

SQL_FILE: Final = "functions/base/error_codes.sql"
DOCS_FILE: Final = REPO_ROOT / "docs" / "sql-api.md"
_DOCS_BEGIN: Final = "<!-- error codes: written by `make codes` from pydispatch/error_codes.py -->"
_DOCS_END: Final = "<!-- end of error codes -->"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_sql() -> str:
    """sql/functions/base/error_codes.sql: hewer.error_codes(), one row a code."""
    rows = ",\n".join(
        f"    ({_sql_text(c.code)}, {_sql_text(c.name)}, {_sql_text(c.grpc)}, {c.http},\n"
        f"     {_sql_text(c.raised_when)},\n"
        f"     {_sql_text(c.fix)})"
        for c in CODES
    )
    # Only the constants above go into this text, quoted by _sql_text.
    return f"""-- hewer.error_codes(): Hewer's own SQLSTATEs (class HW), one row a code: its name,
-- when it is raised, how to fix it, the gRPC status a dispatcher answers with and the
-- HTTP status an HTTP front answers with. Written by `make codes` from
-- pydispatch/error_codes.py (the one list); do not edit by hand.
--
-- Catch a code in PL/pgSQL with EXCEPTION WHEN SQLSTATE 'HW006' THEN ...; in a driver,
-- read the error's SQLSTATE (psycopg: e.sqlstate).
CREATE OR REPLACE FUNCTION hewer.error_codes()
RETURNS TABLE (code text, name text, grpc_status text, http_status integer,
               raised_when text, fix text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $error_codes$
SELECT * FROM (VALUES
{rows}
) AS codes (code, name, grpc_status, http_status, raised_when, fix)
$error_codes$;
"""  # noqa: S608


def render_docs_table() -> str:
    """The table of docs/sql-api.md#error-codes, between its markers."""
    lines = [
        _DOCS_BEGIN,
        "",
        "| code | name | raised when | how to fix | gRPC | HTTP |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{c.code}` | {c.name} | {c.raised_when} | {c.fix} | `{c.grpc}` | {c.http} |"
        for c in CODES
    ]
    lines += ["", _DOCS_END]
    return "\n".join(lines)


def docs_with_table(text: str) -> str:
    """The docs page with its error-code table replaced by render_docs_table()."""
    pattern = re.compile(re.escape(_DOCS_BEGIN) + ".*?" + re.escape(_DOCS_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOCS_FILE} lacks the markers {_DOCS_BEGIN!r} ... {_DOCS_END!r}")
    return pattern.sub(lambda _: render_docs_table(), text)


def main(argv: list[str] | None = None) -> int:
    """`python -m pydispatch.error_codes [--check]`: write (or check) the SQL and the docs."""
    parser = argparse.ArgumentParser(prog="python -m pydispatch.error_codes")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    sql_path = sql_dir() / SQL_FILE
    targets = [
        (sql_path, render_sql()),
        (DOCS_FILE, docs_with_table(DOCS_FILE.read_text())),
    ]
    stale = [path for path, text in targets if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run `make codes` and commit the result", file=sys.stderr)
        return 1 if stale else 0
    for path, text in targets:
        if path in stale:
            path.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
