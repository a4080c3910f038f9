"""CEL evaluation off the dispatcher's event loop, under a time budget per expression.

Filters and wait conditions are tenants' code: one that is slow (a comprehension over a long
list) must neither freeze the dispatcher (its gRPC streams, heartbeats and claims share the
event loop with the leader) nor hold up other tenants' events. So the router hands each batch of
evaluations to a child process and awaits the answer in a thread: the event loop never runs CEL.
In the child, each evaluation runs under an interval timer (SIGALRM), which interrupts celpy's
pure-Python evaluation at `budget` seconds: that expression gives an error, the others go on. A
child that does not answer at all (stuck in C code) is killed and started again.

Static bounds come first (pyworker.cel.unbounded refuses nested comprehensions when a filter is
created); this is the backstop for what is bounded but still too slow on a large payload.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any, Final

log = logging.getLogger("hewer.celeval")

#: Seconds one expression may take before it is stopped.
DEFAULT_BUDGET: Final = 0.25

#: In the error of an evaluation that was stopped.
OVER_BUDGET: Final = "over its time budget"

# Beyond the budgets of a batch's items, how long the child may take to answer.
_SLACK: Final = 5.0

#: One evaluation: (cache key, expression, variables). Its result: True, False, or the error.
Item = tuple[str, str, dict[str, Any]]
Result = bool | str


class OverBudget(BaseException):
    """Raised inside the child by the interval timer; a BaseException, so that celpy's and
    Program.evaluate's `except Exception` do not swallow it."""


class Evaluator:
    """A child process that evaluates CEL; thread-safe, one batch at a time."""

    def __init__(self, budget: float = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.restarts = 0  # children killed for not answering (for tests and metrics)
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None

    async def evaluate(self, items: list[Item]) -> list[Result]:
        """Evaluate each item in the child; awaited in a thread, never on the event loop."""
        if not items:
            return []
        return await asyncio.to_thread(self._call, items)

    def close(self) -> None:
        with self._lock:
            self._kill()

    def _call(self, items: list[Item]) -> list[Result]:
        with self._lock:
            conn = self._ensure()
            try:
                conn.send((self.budget, items))
                if conn.poll(self.budget * len(items) + _SLACK):
                    results: list[Result] = conn.recv()
                    return results
            except (EOFError, OSError) as exc:
                log.warning("the CEL child process failed", extra={"error": str(exc)})
            else:
                log.error(
                    "the CEL child process did not answer; restarting it",
                    extra={"items": len(items)},
                )
            self._kill()
            self.restarts += 1
            return [f"evaluation did not finish: {OVER_BUDGET} of {self.budget} s"] * len(items)

    def _ensure(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._kill()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name="hewer-cel", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None


_shared: Evaluator | None = None
_shared_lock = threading.Lock()


def shared() -> Evaluator:
    """The process's evaluator (one child for every router of this process)."""
    global _shared  # noqa: PLW0603 - one child process per dispatcher process
    with _shared_lock:
        if _shared is None:
            _shared = Evaluator()
        return _shared


def _alarm(signum: int, frame: Any) -> None:
    raise OverBudget


def _serve(conn: Connection) -> None:
    """The child: evaluate batches until the pipe closes."""
    from pyworker.cel import CelError, ProgramCache  # noqa: PLC0415 - in the child only

    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    programs = ProgramCache()
    while True:
        try:
            budget, items = conn.recv()
        except (EOFError, OSError):
            return
        results: list[Result] = []
        for key, expression, variables in items:
            program = programs.get(key, 0, expression)
            if isinstance(program, CelError):
                results.append(f"filter does not compile: {program}")
                continue
            outcome: Result
            try:
                signal.setitimer(signal.ITIMER_REAL, budget)
                try:
                    outcome = program.evaluate(variables)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except OverBudget:
                outcome = (
                    f"evaluation stopped: {OVER_BUDGET} of {budget} s (make the expression "
                    "cheaper, or the payload smaller)"
                )
            except CelError as exc:
                outcome = str(exc)
            except Exception as exc:  # noqa: BLE001 - any failure is this item's alone
                outcome = f"{type(exc).__name__}: {exc}"
            results.append(outcome)
        conn.send(results)
