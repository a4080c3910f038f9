"""`hewer bench profile`: where Hewer's time goes during a W1 drain.

One W1 drain (after a discarded warm-up) with: CPU seconds of the dispatcher, the workers
and the PostgreSQL server's processes; a py-spy profile of the dispatcher and of one
worker (sampled without pausing them, idle time left out), summed by function and by
package; and the statements that took the most time in PostgreSQL, nested ones included
(pg_stat_statements with track = all, when the server has it loaded: `--server own`).

The raw py-spy stacks are written as collapsed-stack files, which flame graph tools and
speedscope read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]

from hewer_tools.bench.common import RssSampler, Sizes
from hewer_tools.bench.hewer import HewerSystem
from hewer_tools.bench.pg import BenchServer
from pydispatch import embedded
from pydispatch.table import format_table
from pyworker.examples.noop import noop

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::\d+)?\)$")
_PACKAGES = (
    "pydispatch",
    "pyworker",
    "psycopg_pool",
    "psycopg",
    "grpc",
    "google/protobuf",
    "asyncio",
    "logging",
    "json",
    "threading",
)


@dataclass
class ProcessProfile:
    """One process's py-spy samples, summed."""

    role: str
    samples: int = 0
    by_package: list[tuple[str, float]] = field(default_factory=list)  # % of samples
    self_time: list[tuple[str, float]] = field(default_factory=list)
    inclusive: list[tuple[str, float]] = field(default_factory=list)
    stacks_file: str = ""
    error: str = ""


@dataclass
class ProfileResult:
    tasks: int
    drain_seconds: float
    tasks_per_second: float
    cpu_seconds: dict[str, float]
    profiles: list[ProcessProfile]
    statements: list[dict[str, Any]]
    statements_note: str
    out_dir: str


def _cpu(proc: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        t = proc.cpu_times()
        return float(t.user + t.system)
    return 0.0


def _postgres_processes(server: BenchServer) -> list[psutil.Process]:
    if server.postmaster_pid is None:
        return []
    try:
        root = psutil.Process(server.postmaster_pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


async def _record(pid: int, path: Path) -> asyncio.subprocess.Process | None:
    tool = _py_spy()
    if tool is None:
        return None
    return await asyncio.create_subprocess_exec(
        tool, "record", "--pid", str(pid), "--rate", "200", "--nonblocking",
        "--format", "raw", "-o", str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _stop(recorder: asyncio.subprocess.Process | None) -> str:
    if recorder is None:
        return "py-spy is not installed (pip install -e '.[bench]')"
    if recorder.returncode is None:
        recorder.send_signal(signal.SIGINT)
    try:
        _, err = await asyncio.wait_for(recorder.communicate(), 60)
    except TimeoutError:
        recorder.kill()
        return "py-spy did not stop"
    return "" if recorder.returncode == 0 else err.decode(errors="replace")[-500:]


def summarize(role: str, path: Path, top: int = 15) -> ProcessProfile:
    """Sum a collapsed-stack file by package (of the innermost frame) and by function."""
    result = ProcessProfile(role=role, stacks_file=str(path))
    if not path.exists():
        result.error = f"no profile written to {path}"
        return result
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for name in set(frames):
            inclusive[name] += count
    result.samples = total
    if total:
        result.by_package = [(k, 100 * v / total) for k, v in packages.most_common()]
        result.self_time = [(k, 100 * v / total) for k, v in own.most_common(top)]
        result.inclusive = [(k, 100 * v / total) for k, v in inclusive.most_common(top)]
    return result


def _function(frame: str) -> str:
    """`func (path/to/file.py:12)` -> `func (to/file.py)`: functions, not lines."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    file = re.sub(r"^\d+\.\d+/", "", file)
    return f"{match['func']} ({file})"


def _package(function: str) -> str:
    for name in _PACKAGES:
        if any(f"{lead}{name}{tail}" in function for lead in "(/" for tail in "/."):
            return name.replace("google/", "")
    return "other"


async def profile(server: BenchServer, tasks: int, out_dir: Path, echo: Any) -> ProfileResult:
    """Run the profiled drain (see module doc)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    logdir = tempfile.mkdtemp(prefix="hewer-bench-profile-")
    sizes = Sizes(drain_tasks=tasks)
    system = HewerSystem(server, sizes, logdir)
    echo(f"logs: {logdir}")
    await system.prepare()
    profiles: list[ProcessProfile] = []
    cpu: dict[str, float] = {}
    try:
        async with system.engine():
            if system.dispatcher_pid is None:
                raise RuntimeError("the dispatcher did not start")
            dispatcher = psutil.Process(system.dispatcher_pid)
            echo("warm-up drain ...")
            await system.enqueue(sizes.warmup_tasks, sizes.enqueue_batch)
            await system.drain(sizes.warmup_tasks, RssSampler())
            echo(f"enqueueing {tasks} tasks ...")
            await system.enqueue(tasks, sizes.enqueue_batch)
            await asyncio.to_thread(server.track_nested, True)
            await asyncio.to_thread(server.reset_statements)
            postgres = _postgres_processes(server)
            before = {
                "dispatcher": _cpu(dispatcher),
                "postgres": sum(_cpu(p) for p in postgres),
            }
            echo("draining under py-spy ...")
            async with system.workers(noop) as procs:
                workers = [psutil.Process(p.pid) for p in procs]
                before["workers"] = sum(_cpu(w) for w in workers)
                started = time.monotonic()
                paths = {"dispatcher": out_dir / "dispatcher.collapsed"}
                paths["worker"] = out_dir / "worker.collapsed"
                recorders = {
                    "dispatcher": await _record(dispatcher.pid, paths["dispatcher"]),
                    "worker": await _record(workers[0].pid, paths["worker"]),
                }
                await system.wait_idle(timeout=900)
                wall = time.monotonic() - started
                after = {
                    "dispatcher": _cpu(dispatcher),
                    "workers": sum(_cpu(w) for w in workers),
                    "postgres": sum(_cpu(p) for p in postgres),
                }
                errors = {role: await _stop(r) for role, r in recorders.items()}
            cpu = {role: after[role] - before[role] for role in after}
            cpu["wall (drain, as seen by the bench)"] = wall
            for role, path in paths.items():
                summary = summarize(role, path)
                summary.error = summary.error or errors[role]
                profiles.append(summary)
        drain_seconds = float(
            await system._scalar(
                "SELECT extract(epoch FROM max(finished_at) - min(assigned_at))::float8 "
                "FROM hewer.tasks WHERE id > %s",
                (system._drain_marker,),
            )
        )
        statements = await asyncio.to_thread(server.statement_costs, system.dbname, 20)
    finally:
        await asyncio.to_thread(server.track_nested, False)
        await system.close()
    note = (
        "pg_stat_statements, track = all, reset after the enqueue: the drain only"
        if server.statements
        else "pg_stat_statements is not loaded on this server: use --server own"
    )
    result = ProfileResult(
        tasks=tasks,
        drain_seconds=drain_seconds,
        tasks_per_second=tasks / drain_seconds,
        cpu_seconds=cpu,
        profiles=profiles,
        statements=statements,
        statements_note=note,
        out_dir=str(out_dir),
    )
    (out_dir / "profile.json").write_text(json.dumps(asdict(result), indent=2, default=str))
    return result


def render(result: ProfileResult) -> str:
    """The profile as text: CPU, packages, functions, statements."""
    out = [
        f"drain: {result.tasks} tasks in {result.drain_seconds:.2f} s "
        f"({result.tasks_per_second:.0f} tasks/s, database clock)",
        "",
        "CPU seconds during the drain (2 cores = 2 CPU seconds per second):",
        format_table(
            [{"process": k, "seconds": round(v, 2)} for k, v in result.cpu_seconds.items()]
        ),
    ]
    for p in result.profiles:
        out += ["", f"py-spy, {p.role}: {p.samples} samples ({p.stacks_file})"]
        if p.error:
            out.append(f"  {p.error}")
        if not p.samples:
            continue
        out.append("by package of the innermost frame:")
        out.append(format_table([{"package": k, "%": round(v, 1)} for k, v in p.by_package]))
        out.append("functions, self time:")
        out.append(format_table([{"function": k, "%": round(v, 1)} for k, v in p.self_time]))
        out.append("functions, inclusive:")
        out.append(format_table([{"function": k, "%": round(v, 1)} for k, v in p.inclusive]))
    out += ["", f"statements ({result.statements_note}):"]
    if result.statements:
        out.append(format_table(result.statements))
    out += ["", f"written to {result.out_dir}"]
    return "\n".join(out)


def main(server: BenchServer, tasks: int, out: str | None, echo: Any) -> str:
    """`hewer bench profile`: run it and return the text to print."""
    out_dir = Path(out) if out else embedded.hewer_home() / "bench" / "profile"
    return render(asyncio.run(profile(server, tasks, out_dir, echo)))
