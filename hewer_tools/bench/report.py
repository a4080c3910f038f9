"""What `hewer bench` reports: the metrics, Hewer's targets, the table, the JSON and the plot.

Results are cells keyed by system and metric. A cell holds the median of the
repetitions and every repetition's value, or says why it has none: `n/a` (the system
does not do this, e.g. DAGs) or `error` (the run failed; the message is kept).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hewer_tools.bench.common import Sizes, optional
from pydispatch.table import format_table

HEWER = "hewer"


@dataclass(frozen=True)
class Metric:
    """One row of the table."""

    key: str
    workload: str
    label: str  # may use {small} / {large} / {runs} / {rate} / {seconds} from the sizes
    digits: int = 0

    def title(self, sizes: Sizes) -> str:
        return self.label.format(
            small=_count(sizes.backlog_small),
            large=_count(sizes.backlog_large),
            runs=sizes.dag_runs,
            rate=f"{sizes.latency_rate:g}",
            rate_high=f"{sizes.latency_rate_high:,.0f}",
            seconds=f"{sizes.latency_seconds:g}",
            tasks=_count(sizes.drain_tasks),
            limits=_count(sizes.limits_backlog),
            rate_seconds=f"{sizes.rate_seconds:g}",
            rate_limit=f"{sizes.rate_limit:g}",
            triggers=_count(sizes.trigger_runs),
            week=_window(sizes.week_minutes),
            week_rows=_count(2 * sizes.week_minutes * sizes.week_workflows * sizes.week_steps),
            board=_count(sizes.dashboard_runs),
            talk=_count(sizes.talk_chunks),
            talk_rate=f"{sizes.talk_rate:g}",
            burst=_count(sizes.talk_burst),
            payloads=_count(sizes.payload_tasks),
            payload_mb=f"{sizes.payload_bytes / 1e6:g}",
            scale=_count(sizes.scale_tasks),
            scale_workers=sizes.scale_workers,
            noisy=_count(sizes.noisy_backlog),
        )


METRICS: tuple[Metric, ...] = (
    Metric("W1.enqueue", "W1", "enqueue tasks/s ({tasks} in bulk)"),
    Metric("W1.drain", "W1", "drain tasks/s"),
    Metric("W1.vs_hewer", "W1", "hewer drain / this drain", 2),
    Metric("W2.p50", "W2", "enqueue->start p50 ms ({rate}/s for {seconds} s)", 1),
    Metric("W2.p95", "W2", "enqueue->start p95 ms", 1),
    Metric("W2.p99", "W2", "enqueue->start p99 ms", 1),
    Metric("W2.p50_1000", "W2", "enqueue->start p50 ms ({rate_high}/s for {seconds} s)", 1),
    Metric("W2.p95_1000", "W2", "enqueue->start p95 ms, {rate_high}/s", 1),
    Metric("W2.p99_1000", "W2", "enqueue->start p99 ms, {rate_high}/s", 1),
    Metric("W2.sent_1000", "W2", "tasks/s enqueued (the rate achieved)"),
    Metric("W3.hop_p50", "W3", "parent-done->child-start p50 ms", 1),
    Metric("W3.hop_p99", "W3", "parent-done->child-start p99 ms", 1),
    Metric("W3.runs", "W3", "runs/s ({runs} diamonds at once)", 1),
    Metric("W4.small", "W4", "claim+complete tasks/s, {small} queued"),
    Metric("W4.large", "W4", "claim+complete tasks/s, {large} queued"),
    Metric("W4.ratio", "W4", "ratio {large} / {small}", 2),
    Metric("W5.commits", "W5", "commits per task (during W1)", 2),
    Metric("W5.statements", "W5", "statements per task (during W1)", 2),
    Metric("W5.idle", "W5", "queries/s, idle engine", 2),
    Metric("W6.dispatcher", "W6", "dispatcher peak RSS MiB (W1)", 1),
    Metric("W6.workers", "W6", "worker peak RSS MiB, per process (W1)", 1),
    Metric("W7.plain", "W7", "claim+complete tasks/s, no limits ({limits} queued)"),
    Metric("W7.limited", "W7", "claim+complete tasks/s, 3 concurrency levels + rate limit"),
    Metric("W7.cost", "W7", "cost with limits / without", 2),
    Metric("W7.rate", "W7", "claims/s / limit ({rate_limit}/s for {rate_seconds} s)", 3),
    Metric("W8.drain_1", "W8", "drain tasks/s, 1 dispatcher ({scale}, {scale_workers} workers)"),
    Metric("W8.drain_2", "W8", "drain tasks/s, 2 dispatchers"),
    Metric("W8.drain_4", "W8", "drain tasks/s, 4 dispatchers"),
    Metric("W9.p50", "W9", "enqueue->start p50 ms ({rate}/s) beside a {noisy} backlog", 1),
    Metric("W9.p99", "W9", "enqueue->start p99 ms beside the backlog", 1),
    Metric("W9.noisy_drain", "W9", "the neighbour's drain tasks/s meanwhile"),
    Metric("W10.sql", "W10", "trigger runs/s, SQL, one call at a time ({triggers})"),
    Metric("W10.grpc", "W10", "trigger runs/s, gRPC, one call at a time"),
    Metric("W10.http", "W10", "trigger runs/s, HTTP, one call at a time"),
    Metric("W10.sql_p50", "W10", "SQL trigger->start p50 ms ({rate}/s for {seconds} s)", 1),
    Metric("W10.sql_p99", "W10", "SQL trigger->start p99 ms", 1),
    Metric("W10.grpc_p50", "W10", "gRPC trigger->start p50 ms", 1),
    Metric("W10.grpc_p99", "W10", "gRPC trigger->start p99 ms", 1),
    Metric("W10.http_p50", "W10", "HTTP trigger->start p50 ms", 1),
    Metric("W10.http_p99", "W10", "HTTP trigger->start p99 ms", 1),
    Metric("W11.drain_on", "W11", "drain tasks/s, analytics feed on ({tasks} in bulk)"),
    Metric("W11.drain_off", "W11", "drain tasks/s, analytics feed off"),
    Metric("W11.feed_cost", "W11", "feed cost % (1 - on / off)", 1),
    Metric("W11.lag_p50", "W11", "feed lag p50 ms during drains (oldest message's age)"),
    Metric("W11.lag_p99", "W11", "feed lag p99 ms during drains"),
    Metric("W11.catchup", "W11", "last task done -> feed queue empty ms"),
    Metric(
        "W11.week_workflows_p50", "W11", "workflow_stats over {week} p50 ms ({week_rows} rows)", 1
    ),
    Metric("W11.week_workflows_p99", "W11", "workflow_stats over {week} p99 ms", 1),
    Metric("W11.week_steps_p50", "W11", "step_latency over {week} p50 ms", 1),
    Metric("W11.week_steps_p99", "W11", "step_latency over {week} p99 ms", 1),
    Metric("W12.fill_s", "W12", "fill s ({board} runs of 3 steps, most finished)", 1),
    Metric("W12.fill_engine_s", "W12", "fill: runs through the engine s", 1),
    Metric("W12.fill_copy_s", "W12", "fill: copies of those s", 1),
    Metric("W12.runs_api_p50", "W12", "GET /v1/runs?limit=50 p50 ms", 1),
    Metric("W12.runs_api_p99", "W12", "GET /v1/runs?limit=50 p99 ms", 1),
    Metric("W12.filter_api_p50", "W12", "same, workflow + status filter p50 ms", 1),
    Metric("W12.filter_api_p99", "W12", "same, workflow + status filter p99 ms", 1),
    Metric("W12.deep_api_p50", "W12", "same, cursor 90 % down the list p50 ms", 1),
    Metric("W12.deep_api_p99", "W12", "same, cursor 90 % down the list p99 ms", 1),
    Metric("W12.run_api_p50", "W12", "a run page's 7 API calls p50 ms", 1),
    Metric("W12.run_api_p99", "W12", "a run page's 7 API calls p99 ms", 1),
    Metric("W12.runs_page_p50", "W12", "runs page, goto -> 50 rows p50 ms (Chromium)", 1),
    Metric("W12.runs_page_p99", "W12", "runs page, goto -> 50 rows p99 ms", 1),
    Metric("W12.run_page_p50", "W12", "run page, goto -> DAG + attempts p50 ms", 1),
    Metric("W12.run_page_p99", "W12", "run page, goto -> DAG + attempts p99 ms", 1),
    Metric("W13.latency_p50", "W13", "chunk->follower p50 ms ({talk} at {talk_rate}/s)", 1),
    Metric("W13.latency_p99", "W13", "chunk->follower p99 ms", 1),
    Metric("W13.chunks_per_s", "W13", "chunks/s to the follower ({burst} at once)"),
    Metric("W13.stored_per_s", "W13", "chunks/s stored"),
    Metric(
        "W14.drain_on", "W14", "drain tasks/s, {payload_mb} MB outputs, offload on ({payloads})"
    ),
    Metric("W14.drain_off", "W14", "drain tasks/s, {payload_mb} MB outputs, offload off"),
    Metric("W14.db_on", "W14", "database growth MB per 1,000 tasks, offload on", 1),
    Metric("W14.db_off", "W14", "database growth MB per 1,000 tasks, offload off", 1),
    Metric("W14.wal_on", "W14", "WAL MB per 1,000 tasks, offload on", 1),
    Metric("W14.wal_off", "W14", "WAL MB per 1,000 tasks, offload off", 1),
)
METRIC_KEYS = tuple(m.key for m in METRICS)


@dataclass
class Cell:
    """One system's value for one metric."""

    value: float | None = None
    samples: list[float] = field(default_factory=list)
    na: str | None = None
    error: str | None = None

    @property
    def complete(self) -> bool:
        """Has a value, or says it is not applicable (an error is not complete)."""
        return self.na is not None or (self.value is not None and not math.isnan(self.value))

    def text(self, digits: int) -> str:
        if self.error is not None:
            return "error"
        if self.na is not None:
            return "n/a"
        if self.value is None or math.isnan(self.value):
            return "-"
        return f"{self.value:,.{digits}f}"


Cells = dict[str, dict[str, Cell]]  # system -> metric key -> cell


@dataclass(frozen=True)
class Target:
    """A goal for Hewer on one metric; `check` says whether it is met (None: cannot tell)."""

    key: str
    text: str
    check: Callable[[Cells], bool | None]


def _value(cells: Cells, system: str, key: str) -> float | None:
    cell = cells.get(system, {}).get(key)
    if cell is None or cell.value is None or math.isnan(cell.value):
        return None
    return cell.value


def _at_most(key: str, limit: float) -> Callable[[Cells], bool | None]:
    def check(cells: Cells) -> bool | None:
        v = _value(cells, HEWER, key)
        return None if v is None else v <= limit

    return check


def _at_least(key: str, limit: float) -> Callable[[Cells], bool | None]:
    def check(cells: Cells) -> bool | None:
        v = _value(cells, HEWER, key)
        return None if v is None else v >= limit

    return check


def _between(key: str, low: float, high: float) -> Callable[[Cells], bool | None]:
    def check(cells: Cells) -> bool | None:
        v = _value(cells, HEWER, key)
        return None if v is None else low <= v <= high

    return check


def _vs_peer(key: str, peer: str, goal: float) -> Callable[[Cells], bool | None]:
    """Hewer's value of `key` is at least `goal` times the peer's, in the same invocation."""

    def check(cells: Cells) -> bool | None:
        ours, theirs = _value(cells, HEWER, key), _value(cells, peer, key)
        return None if ours is None or theirs is None else ours >= goal * theirs

    return check


TARGETS: tuple[Target, ...] = (
    Target("W1.enqueue", ">= 0.5x pgqueuer", _vs_peer("W1.enqueue", "pgqueuer", 0.5)),
    Target("W1.vs_hewer", ">= 1 pgqueuer", _vs_peer("W1.drain", "pgqueuer", 1.0)),
    Target("W2.p50", "<= 5 ms", _at_most("W2.p50", 5)),
    Target("W2.p99", "<= 20 ms", _at_most("W2.p99", 20)),
    Target("W2.p50_1000", "<= 5 ms", _at_most("W2.p50_1000", 5)),
    Target("W2.p99_1000", "<= 20 ms", _at_most("W2.p99_1000", 20)),
    Target("W3.hop_p50", "<= 5 ms", _at_most("W3.hop_p50", 5)),
    Target("W3.hop_p99", "<= 15 ms", _at_most("W3.hop_p99", 15)),
    Target("W4.small", ">= 1x pgqueuer", _vs_peer("W4.small", "pgqueuer", 1.0)),
    Target("W4.large", ">= 1x pgqueuer", _vs_peer("W4.large", "pgqueuer", 1.0)),
    Target("W4.ratio", ">= 0.8", _at_least("W4.ratio", 0.8)),
    Target("W5.commits", "<= 3", _at_most("W5.commits", 3)),
    Target("W5.idle", "<= 2 /s", _at_most("W5.idle", 2)),
    Target("W6.dispatcher", "<= 150 MiB", _at_most("W6.dispatcher", 150)),
    Target("W7.cost", "<= 1.5", _at_most("W7.cost", 1.5)),
    Target("W7.rate", "0.95 to 1.05", _between("W7.rate", 0.95, 1.05)),
    Target("W11.feed_cost", "<= 10 %", _at_most("W11.feed_cost", 10)),
    Target("W11.week_workflows_p50", "<= 50 ms", _at_most("W11.week_workflows_p50", 50)),
    Target("W11.week_steps_p50", "<= 50 ms", _at_most("W11.week_steps_p50", 50)),
    Target("W12.runs_page_p99", "<= 500 ms", _at_most("W12.runs_page_p99", 500)),
    Target("W12.run_page_p99", "<= 500 ms", _at_most("W12.run_page_p99", 500)),
)
_TARGETS_BY_KEY = {t.key: t for t in TARGETS}


@dataclass
class Report:
    """Everything one `hewer bench` invocation measured."""

    started_at: str
    quick: bool
    sizes: dict[str, Any]
    server: dict[str, str]
    systems: list[str]
    workloads: list[str]
    cells: Cells
    methods: dict[str, str]
    batching: dict[str, str]
    versions: dict[str, str]
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rows(self) -> list[Metric]:
        """The metrics of the workloads that ran, in table order."""
        return [m for m in METRICS if m.workload in self.workloads]

    def missing(self) -> list[str]:
        """`system metric` for every cell with neither a value nor an explicit n/a."""
        return [
            f"{system} {m.key}"
            for m in self.rows()
            for system in self.systems
            if not self.cells.get(system, {}).get(m.key, Cell()).complete
        ]

    def verdicts(self) -> dict[str, bool | None]:
        return {
            t.key: t.check(self.cells) for t in TARGETS if t.key in {m.key for m in self.rows()}
        }

    def table(self, sizes: Sizes) -> str:
        rows: list[dict[str, Any]] = []
        verdicts = self.verdicts()
        for m in self.rows():
            row: dict[str, Any] = {"": m.workload, "metric": m.title(sizes)}
            for system in self.systems:
                row[system] = self.cells.get(system, {}).get(m.key, Cell()).text(m.digits)
            target = _TARGETS_BY_KEY.get(m.key)
            row["hewer target"] = target.text if target else ""
            verdict = verdicts.get(m.key)
            row["met"] = "" if target is None else {True: "yes", False: "NO", None: "-"}[verdict]
            rows.append(row)
        return _right_aligned(rows, self.systems)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = {
            t.key: {"target": t.text, "met": self.verdicts().get(t.key)}
            for t in TARGETS
            if t.key in {m.key for m in self.rows()}
        }
        data["metrics"] = {m.key: {"workload": m.workload, "label": m.label} for m in METRICS}
        return data


def _right_aligned(rows: list[dict[str, Any]], numeric: Sequence[str]) -> str:
    """format_table, with the systems' columns right-aligned although they are text."""
    text = format_table(rows)
    lines = text.split("\n")
    if len(lines) < 3:
        return text
    cols = list(rows[0])
    widths = [len(part) for part in lines[1].split("  ")]
    out = []
    for line_no, values in enumerate([cols, *[[str(r[c]) for c in cols] for r in rows]]):
        parts = []
        for col, value, width in zip(cols, values, widths, strict=True):
            parts.append(value.rjust(width) if col in numeric and line_no else value.ljust(width))
        out.append("  ".join(parts).rstrip())
    out.insert(1, lines[1])
    return "\n".join(out)


def write(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write bench.json and bench.png into `out_dir`; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "bench.json"
    json_path.write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n")
    png_path = out_dir / "bench.png"
    plot(report, png_path)
    return json_path, png_path


#: (title, metrics, unit); throughput panels use a log scale, raw SQL being far ahead.
_PANELS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("W1 bulk throughput (tasks/s, log)", ("W1.enqueue", "W1.drain"), "tasks/s"),
    (
        "W2 enqueue->start latency (ms)",
        ("W2.p50", "W2.p99", "W2.p50_1000", "W2.p99_1000"),
        "ms",
    ),
    ("W3 DAG hops (ms)", ("W3.hop_p50", "W3.hop_p99"), "ms"),
    ("W4 claim+complete (tasks/s, log)", ("W4.small", "W4.large"), "tasks/s"),
    ("W5 cost", ("W5.commits", "W5.statements", "W5.idle"), ""),
    ("W6 peak RSS (MiB)", ("W6.dispatcher", "W6.workers"), "MiB"),
    ("W7 claim+complete with limits (tasks/s)", ("W7.plain", "W7.limited"), "tasks/s"),
    ("W8 drain by dispatchers (tasks/s)", ("W8.drain_1", "W8.drain_2", "W8.drain_4"), "tasks/s"),
    ("W9 latency beside a backlog (ms)", ("W2.p50", "W2.p99", "W9.p50", "W9.p99"), "ms"),
    ("W10 trigger paths (runs/s)", ("W10.sql", "W10.grpc", "W10.http"), "runs/s"),
    (
        "W11 analytics feed (ms, log)",
        (
            "W11.lag_p50",
            "W11.lag_p99",
            "W11.catchup",
            "W11.week_workflows_p50",
            "W11.week_steps_p50",
        ),
        "ms",
    ),
    (
        "W12 dashboard (ms, log)",
        (
            "W12.runs_api_p50",
            "W12.filter_api_p50",
            "W12.deep_api_p50",
            "W12.run_api_p50",
            "W12.runs_page_p50",
            "W12.run_page_p50",
        ),
        "ms",
    ),
    ("W13 streamed output (ms)", ("W13.latency_p50", "W13.latency_p99"), "ms"),
)
#: The plot's grid: rows x columns of panels.
_GRID = (4, 4)


def plot(report: Report, path: Path) -> None:
    """Grouped bars, one panel per workload; missing cells are left out, n/a is written."""
    matplotlib = optional("matplotlib")
    matplotlib.use("Agg")
    plt = optional("matplotlib.pyplot")

    fig, axes = plt.subplots(*_GRID, figsize=(5 * _GRID[1], 4.5 * _GRID[0]))
    for ax in list(axes.flat)[len(_PANELS) :]:
        ax.axis("off")
    systems = report.systems
    for ax, (title, panel_keys, unit) in zip(axes.flat, _PANELS, strict=False):
        keys = tuple(k for k in panel_keys if k.split(".")[0] in report.workloads)
        ax.set_title(title, fontsize=10)
        if not keys:
            ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        width = 0.8 / max(len(systems), 1)
        for i, system in enumerate(systems):
            xs, ys = [], []
            for j, key in enumerate(keys):
                cell = report.cells.get(system, {}).get(key, Cell())
                x = j + (i - (len(systems) - 1) / 2) * width
                if cell.value is not None and not math.isnan(cell.value):
                    xs.append(x)
                    ys.append(cell.value)
                elif cell.na is not None or cell.error is not None:
                    ax.text(x, 0, "n/a" if cell.na else "err", ha="center", va="bottom",
                            fontsize=7, rotation=90)  # fmt: skip
            ax.bar(xs, ys, width=width, label=system)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([k.split(".")[1] for k in keys], fontsize=8)
        if unit:
            ax.set_ylabel(unit, fontsize=8)
        if "log" in title:
            ax.set_yscale("log")
        ax.tick_params(axis="y", labelsize=8)
    for ax in axes.flat:  # on the first panel with bars
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
            break
    mode = "quick" if report.quick else "full"
    fig.suptitle(f"hewer bench ({mode}), {report.started_at}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _window(minutes: int) -> str:
    """A window of minutes as days when it is whole days: `7 days`, `1 day`, `90 min`."""
    if minutes % 1440:
        return f"{minutes} min"
    days = minutes // 1440
    return f"{days} day{'s' if days != 1 else ''}"


def _count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)
