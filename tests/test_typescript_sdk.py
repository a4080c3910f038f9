"""The TypeScript SDK (sdks/typescript) against real processes: a PostgreSQL database per test,
`hewer dispatcher` subprocesses with fast timings, the HTTP API on uvicorn, TypeScript workers in
node processes (and in the node test process), and a Python worker for the mixed-language run.

The SDK is built once per session (`npm ci` when node_modules is missing, then `npm run build`);
each test runs one compiled node:test file of sdks/typescript/test with the addresses in its
environment and asserts that all of its tests passed. Node.js 18+ and npm are required: without
them these tests fail, naming what to install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hewer_tools.processes import FAST, Child, Processes
from pydispatch.paths import REPO_ROOT
from pyworker.client import SyncClient
from tests.test_api import Api
from tests.ts_flows import spec_cases

SDK = REPO_ROOT / "sdks" / "typescript"
BUILT_TESTS = SDK / "dist" / "test"
NODE_TIMEOUT = 150


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: the TypeScript SDK tests need Node.js 18 or later and npm "
            "(Debian: apt-get install nodejs npm)",
            pytrace=False,
        )
    return path


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, cwd=SDK, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False
        )


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, once the SDK is installed and built."""
    node, npm = _tool("node"), _tool("npm")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    if major < 18:
        pytest.fail(f"Node.js {version.stdout.strip()} is too old: the SDK needs 18 or later")
    if not (SDK / "node_modules").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"], "npm ci in sdks/typescript")
    _run([npm, "run", "build"], "npm run build in sdks/typescript")
    return node


@dataclass
class Stack:
    """The servers of one test and how to run a node test file against them."""

    node: str
    tmp: Path
    procs: Processes | None = None
    api: Api | None = None
    dispatchers: list[Child] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("HEWER_TOKEN", "NODE_OPTIONS")}
        env["HEWER_TEST_DIR"] = str(self.tmp / "ts")
        if self.api is not None:
            env["HEWER_API_URL"] = f"http://127.0.0.1:{self.api.port}"
        if self.dispatchers:
            env["HEWER_DISPATCHERS"] = ",".join(d.address for d in self.dispatchers)
        env.update(extra)
        return env

    def node_test(self, name: str, tests: int, **extra_env: str) -> None:
        """Run dist/test/<name>.test.js; every one of its `tests` tests must pass."""
        path = BUILT_TESTS / f"{name}.test.js"
        done = subprocess.run(
            [self.node, "--test", "--test-reporter=spec", str(path)],
            cwd=SDK,
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT,
            check=False,
        )
        output = f"{done.stdout}\n{done.stderr}"
        servers = self.procs.output() if self.procs is not None else ""
        assert done.returncode == 0, f"{name} failed:\n{output}\n{servers}"
        counts = dict(re.findall(r"^\u2139 (tests|pass|fail) (\d+)$", done.stdout, re.MULTILINE))
        assert counts == {"tests": str(tests), "pass": str(tests), "fail": "0"}, output


@pytest.fixture
def offline(node: str, tmp_path: Path) -> Stack:
    """No servers: for tests of definitions and parsers."""
    return Stack(node, tmp_path)


@pytest.fixture
def stack(node: str, dsn: str, tmp_path: Path) -> Iterator[Stack]:
    """A dispatcher and the HTTP API on this test's database."""
    procs = Processes(dsn, tmp_path)
    api: Api | None = None
    try:
        dispatcher = procs.start_dispatcher()
        api = Api(dsn).start()
        yield Stack(node, tmp_path, procs, api, [dispatcher])
    finally:
        if api is not None:
            api.stop()
        procs.close()


def test_definitions_durations_and_event_parsing(offline: Stack) -> None:
    offline.node_test("unit/definitions", 6)
    offline.node_test("unit/sse", 2)


def test_the_spec_json_is_the_python_sdks(offline: Stack) -> None:
    specs = offline.tmp / "python-specs.json"
    specs.write_text(json.dumps(spec_cases()))
    offline.node_test("e2e/spec", 1, HEWER_TEST_PYTHON_SPECS=str(specs))


def test_dag_retries_leases_and_the_event_stream(stack: Stack) -> None:
    stack.node_test("e2e/dag", 5)


def test_cancel_reaches_the_running_task(stack: Stack) -> None:
    stack.node_test("e2e/cancel", 1)


def test_kill_9_and_sigterm_of_worker_processes(stack: Stack) -> None:
    stack.node_test("e2e/processes", 3)


def test_a_python_and_a_typescript_worker_share_a_run(stack: Stack) -> None:
    assert stack.procs is not None
    python = stack.procs.start_worker(
        stack.dispatchers[0].address, target="tests.ts_flows:mixed_steps", slots=2
    )
    stack.node_test("e2e/mixed", 1, HEWER_TEST_PYTHON_PID=str(python.pid))
    assert python.alive(), stack.procs.output()


def test_a_worker_moves_to_the_next_dispatcher_when_its_own_dies(stack: Stack) -> None:
    assert stack.procs is not None
    # A second dispatcher; the worker timeout leaves the worker time to register there.
    flags = [*FAST[:1], "5", *FAST[2:]]
    stack.dispatchers.append(stack.procs.start_dispatcher(flags=flags, name="d2"))
    first = stack.dispatchers[0]
    stack.node_test("e2e/reconnect", 1, HEWER_TEST_DISPATCHER_PIDS=str(first.pid))
    assert not first.alive()


def test_worker_labels_and_sticky_runs(stack: Stack) -> None:
    stack.node_test("e2e/affinity", 1)


def test_api_errors_are_typed(stack: Stack) -> None:
    stack.node_test("e2e/errors", 5)


def test_streamed_output_of_a_worker_process_followed_live(stack: Stack) -> None:
    stack.node_test("e2e/output", 2)
    # The same chunks through the Python client, over the dispatcher's Runs.Output.
    run_id = (stack.tmp / "ts" / "stream.run_id").read_text()
    with SyncClient([d.address for d in stack.dispatchers]) as client:
        chunks = list(client.output(run_id))
    talk = [(c.seq, c.data) for c in chunks if c.step == "talk"]
    assert talk == [
        *((i, f"word {i} ") for i in range(1, 7)),
        (7, "x" * 65_535),
        (8, "\U0001f600 and the rest"),
    ]
    assert [(c.seq, c.data) for c in chunks if c.step == "sum"] == [(1, "total: "), (2, "8")]


def test_streamed_output_survives_the_workers_dispatcher_dying(stack: Stack) -> None:
    assert stack.procs is not None
    flags = [*FAST[:1], "5", *FAST[2:]]
    stack.dispatchers.append(stack.procs.start_dispatcher(flags=flags, name="d2"))
    first = stack.dispatchers[0]
    stack.node_test("e2e/output-reconnect", 1, HEWER_TEST_DISPATCHER_PIDS=str(first.pid))
    assert not first.alive()
