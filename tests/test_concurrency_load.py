"""Concurrency limits under load: several claimers, randomized completions and
failures, and a sampler that checks every limit in one snapshot after another."""

from __future__ import annotations

import random
import threading
from typing import Any

import psycopg

from tests.engine import claim, complete, fail, register, trigger, worker

Conn = psycopg.Connection[Any]

CLAIMERS = 4
USERS = 5
MODELS = 3

# One statement, so one snapshot: the highest count at each level.
SAMPLE = """
WITH live AS (
    SELECT t.*, r.input, r.concurrency_key AS run_key, r.status AS run_status
    FROM hewer.tasks t JOIN hewer.runs r ON r.id = t.run_id
    WHERE t.status IN ('assigned', 'running')
)
SELECT
    (SELECT count(*) FROM live) AS tenant,
    (SELECT count(*) FROM live WHERE action = 'shared_act') AS action,
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM live WHERE step = 'a'
                                      GROUP BY input ->> 'user', input ->> 'model') s) AS step,
    -- A run holds its workflow slot until it finishes; a failed run's task
    -- that is still being stopped counts against the other limits only.
    (SELECT coalesce(max(n), 0) FROM (SELECT count(DISTINCT run_id) AS n FROM live
                                      WHERE run_status IN ('queued', 'running')
                                      GROUP BY run_key) s) AS workflow_live,
    (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM hewer.run_holds h
                                      GROUP BY h.sem_id) s) AS workflow_held,
    (SELECT coalesce(max(used), 0) FROM (SELECT sum(slots) AS used FROM live GROUP BY worker_id) s)
        AS worker_slots
"""

# In the same snapshot: semaphores whose count is not the number of their
# holders (tasks' holds, runs' run_holds), and finished tasks still holding.
# Any row is a leaked or lost slot.
MISCOUNTED = """
WITH holders AS (
    SELECT h.id AS sem FROM hewer.tasks t, unnest(t.holds) AS h(id)
    UNION ALL
    SELECT rh.sem_id FROM hewer.run_holds rh
), n AS (SELECT sem, count(*) AS n FROM holders GROUP BY sem)
SELECT s.scope || ':' || s.owner || ':' || s.key AS what, s.running, coalesce(n.n, 0) AS holders
FROM hewer.semaphores s LEFT JOIN n ON n.sem = s.id
WHERE s.running <> coalesce(n.n, 0)
UNION ALL
SELECT 'task ' || t.step || ' ' || t.status, cardinality(t.holds), 0
FROM hewer.tasks t WHERE t.holds IS NOT NULL AND t.status NOT IN ('assigned', 'running')
"""


def test_no_limit_is_ever_exceeded_under_concurrent_claimers(conn: Conn, connect: Any) -> None:
    conn.execute("SELECT hewer.concurrency_limit_set('tenant', '', 6)")
    conn.execute("SELECT hewer.concurrency_limit_set('action', 'shared_act', 4)")
    register(
        conn,
        "lim",
        {
            "concurrency": {"key": "input.user", "max": 2},
            "steps": [
                {
                    "name": "a",
                    "action": "shared_act",
                    "concurrency": {"key": 'input.user + ":" + input.model', "max": 1},
                    "retries": 2,
                    "backoff": {"base": 0, "max": 0, "jitter": 0},
                },
                {"name": "b", "parents": ["a"], "slots": 2},
                {"name": "c", "parents": ["a"], "action": "shared_act"},
            ],
        },
    )
    rng = random.Random(5)
    inputs = [
        {"user": f"u{rng.randrange(USERS)}", "model": f"m{rng.randrange(MODELS)}"}
        for _ in range(80)
    ]
    runs = trigger(conn, "lim", inputs)
    run_ids = [r["run_id"] for r in runs]
    stop = threading.Event()
    errors: list[BaseException] = []
    samples: list[dict[str, int]] = []
    miscounted: list[dict[str, Any]] = []

    def sampler() -> None:
        c = connect()
        try:
            while not stop.is_set():
                with c.transaction():
                    c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    row = c.execute(SAMPLE).fetchone()
                    assert row is not None
                    samples.append(row)
                    miscounted.extend(c.execute(MISCOUNTED).fetchall())
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def claimer(n: int) -> None:
        c = connect()
        w = worker(c, ["shared_act", "lim:b"], slots=3)
        r = random.Random(n)
        held: list[dict[str, Any]] = []
        try:
            while not stop.is_set():
                held += claim(c, w, limit=r.choice([1, 2, 3]))
                r.shuffle(held)
                keep = r.randrange(len(held) + 1)
                done, held = held[keep:], held[:keep]
                for t in done:
                    if r.random() < 0.15:
                        fail(c, [t], retryable=True)
                    else:
                        complete(c, [t])
            # Stopped like a worker: what it still holds is reported. These are
            # tasks of runs that a sibling's failure ended meanwhile; they count
            # against the limits until their worker reports them.
            if held:
                complete(c, held)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
            stop.set()

    threads = [threading.Thread(target=sampler)]
    threads += [threading.Thread(target=claimer, args=(n,)) for n in range(CLAIMERS)]
    for th in threads:
        th.start()
    try:
        waited = 0
        while waited < 600 and not stop.is_set():
            left = conn.execute(
                "SELECT count(*) AS n FROM hewer.runs WHERE status IN ('queued', 'running')"
            ).fetchone()
            assert left is not None
            if left["n"] == 0:
                break
            stop.wait(0.2)
            waited += 1
    finally:
        stop.set()
        for th in threads:
            th.join()

    assert errors == []
    assert miscounted == []
    statuses = conn.execute(
        "SELECT status, count(*) AS n FROM hewer.runs WHERE id = ANY (%s) GROUP BY 1", (run_ids,)
    ).fetchall()
    assert {s["status"]: s["n"] for s in statuses}.get("succeeded", 0) + sum(
        s["n"] for s in statuses if s["status"] == "failed"
    ) == len(run_ids)
    assert len(samples) > 20
    busy = [s for s in samples if s["tenant"] > 0]
    assert busy, "the sampler never saw running work"
    assert max(s["tenant"] for s in samples) <= 6
    assert max(s["action"] for s in samples) <= 4
    assert max(s["step"] for s in samples) <= 1
    assert max(s["workflow_live"] for s in samples) <= 2
    assert max(s["workflow_held"] for s in samples) <= 2
    assert max(s["worker_slots"] for s in samples) <= 3
    # The limits were reached, so the checks above mean something.
    assert max(s["tenant"] for s in samples) >= 3
    # Every hold was given back.
    leftover = conn.execute(
        "SELECT (SELECT coalesce(sum(running), 0) FROM hewer.semaphores) AS sems, "
        "(SELECT count(*) FROM hewer.run_holds) AS runs"
    ).fetchone()
    assert leftover == {"sems": 0, "runs": 0}


def _jain(xs: list[int]) -> float:
    return sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs)) if any(xs) else 1.0


def test_group_round_robin_is_fair_to_light_keys(conn: Conn, connect: Any) -> None:
    register(
        conn,
        "fair",
        {"steps": [{"name": "s", "concurrency": {"key": "input.k", "max": 1}}]},
    )
    # The heavy key's whole backlog is queued first: FIFO would serve it first.
    trigger(conn, "fair", [{"k": "heavy"} for _ in range(100)])
    light = [f"k{i}" for i in range(9)]
    trigger(conn, "fair", [{"k": k} for _ in range(10) for k in light])
    order: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def claimer(n: int) -> None:
        c = connect()
        w = worker(c, ["fair:s"], slots=4)
        r = random.Random(n)
        idle = 0
        try:
            while idle < 20:
                got = claim(c, w, limit=r.choice([1, 2]))
                idle = 0 if got else idle + 1
                r.shuffle(got)
                for t in got:
                    with lock:
                        complete(c, [t])
                        order.append(t["input"]["k"])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert errors == []
    assert len(order) == 190
    light_order = [k for k in order if k != "heavy"]
    windows = [light_order[i : i + 27] for i in range(0, len(light_order) - 26, 27)]
    indexes = [_jain([w.count(k) for k in light]) for w in windows]
    assert min(indexes) >= 0.95, indexes
    # The light keys were not starved behind the heavy backlog: they were all
    # done while most of the heavy key's tasks still waited.
    last_light = max(i for i, k in enumerate(order) if k != "heavy")
    assert order[: last_light + 1].count("heavy") <= 20
