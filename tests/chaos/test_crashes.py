"""Crash scenarios with real processes (hewer_tools/chaos/scenarios.py; docs/chaos.md).

test_crash_ci runs every scenario with 100 DAG runs in flight: the subset CI runs. The same
scenarios with 500 runs in flight are test_crash_full, run by `pytest -m chaos`.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from hewer_tools.chaos import scenarios
from hewer_tools.chaos.pgserver import ScratchServer
from hewer_tools.chaos.scenarios import SCENARIOS, Load

# A shorter lease in CI: an assignment lost with a dispatcher or a database crash waits for it.
CI = Load(runs=100, trickle=3.0, worker_timeout=2.0, lease=12.0, deadline=120.0)
FULL = Load()


def _run(name: str, load: Load, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    server: ScratchServer | None = None
    if scenario.own_server:
        server = request.getfixturevalue("chaos_server")
        dsn = server.create_database(f"chaos_{uuid.uuid4().hex[:12]}")
    else:
        dsn = request.getfixturevalue("dsn")
    result = scenarios.run(scenario, dsn, tmp_path, load, server=server)
    print(scenarios.table([result]))
    print(result.report())
    assert result.ok, result.report()
    assert result.in_flight >= load.runs, result.report()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_crash_ci(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    _run(name, CI, request, tmp_path)


@pytest.mark.chaos
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_crash_full(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    _run(name, FULL, request, tmp_path)


class WorkRedoneError(AssertionError):
    """Attempts of workers that no fault touched were taken away and done again."""


@pytest.mark.slow
def test_a_database_outage_longer_than_the_worker_timeout_keeps_workers_alive(
    chaos_server: ScratchServer, tmp_path: Path
) -> None:
    load = Load(runs=60, trickle=0, worker_timeout=2.0, outage=3.0, deadline=120.0)
    scenario = dataclasses.replace(SCENARIOS["postgres-restart"], min_worker_timeout=0)
    dsn = chaos_server.create_database(f"chaos_{uuid.uuid4().hex[:12]}")
    result = scenarios.run(scenario, dsn, tmp_path, load, server=chaos_server)
    print(result.report())
    assert result.lost == 0 and result.duplicated == 0, result.report()  # never broken
    if result.redone:
        raise WorkRedoneError(result.report())
