"""What must hold in a Hewer database whatever happened to it, and after a chaos scenario.

`database_violations(conn)` checks the engine's own bookkeeping (used after every batch of
the SQL fuzzer and after every chaos scenario). Each check is one query returning offending
ids; a violation names the check and a few of them.

`EffectsCheck` compares the side effects that task functions recorded
(hewer_tools/chaos/workload.py) with what the database accepted: exactly one accepted
completion per task, produced by the attempt the engine accepted, every attempt that ran
assigned and closed in the history.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from psycopg.rows import dict_row

FINAL_TASK = ("succeeded", "failed", "cancelled")
END_KINDS = (
    "succeeded",
    "retrying",
    "failed",
    "cancelled",
    "execution_timeout",
    "worker_lost",
    "schedule_timeout",
)

# name -> query returning the ids (as text) of what breaks the rule.
CHECKS: dict[str, LiteralString] = {
    "a task is in the queue iff it is queued": """
        SELECT t.id::text FROM hewer.tasks t LEFT JOIN hewer.queue q ON q.task_id = t.id
        WHERE (t.status = 'queued') <> (q.task_id IS NOT NULL)
        UNION ALL
        SELECT q.task_id::text FROM hewer.queue q LEFT JOIN hewer.tasks t ON t.id = q.task_id
        WHERE t.id IS NULL""",
    "a queue row matches its task": """
        SELECT t.id::text FROM hewer.queue q JOIN hewer.tasks t ON t.id = q.task_id
        WHERE q.tenant_id <> t.tenant_id OR q.action <> t.action OR q.priority <> t.priority
           OR q.ready_at IS DISTINCT FROM t.queued_at
           OR q.schedule_timeout_at IS DISTINCT FROM t.queued_at + t.schedule_timeout""",
    "attempts stay within 0..max_attempts": """
        SELECT t.id::text FROM hewer.tasks t
        WHERE t.attempt < 0 OR t.attempt > t.max_attempts OR t.max_attempts < 1""",
    "a held task has a worker and a lease, others no lease": """
        SELECT t.id::text FROM hewer.tasks t
        WHERE CASE WHEN t.status IN ('assigned', 'running')
                   THEN t.worker_id IS NULL OR t.timeout_at IS NULL OR t.attempt < 1
                   ELSE t.timeout_at IS NOT NULL
                        OR (t.status IN ('pending', 'queued') AND t.worker_id IS NOT NULL) END""",
    "a held task's worker exists": """
        SELECT t.id::text FROM hewer.tasks t LEFT JOIN hewer.workers w ON w.id = t.worker_id
        WHERE t.status IN ('assigned', 'running') AND w.id IS NULL""",
    "parents_left matches the unfinished parents while the run is live": """
        SELECT t.id::text FROM hewer.tasks t JOIN hewer.runs r ON r.id = t.run_id
        WHERE r.status IN ('queued', 'running')
          AND (t.parents_left <> (SELECT count(*) FROM hewer.tasks p
                                  WHERE p.id = ANY (t.parent_ids) AND p.status <> 'succeeded')
               OR (t.status = 'pending') <> (t.parents_left > 0)
               OR t.parents_left > cardinality(t.parent_ids))""",
    "a run's tasks_left matches its unsucceeded tasks while it is live": """
        SELECT r.id::text FROM hewer.runs r
        WHERE r.status IN ('queued', 'running')
          AND r.tasks_left <> (SELECT count(*) FROM hewer.tasks t
                               WHERE t.run_id = r.id AND t.status <> 'succeeded')""",
    "a run has one task per step of its version": """
        SELECT r.id::text FROM hewer.runs r
        WHERE (SELECT count(*) FROM hewer.tasks t WHERE t.run_id = r.id)
           <> (SELECT count(*) FROM hewer.steps s WHERE s.version_id = r.version_id)""",
    "a live run has no failed, cancelled or cancel-requested task": """
        SELECT r.id::text FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id
        WHERE r.status IN ('queued', 'running')
          AND (t.status IN ('failed', 'cancelled') OR t.cancel_requested)""",
    "a terminal run has no pending or queued task": """
        SELECT r.id::text FROM hewer.runs r JOIN hewer.tasks t ON t.run_id = r.id
        WHERE r.status IN ('succeeded', 'failed', 'cancelled')
          AND t.status IN ('pending', 'queued')""",
    "a succeeded run has only succeeded tasks and tasks_left = 0": """
        SELECT r.id::text FROM hewer.runs r
        WHERE r.status = 'succeeded'
          AND (r.tasks_left <> 0 OR EXISTS (SELECT 1 FROM hewer.tasks t
                                            WHERE t.run_id = r.id AND t.status <> 'succeeded'))""",
    "a failed run has a failed task and an error": """
        SELECT r.id::text FROM hewer.runs r
        WHERE r.status = 'failed'
          AND (r.error IS NULL OR NOT EXISTS (SELECT 1 FROM hewer.tasks t
                                              WHERE t.run_id = r.id AND t.status = 'failed'))""",
    "finished_at is set exactly on terminal runs and tasks": """
        SELECT r.id::text FROM hewer.runs r
        WHERE (r.status IN ('succeeded', 'failed', 'cancelled')) <> (r.finished_at IS NOT NULL)
        UNION ALL
        SELECT t.id::text FROM hewer.tasks t
        WHERE (t.status IN ('succeeded', 'failed', 'cancelled')) <> (t.finished_at IS NOT NULL)""",
    "every task's latest event shows its status and attempt": """
        SELECT t.id::text FROM hewer.tasks t
        LEFT JOIN LATERAL (SELECT e.status, e.attempt FROM hewer.task_events e
                           WHERE e.task_id = t.id ORDER BY e.id DESC LIMIT 1) e ON true
        WHERE e.status IS DISTINCT FROM t.status OR e.attempt IS DISTINCT FROM t.attempt""",
    "every claim of a task has its assigned event": """
        SELECT t.id::text FROM hewer.tasks t
        WHERE t.attempt <> (SELECT count(*) FROM hewer.task_events e
                            WHERE e.task_id = t.id AND e.kind = 'assigned')
           OR EXISTS (SELECT 1 FROM hewer.task_events e
                      WHERE e.task_id = t.id AND e.kind = 'assigned'
                      GROUP BY e.attempt HAVING count(*) > 1)""",
    "every earlier attempt ended in exactly one retrying event": """
        SELECT t.id::text FROM hewer.tasks t, generate_series(1, t.attempt - 1) AS a(n)
        WHERE (SELECT count(*) FROM hewer.task_events e
               WHERE e.task_id = t.id AND e.attempt = a.n AND e.kind = 'retrying') <> 1""",
    "a task ends at most once, and a final task exactly once": """
        SELECT t.id::text FROM hewer.tasks t
        WHERE (SELECT count(*) FROM hewer.task_events e
               WHERE e.task_id = t.id AND e.status IN ('succeeded', 'failed', 'cancelled'))
           <> CASE WHEN t.status IN ('succeeded', 'failed', 'cancelled') THEN 1 ELSE 0 END""",
    "a succeeded task's success event is for its current attempt": """
        SELECT t.id::text FROM hewer.tasks t
        WHERE t.status = 'succeeded'
          AND NOT EXISTS (SELECT 1 FROM hewer.task_events e
                          WHERE e.task_id = t.id AND e.kind = 'succeeded'
                            AND e.attempt = t.attempt)""",
    "events belong to their task's run and tenant": """
        SELECT e.id::text FROM hewer.task_events e LEFT JOIN hewer.tasks t ON t.id = e.task_id
        WHERE t.id IS NULL OR e.run_id <> t.run_id OR e.tenant_id <> t.tenant_id
           OR e.attempt > t.attempt""",
    "every idempotency key points at a run of its workflow": """
        SELECT k.key FROM hewer.idempotency_keys k LEFT JOIN hewer.runs r ON r.id = k.run_id
        WHERE r.id IS NULL OR r.workflow_id <> k.workflow_id OR r.tenant_id <> k.tenant_id
           OR r.idempotency_key IS DISTINCT FROM k.key""",
    "a child run is not active under a cancelled or failed parent": """
        SELECT c.id::text FROM hewer.runs c JOIN hewer.runs p ON p.id = c.parent_run_id
        WHERE c.status IN ('queued', 'running') AND p.status IN ('cancelled', 'failed')""",
    "a child run's parent task belongs to its parent run": """
        SELECT c.id::text FROM hewer.runs c JOIN hewer.runs p ON p.id = c.parent_run_id
        LEFT JOIN hewer.tasks t ON t.id = c.parent_task_id
        WHERE t.id IS NULL OR t.run_id <> p.id""",
    "a workflow's current version is its own": """
        SELECT w.id::text FROM hewer.workflows w
        LEFT JOIN hewer.workflow_versions v ON v.id = w.current_version_id
        WHERE w.current_version_id IS NOT NULL AND (v.id IS NULL OR v.workflow_id <> w.id)""",
}


def database_violations(conn: psycopg.Connection[Any], sample: int = 5) -> list[str]:
    """Every check that fails, as 'check: n rows (ids...)'. Empty when all hold."""
    found: list[str] = []
    for name, query in CHECKS.items():
        rows = conn.execute(query).fetchall()
        if rows:
            ids = ", ".join(str(_first(r)) for r in rows[:sample])
            found.append(f"{name}: {len(rows)} offending rows ({ids})")
    return found


def _first(row: Any) -> Any:
    if isinstance(row, dict):
        return next(iter(row.values()))
    return row[0]


@dataclass(frozen=True)
class Effect:
    """One line a task execution wrote: which attempt of which task, in which process."""

    task_id: uuid.UUID
    attempt: int
    pid: int
    what: str  # begin | done
    token: str


def read_effects(path: Path) -> list[Effect]:
    effects = []
    for line in path.read_text().splitlines():
        task_id, attempt, pid, what, token = line.split()
        effects.append(Effect(uuid.UUID(task_id), int(attempt), int(pid), what, token))
    return effects


@dataclass
class EffectsVerdict:
    """How the recorded side effects compare with what the engine accepted."""

    runs: int = 0
    tasks: int = 0
    lost: int = 0
    duplicated: int = 0
    # Attempts that did their work but whose result was not accepted (a later one's was).
    superseded: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    # Attempts assigned that never began: their holder died first, or never got them.
    unstarted: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    retries: int = 0
    retry_causes: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)


def check_effects(
    conn: psycopg.Connection[Any], run_ids: Iterable[uuid.UUID], effects: list[Effect]
) -> EffectsVerdict:
    """Compare the runs' tasks and history with the side effects their executions recorded.

    lost: runs that do not exist, and tasks that never reached a final state.
    duplicated: tasks with more than one accepted completion, or whose accepted attempt
    recorded its success more than once.
    """
    ids = list(set(run_ids))
    v = EffectsVerdict(runs=len(ids))
    cur = conn.cursor(row_factory=dict_row)
    statuses = {
        r["id"]: r["status"]
        for r in cur.execute(
            "SELECT r.id, r.status::text AS status FROM hewer.runs r WHERE r.id = ANY (%s)",
            (ids,),
        )
    }
    missing = [r for r in ids if r not in statuses]
    if missing:
        v.lost += len(missing)
        v.violations.append(f"{len(missing)} submitted runs do not exist: {missing[:5]}")
    not_succeeded = Counter(s for s in statuses.values() if s != "succeeded")
    if not_succeeded:
        v.violations.append(f"runs that did not succeed: {dict(not_succeeded)}")
    tasks = cur.execute(
        "SELECT t.id, t.status::text AS status, t.attempt, t.output ->> 'token' AS token "
        "FROM hewer.tasks t WHERE t.run_id = ANY (%s)",
        (ids,),
    ).fetchall()
    v.tasks = len(tasks)
    events = cur.execute(
        "SELECT e.task_id, e.attempt, e.kind, e.data ->> 'cause' AS cause "
        "FROM hewer.task_events e WHERE e.run_id = ANY (%s)",
        (ids,),
    ).fetchall()
    succeeded_events: Counter[uuid.UUID] = Counter()
    assigned: set[tuple[uuid.UUID, int]] = set()
    for e in events:
        if e["kind"] == "succeeded":
            succeeded_events[e["task_id"]] += 1
        elif e["kind"] == "assigned":
            assigned.add((e["task_id"], e["attempt"]))
        elif e["kind"] == "retrying":
            v.retries += 1
            v.retry_causes[e["cause"] or "?"] += 1
    begins, dones = _tally(effects)
    for t in tasks:
        _check_task(v, t, succeeded_events[t["id"]], dones[t["id"]])
    task_ids = {t["id"] for t in tasks}
    v.unstarted = sorted(k for k in assigned if k[0] in task_ids and k not in begins)
    for (tid, attempt), n in begins.items():
        if tid not in task_ids:
            continue  # a task of another database or run set
        if n > 1:
            v.violations.append(f"task {tid} attempt {attempt} was executed {n} times")
        if (tid, attempt) not in assigned:
            v.violations.append(f"task {tid} attempt {attempt} ran but was never assigned")
    return v


def _tally(
    effects: list[Effect],
) -> tuple[Counter[tuple[uuid.UUID, int]], dict[uuid.UUID, dict[int, list[str]]]]:
    """How often each (task, attempt) began, and the tokens of its recorded successes."""
    begins: Counter[tuple[uuid.UUID, int]] = Counter()
    dones: dict[uuid.UUID, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for fx in effects:
        if fx.what == "begin":
            begins[fx.task_id, fx.attempt] += 1
        elif fx.what == "done":
            dones[fx.task_id][fx.attempt].append(fx.token)
    return begins, dones


def _check_task(
    v: EffectsVerdict, task: dict[str, Any], accepted: int, dones: dict[int, list[str]]
) -> None:
    """One task: final, accepted once, with the result its accepted attempt recorded."""
    tid, status, attempt = task["id"], task["status"], task["attempt"]
    if status not in FINAL_TASK:
        v.lost += 1
        v.violations.append(f"task {tid} never finished: {status} at attempt {attempt}")
        return
    if status != "succeeded":
        return
    recorded = dones.get(attempt, [])
    if accepted != 1 or len(recorded) > 1:
        v.duplicated += 1
        v.violations.append(
            f"task {tid}: {accepted} accepted completions, attempt {attempt} "
            f"recorded success {len(recorded)} times"
        )
    if task["token"] not in recorded:
        v.violations.append(
            f"task {tid}: the accepted output (token {task['token']}) is not the one "
            f"attempt {attempt} recorded ({recorded})"
        )
    v.superseded += [(tid, a) for a in dones if a != attempt]
