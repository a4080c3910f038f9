"""One crash scenario's system: processes, load, observers, and the checks afterwards.

A Stage is dispatcher and worker processes (hewer_tools/processes.py) on a database of its own, a
batch of DAG runs triggered at once through SQL, and a trickle of more runs submitted
through the gRPC client (with idempotency keys, retried until acknowledged) while the fault
happens. A scenario (hewer_tools/chaos/scenarios.py) waits until work is in flight, injects its
fault and lets the system recover on its own: nothing here repairs state.

Afterwards (Stage.verify):
- every submitted run exists and reached a terminal state, every task a final one (lost);
- every task was accepted as completed once, by the attempt that recorded that very result,
  and no attempt ran twice (duplicated; hewer_tools/chaos/invariants.py);
- only the faulted worker's attempts were taken away and done again elsewhere (redone), and
  what it finished late was rejected;
- every retry is in hewer.task_events, and the database's own invariants hold;
- no lease outlived its holder: tasks held by a killed, frozen or cut-off worker went back
  to the queue within the worker timeout (plus slack);
- every process that was not killed on purpose is still running.

"recovered within" is measured from the fault (database clock) to the moment the last task
that the fault stranded (held by the faulted worker, or by any worker for a database
restart) was released: completed, or handed back for a retry. When nothing was stranded it
is the time to the first completion after the fault.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from hewer_tools.chaos import workload
from hewer_tools.chaos.faults import ReaperLoops, TcpProxy
from hewer_tools.chaos.invariants import (
    END_KINDS,
    Effect,
    EffectsVerdict,
    check_effects,
    database_violations,
    read_effects,
)
from hewer_tools.chaos.pgserver import ScratchServer
from hewer_tools.processes import Child, Processes, wait_until
from pydispatch.table import format_table
from pyworker import SyncClient

# How much later than the worker timeout a dead holder's leases may still be seen (reaper
# interval, a heartbeat round, a loaded machine).
LEASE_SLACK = 5.0


@dataclass(frozen=True)
class Load:
    """How hard a scenario pushes. The full suite uses the defaults; CI uses fewer runs."""

    runs: int = 500  # DAG runs (4 tasks each) triggered at once before the fault
    trickle: float = 5.0  # more runs per second submitted through the client meanwhile
    workers: int = 3
    slots: int = 8
    task_ms: tuple[int, int] = (20, 200)
    flaky: float = 0.05  # share of runs whose `right` task fails its first attempt
    worker_timeout: float = 3.0
    deadline: float = 300.0  # seconds after the fault for every run to finish
    outage: float = 2.0  # how long PostgreSQL stays down in postgres-restart
    lease: float = 30.0  # the tasks' execution timeout
    seed: int = 7

    def dispatcher_flags(self) -> list[str]:
        return [
            "--worker-timeout", f"{self.worker_timeout:g}", "--reap-interval", "0.3",
            "--poll-interval", "0.3", "--heartbeat-interval", "0.3", "--shutdown-grace", "2",
        ]  # fmt: skip


@dataclass
class Result:
    """One scenario's outcome: the table row and every violation found."""

    scenario: str
    runs: int = 0
    tasks: int = 0
    in_flight: int = 0
    lost: int = 0
    duplicated: int = 0
    retries: int = 0
    redone: int = 0  # attempts that did their work but whose result was rejected
    late_rejected: int = 0
    lease_outlived: float = 0.0
    recovered_within: float | None = None
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logs: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "tasks": self.tasks,
            "in flight": self.in_flight,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "redone": self.redone,
            "recovered within s": (
                round(self.recovered_within, 1) if self.recovered_within is not None else None
            ),
            "retries": self.retries,
            "late rejected": self.late_rejected,
            "lease outlived s": round(self.lease_outlived, 1),
            "wall s": round(self.seconds),
            "result": "ok" if self.ok else "FAIL",
        }

    def report(self) -> str:
        lines = [f"{self.scenario}: {'ok' if self.ok else 'FAILED'}"]
        lines += [f"  violation: {v}" for v in self.violations]
        lines += [f"  note: {n}" for n in self.notes]
        if self.logs is not None:
            lines.append(f"  logs: {self.logs}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.row(),
            "violations": self.violations,
            "notes": self.notes,
        }


def table(results: list[Result]) -> str:
    return format_table([r.row() for r in results])


# -- the database, from the scenario's side ------------------------------------------------------


class Db:
    """An autocommit dict-row connection that reconnects (the database may be restarting)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: psycopg.Connection[DictRow] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[DictRow]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.dsn, autocommit=True, row_factory=dict_row, connect_timeout=3
            )
        return self._conn

    def rows(self, query: LiteralString, params: Any = None, timeout: float = 60) -> list[DictRow]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                try:
                    return self._connect().execute(query, params).fetchall()
                except psycopg.OperationalError:
                    if self._conn is not None:
                        self._conn.close()
                    self._conn = None
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

    def value(self, query: LiteralString, params: Any = None) -> Any:
        rows = self.rows(query, params)
        return next(iter(rows[0].values())) if rows else None

    @property
    def conn(self) -> psycopg.Connection[DictRow]:
        with self._lock:
            return self._connect()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


# -- load -------------------------------------------------------------------------------------


def run_input(rng: random.Random, load: Load) -> dict[str, Any]:
    low, high = load.task_ms
    return {"ms": rng.randint(low, high), "flaky": rng.random() < load.flaky}


class Trickle:
    """Submits runs through the gRPC client at a steady rate, each retried until acknowledged
    (same idempotency key every time), as an application that must not lose a request would."""

    def __init__(self, addresses: list[str], load: Load, prefix: str = "trickle") -> None:
        self.addresses = addresses
        self.load = load
        self.prefix = prefix
        self.acked: dict[str, str] = {}
        self.unacked: list[str] = []
        self.retried = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-trickle", daemon=True)
        self._rng = random.Random(load.seed + 1)

    def start(self) -> Trickle:
        if self.load.trickle > 0:
            self._thread.start()
        return self

    def _loop(self) -> None:
        interval = 1 / self.load.trickle
        with SyncClient(self.addresses, timeout=5) as client:
            n = 0
            next_at = time.monotonic()
            while not self._stop.is_set():
                key = f"{self.prefix}-{n}"
                n += 1
                self._submit(client, key, run_input(self._rng, self.load))
                next_at += interval
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _submit(self, client: SyncClient, key: str, payload: dict[str, Any]) -> None:
        deadline = time.monotonic() + 90
        while True:
            try:
                self.acked[key] = client.trigger(workload.WORKFLOW, payload, idempotency_key=key)
                return
            except Exception:  # noqa: BLE001 - any failure: the application retries
                self.retried += 1
                if time.monotonic() > deadline:
                    self.unacked.append(key)
                    return
                time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(120)


class LeaseMonitor:
    """Watches how long tasks stay held by workers that were killed, frozen or cut off."""

    def __init__(self, db: Db, pause: float = 0.2) -> None:
        self.db = db
        self.pause = pause
        self.since: dict[str, float] = {}
        self.last_held: dict[str, float] = {}
        self.until: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-leases", daemon=True)

    def start(self) -> LeaseMonitor:
        self._thread.start()
        return self

    def watch(self, name: str) -> None:
        """From now on `name` cannot hold a lease legitimately."""
        self.since[name] = time.monotonic()

    def release(self, name: str) -> None:
        """`name` is back (thawed, reconnected): stop watching it."""
        self.until[name] = time.monotonic()

    def _loop(self) -> None:
        while not self._stop.wait(self.pause):
            watched = [n for n in self.since if n not in self.until]
            if not watched:
                continue
            try:
                rows = self.db.rows(
                    "SELECT w.name FROM hewer.tasks t JOIN hewer.workers w ON w.id = t.worker_id "
                    "WHERE t.status IN ('assigned', 'running') AND w.name = ANY (%s) "
                    "GROUP BY w.name",
                    (watched,),
                    timeout=1,
                )
            except psycopg.Error:
                continue
            now = time.monotonic()
            for row in rows:
                if row["name"] not in self.until:
                    self.last_held[row["name"]] = now

    def outlived(self) -> float:
        """The longest time a watched worker still held a task after it was faulted."""
        return max(
            (self.last_held[n] - self.since[n] for n in self.last_held if n in self.since),
            default=0.0,
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)


# -- a scenario's system -------------------------------------------------------------------------


class Stage:
    """Dispatchers, workers, load and observers for one scenario; see the module docstring."""

    def __init__(
        self,
        name: str,
        dsn: str,
        tmp: Path,
        load: Load,
        *,
        server: ScratchServer | None = None,
        proxied: bool = False,
    ) -> None:
        self.name = name
        self.dsn = dsn
        self.tmp = tmp
        self.load = load
        self.server = server
        self.procs = Processes(dsn, tmp, env={workload.LEASE_ENV: f"{load.lease:g}s"})
        self.db = Db(dsn)
        self.rng = random.Random(load.seed)
        self.dispatchers: list[Child] = []
        self.workers: list[Child] = []
        self.killed: set[int] = set()  # pids killed on purpose
        # Workers the fault hit (killed, frozen, cut off): their attempts may be retried
        # elsewhere, and what they finish late is rightly rejected. Nobody else's may.
        self.faulted: set[str] = set()
        self.proxy: TcpProxy | None = None
        self.proxied = proxied
        self.run_ids: list[uuid.UUID] = []
        self.trickle: Trickle | None = None
        self.monitor = LeaseMonitor(self.db)
        self.reapers: ReaperLoops | None = None
        self.fault_at: datetime | None = None
        self.in_flight = 0
        self.stranded: set[tuple[uuid.UUID, int]] = set()
        self.violations: list[str] = []
        self.notes: list[str] = []
        # Workers whose late reports must be rejected, with how many rejections their log
        # showed before the fault.
        self.late_victims: list[tuple[Child, int]] = []
        self._worker_seq = 0

    # -- setup ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the processes all at once (workers retry until the dispatchers listen)."""
        flags = self.load.dispatcher_flags()
        for i in range(2):
            self.dispatchers.append(
                self.procs.start_dispatcher(flags=flags, name=f"d{i}", wait=False)
            )
        if self.proxied:
            self.proxy = TcpProxy(self.dispatchers[0].port)
        for _ in range(self.load.workers):
            self.add_worker(wait=False)
        for d in self.dispatchers:
            self.procs.wait_listening(d)
        names = [w.name for w in self.workers]
        query: LiteralString = (
            "SELECT count(*) FROM hewer.workers WHERE status = 'active' AND name = ANY (%s)"
        )
        wait_until(
            lambda: self.db.value(query, (names,)) == len(names),
            90,
            f"workers {names} to register",
            pause=0.2,
        )
        self.monitor.start()

    def add_worker(self, *, wait: bool = True) -> Child:
        """A worker process; the first one goes through the proxy when there is one."""
        i = self._worker_seq
        self._worker_seq += 1
        direct = [d.address for d in self.dispatchers]
        if self.proxy is not None and i == 0:
            addresses = [self.proxy.address]
        else:
            addresses = direct[i % len(direct) :] + direct[: i % len(direct)]
        child = self.procs.start_worker(
            *addresses, slots=self.load.slots, target=workload.TARGET, name=f"w{i}"
        )
        self.workers.append(child)
        if wait:
            wait_until(
                lambda: self.db.value(
                    "SELECT count(*) FROM hewer.workers WHERE status = 'active' AND name = %s",
                    (child.name,),
                ),
                90,
                f"worker {child.name} to register",
                pause=0.2,
            )
        return child

    def submit(self) -> None:
        """Trigger the batch in one statement, then start the trickle."""
        # A few more than `runs`, so that at least `runs` are in flight at the fault.
        count = self.load.runs + max(2, self.load.runs // 50)
        inputs = [Jsonb(run_input(self.rng, self.load)) for _ in range(count)]
        keys = [f"batch-{i}" for i in range(count)]
        rows = self.db.rows(
            "SELECT run_id FROM hewer.run_trigger(%s, %s::jsonb[], NULL, %s)",
            (workload.WORKFLOW, inputs, keys),
        )
        self.run_ids = [r["run_id"] for r in rows]
        addresses = [d.address for d in self.dispatchers]
        self.trickle = Trickle(addresses, self.load).start()

    # -- observing -----------------------------------------------------------------------------

    def held(self, name: str, *, running_only: bool = True) -> int:
        """Tasks the worker named `name` holds (only those it reported started, by default)."""
        statuses = ["running"] if running_only else ["assigned", "running"]
        return int(
            self.db.value(
                "SELECT count(*) FROM hewer.tasks t JOIN hewer.workers w ON w.id = t.worker_id "
                "WHERE w.name = %s AND t.status::text = ANY (%s)",
                (name, statuses),
            )
        )

    def worker_status(self, name: str) -> str | None:
        value = self.db.value(
            "SELECT status FROM hewer.workers WHERE name = %s ORDER BY registered_at DESC LIMIT 1",
            (name,),
        )
        return str(value) if value is not None else None

    def busiest_worker(self, candidates: list[Child] | None = None, timeout: float = 60) -> Child:
        """Wait until work flows and a candidate runs tasks right now; the one running most."""
        pool = [w for w in (candidates or self.workers) if w.alive()]

        def pick() -> Child | None:
            rows = self.db.rows(
                "SELECT w.name, count(*) AS n FROM hewer.tasks t "
                "JOIN hewer.workers w ON w.id = t.worker_id "
                "WHERE t.status = 'running' AND w.name = ANY (%s) GROUP BY w.name "
                "ORDER BY n DESC LIMIT 1",
                ([w.name for w in pool],),
            )
            if not rows:
                return None
            return next(w for w in pool if w.name == rows[0]["name"])

        found: Child = wait_until(pick, timeout, "a worker running tasks", pause=0.05)
        return found

    def mark_fault(self, holders: set[str] | None) -> None:
        """Now is the fault: note the time, the runs in flight and the tasks it strands
        (those held by `holders`, or by anyone when None)."""
        self.fault_at = self.db.value("SELECT clock_timestamp()")
        self.in_flight = int(
            self.db.value("SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')")
        )
        rows = self.db.rows(
            "SELECT t.id, t.attempt, w.name FROM hewer.tasks t "
            "JOIN hewer.workers w ON w.id = t.worker_id WHERE t.status IN ('assigned', 'running')"
        )
        self.stranded = {
            (r["id"], r["attempt"]) for r in rows if holders is None or r["name"] in holders
        }

    def held_now(self) -> set[tuple[uuid.UUID, int]]:
        rows = self.db.rows(
            "SELECT t.id, t.attempt FROM hewer.tasks t WHERE t.status IN ('assigned', 'running')"
        )
        return {(r["id"], r["attempt"]) for r in rows}

    def kill(self, child: Child) -> None:
        self.killed.add(child.pid)
        self.procs.kill(child)

    def leader(self) -> Child:
        """The dispatcher that holds the maintenance lock (from the dispatchers' logs)."""
        for d in self.dispatchers:
            if not d.alive():
                continue
            lines = [
                json.loads(line).get("msg", "")
                for line in d.log.read_text(errors="replace").splitlines()
                if line.startswith("{")
            ]
            events = [m for m in lines if "leadership" in m or m == "became maintenance leader"]
            if events and events[-1] == "became maintenance leader":
                return d
        return self.dispatchers[0]

    def connected_to(self, dispatcher: Child) -> set[str]:
        """Workers whose latest stream went to `dispatcher` (from the workers' logs)."""
        names = set()
        for w in self.workers:
            found = re.findall(r"connected to (\S+) as", w.log.read_text(errors="replace"))
            if found and found[-1] == dispatcher.address:
                names.add(w.name)
        return names

    def rejected_late(self, child: Child) -> int:
        """Reports of `child` that a dispatcher rejected as no longer its own (from its log)."""
        text = child.log.read_text(errors="replace")
        return len(
            re.findall(
                r"rejected (?:completed|failed) \(request \d+\): (?:stale_attempt|not_owner)", text
            )
        )

    def expect_late_rejections(self, victim: Child) -> None:
        """From now on, what `victim` finishes of the attempts it held must be rejected."""
        self.late_victims.append((victim, self.rejected_late(victim)))

    def check_late_rejections(self, effects: list[Effect]) -> int:
        """Every stranded attempt that a victim finished after it was reaped: its report must
        have been rejected. Returns the rejections seen."""
        reaped = {
            (r["task_id"], r["attempt"])
            for r in self.db.rows(
                "SELECT e.task_id, e.attempt FROM hewer.task_events e "
                "WHERE e.task_id = ANY (%s) AND e.kind = 'retrying'",
                ([t for t, _ in self.stranded],),
            )
        } & self.stranded
        total = 0
        for victim, baseline in self.late_victims:
            late = {
                (fx.task_id, fx.attempt)
                for fx in effects
                if fx.what == "done" and fx.pid == victim.pid
            } & reaped
            deadline = time.monotonic() + 30
            while self.rejected_late(victim) - baseline < len(late):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            seen = self.rejected_late(victim) - baseline
            total += seen
            if seen < len(late):
                self.violations.append(
                    f"{victim.name} finished {len(late)} attempts after they were taken from "
                    f"it, but only {seen} of its reports were rejected"
                )
            if not late:
                self.notes.append(f"{victim.name} finished none of its attempts late")
        return total

    # -- the end -------------------------------------------------------------------------------

    def finish(self, settle: float = 1.0) -> None:
        """Stop submitting, wait for every run to end, then let late reports land."""
        time.sleep(settle)
        if self.trickle is not None:
            self.trickle.stop()
        deadline = time.monotonic() + self.load.deadline
        while True:
            left = int(
                self.db.value(
                    "SELECT count(*) FROM hewer.runs WHERE status IN ('queued', 'running')"
                )
            )
            if left == 0:
                break
            if time.monotonic() > deadline:
                self.violations.append(
                    f"{left} runs still unfinished {self.load.deadline:g} s after the fault: "
                    f"{self.diagnose()}"
                )
                break
            time.sleep(0.25)
        time.sleep(settle)
        if self.reapers is not None:
            self.reapers.stop()
            if self.reapers.errors:
                self.violations.append(f"concurrent reapers failed: {self.reapers.errors[:5]}")
            self.notes.append(
                f"the {len(self.reapers.stats)} extra reapers made "
                f"{sum(s.passes for s in self.reapers.stats)} passes and reaped "
                f"{self.reapers.reaped} tasks"
            )
        self.monitor.stop()

    def diagnose(self) -> str:
        tasks = self.db.rows(
            "SELECT status::text AS status, count(*) AS n FROM hewer.tasks GROUP BY 1 ORDER BY 1"
        )
        workers = self.db.rows(
            "SELECT name, status, (SELECT count(*) FROM hewer.tasks t WHERE t.worker_id = w.id "
            "AND t.status IN ('assigned', 'running')) AS held FROM hewer.workers w ORDER BY name"
        )
        alive = {c.name: c.alive() for c in self.procs.children}
        return f"tasks {[(r['status'], r['n']) for r in tasks]}; workers {workers}; alive {alive}"

    def healthy_attempts_redone(self, superseded: list[tuple[uuid.UUID, int]]) -> dict[Any, str]:
        """Of the superseded attempts, those held by workers outside `faulted`: name by attempt."""
        if not superseded:
            return {}
        rows = self.db.rows(
            "SELECT e.task_id, e.attempt, w.name FROM hewer.task_events e "
            "JOIN hewer.workers w ON w.id = e.worker_id "
            "WHERE e.kind = 'assigned' AND e.task_id = ANY (%s)",
            ([t for t, _ in superseded],),
        )
        holders = {(r["task_id"], r["attempt"]): r["name"] for r in rows}
        return {
            key: holders.get(key, "?")
            for key in superseded
            if holders.get(key, "?") not in self.faulted
        }

    def recovered_within(self) -> float | None:
        if self.fault_at is None:
            return None
        if self.stranded:
            ids = [t for t, _ in self.stranded]
            rows = self.db.rows(
                "SELECT e.task_id, e.attempt, min(e.created_at) AS at FROM hewer.task_events e "
                "WHERE e.task_id = ANY (%s) AND e.kind = ANY (%s) GROUP BY 1, 2",
                (ids, list(END_KINDS)),
            )
            released = {(r["task_id"], r["attempt"]): r["at"] for r in rows}
            missing = self.stranded - released.keys()
            if missing:
                self.violations.append(f"{len(missing)} stranded attempts were never released")
                return None
            last: datetime = max(released[k] for k in self.stranded)
        else:
            last = self.db.value(
                "SELECT min(created_at) FROM hewer.task_events "
                "WHERE kind = 'succeeded' AND created_at > %s",
                (self.fault_at,),
            )
            if last is None:
                return None
        return max(0.0, float((last - self.fault_at).total_seconds()))

    def verify(self) -> Result:
        result = Result(self.name, in_flight=self.in_flight, logs=self.tmp)
        trickle = self.trickle
        run_ids = list(self.run_ids)
        if trickle is not None:
            run_ids += [uuid.UUID(r) for r in trickle.acked.values()]
            if trickle.unacked:
                self.violations.append(f"submissions never acknowledged: {trickle.unacked[:5]}")
            keys = self.db.rows(
                "SELECT key, run_id FROM hewer.idempotency_keys WHERE key = ANY (%s)",
                (list(trickle.acked),),
            )
            stored = {r["key"]: str(r["run_id"]) for r in keys}
            wrong = [k for k, run in trickle.acked.items() if stored.get(k) != run]
            if wrong:
                result.lost += len(wrong)
                self.violations.append(f"acknowledged runs the database does not have: {wrong[:5]}")
            self.notes.append(
                f"{len(trickle.acked)} runs submitted through the client during the scenario "
                f"({trickle.retried} submission attempts failed and were retried)"
            )
        effects = read_effects(self.procs.log)
        verdict: EffectsVerdict = check_effects(self.db.conn, run_ids, effects)
        result.runs, result.tasks = verdict.runs, verdict.tasks
        result.lost += verdict.lost
        result.duplicated = verdict.duplicated
        result.retries = verdict.retries
        if verdict.retry_causes:
            self.notes.append(f"retries by cause: {dict(verdict.retry_causes)}")
        if verdict.unstarted:
            self.notes.append(
                f"{len(verdict.unstarted)} attempts were assigned but never began (their "
                "holder was gone, or the assignment never reached it)"
            )
        redone = self.healthy_attempts_redone(verdict.superseded)
        result.redone = len(verdict.superseded)
        if verdict.superseded:
            self.notes.append(
                f"{len(verdict.superseded)} attempts did their work but their result was "
                "rejected, a later attempt's accepted (work done twice)"
            )
        if redone:
            self.violations.append(
                f"{len(redone)} attempts of workers the fault did not touch were taken away "
                f"and done again elsewhere (by worker: {dict(Counter(redone.values()))})"
            )
        self.violations += verdict.violations
        self.violations += database_violations(self.db.conn)
        result.recovered_within = self.recovered_within()
        result.lease_outlived = self.monitor.outlived()
        limit = self.load.worker_timeout + LEASE_SLACK
        if result.lease_outlived > limit:
            self.violations.append(
                f"a faulted worker still held tasks {result.lease_outlived:.1f} s after the "
                f"fault (limit {limit:g} s)"
            )
        for child in self.procs.children:
            if child.pid not in self.killed and not child.alive():
                self.violations.append(
                    f"{child.role} {child.name} exited (code {child.proc.returncode}) and "
                    f"would need an operator: see {child.log}"
                )
        result.late_rejected = self.check_late_rejections(effects)
        result.violations = self.violations
        result.notes = self.notes
        return result

    def close(self) -> None:
        if self.trickle is not None:
            self.trickle.stop()
        if self.reapers is not None:
            self.reapers.stop()
        self.monitor.stop()
        for child in self.procs.children:
            if child.frozen and child.alive():
                self.procs.thaw(child)
        self.procs.close()
        if self.proxy is not None:
            self.proxy.close()
        self.db.close()
