"""The `hewer` command. Thin: parsing and printing here, the work in pydispatch."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import psycopg

from pydispatch import bench, db, dev, embedded, limits, migrate, partitions, tenants_cli
from pydispatch.chaos import chaos
from pydispatch.children_cli import metadata_option
from pydispatch.children_cli import register as register_children_commands
from pydispatch.errors import HewerError, describe
from pydispatch.events_cli import (
    cron_group,
    events_group,
    filters_group,
    quarantine_group,
    schedule_group,
)
from pydispatch.runs_cli import runs_group, workflows_group
from pydispatch.schema import check_schema
from pydispatch.server import run_dispatcher
from pydispatch.settings import DispatcherSettings
from pydispatch.table import format_table
from pydispatch.tenants_cli import tenants_group, tokens_group
from pyworker.client import SyncClient
from pyworker.errors import HewerError as SdkError
from pyworker.runner import run_worker


class HewerGroup(click.Group):
    """A click group that turns expected failures into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (
            HewerError,
            SdkError,
            psycopg.Error,
            subprocess.SubprocessError,
            OSError,
            ValueError,
        ) as exc:
            click.echo(f"hewer: {describe(exc)}", err=True)
            ctx.exit(1)


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp option; one without an offset is taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2030-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(name="hewer", cls=HewerGroup)
@click.version_option(package_name="hewer")
def main() -> None:
    """Hewer: a durable task queue and DAG workflow engine on PostgreSQL.

    Uses HEWER_DATABASE_URL when set, else an embedded PostgreSQL 18 in $HEWER_HOME
    (default ./.hewer).
    """


# --- db --------------------------------------------------------------------------


@main.group(name="db", cls=HewerGroup)
def db_group() -> None:
    """The database server: the embedded PostgreSQL, or the one HEWER_DATABASE_URL names."""


def _refuse_external(action: str) -> None:
    if db.configured_url():
        raise HewerError(
            f"HEWER_DATABASE_URL is set, so hewer does not {action} a server: "
            f"unset it to manage the embedded PostgreSQL"
        )


@db_group.command(name="start")
def db_start() -> None:
    """Start the embedded PostgreSQL (initializing it the first time)."""
    _refuse_external("start")
    url = embedded.start()
    click.echo(f"embedded PostgreSQL running in {embedded.data_dir()}")
    click.echo(url)


@db_group.command(name="stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL."""
    _refuse_external("stop")
    if embedded.stop():
        click.echo(f"stopped the embedded PostgreSQL in {embedded.data_dir()}")
    else:
        click.echo(f"the embedded PostgreSQL in {embedded.data_dir()} is not running")


@db_group.command(name="status")
def db_status() -> None:
    """Show whether the database server runs, where, and its version."""
    external = db.configured_url()
    if external:
        version = embedded.server_version(external)
        _print_fields(
            [
                ("server", "HEWER_DATABASE_URL"),
                ("url", db.redact(external)),
                ("running", "yes" if version else "no (cannot connect)"),
                ("version", version or ""),
            ]
        )
        return
    st = embedded.status()
    _print_fields(
        [
            ("server", "embedded"),
            ("data dir", str(st.data_dir)),
            (
                "running",
                "yes" if st.running else "no" if st.initialized else "no (not initialized)",
            ),
            ("pid", str(st.pid or "")),
            ("url", st.url or ""),
            ("version", st.server_version or ""),
        ]
    )


@db_group.command(name="url")
def db_url() -> None:
    """Print the database URL hewer uses (starts the embedded server if needed)."""
    click.echo(db.database_url())


@db_group.command(
    name="psql", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def db_psql(psql_args: tuple[str, ...]) -> None:
    """Run psql against hewer's database; extra arguments go to psql (e.g. -f FILE)."""
    url = db.database_url()
    bundled = embedded.bin_dir() / "psql"
    psql = str(bundled) if bundled.exists() else "psql"
    code = subprocess.call([psql, url, *psql_args])
    if code:
        raise SystemExit(code)


# --- migrate -----------------------------------------------------------------------


@main.group(name="migrate", cls=HewerGroup)
def migrate_group() -> None:
    """Schema migrations and the SQL function bundle."""


@migrate_group.command(name="up")
def migrate_up() -> None:
    """Apply pending migrations, reload the SQL functions, create partitions."""
    result = migrate.up()
    if result.applied:
        click.echo("applied: " + ", ".join(result.applied))
    else:
        click.echo("no pending migrations")
    if result.pgmq != "present":
        how = "CREATE EXTENSION" if result.pgmq == "extension" else "bundled SQL"
        click.echo(f"pgmq: installed ({how})")
    click.echo(
        f"functions: {result.function_files} files loaded "
        f"(checksum {result.functions_checksum[:12]})"
    )
    if result.partitions:
        click.echo("partitions created:")
        click.echo(format_table(result.partitions, partitions.COLUMNS))


@migrate_group.command(name="down")
@click.option("--count", "-n", default=1, show_default=True, help="How many migrations to undo.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def migrate_down(count: int, yes: bool) -> None:
    """Roll back the most recent migrations (rolling back 0001 drops schema hewer and its data)."""
    if not yes:
        click.confirm(
            f"Roll back {count} migration(s) on {db.redact(db.database_url())}? Data may be lost",
            abort=True,
        )
    undone = migrate.down(count)
    click.echo("rolled back: " + (", ".join(undone) if undone else "nothing (none applied)"))


@migrate_group.command(name="status")
def migrate_status() -> None:
    """List applied and pending migrations; check the schema version and function bundle."""
    st = migrate.status()
    rows = [{"migration": m, "state": "applied"} for m in st.applied]
    rows += [{"migration": m, "state": "pending"} for m in st.pending]
    click.echo(format_table(rows, ["migration", "state"], empty="(no migrations)"))
    click.echo(
        f"schema version: {st.schema_version if st.schema_version is not None else 'none'} "
        f"(this hewer: {st.expected_version})"
    )
    if st.schema_version is None:
        click.echo("functions: no hewer schema")
    elif st.functions_ok:
        click.echo(f"functions: up to date (checksum {st.expected_checksum[:12]})")
    else:
        click.echo("functions: stale: run `hewer migrate up` to reload the SQL functions")


@migrate_group.command(name="new")
@click.argument("name")
def migrate_new(name: str) -> None:
    """Create the next numbered migration NAME and its rollback file."""
    forward, rollback = migrate.new(name)
    click.echo(forward)
    click.echo(rollback)


# --- partitions --------------------------------------------------------------------


@main.group(name="partitions", cls=HewerGroup)
def partitions_group() -> None:
    """Time partitions of the big tables (runs, tasks, task_events, ...)."""


_NOW_OPTION = click.option(
    "--now",
    metavar="TIMESTAMP",
    callback=_timestamp,
    help="Act as if it were this ISO 8601 time (default: now; UTC if no offset).",
)


@partitions_group.command(name="create")
@_NOW_OPTION
def partitions_create(now: datetime | None) -> None:
    """Create the partitions that should exist ahead of now."""
    with _checked_connection() as conn:
        rows = partitions.create(conn, now)
    click.echo(format_table(rows, partitions.COLUMNS, empty="no partitions to create"))


@partitions_group.command(name="drop")
@_NOW_OPTION
def partitions_drop(now: datetime | None) -> None:
    """Drop the partitions past their table's retention."""
    with _checked_connection() as conn:
        rows = partitions.drop(conn, now)
    click.echo(format_table(rows, partitions.COLUMNS, empty="no partitions to drop"))


@partitions_group.command(name="status")
@click.option("--exact", is_flag=True, help="Count rows exactly instead of estimating.")
def partitions_status(exact: bool) -> None:
    """List partitions with their ranges, rows and sizes."""
    with _checked_connection() as conn:
        rows = partitions.status(conn, exact)
    click.echo(format_table(rows, partitions.STATUS_COLUMNS, empty="no partitions"))


# --- limits ------------------------------------------------------------------------


@main.group(name="ratelimits", cls=HewerGroup)
def ratelimits_group() -> None:
    """Token-bucket rate limits that steps spend from (RateLimit in the SDK)."""


@ratelimits_group.command(name="set")
@click.argument("name")
@click.argument("rate", type=float)
@click.option("--period", default="1 second", show_default=True, help="Per how long (an interval).")
@click.option("--burst", type=float, help="Tokens a bucket saves up at most (default: the rate).")
def ratelimits_set(name: str, rate: float, period: str, burst: float | None) -> None:
    """Create or update rate limit NAME: RATE tokens per period."""
    with tenants_cli.connect() as conn:
        rows = limits.rate_set(conn, name, rate, period, burst)
    click.echo(format_table(rows, limits.RATE_COLUMNS[:4]))


@ratelimits_group.command(name="list")
def ratelimits_list() -> None:
    """List the rate limits, their buckets and the tokens left in the static bucket."""
    with tenants_cli.connect() as conn:
        rows = limits.rate_list(conn)
    click.echo(format_table(rows, limits.RATE_COLUMNS, empty="no rate limits"))


@ratelimits_group.command(name="delete")
@click.argument("name")
def ratelimits_delete(name: str) -> None:
    """Delete rate limit NAME; steps that spend from it are no longer gated."""
    with tenants_cli.connect() as conn:
        limits.rate_delete(conn, name)
    click.echo(f"deleted rate limit {name}")


@main.group(name="limits", cls=HewerGroup)
def limits_group() -> None:
    """Running-task limits for the whole tenant or for an action across workflows."""


@limits_group.command(name="set")
@click.argument("scope", type=click.Choice(["tenant", "action"]))
@click.argument("name")
@click.argument("max_running", metavar="MAX", type=int, required=False)
def limits_set(scope: str, name: str, max_running: int | None) -> None:
    """At most MAX running tasks for SCOPE NAME (tenant: name ""); no MAX removes the limit."""
    with tenants_cli.connect() as conn:
        rows = limits.concurrency_set(conn, scope, name, max_running)
    click.echo(format_table(rows, limits.CONCURRENCY_COLUMNS[:3], empty="limit removed"))


@limits_group.command(name="list")
def limits_list() -> None:
    """List tenant and action limits with how many tasks hold them."""
    with tenants_cli.connect() as conn:
        rows = limits.concurrency_list(conn)
    click.echo(format_table(rows, limits.CONCURRENCY_COLUMNS, empty="no limits"))


# --- processes ---------------------------------------------------------------------

_DISPATCHERS_OPTION = click.option(
    "--dispatcher",
    "dispatchers",
    multiple=True,
    envvar="HEWER_DISPATCHERS",
    help="host:port of a dispatcher (repeatable; default $HEWER_DISPATCHERS or 127.0.0.1:7077).",
)


def _token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The API token: from --token-file (or $HEWER_TOKEN_FILE), else $HEWER_TOKEN. Never from the
    command line, where every user of the machine sees it (ps, /proc)."""
    if ctx.params.pop("token_argument", None) is not None:
        raise click.UsageError(
            "--token puts the secret on the command line, where any user sees it (ps): "
            "set HEWER_TOKEN, or pass --token-file PATH (HEWER_TOKEN_FILE)"
        )
    if value:
        try:
            text = Path(value).read_text().strip()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {value}: {exc.strerror}") from None
        if not text:
            raise click.BadParameter(f"{value} is empty: put the token in it (hewer tokens create)")
        return text
    return os.environ.get("HEWER_TOKEN") or None


def _TOKEN_OPTION(command: Any) -> Any:  # noqa: N802 - a decorator, named like the others
    """--token-file (and a --token that refuses, with the fix), giving the command `token`."""
    command = click.option(
        "--token-file",
        "token",
        envvar="HEWER_TOKEN_FILE",
        metavar="PATH",
        callback=_token,
        help="File holding the API token (default $HEWER_TOKEN_FILE, else $HEWER_TOKEN).",
    )(command)
    return click.option("--token", "token_argument", hidden=True, is_eager=True, expose_value=True)(
        command
    )


@main.command(name="dispatcher")
@click.option("--listen", default="127.0.0.1:7077", show_default=True, help="gRPC host:port.")
@click.option(
    "--poll-interval",
    default=2.0,
    show_default=True,
    help="Fallback claim poll (NOTIFY wakes claims at once), seconds.",
)
@click.option(
    "--heartbeat-interval", default=1.0, show_default=True, help="Worker heartbeats, seconds."
)
@click.option(
    "--worker-timeout",
    default=30.0,
    show_default=True,
    help="Seconds without heartbeat before a worker is dead and its tasks are retried.",
)
@click.option("--reap-interval", default=5.0, show_default=True, help="Reaper pass, seconds.")
@click.option("--pool-size", default=10, show_default=True, help="Database connections.")
@click.option("--shutdown-grace", default=10.0, show_default=True, help="Seconds on SIGTERM.")
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--event-interval",
    default=10.0,
    show_default=True,
    help="Event router poll, seconds (push_event's NOTIFY wakes it sooner).",
)
@click.option(
    "--event-visibility-timeout",
    default=30,
    show_default=True,
    help="Seconds a routed event stays hidden before it is retried.",
)
@click.option(
    "--tls-cert",
    envvar="HEWER_TLS_CERT",
    metavar="PEM",
    help="Serve gRPC over TLS with this certificate (chain); needs --tls-key. Clients and "
    "workers then set HEWER_TLS_CA to the CA that signed it.",
)
@click.option("--tls-key", envvar="HEWER_TLS_KEY", metavar="PEM", help="The certificate's key.")
def dispatcher_cmd(
    listen: str,
    poll_interval: float,
    heartbeat_interval: float,
    worker_timeout: float,
    reap_interval: float,
    pool_size: int,
    shutdown_grace: float,
    log_level: str,
    event_interval: float,
    event_visibility_timeout: int,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Serve workers and clients over gRPC: claims, reports, reaper, cancellations.

    Run as many as you like on one database; each claims for its own workers, and one of
    them (holding the maintenance lease) runs the reaper, partition upkeep,
    the event router and the cron ticker.
    """
    settings = DispatcherSettings(
        listen=listen,
        database_url=db.database_url(),
        poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval,
        worker_timeout=worker_timeout,
        reap_interval=reap_interval,
        pool_max_size=max(2, pool_size),
        shutdown_grace=shutdown_grace,
        log_level=log_level.upper(),
        event_interval=event_interval,
        event_visibility_timeout=event_visibility_timeout,
        tls_cert=tls_cert,
        tls_key=tls_key,
    )
    run_dispatcher(settings)


@main.command(name="worker")
@click.argument("target")
@_DISPATCHERS_OPTION
@click.option("--name", help="Worker name (default: host and pid).")
@click.option("--slots", type=click.IntRange(1, 10000), help="Tasks run at once.")
@click.option("--shutdown-grace", type=float, help="Seconds to finish work on SIGTERM.")
@_TOKEN_OPTION
def worker_cmd(
    target: str,
    dispatchers: tuple[str, ...],
    name: str | None,
    slots: int | None,
    shutdown_grace: float | None,
    token: str | None,
) -> None:
    """Run the workflows of TARGET ("module:attr": a Worker, Workflow, task or list of them)."""
    run_worker(
        target,
        _split(dispatchers),
        name=name,
        slots=slots,
        shutdown_grace=shutdown_grace,
        token=token,
    )


@main.command(name="run")
@click.argument("workflow")
@click.option("--input", "input_json", default="{}", show_default=True, help="Run input (JSON).")
@click.option("--priority", type=click.IntRange(-1000, 1000))
@click.option("--key", "idempotency_key", help="Idempotency key: the same key, the same run.")
@click.option("--metadata", "metadata_json", help='Key/value tags (JSON), e.g. \'{"k": "v"}\'.')
@click.option("--wait", is_flag=True, help="Wait for the result and print it.")
@click.option("--timeout", type=float, help="With --wait: give up after this many seconds.")
@_DISPATCHERS_OPTION
@_TOKEN_OPTION
def run_cmd(
    workflow: str,
    input_json: str,
    priority: int | None,
    idempotency_key: str | None,
    metadata_json: str | None,
    wait: bool,
    timeout: float | None,
    dispatchers: tuple[str, ...],
    token: str | None,
) -> None:
    """Trigger a run of WORKFLOW through a dispatcher; print its id (or, with --wait, output)."""
    example = '\'{"text": "hi"}\''
    try:
        payload = json.loads(input_json)
    except json.JSONDecodeError as exc:
        raise HewerError(f"--input is not valid JSON ({exc}); pass e.g. {example}") from None
    except RecursionError:
        raise HewerError(
            "--input is nested too deeply to parse (about 1,000 levels of arrays and objects); "
            "flatten it"
        ) from None
    if not isinstance(payload, dict):
        raise HewerError(
            f"--input must be a JSON object, got {type(payload).__name__} {input_json[:40]!r}; "
            f"pass e.g. {example}"
        )
    metadata = metadata_option(metadata_json)
    with SyncClient(_split(dispatchers) or None, token=token or "") as client:
        run_id = client.trigger(
            workflow,
            payload,
            priority=priority,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )
        click.echo(run_id, err=wait)
        if wait:
            click.echo(json.dumps(client.result(run_id, timeout=timeout), indent=2))


@main.command(name="dev")
@click.option("--text", help="The document to digest (default: a bundled sample).")
@click.option("--keep", is_flag=True, help="Keep the dispatcher and worker running afterwards.")
def dev_cmd(text: str | None, keep: bool) -> None:
    """Run everything end to end: database, migrations, a dispatcher, a worker, and the bundled
    example pipeline (split a document, summarize chunks in parallel, combine)."""
    dev.run(text, keep, click.echo)


def _split(values: tuple[str, ...]) -> list[str]:
    """Addresses from repeated options, each possibly comma-separated."""
    return [a.strip() for v in values for a in v.split(",") if a.strip()]


# --- bench -------------------------------------------------------------------------


def _names(allowed: tuple[str, ...]) -> Any:
    """A click callback: a comma-separated subset of `allowed` (case-insensitive), in order."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str]:
        if not value:
            return list(allowed)
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        by_lower = {a.lower(): a for a in allowed}
        unknown = [v for v in wanted if v.lower() not in by_lower]
        if unknown:
            raise click.BadParameter(
                f"unknown {', '.join(unknown)}: choose from {','.join(allowed)}"
            )
        chosen = {by_lower[v.lower()] for v in wanted}
        return [a for a in allowed if a in chosen]

    return parse


@main.group(name="bench", cls=HewerGroup, invoke_without_command=True)
@click.option(
    "--quick",
    is_flag=True,
    help="Tiny sizes, one repetition, no warm-up: a smoke run of about a minute.",
)
@click.option(
    "--only",
    "workloads",
    callback=_names(bench.WORKLOADS),
    metavar="W1,W2,...",
    help="Workloads to run (default all; W5 and W6 need W1, which then runs too).",
)
@click.option(
    "--systems",
    callback=_names(bench.SYSTEMS),
    metavar="hewer,procrastinate,pgqueuer,raw",
    help="Systems to run (default all).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Directory for bench.json and bench.png (default $HEWER_HOME/bench, i.e. .hewer/bench).",
)
@click.option(
    "--server",
    type=click.Choice(["configured", "own"]),
    default="configured",
    show_default=True,
    help="configured: HEWER_DATABASE_URL or the embedded server; own: a bench-only embedded "
    "server in $HEWER_HOME/bench-pgdata with pg_stat_statements.",
)
@click.option("--repetitions", type=click.IntRange(1), help="Measured runs per cell (default 3).")
@click.pass_context
def bench_group(
    ctx: click.Context,
    quick: bool,
    workloads: list[str],
    systems: list[str],
    out: str | None,
    server: str,
    repetitions: int | None,
) -> None:
    """Benchmarks. Without a subcommand: Hewer against procrastinate, PgQueuer and raw SQL.

    \b
    W1 bulk enqueue, then drain, at equal concurrency      W4 claim+complete, 1M vs 10k queued
    W2 enqueue->start latency at 100 tasks/s for 20 s      W5 commits per task; idle queries/s
    W3 500 runs of a 5-step diamond (Hewer only)           W6 peak RSS during W1
    W7 claim+complete with 3 concurrency levels + a rate limit vs none; a rate limit held
       for 30 s (Hewer only)

    Each system gets its own fresh database on the same server. Prints the table (with
    Hewer's targets) and writes bench.json and bench.png to --out. The peers need
    `pip install -e '.[bench]'`. See docs/benchmarks.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    bench.require_extra(systems)
    # The suite needs the optional `bench` extra, so it is imported only when it runs.
    from pydispatch import bench_pg, bench_workloads  # noqa: PLC0415

    bench_server = bench_pg.BenchServer.connect(own=server == "own")
    click.echo(f"server: {db.redact(bench_server.admin_url)}")
    report, sizes = bench_workloads.main(
        bench_server, quick, systems, workloads, repetitions, click.echo
    )
    json_path, png_path = bench_workloads.write(report, out)
    click.echo("")
    click.echo(report.table(sizes))
    click.echo("")
    for name in systems:
        click.echo(f"{name}: {report.batching[name]}")
    click.echo(f"took {report.seconds:.0f} s; wrote {json_path} and {png_path}")
    if report.errors:
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        raise SystemExit(1)


@bench_group.command(name="events")
@click.option("--quick", is_flag=True, help="50 events and small ingest sizes: a smoke run.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_events(quick: bool, as_json: bool) -> None:
    """Event->run-start latency (p50/p99) and SQL event ingest rate. See docs/benchmarks.md."""
    from pydispatch import bench_events as events_bench  # noqa: PLC0415

    result = events_bench.run(quick)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            click.echo(line)


@bench_group.command(name="tenants")
@click.option("--quick", is_flag=True, help="Quick W1 sizes: a smoke run.")
@click.option("--rounds", default=5, show_default=True, type=click.IntRange(1))
@click.option(
    "--server",
    type=click.Choice(["configured", "own"]),
    default="configured",
    show_default=True,
    help="own: a bench-only embedded server in $HEWER_HOME/bench-pgdata.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def bench_tenants(quick: bool, rounds: int, server: str, as_json: bool) -> None:
    """What tenant isolation costs on W1: the default tenant against a tenant working through
    its own role (row-level security) and API token, in alternating rounds."""
    bench.require_extra(["hewer"])
    from pydispatch import bench_pg  # noqa: PLC0415 - needs the `bench` extra
    from pydispatch import bench_tenants as tenants_bench  # noqa: PLC0415

    bench_server = bench_pg.BenchServer.connect(own=server == "own")
    logdir = tempfile.mkdtemp(prefix="hewer-bench-tenants-")
    result = tenants_bench.run(bench_server, quick, rounds, logdir)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"W1, {result['tasks_per_round']} tasks per round, {rounds} rounds (medians)")
    for what in ("enqueue", "drain"):
        r = result[what]
        click.echo(
            f"{what:8} default tenant {r['default_tasks_per_s']:>9,.0f} tasks/s   "
            f"tenant role + token {r['tenant_tasks_per_s']:>9,.0f} tasks/s   "
            f"cost {r['cost_percent']:+.1f}%"
        )


@bench_group.command(name="profile")
@click.option("--tasks", default=20000, show_default=True, type=click.IntRange(1))
@click.option(
    "--server",
    type=click.Choice(["configured", "own"]),
    default="own",
    show_default=True,
    help="own: a bench-only embedded server with pg_stat_statements (per-statement costs).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Directory for the profiles (default $HEWER_HOME/bench/profile).",
)
def bench_profile(tasks: int, server: str, out: str | None) -> None:
    """Where Hewer's time goes during a W1 drain: CPU seconds per process, a py-spy profile
    of the dispatcher and of one worker, and the costliest SQL statements (nested ones too)."""
    bench.require_extra(["hewer"])
    from pydispatch import bench_pg  # noqa: PLC0415 - needs the `bench` extra
    from pydispatch import bench_profile as profiling  # noqa: PLC0415

    bench_server = bench_pg.BenchServer.connect(own=server == "own")
    click.echo(f"server: {db.redact(bench_server.admin_url)}")
    click.echo(profiling.main(bench_server, tasks, out, click.echo))


@bench_group.command(name="cycles")
@click.option(
    "--batch",
    "batches",
    multiple=True,
    type=click.IntRange(1, 10000),
    default=(1, 100),
    show_default=True,
    help="Tasks claimed and completed per call (repeatable).",
)
@click.option("--tasks", default=20000, show_default=True, type=click.IntRange(1))
@click.option("--repetitions", default=3, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def bench_cycles(batches: tuple[int, ...], tasks: int, repetitions: int, as_json: bool) -> None:
    """Claim+complete cycles per second that ONE SQL connection sustains.

    A backlog of no-op tasks is enqueued (not timed), then one connection calls
    hewer.task_claim and hewer.task_complete with --batch tasks each, each call its
    own transaction, until the backlog is drained. Median of --repetitions runs.
    """
    url = bench.fresh_database()
    results = [bench.cycles(url, b, tasks, repetitions) for b in batches]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
        return
    rows = [
        {
            "batch": r.batch,
            "tasks/s": round(r.tasks_per_second),
            "calls/s": round(r.calls_per_second),
            "tasks": r.tasks,
            "runs": r.repetitions,
        }
        for r in results
    ]
    click.echo(format_table(rows))


@bench_group.command(name="e2e")
@click.option("--tasks", default=5000, show_default=True, type=click.IntRange(1))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32))
@click.option("--slots", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--rate", default=100.0, show_default=True, help="Tasks/s for the latency phase.")
@click.option("--seconds", default=10.0, show_default=True, help="Length of the latency phase.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bench_e2e(
    tasks: int, workers: int, slots: int, rate: float, seconds: float, as_json: bool
) -> None:
    """The whole system: one dispatcher and --workers worker processes running no-op tasks.

    Phase 1 enqueues --tasks runs in bulk through SQL and times the drain (tasks/s). Phase 2
    enqueues --rate runs per second for --seconds and reports enqueue-to-start latency,
    measured in the database's clock (run created -> task 'started' event).
    """
    url = bench.fresh_database()
    r = bench.end_to_end(url, tasks, workers, slots, rate, seconds)
    if as_json:
        click.echo(json.dumps(r.as_dict(), indent=2))
        return
    click.echo(
        format_table(
            [
                {
                    "workers": r.workers,
                    "slots": r.slots,
                    "tasks": r.tasks,
                    "tasks/s": round(r.tasks_per_second),
                    "latency at": f"{r.latency_rate:g}/s",
                    "p50 ms": round(r.start_p50_ms, 1),
                    "p95 ms": round(r.start_p95_ms, 1),
                    "p99 ms": round(r.start_p99_ms, 1),
                }
            ]
        )
    )


# --- events, filters, cron, schedule (pydispatch/events_cli.py) ----------------------

for _group in (
    events_group,
    filters_group,
    cron_group,
    schedule_group,
    quarantine_group,
    workflows_group,
    runs_group,
):
    main.add_command(_group)

# --- child runs and metadata (pydispatch/children_cli.py) ---------------------------

register_children_commands(main)

# --- tenants and tokens (pydispatch/tenants_cli.py) ----------------------------------

main.add_command(tenants_group)
main.add_command(tokens_group)
# The commands that work on a tenant's data in the database take --tenant NAME; the
# leader's own steps (events route, cron tick) work across tenants.
tenants_cli.add_tenant_option(
    [
        workflows_group,
        runs_group,
        events_group,
        filters_group,
        cron_group,
        schedule_group,
        quarantine_group,
        ratelimits_group,
        limits_group,
        main.commands["children"],
        main.commands["tagged"],
    ],
    skip=["route", "tick"],
)


# --- helpers -----------------------------------------------------------------------


def _checked_connection() -> psycopg.Connection[Any]:
    """A connection to a database whose schema matches this hewer (else a clear error)."""
    conn = db.connect()
    try:
        check_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _print_fields(fields: list[tuple[str, str]]) -> None:
    """`key: value` lines, aligned; fields without a value are left out."""
    shown = [(k, v) for k, v in fields if v]
    width = max(len(k) for k, _ in shown) + 1
    for key, value in shown:
        click.echo(f"{(key + ':').ljust(width)} {value}")


main.add_command(chaos)

if __name__ == "__main__":
    main()
