"""docker/: what can be checked without a container engine.

Every `hewer` command and option the compose file and the Dockerfile use exists (each is run
with --help through the real CLI: click exits 2 on an unknown command or option), the files
the Dockerfile copies exist, the extra it installs is declared, its entry point is the
console script, and the worker's target is a workflow.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pydispatch.paths import REPO_ROOT
from pyworker import Workflow

DOCKER = REPO_ROOT / "docker"
IMAGE = "hewer:local"


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _hewer_services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    return {name: s for name, s in services.items() if s.get("image") == IMAGE}


def _hewer_help(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("HEWER_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pydispatch.cli", *args, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_compose_file_runs_migrate_a_dispatcher_and_a_worker() -> None:
    services = _hewer_services()
    assert set(services) == {"migrate", "dispatcher", "worker"}
    assert services["migrate"]["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER / services["migrate"]["build"]["context"]).resolve() == REPO_ROOT
    # Each hewer service after the one it needs.
    assert services["dispatcher"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "postgres" in services["migrate"]["depends_on"]
    url = services["migrate"]["environment"]["HEWER_DATABASE_URL"]
    assert url.startswith("postgresql://") and "@postgres:" in url
    assert services["dispatcher"]["environment"]["HEWER_DATABASE_URL"] == url


@pytest.mark.parametrize("service", ["migrate", "dispatcher", "worker"])
def test_every_command_and_option_the_services_run_exists(service: str) -> None:
    command = _hewer_services()[service]["command"]
    result = _hewer_help(list(command))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage:")


def test_the_check_fails_on_an_unknown_option() -> None:
    """The check above is not vacuous: an option the CLI lacks fails it."""
    result = _hewer_help(["dispatcher", "--no-such-option", "1"])
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_the_worker_target_is_a_workflow_shipped_in_the_package() -> None:
    command = _hewer_services()["worker"]["command"]
    target = command[command.index("worker") + 1]
    module_name, attribute = target.split(":")
    assert module_name.startswith("pyworker.examples.")  # in the wheel, not only the checkout
    assert isinstance(getattr(importlib.import_module(module_name), attribute), Workflow)
    address = command[command.index("--dispatcher") + 1]
    dispatcher = _hewer_services()["dispatcher"]["command"]
    listen = dispatcher[dispatcher.index("--listen") + 1]
    assert address.split(":")[1] == listen.split(":")[1]


def test_the_dockerfile_copies_what_exists_and_installs_the_server_extra() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    sources = [
        line.split()[1]
        for line in text.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
    ]
    assert sources, "no COPY lines"
    missing = [s for s in sources if not (REPO_ROOT / s).exists()]
    assert missing == []
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    # Every package the wheel builds from is copied.
    packages = pyproject["tool"]["setuptools"]["packages"]
    tops = {p.split(".")[0] for p in packages}
    dirs = set(pyproject["tool"]["setuptools"]["package-dir"].values())
    assert tops | dirs <= {Path(s).name for s in sources}
    extras = re.findall(r"\[(\w+)\]\"", text)
    assert extras and set(extras) <= set(pyproject["project"]["optional-dependencies"])
    entry = re.search(r'^ENTRYPOINT \["(\w+)"\]', text, re.MULTILINE)
    assert entry and entry.group(1) in pyproject["project"]["scripts"]
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE), "the image runs as root"
