"""The code in README.md and docs/ runs as shown.

Every ```python, ```sql, ```sh and ```bash block of those files is either run here or visibly
not meant to run on its own:

- a fragment says so on its first line, a comment starting with "Fragment" (`# Fragment: ...`,
  `-- Fragment: ...`), with what it needs;
- a SQL block that declares a function's signature (`hewer.name(...) RETURNS ...`) is a
  declaration, not a statement;
- the README's two commands (`make venv && .venv/bin/hewer dev`, `make test`) are what CI
  itself runs.

The blocks of one file run in order, as a reader following it would, in one fresh setting: a
new migrated database (HEWER_DATABASE_URL), a Hewer home of its own (HEWER_HOME), free ports
for the dispatcher and the HTTP API (HEWER_LISTEN, HEWER_API_LISTEN), an empty working
directory, and `hewer` on the PATH.

- sql: run with psql as the database's owner, stopping at the first error;
- python: run with this interpreter, the working directory importable; a block whose first
  line is a comment naming a file (`# flows.py: ...`) is saved under that name instead, for
  the blocks after it to use;
- sh, bash: run with bash -eo pipefail; what a block starts in the background (`&`) keeps
  running for the blocks after it, and is stopped when the file is done.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pydispatch.paths import REPO_ROOT

RUNNABLE = ("python", "sql", "sh", "bash")
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
FRAGMENT = re.compile(r"^(#|--) Fragment\b")
SIGNATURE = re.compile(r"^hewer\.\w+\(")
MODULE = re.compile(r"^# ([\w/]+\.py)\b")
BLOCK_TIMEOUT = 180.0


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line}"

    @property
    def runnable(self) -> bool:
        first = self.code.lstrip().splitlines()[0] if self.code.strip() else ""
        if FRAGMENT.match(first):
            return False
        if self.path.name == "README.md" and "\nmake test\n" in self.code:
            return False  # the two commands: CI runs them (make test, make package-check)
        return not (self.lang == "sql" and SIGNATURE.match(first))


def documents() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    text = path.read_text()
    return [
        Block(path, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2))
        for m in BLOCK.finditer(text)
        if m.group(1) in RUNNABLE
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Setting:
    """Where one document's blocks run, and what they left running."""

    def __init__(self, tmp: Path, dsn: str, bin_dir: Path) -> None:
        self.dir = tmp / "work"
        self.dir.mkdir()
        self.psql = str(bin_dir / "psql")
        self.dsn = dsn
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("HEWER_") or k == "HEWER_TEST_PG_BIN"
        }
        env.update(
            HEWER_DATABASE_URL=dsn,
            HEWER_HOME=str(tmp / "home"),
            HEWER_LISTEN=f"127.0.0.1:{_free_port()}",
            HEWER_API_LISTEN=f"127.0.0.1:{_free_port()}",
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            PYTHONPATH=os.pathsep.join([str(self.dir), str(REPO_ROOT)]),
        )
        self.env = env
        self.groups: list[int] = []
        self.count = 0

    def run(self, block: Block) -> None:
        self.count += 1
        code = block.code
        if block.lang == "python" and (named := MODULE.match(code)):
            target = self.dir / named.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code)
            return
        script = self.dir.parent / f"block{self.count}"
        script.write_text(code)
        if block.lang == "python":
            argv = [sys.executable, str(script)]
        elif block.lang == "sql":
            argv = [
                self.psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.dsn,
                "-f",
                str(script),
            ]
        else:
            argv = ["bash", "-eo", "pipefail", str(script)]
        out = self.dir.parent / f"block{self.count}.out"
        with out.open("w") as sink:
            proc = subprocess.Popen(
                argv,
                cwd=self.dir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.groups.append(proc.pid)
            try:
                status = proc.wait(BLOCK_TIMEOUT)
            except subprocess.TimeoutExpired:
                status = None
        output = out.read_text()
        if status != 0:
            what = "timed out" if status is None else f"exited {status}"
            pytest.fail(f"{block.where} ({block.lang}) {what}:\n{code}\n--- output ---\n{output}")

    def stop(self) -> None:
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for group in self.groups:
            for _ in range(100):
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    break
                import time

                time.sleep(0.1)
            else:
                os.killpg(group, signal.SIGKILL)


@pytest.fixture
def setting(
    tmp_path: Path, dsn: str, pg_server: Any, conn: psycopg.Connection[Any]
) -> Iterator[Setting]:
    before = {r["rolname"] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
    s = Setting(tmp_path, dsn, pg_server.bin_dir)
    try:
        yield s
    finally:
        s.stop()
        # Roles belong to the server: drop the ones a document made.
        made = {r["rolname"] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        for role in made - before:
            conn.execute(
                psycopg.sql.SQL("DROP OWNED BY {0}; DROP ROLE {0}").format(
                    psycopg.sql.Identifier(role)
                )
            )


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_the_runnable_blocks_of_a_document_run(doc: Path, setting: Setting) -> None:
    for block in blocks(doc):
        if block.runnable:
            setting.run(block)


def test_every_block_is_runnable_or_says_it_is_a_fragment() -> None:
    every = [b for doc in documents() for b in blocks(doc)]
    run = [b for b in every if b.runnable]
    fragments = [b for b in every if not b.runnable and FRAGMENT.match(b.code.lstrip())]
    # Most of what the docs show runs; the test above runs it.
    assert len(run) > len(fragments), [b.where for b in fragments]
    for b in fragments:
        first = b.code.lstrip().splitlines()[0]
        assert len(first) > len("# Fragment: "), f"{b.where}: say what the fragment needs"
