"""Many connections claiming and completing at once: nothing double-claimed, nothing lost."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import psycopg

from tests.engine import DIAMOND, claim, complete, register, trigger, worker

CLAIMERS = 8


def test_eight_claimers_never_double_claim(conn: psycopg.Connection[Any], connect: Any) -> None:
    register(conn, "c", {"steps": [{"name": "s"}]})
    register(conn, "d", DIAMOND)
    runs = trigger(conn, "c", [{"i": i} for i in range(1500)])
    runs += trigger(conn, "d", [{"i": i} for i in range(150)])
    actions = ["c:s"] + [f"d:{s}" for s in "abcd"]
    seen: list[tuple[Any, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLAIMERS)

    def claimer(n: int) -> None:
        c = connect()
        w = worker(c, actions, slots=50)
        rng = random.Random(n)
        idle = 0
        try:
            barrier.wait()
            while idle < 5:
                tasks = claim(c, w, limit=rng.choice([1, 7, 25, 50]))
                if not tasks:
                    idle += 1
                    continue
                idle = 0
                with lock:
                    seen.extend((t["task_id"], t["attempt"]) for t in tasks)
                rng.shuffle(tasks)
                for chunk in (tasks[: len(tasks) // 2], tasks[len(tasks) // 2 :]):
                    if chunk:
                        res = complete(c, chunk)
                        assert all(r["accepted"] for r in res)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(CLAIMERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert errors == []
    counts = Counter(task for task, _ in seen)
    assert max(counts.values()) == 1, "a task was claimed twice"
    assert len(counts) == 1500 + 150 * 4, "a task was lost"
    statuses = conn.execute("SELECT status, count(*) AS n FROM hewer.runs GROUP BY 1").fetchall()
    assert statuses == [{"status": "succeeded", "n": len(runs)}]
    assert conn.execute("SELECT count(*) AS n FROM hewer.queue").fetchone() == {"n": 0}
