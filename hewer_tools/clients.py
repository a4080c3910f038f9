"""`python -m hewer_tools.clients`: regenerate the Python REST client (pyworker/rest) from the
committed OpenAPI document (docs/openapi.json); with --check, fail when the committed client
differs from a fresh generation (`make clients`, `make lint`).

openapi-python-client writes it (pinned in the dev extra, so that two machines generate the
same text); no formatter runs over it, and ruff leaves it alone (pyproject.toml).
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pydispatch.paths import REPO_ROOT

TARGET = REPO_ROOT / "pyworker" / "rest"
DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
CONFIG = "project_name_override: hewer-rest\npackage_name_override: rest\npost_hooks: []\n"


def generate(out: Path) -> None:
    """The client generated into `out` (which must not exist)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(CONFIG)
        tool = Path(sys.executable).with_name("openapi-python-client")
        result = subprocess.run(
            [str(tool), "generate", "--path", str(DOCUMENT), "--meta", "none",
             "--config", str(config), "--output-path", str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0 or "Warning" in result.stdout + result.stderr:
            raise SystemExit(f"openapi-python-client failed:\n{result.stdout}{result.stderr}")


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between two trees, or are in one only (ignoring __pycache__)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        for name in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files:
            if name != "__pycache__":
                found.append(prefix + name)
        for name, sub in cmp.subdirs.items():
            if name != "__pycache__":
                walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b, ignore=["__pycache__"]), "")
    return sorted(found)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "rest"
        generate(fresh)
        if "--check" in argv:
            stale = differences(TARGET, fresh) if TARGET.exists() else ["(missing)"]
            if stale:
                print(
                    f"pyworker/rest is stale ({', '.join(stale[:5])}): run `make clients` and "
                    "commit the result",
                    file=sys.stderr,
                )
                return 1
            return 0
        shutil.rmtree(TARGET, ignore_errors=True)
        shutil.copytree(fresh, TARGET, ignore=shutil.ignore_patterns("__pycache__"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
