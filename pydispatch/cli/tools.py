"""`hewer dev` (the demo), `hewer bench` and `hewer chaos`: the tools in hewer_tools, behind
the one `hewer` command. The benchmarks' peers need the `bench` extra, imported only when a
benchmark runs."""

from __future__ import annotations

import json
import tempfile
from typing import Any

import click

from hewer_tools import dev
from hewer_tools.bench import run as bench
from hewer_tools.chaos.command import chaos
from pydispatch import db
from pydispatch.cli.common import HewerGroup
from pydispatch.table import format_table

__all__ = ["bench_group", "chaos", "dev_cmd"]


@click.command(name="dev")
@click.option("--text", help="The document to summarize (default: a bundled sample about Hewer).")
@click.option("--keep", is_flag=True, help="Keep the dispatcher and worker running afterwards.")
def dev_cmd(text: str | None, keep: bool) -> None:
    """Run everything end to end: database, migrations, a dispatcher, a worker, and the bundled
    example pipeline (split a document, summarize chunks in parallel, combine)."""
    try:
        dev.run(text, keep, click.echo)
    except KeyboardInterrupt:
        click.echo("interrupted: the dispatcher and the worker are stopped", err=True)
        raise SystemExit(130) from None
    except dev.Stopped as exc:
        click.echo(f"{exc}: the dispatcher and the worker are stopped", err=True)
        raise SystemExit(128 + exc.signum) from None


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


@click.group(name="bench", cls=HewerGroup, invoke_without_command=True)
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
    W2 enqueue->start latency at 100 and 1,000 tasks/s     W5 commits per task; idle queries/s
    W3 500 runs of a 5-step diamond (Hewer only)           W6 peak RSS during W1
    W7 claim+complete with 3 concurrency levels + a rate limit vs none; a rate limit held
       for 30 s (Hewer only)
    W8 W1's drain by 8 workers over 1, 2 and 4 dispatchers on one database (Hewer only)
    W9 W2's latency in one tenant while another tenant's 20,000-task backlog drains
       (Hewer only)
    W10 starting runs through SQL, gRPC and HTTP: one-at-a-time rates and trigger->start
       latency (Hewer only)
    W11 the analytics feed: W1's drain with it on and off, its lag, queries over a week of
       rollups (Hewer only)
    W12 the dashboard over 1,000,000 runs: the runs page's and a run page's API calls, and
       both pages in headless Chromium (Hewer only)

    Each system gets its own fresh database on the same server. Prints the table (with
    Hewer's targets) and writes bench.json and bench.png to --out. The peers need
    `pip install -e '.[bench]'`. See docs/benchmarks.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    bench.require_extra(systems)
    # The suite needs the optional `bench` extra, so it is imported only when it runs.
    from hewer_tools.bench import pg as bench_pg  # noqa: PLC0415
    from hewer_tools.bench import workloads as bench_workloads  # noqa: PLC0415

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
    from hewer_tools.bench import events as events_bench  # noqa: PLC0415

    result = events_bench.run(quick)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            click.echo(line)


@bench_group.command(name="tenants")
@click.option("--quick", is_flag=True, help="Quick W1 sizes: a smoke run.")
@click.option(
    "--rounds", default=5, show_default=True, type=click.IntRange(1), help="Measured rounds."
)
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
    from hewer_tools.bench import pg as bench_pg  # noqa: PLC0415 - needs the `bench` extra
    from hewer_tools.bench import tenants as tenants_bench  # noqa: PLC0415

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
@click.option(
    "--tasks", default=20000, show_default=True, type=click.IntRange(1), help="Tasks per run."
)
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
    from hewer_tools.bench import pg as bench_pg  # noqa: PLC0415 - needs the `bench` extra
    from hewer_tools.bench import profile as profiling  # noqa: PLC0415

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
@click.option(
    "--tasks", default=20000, show_default=True, type=click.IntRange(1), help="Tasks per run."
)
@click.option(
    "--repetitions",
    default=3,
    show_default=True,
    type=click.IntRange(1),
    help="Measured runs per batch size.",
)
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
@click.option(
    "--tasks", default=5000, show_default=True, type=click.IntRange(1), help="Tasks per run."
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Worker processes.",
)
@click.option(
    "--slots",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10000),
    help="Slots per worker.",
)
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
