"""Fixtures of the chaos suite, and which of its tests run by default.

The full-scale scenarios (marker `chaos`) run only when asked for: `pytest -m chaos`, by
name (`pytest 'tests/chaos/test_crashes.py::test_crash_full[worker-kill]'`), or
`hewer chaos`. Otherwise they are deselected, so the default run (what CI runs) gets the
fast subset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hewer_tools.chaos.pgserver import ScratchServer

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "chaos" in (config.getoption("markexpr") or ""):
        return
    # Tests asked for by name always run (node ids are relative to the repository).
    named = [a[a.find("tests/") :] for a in config.args if "::" in a]
    full = [
        i
        for i in items
        if i.path.is_relative_to(HERE)
        and i.get_closest_marker("chaos")
        and not any(i.nodeid.startswith(a) for a in named)
    ]
    if full:
        items[:] = [i for i in items if i not in full]
        config.hook.pytest_deselected(items=full)


@pytest.fixture(scope="session")
def chaos_server() -> Iterator[ScratchServer]:
    """A PostgreSQL server of our own, which the restart scenario crashes."""
    with ScratchServer() as server:
        yield server
