"""`hewer chaos`: the crash scenarios at full scale, or a soak, on a scratch PostgreSQL.

The scenarios are the same code `pytest -m chaos` runs (tests/chaos/ holds only the pytest
side), so the installed package runs them too. It starts a PostgreSQL of
its own in a temporary directory (durable settings: one scenario crashes it), gives each
scenario a fresh database, and prints one row per scenario: runs, tasks, lost, duplicated,
recovered within (seconds). See docs/chaos.md.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from hewer_tools.chaos import scenarios, soak
from hewer_tools.chaos.pgserver import ScratchServer
from pydispatch.errors import HewerError
from pyworker.durations import parse_duration


@contextlib.contextmanager
def _server(echo: Any) -> Iterator[Any]:
    server = ScratchServer()
    try:
        server.start()
        echo(f"scratch PostgreSQL in {server.root}")
        yield server
    finally:
        server.close()


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value, "--soak")
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds < 30:
        raise click.BadParameter(f"a soak needs at least 30s to say anything, got {value!r}")
    return seconds


@click.command(name="chaos")
@click.option(
    "--scenario",
    "names",
    multiple=True,
    help="Run only this scenario (repeatable); default: all of them.",
)
@click.option(
    "--runs",
    default=500,
    show_default=True,
    type=click.IntRange(10, 100_000),
    help="DAG runs in flight when the fault strikes.",
)
@click.option(
    "--soak",
    "soak_seconds",
    metavar="DURATION",
    callback=_duration,
    help="Instead of the scenarios: a steady load for DURATION (e.g. 10m), sampling memory "
    "and table sizes.",
)
@click.option("--rate", default=20.0, show_default=True, help="Soak: runs triggered per second.")
@click.option("--every", default=10.0, show_default=True, help="Soak: seconds between samples.")
@click.option("--logs", type=click.Path(file_okay=False, path_type=Path), help="Keep logs here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def chaos(
    names: tuple[str, ...],
    runs: int,
    soak_seconds: float | None,
    rate: float,
    every: float,
    logs: Path | None,
    as_json: bool,
) -> None:
    """Kill, freeze and cut off real dispatcher and worker processes and restart PostgreSQL
    under load, then check that no run was lost or done twice (or, with --soak, hold a load
    and watch memory and table sizes)."""
    unknown = [n for n in names if n not in scenarios.SCENARIOS]
    if unknown:
        raise click.BadParameter(
            f"unknown {', '.join(unknown)}; scenarios: {', '.join(scenarios.SCENARIOS)}",
            param_hint="--scenario",
        )
    base = logs or Path(tempfile.mkdtemp(prefix="hewer-chaos-"))
    base.mkdir(parents=True, exist_ok=True)
    echo = click.echo if not as_json else (lambda text: click.echo(text, err=True))
    if soak_seconds is not None:
        _run_soak(soak_seconds, rate, every, base, as_json, echo)
        return
    chosen = [scenarios.SCENARIOS[n] for n in names or scenarios.SCENARIOS]
    load = scenarios.Load(runs=runs)
    results = []
    with _server(echo) as server:
        for scenario in chosen:
            echo(f"{scenario.name}: {scenario.summary}")
            dsn = server.create_database(f"chaos_{scenario.name.replace('-', '_')}")
            tmp = base / scenario.name
            tmp.mkdir(exist_ok=True)
            result = scenarios.run(scenario, dsn, tmp, load, server=server)
            results.append(result)
            echo(result.report())
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    else:
        click.echo(scenarios.table(results))
        click.echo(f"logs: {base}")
    failed = [r.scenario for r in results if not r.ok]
    if failed:
        raise HewerError(f"chaos scenarios failed: {', '.join(failed)} (logs in {base})")


def _run_soak(
    seconds: float, rate: float, every: float, base: Path, as_json: bool, echo: Any
) -> None:
    with _server(echo) as server:
        dsn = server.create_database("chaos_soak")
        echo(f"soak: {seconds:g} s at {rate:g} runs/s, a sample every {every:g} s")
        result = soak.run(dsn, base, seconds, rate=rate, every=every, echo=echo)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "seconds": result.seconds,
                    "rate": result.rate,
                    "runs": result.runs,
                    "tasks": result.tasks,
                    "churned": result.churned,
                    "samples": [s.row() for s in result.samples],
                    "findings": result.findings,
                    "violations": result.violations,
                },
                indent=2,
            )
        )
    else:
        click.echo(result.table())
        click.echo(result.summary())
    if not result.ok:
        raise HewerError(f"the soak found problems (logs in {base})")
