"""Property-based fuzzing of the SQL API: random programs of calls, invariants after each.

Hypothesis generates programs: sequences of calls to every hewer function (register,
trigger, worker_register, claim, start, heartbeat, complete, fail, cancel, reap,
worker_stop, worker_heartbeat and the reads), with valid and hostile arguments mixed: stale
and unknown attempts, tasks reported twice, unknown workers and runs, non-object inputs,
invalid and cyclic specs, idempotency keys that collide, a clock that jumps ahead so that
backoffs, leases, schedule timeouts and worker timeouts run out.

Each call must either succeed or fail with a documented error (SQLSTATE class HW, or
PostgreSQL refusing the value itself); anything else (an internal error, a constraint
violation, a syntax error from a name, a deadlock) fails the test. After each program (a
batch of calls) the database must satisfy hewer_tools/chaos/invariants.py. Everything runs in
one database, emptied between programs, on one connection.

At least MIN_CALLS calls are made per run (the test checks its own count).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from hewer_tools.chaos.invariants import database_violations

MIN_CALLS = 10_000
PROGRAMS = 85
PROGRAM_LENGTH = (85, 100)

# Errors a call may end with: Hewer's own, and PostgreSQL refusing a value as such.
ALLOWED = {f"HW00{i}" for i in range(1, 10)} | {"22P02", "22P05", "54001"}

# DELETE rather than TRUNCATE: the tables are small, and TRUNCATE of partitioned tables
# visits every partition. Replica mode skips the history guard (finished runs, tasks, task
# events and workflow versions are immutable) for this reset between examples.
EMPTY: LiteralString = (
    "SET session_replication_role = replica; "
    "DELETE FROM hewer.task_events; DELETE FROM hewer.tasks; DELETE FROM hewer.runs; "
    "DELETE FROM hewer.queue; DELETE FROM hewer.idempotency_keys; DELETE FROM hewer.workers; "
    "DELETE FROM hewer.steps; DELETE FROM hewer.workflow_versions; DELETE FROM hewer.workflows; "
    "RESET session_replication_role"
)

NAMES = ["wf0", "wf1", "wf2", "nope", "x'; DROP TABLE hewer.runs; --"]
KEYS = ["k0", "k1", "k2", "k'3", None]
STEPS = ["a", "b", "c", "d", "e"]

# -- generated values --------------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=3,
)
run_input = st.one_of(
    st.dictionaries(st.text(max_size=4), json_value, max_size=2),
    st.just({}),
    st.just({}),
    json_value,  # sometimes not an object: HW004
)


@st.composite
def specs(draw: st.DrawFn, valid: bool = False) -> Any:
    """A workflow spec: usually a valid DAG, sometimes broken on purpose (never if valid)."""
    n = draw(st.integers(1, 5))
    steps = []
    for i in range(n):
        step: dict[str, Any] = {"name": STEPS[i]}
        parents = draw(st.lists(st.sampled_from(STEPS[:i]), unique=True)) if i else []
        if parents:
            step["parents"] = parents
        if draw(st.booleans()):
            step["retries"] = draw(st.integers(0, 3))
        if draw(st.booleans()):
            step["timeout"] = draw(st.sampled_from([1, 5, 60, "2s", "1 minute"]))
        if draw(st.integers(0, 3)) == 0:
            step["schedule_timeout"] = draw(st.sampled_from([1, 30, 3600]))
        if draw(st.booleans()):
            step["backoff"] = {"base": draw(st.sampled_from([0, 0.5, 2])), "jitter": 0}
        if draw(st.booleans()):
            step["priority"] = draw(st.integers(-3, 3))
        steps.append(step)
    spec: Any = {"steps": steps}
    broken = 9 if valid else draw(st.integers(0, 9))
    if broken == 0 and n > 1:
        steps[0]["parents"] = [STEPS[n - 1]]  # a cycle
    elif broken == 1:
        spec["bogus"] = True
    elif broken == 2:
        steps[-1]["retries"] = draw(st.sampled_from([-1, "2", 1.5, 1000]))
    elif broken == 3:
        spec = draw(json_value)
    return spec


# References into what the program has made so far: an index, resolved modulo the pool
# size, or (when negative) something that does not exist.
ref = st.integers(-1, 7)
# Mutations of a report: as assigned, a later or earlier attempt, an unknown task.
mutation = st.sampled_from(["ok"] * 8 + ["later", "earlier", "unknown", "twice"])
# Mostly small steps of the clock; now and then far enough for timeouts and backoffs.
tick = st.sampled_from([0.0] * 6 + [0.5, 2.0, 20.0, 90.0, 4000.0])

register = st.tuples(st.just("register"), st.sampled_from(NAMES[:3] + NAMES[4:]), specs())
trigger = st.tuples(
    st.just("trigger"),
    ref,
    st.lists(run_input, min_size=1, max_size=4),
    st.sampled_from([None, None, "low", "high", "bad"]),
    st.booleans(),
)
worker = st.tuples(
    st.just("worker"), ref, st.integers(0, 6), st.lists(st.sampled_from(STEPS), max_size=5)
)
claim = st.tuples(st.just("claim"), ref, st.sampled_from([1, 2, 5, 5, 0]))
report = st.tuples(
    st.just("report"),
    st.sampled_from(["start", "complete", "complete", "complete", "fail", "heartbeat"]),
    st.lists(st.tuples(ref, mutation), min_size=1, max_size=3),
    st.booleans(),  # strict
    st.sampled_from([True, True, True, False]),  # as the holding worker
    st.booleans(),  # retryable
)
# How often each kind of call comes up: mostly the work cycle (claim, report), now and
# then everything else.
KINDS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "report": report,
    "register": register,
    "trigger": trigger,
    "worker": worker,
    "claim": claim,
    "cancel": st.tuples(st.just("cancel"), st.lists(ref, min_size=1, max_size=2)),
    "reap": st.tuples(st.just("reap"), st.sampled_from([5, 60, 60, 600])),
    "stop": st.tuples(st.just("stop"), ref, st.booleans()),
    "vanish": st.tuples(st.just("vanish"), ref),
    "read": st.tuples(
        st.just("read"), st.sampled_from(["run_get", "history", "worker_get", "cancels"])
    ),
}
WEIGHTS = {"report": 10, "register": 1, "trigger": 4, "worker": 2, "claim": 6, "cancel": 1,
           "reap": 2, "stop": 1, "vanish": 1, "read": 1}  # fmt: skip
ops = st.sampled_from([k for k, n in WEIGHTS.items() for _ in range(n)]).flatmap(KINDS.__getitem__)
programs = st.tuples(
    specs(valid=True),
    st.lists(st.tuples(tick, ops), min_size=PROGRAM_LENGTH[0], max_size=PROGRAM_LENGTH[1]),
)


# -- the interpreter ----------------------------------------------------------------------------


@dataclass
class Machine:
    """Runs a program against the database, remembering what it made to refer back to."""

    conn: psycopg.Connection[DictRow]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    calls: int = 0
    actions: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)
    workers: list[uuid.UUID] = field(default_factory=list)
    runs: list[uuid.UUID] = field(default_factory=list)
    held: list[tuple[uuid.UUID, int, uuid.UUID]] = field(
        default_factory=list
    )  # task, attempt, worker
    vanished: set[uuid.UUID] = field(default_factory=set)  # workers that stopped heartbeating
    log: list[str] = field(default_factory=list)

    def pick(self, pool: list[Any], index: int, missing: Callable[[], Any]) -> Any:
        if index < 0 or not pool:
            return missing()
        return pool[index % len(pool)]

    def call(self, what: str, sql: LiteralString, params: Any) -> list[DictRow]:
        self.calls += 1
        self.log.append(what)
        try:
            return self.conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            if exc.sqlstate not in ALLOWED:
                raise AssertionError(
                    f"{what} failed with {exc.sqlstate}: {exc}\nprogram so far:\n"
                    + "\n".join(self.log[-30:])
                ) from exc
            return []

    def run(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        getattr(self, f"op_{kind}")(*op[1:])

    def op_register(self, name: str, spec: Any) -> None:
        rows = self.call(
            f"register {name} {json.dumps(spec)[:200]}",
            "SELECT * FROM hewer.workflow_register(%s, %s)",
            (name, Jsonb(spec)),
        )
        if rows and name not in self.workflows:
            self.workflows.append(name)
        if rows and isinstance(spec, dict):
            for step in spec.get("steps", []):
                action = f"{name}:{step['name']}"
                if action not in self.actions:
                    self.actions.append(action)

    def op_trigger(self, index: int, inputs: list[Any], prios: str | None, keyed: bool) -> None:
        name = self.pick(self.workflows, index, lambda: NAMES[3 + len(inputs) % 2])
        n = len(inputs)
        priorities = {
            None: None,
            "low": [-5] * n,
            "high": [900] * n,
            "bad": [1001] * n,
        }[prios]
        keys = [KEYS[i % len(KEYS)] for i in range(n)] if keyed else None
        rows = self.call(
            f"trigger {name} x{n} prio={prios} keyed={keyed}",
            "SELECT * FROM hewer.run_trigger(%s, %s::jsonb[], %s, %s, %s)",
            (name, [Jsonb(i) for i in inputs], priorities, keys, self.now),
        )
        self.runs += [r["run_id"] for r in rows if r["run_id"] not in self.runs]

    def op_worker(self, index: int, slots: int, steps: list[str]) -> None:
        existing = self.pick(self.workers, index, lambda: None)
        actions = [a for a in self.actions if a.split(":")[-1] in steps] or ["wf0:a"]
        rows = self.call(
            f"worker_register id={existing} slots={slots} {actions}",
            "SELECT hewer.worker_register('fuzz', %s, %s, '{}', NULL, %s, %s) AS id",
            (actions, slots, existing, self.now),
        )
        if rows:
            self.vanished.discard(rows[0]["id"])
            if rows[0]["id"] not in self.workers:
                self.workers.append(rows[0]["id"])

    def op_claim(self, index: int, limit: int) -> None:
        worker_id = self.pick(self.workers, index, uuid.uuid4)
        rows = self.call(
            f"claim {worker_id} limit={limit}",
            "SELECT task_id, attempt FROM hewer.task_claim(%s, %s, %s)",
            (worker_id, limit, self.now),
        )
        self.held += [(r["task_id"], r["attempt"], worker_id) for r in rows]

    def op_report(
        self,
        kind: str,
        picks: list[tuple[int, str]],
        strict: bool,
        as_holder: bool,
        retryable: bool,
    ) -> None:
        ids: list[uuid.UUID] = []
        attempts: list[int] = []
        holders: list[uuid.UUID] = []
        recent = self.held[-8:]  # the latest claims are the likeliest to be current
        for index, how in picks:
            task, attempt, holder = self.pick(
                recent, index, lambda: (uuid.uuid4(), 1, uuid.uuid4())
            )
            if how == "later":
                attempt += 1
            elif how == "earlier":
                attempt -= 1
            elif how == "unknown":
                task = uuid.uuid4()
            ids.append(task)
            attempts.append(attempt)
            holders.append(holder if as_holder else uuid.uuid4())
            if how == "twice":
                ids.append(task)
                attempts.append(attempt)
                holders.append(holders[-1])
        n = len(ids)
        workers = holders if as_holder or not strict else None
        what = f"{kind} {list(zip(ids, attempts, strict=True))} strict={strict}"
        if kind == "start":
            self.call(
                what,
                "SELECT * FROM hewer.task_start(%s, %s, %s, %s, %s)",
                (ids, attempts, strict, self.now, workers),
            )
        elif kind == "complete":
            self.call(
                what,
                "SELECT * FROM hewer.task_complete(%s, %s, %s::jsonb[], %s, %s, %s)",
                (ids, attempts, [Jsonb({"i": i}) for i in range(n)], strict, self.now, workers),
            )
        elif kind == "fail":
            self.call(
                what,
                "SELECT * FROM hewer.task_fail(%s, %s, %s::jsonb[], %s, %s, %s, %s)",
                (ids, attempts, [Jsonb("boom")] * n, [retryable] * n, strict, self.now, workers),
            )
        else:
            extend = timedelta(seconds=30) if retryable else None
            self.call(
                what,
                "SELECT * FROM hewer.task_heartbeat(%s, %s, %s, %s, %s, %s)",
                (ids, attempts, extend, strict, self.now, workers),
            )

    def op_cancel(self, indexes: list[int]) -> None:
        runs = [self.pick(self.runs, i, uuid.uuid4) for i in indexes]
        self.call(f"cancel {runs}", "SELECT * FROM hewer.run_cancel(%s, %s)", (runs, self.now))

    def op_reap(self, worker_timeout: int) -> None:
        self.call(
            f"reap timeout={worker_timeout}",
            "SELECT * FROM hewer.reap(%s, %s)",
            (self.now, timedelta(seconds=worker_timeout)),
        )

    def op_stop(self, index: int, drain: bool) -> None:
        worker_id = self.pick(self.workers, index, uuid.uuid4)
        self.call(
            f"worker_stop {worker_id} drain={drain}",
            "SELECT * FROM hewer.worker_stop(ARRAY[%s::uuid], %s, %s)",
            (worker_id, drain, self.now),
        )

    def op_vanish(self, index: int) -> None:
        """A worker stops heartbeating (its process died): no call, the reaper will notice."""
        if self.workers:
            self.vanished.add(self.pick(self.workers, index, uuid.uuid4))

    def advance(self, seconds: float) -> None:
        """Time passes; meanwhile the dispatchers heartbeat the workers that are still there
        (those that vanished stop, and the reaper will find them)."""
        if seconds <= 0:
            return
        self.now += timedelta(seconds=seconds)
        alive = [w for w in self.workers if w not in self.vanished] + [uuid.uuid4()]
        self.call(
            f"worker_heartbeat {alive} (+{seconds:g} s)",
            "SELECT * FROM hewer.worker_heartbeat(%s, %s)",
            (alive, self.now),
        )

    def op_read(self, what: str) -> None:
        if what == "run_get":
            self.call("run_get", "SELECT * FROM hewer.run_get(%s)", (self.runs[-5:],))
        elif what == "history":
            tasks = [t for t, _, _ in self.held[-5:]]
            self.call("task_history", "SELECT * FROM hewer.task_history(%s)", (tasks,))
        elif what == "worker_get":
            self.call("worker_get", "SELECT * FROM hewer.worker_get(%s)", (self.workers,))
        else:
            self.call(
                "task_cancellations",
                "SELECT * FROM hewer.task_cancellations(%s)",
                (self.workers,),
            )


@pytest.mark.slow
def test_random_programs_keep_the_database_consistent(conn: psycopg.Connection[DictRow]) -> None:
    # Where PostgreSQL has JIT (Debian's 15 does), workflow_register costs half a second
    # (see test_workflow_register_does_not_pay_for_jit); this test is about correctness.
    conn.execute("SET jit = off")
    total = 0

    @settings(
        max_examples=PROGRAMS,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(programs)
    def run(program: tuple[Any, list[tuple[float, tuple[Any, ...]]]]) -> None:
        nonlocal total
        conn.execute(EMPTY)
        machine = Machine(conn)
        first_spec, steps = program
        # Something to work on from the start: a workflow and a worker for all its steps.
        machine.op_register("wf0", first_spec)
        machine.op_worker(-1, 3, STEPS)
        for dt, op in steps:
            machine.advance(dt)
            machine.run(op)
        total += machine.calls
        violations = database_violations(conn)
        assert not violations, "\n".join(violations) + "\nprogram:\n" + "\n".join(machine.log)

    run()
    print(f"{total} calls in {PROGRAMS} programs")
    assert total >= MIN_CALLS, f"only {total} calls were generated"


def test_workflow_register_runs_without_jit(conn: psycopg.Connection[DictRow]) -> None:
    """Its cycle check is priced far above jit_above_cost: with JIT on (Debian's builds) every
    call JIT-compiled it, ~0.5 s instead of ~3 ms. The function turns JIT off for itself."""
    row = conn.execute(
        "SELECT proconfig FROM pg_proc WHERE oid = 'hewer.workflow_register'::regproc"
    ).fetchone()
    assert row is not None and "jit=off" in (row["proconfig"] or []), row
    conn.execute("SET jit = on")
    spec: dict[str, Any] = {"steps": [{"name": "a"}, {"name": "b", "parents": ["a"]}]}
    conn.execute("SELECT * FROM hewer.workflow_register('jit', %s)", (Jsonb(spec),))
    setting = conn.execute("SHOW jit").fetchone()
    assert setting == {"jit": "on"}, "the function's SET must not leak into the session"
