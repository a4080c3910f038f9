"""`hewer workflows` (list, show, versions, rollback), `hewer runs` (list, show, cancel,
replay), `hewer children` and `hewer tagged`: thin wrappers over the SQL API."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

import click
from psycopg.types.json import Jsonb

from pydispatch.cli import access
from pydispatch.cli.access import add_tenant_option, connect, session
from pydispatch.cli.common import (
    DISPATCHERS_OPTION,
    JSON_OPTION,
    RUN_ID,
    brief,
    emit,
    error_text,
    event_line,
    fields,
    json_object,
    metadata_option,
    metadata_tags,
    split,
    table,
    token_option,
    when,
)
from pydispatch.errors import HewerError
from pyworker.client import SyncClient
from pyworker.versions import Workflows

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
CHILD_COLUMNS: Final = ["run_id", "workflow", "status", "child_key", "metadata", "created_at"]
TAGGED_COLUMNS: Final = ["run_id", "workflow", "status", "parent_run_id", "metadata", "created_at"]


# --- workflows ---------------------------------------------------------------------


@click.group(name="workflows")
def workflows_group() -> None:
    """Workflows and their versions: list, show, versions, rollback, wait."""


@workflows_group.command(name="list")
@JSON_OPTION
def workflows_list() -> None:
    """List the workflows with their current and latest versions."""
    with session() as conn:
        rows = Workflows(conn).list()
    columns = ["name", "current_version", "latest_version", "versions", "description"]
    emit(rows, columns, "no workflows")


@workflows_group.command(name="show")
@click.argument("name")
@click.option("--version", type=int, help="This version instead of the current one.")
@click.option("--json", "as_json", is_flag=True, help="The version and its spec as JSON.")
def workflows_show(name: str, version: int | None, as_json: bool) -> None:
    """Show a version of workflow NAME (by default the current one) with its spec."""
    with session() as conn:
        row = Workflows(conn).show(name, version)
    if as_json:
        click.echo(json.dumps(row, default=str, indent=2))
        return
    fields(
        [
            ("workflow", row["name"]),
            ("version", row["version"]),
            (
                "current",
                f"yes (version {row['current_version']})"
                if row["is_current"]
                else f"no (current: version {row['current_version']})",
            ),
            ("checksum", row["checksum"]),
            ("created_at", row["created_at"]),
        ]
    )
    click.echo(json.dumps(row["spec"], indent=2))


@workflows_group.command(name="versions")
@click.argument("name")
@JSON_OPTION
def workflows_versions(name: str) -> None:
    """List every version of workflow NAME; * marks the current one."""
    with session() as conn:
        rows = Workflows(conn).versions(name)
    for row in rows:
        row["current"] = "*" if row["is_current"] else ""
        row["checksum"] = row["checksum"][:12]
    columns = ["version", "current", "steps", "active_runs", "checksum", "created_at"]
    emit(rows, columns, "no versions")


@workflows_group.command(name="rollback")
@click.argument("name")
@click.option("--to", "version", type=int, required=True, help="The version to make current.")
def workflows_rollback(name: str, version: int) -> None:
    """Make version --to of workflow NAME current again; runs in flight keep theirs."""
    with session() as conn:
        previous = Workflows(conn).rollback(name, version)
    click.echo(
        f"workflow {name}: version {version} is current (was {previous}); "
        "new runs bind to it, runs in flight finish on their own version"
    )


@workflows_group.command(name="wait")
@click.argument("name")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait before giving up (exit 1).",
)
def workflows_wait(name: str, timeout: float) -> None:
    """Wait until workflow NAME is registered and a live worker serves every step of its current
    version: what a script runs between starting a worker and triggering runs."""
    deadline = time.monotonic() + timeout
    with session() as conn:
        while True:
            steps = access.rows(conn, "workflow_served", (name,))
            unserved = [s for s in steps if not s["served"]]
            if steps and not unserved:
                click.echo(f"workflow {name}: a live worker serves each of its {len(steps)} steps")
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    if not steps:
        raise HewerError(
            f"workflow {name!r} is not registered after {timeout:g} s: start a worker that "
            "defines it (hewer worker MODULE:ATTR)"
        )
    waiting = ", ".join(f"{s['step']!r} (action {s['action']!r})" for s in unserved)
    raise HewerError(
        f"workflow {name!r}: after {timeout:g} s no live worker serves {waiting}; start a worker "
        "that registers them (hewer worker MODULE:ATTR)"
    )


# --- runs --------------------------------------------------------------------------


def _filter_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--workflow", help="Runs of this workflow."),
            click.option(
                "--status",
                "statuses",
                multiple=True,
                type=click.Choice(RUN_STATUSES),
                help="Runs with this status (repeatable).",
            ),
            click.option("--since", help="Runs created at or after this time (ISO 8601)."),
            click.option("--until", help="Runs created before this time (ISO 8601)."),
            click.option(
                "--input", "input_json", help="Runs whose input contains this JSON object."
            ),
            click.option(
                "--metadata",
                "metadata",
                multiple=True,
                help="Runs tagged KEY=VALUE, or with every tag of a JSON object "
                "(repeatable; all must match).",
            ),
        ]
    ):
        func = option(func)
    return func


def _filter(
    workflow: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    until: str | None,
    input_json: str | None,
    metadata: tuple[str, ...],
) -> dict[str, Any]:
    body = json_object(input_json, "--input")
    tags = metadata_tags(metadata)
    return {
        "workflow": workflow,
        "statuses": list(statuses) or None,
        "since": when(since, "--since") if since else None,
        "until": when(until, "--until") if until else None,
        "input": Jsonb(body) if body is not None else None,
        "metadata": Jsonb(tags) if tags else None,
    }


@click.group(name="runs")
def runs_group() -> None:
    """Runs: list, show, watch live, read their logs, cancel (one or many by filter), replay."""


@runs_group.command(name="list")
@_filter_options
@click.option("--replay-of", help="Only the replays of this run.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=50,
    show_default=True,
    help="At most this many runs.",
)
@click.option("--before", help="Runs older than this run id (the next page).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
@click.option("--quiet", "-q", is_flag=True, help="Only the run ids, one per line (for scripts).")
def runs_list(
    workflow: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    until: str | None,
    input_json: str | None,
    metadata: tuple[str, ...],
    replay_of: str | None,
    limit: int,
    before: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """List runs matching every filter given, newest first."""
    params = _filter(workflow, statuses, since, until, input_json, metadata)
    params |= {"replay_of": replay_of, "limit": limit, "before": before}
    with session() as conn:
        rows = access.rows(
            conn,
            "run_list",
            params,
        )
    if quiet:
        for row in rows:
            click.echo(row["run_id"])
        return
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    for row in rows:
        row["tasks"] = " ".join(f"{k}:{v}" for k, v in sorted(row["tasks"].items()))
        row["metadata"] = row.pop("additional_metadata") or None
    columns = [
        "run_id",
        "workflow",
        "version",
        "status",
        "tasks",
        "created_at",
        "replay_of",
        "metadata",
    ]
    click.echo(table(rows, columns, "no runs"))


@runs_group.command(name="watch")
@click.argument("run_id", type=RUN_ID)
@DISPATCHERS_OPTION
@token_option
def runs_watch(run_id: str, dispatchers: tuple[str, ...], token: str | None) -> None:
    """Follow RUN_ID live through a dispatcher: each task event as it happens, then the run's
    status (exit code 0 if it succeeded, 1 if it failed or was cancelled)."""
    first = None
    status = ""
    with SyncClient(split(dispatchers) or None, token=token or "") as client:
        for event in client.watch(run_id):
            first = first or event.at
            at = (event.at - first).total_seconds() if event.at and first else 0.0
            click.echo(event_line(event.step, event.kind, event.attempt, at))
            status = event.run_status or status
        if not status:
            status = client.get(run_id).status
    click.echo(f"run {run_id} {status}")
    if status != "succeeded":
        raise SystemExit(1)


# `runs logs --follow` re-reads this far behind the newest line it has read (see
# hewer.run_logs: a line committed late can sort before one already read).
LOG_REREAD: Final = timedelta(seconds=10)
LOG_PAGE: Final = 1000
TERMINAL: Final = frozenset({"succeeded", "failed", "cancelled"})


class _LogReader:
    """Reads a run's log lines in pages, each line once, and prints them."""

    def __init__(self, conn: Any, run_id: str, step: str | None, as_json: bool) -> None:
        self.conn = conn
        self.run_id = run_id
        self.step = step
        self.as_json = as_json
        self.seen: dict[uuid.UUID, datetime] = {}
        self.newest: datetime | None = None
        self.printed = 0

    def read(self, reread: bool) -> None:
        """Print the lines not printed yet; `reread`: start a little behind the newest."""
        after: uuid.UUID | None = None
        if reread and self.newest is not None:
            after = uuid_floor(self.newest - LOG_REREAD)
            self.seen = {k: v for k, v in self.seen.items() if v >= self.newest - LOG_REREAD}
        while True:
            params = {"run_id": self.run_id, "after": after, "limit": LOG_PAGE}
            rows = access.rows(self.conn, "run_logs", params)
            for row in rows:
                if row["log_id"] in self.seen:
                    continue
                self.seen[row["log_id"]] = row["written_at"]
                self.newest = max(self.newest or row["written_at"], row["written_at"])
                if self.step is None or row["step"] == self.step:
                    self._print(row)
            if len(rows) < LOG_PAGE:
                return
            after = rows[-1]["log_id"]

    def _print(self, row: dict[str, Any]) -> None:
        self.printed += 1
        if self.as_json:
            del row["now"]
            click.echo(json.dumps(row, default=str))
            return
        head = (
            f"{row['logged_at'].isoformat(timespec='milliseconds')}  "
            f"{row['step']}#{row['attempt']}  {row['level'].upper():<8} "
        )
        first, *rest = row["message"].rstrip("\n").split("\n")
        click.echo(head + first)
        for line in rest:
            click.echo(" " * len(head) + line)


def uuid_floor(at: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond (hewer.uuid_floor)."""
    return uuid.UUID(int=max(int(at.timestamp() * 1000), 0) << 80)


@runs_group.command(name="logs")
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--follow", "-f", is_flag=True, help="Keep printing new lines until the run finishes."
)
@click.option("--step", help="Only the lines of this step.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def runs_logs(run_id: str, follow: bool, step: str | None, as_json: bool) -> None:
    """Print what RUN_ID's tasks logged (ctx.log in Python, hewer.task_log in SQL), oldest
    first: the worker's time, step#attempt, level and message. Lines are kept 7 days by
    default (hewer db partitions)."""
    with session() as conn:
        reader = _LogReader(conn, run_id, step, as_json)
        while True:
            found = access.rows(conn, "run_status", (run_id,))
            if not found:
                raise HewerError(
                    f"run {run_id} does not exist (runs are visible only to their tenant)"
                )
            status = found[0]["status"]
            reader.read(reread=follow)
            if not follow or status in TERMINAL:
                break
            time.sleep(0.5)
    if not reader.printed and not as_json:
        of_step = f" of step {step!r}" if step else ""
        click.echo(f"run {run_id} ({status}) has no log lines{of_step}", err=True)


@runs_group.command(name="show")
@click.argument("run_id", type=RUN_ID)
@click.option("--json", "as_json", is_flag=True, help="The run, its tasks and events as JSON.")
def runs_show(run_id: str, as_json: bool) -> None:
    """Show a run: input, output, error, its tasks with attempts, and their event history."""
    with session() as conn:
        runs = access.rows(conn, "run_get", (run_id,))
        if not runs:
            raise HewerError(f"run {run_id} does not exist (runs are visible only to their tenant)")
        [run] = runs
        [lineage] = access.rows(conn, "run_lineage", (run_id,))
        task_ids = [t["task_id"] for t in run["tasks"]]
        events = access.rows(conn, "task_history", (task_ids,))
    steps = {t["task_id"]: t["step"] for t in run["tasks"]}
    for event in events:
        event["step"] = steps.get(str(event["task_id"]), "")
    if as_json:
        body = run | {"replay_of": lineage["replay_of"], "replays": lineage["replays"]}
        click.echo(json.dumps(body | {"events": events}, default=str, indent=2))
        return
    fields(
        [
            ("run", run["run_id"]),
            ("workflow", f"{run['workflow']} version {run['version']}"),
            ("status", run["status"]),
            ("replay of", lineage["replay_of"]),
            ("replays", ", ".join(str(r) for r in lineage["replays"])),
            ("input", run["input"]),
            ("output", run["output"]),
            ("error", brief(run["error"], 1000) if run["error"] else None),
            ("created_at", run["created_at"]),
            ("finished_at", run["finished_at"]),
        ]
    )
    tasks = [
        t
        | {
            "attempts": f"{t['attempt']}/{t['max_attempts']}",
            "result": brief(t["error"] or t["output"]),
        }
        for t in run["tasks"]
    ]
    click.echo("")
    click.echo(table(tasks, ["step", "status", "attempts", "worker_id", "result"], "no tasks"))
    for t in run["tasks"]:
        if t["status"] == "queued" and t.get("served") is False:
            click.echo(
                f"waiting: step {t['step']!r} needs action {t['action']!r}, which no live "
                "worker serves; start a worker that registers it (hewer worker MODULE:ATTR)"
            )
    click.echo("")
    shown = [e | {"data": brief(e["data"])} for e in events]
    columns = ["created_at", "step", "attempt", "kind", "status", "data"]
    click.echo(table(shown, columns, "no events"))
    # Each failed task's last error once, as a readable traceback.
    failed = [t for t in run["tasks"] if t["error"]]
    for t in failed:
        click.echo("")
        click.echo(f"--- {t['step']}: attempt {t['attempt']} of {t['max_attempts']} failed ---")
        click.echo(error_text(t["error"]))
    if run["error"] and not failed:
        click.echo("")
        click.echo("--- the run's error ---")
        click.echo(error_text(run["error"]))


@runs_group.command(name="cancel")
@click.argument("run_ids", nargs=-1, type=RUN_ID)
@_filter_options
def runs_cancel(
    run_ids: tuple[str, ...],
    workflow: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    until: str | None,
    input_json: str | None,
    metadata: tuple[str, ...],
) -> None:
    """Cancel RUN_IDS, or every queued or running run matching the filters.

    Running tasks are told to stop on their workers' streams.
    """
    params = _filter(workflow, statuses, since, until, input_json, metadata)
    given = any(v is not None for v in params.values())
    if run_ids and given:
        raise HewerError("give run ids or filters, not both")
    if not run_ids and not given:
        raise HewerError(
            "give run ids or at least one filter (--workflow, --status, --since, --until, "
            "--input, --metadata); to cancel every active run: --status queued --status running"
        )
    with session() as conn:
        if run_ids:
            rows = access.rows(conn, "run_cancel", (list(run_ids),))
        else:
            rows = access.rows(
                conn,
                "run_cancel_matching",
                params,
            )
    done = [r for r in rows if r["cancelled"]]
    for row in rows:
        if not row["cancelled"]:
            click.echo(f"{row['run_id']} not cancelled: already {row['status']}", err=True)
    for row in done:
        click.echo(row["run_id"])
    click.echo(f"cancelled {len(done)} runs", err=True)


@runs_group.command(name="replay")
@click.argument("run_id", type=RUN_ID)
@click.option(
    "--from",
    "start_from",
    type=click.Choice(["failed", "start"]),
    default="failed",
    show_default=True,
    help="failed: keep the outputs of the steps that succeeded; start: run every step again.",
)
def runs_replay(run_id: str, start_from: str) -> None:
    """Run a failed or cancelled run again as a new run; print the new run's id."""
    with session() as conn:
        [row] = access.rows(conn, "run_replay", (run_id, start_from))
    click.echo(row["replay_run_id"])
    click.echo(f"replay of {run_id}: {row['kept']} steps kept, {row['to_run']} to run", err=True)


# --- child runs and metadata tags (docs/children.md) ------------------------------


def _tagged_rows(name: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    with connect() as conn:
        found = access.rows(conn, name, params)
    for row in found:
        row["metadata"] = json.dumps(row.pop("additional_metadata"), sort_keys=True)
    return found


@click.command(name="children")
@click.argument("run_id", type=RUN_ID)
@JSON_OPTION
def children_cmd(run_id: str) -> None:
    """List the child runs that RUN_ID spawned (oldest first)."""
    rows = _tagged_rows("run_children", (uuid.UUID(run_id),))
    emit(rows, CHILD_COLUMNS, f"run {run_id} has no children")


@click.command(name="tagged")
@click.argument("metadata")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(RUN_STATUSES),
    help="Only runs in this status (repeatable).",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="At most this many runs.",
)
@JSON_OPTION
def tagged_cmd(metadata: str, statuses: tuple[str, ...], limit: int) -> None:
    """List the runs whose metadata has every tag of METADATA (a JSON object), newest first."""
    tags = metadata_option(metadata, "METADATA")
    rows = _tagged_rows(
        "runs_by_metadata",
        (json.dumps(tags), list(statuses) or None, limit),
    )
    emit(rows, TAGGED_COLUMNS, "no runs with these tags")


add_tenant_option([workflows_group, runs_group, children_cmd, tagged_cmd])
