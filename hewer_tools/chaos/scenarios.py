"""The crash scenarios: each waits for work in flight, injects one fault, and leaves the rest
to the system. Run by tests/chaos/test_crashes.py and `hewer chaos`; the system and the checks
are in hewer_tools/chaos/stage.py, the table of results in docs/chaos.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hewer_tools.chaos.faults import ReaperLoops
from hewer_tools.chaos.pgserver import ScratchServer
from hewer_tools.chaos.stage import Load, Result, Stage, table
from hewer_tools.processes import wait_until

__all__ = ["SCENARIOS", "Load", "Result", "Scenario", "Stage", "run", "table"]


def worker_kill(s: Stage) -> None:
    """kill -9 the worker running the most tasks; a replacement starts (as a supervisor would)."""
    victim = s.busiest_worker()
    s.faulted.add(victim.name)
    s.mark_fault({victim.name})
    s.kill(victim)
    s.monitor.watch(victim.name)
    s.notes.append(f"killed {victim.name} while it ran {len(s.stranded)} tasks")
    s.add_worker(wait=False)


def dispatcher_kill(s: Stage) -> None:
    """kill -9 the dispatcher that is the maintenance leader; it is restarted 2 s later."""
    s.busiest_worker()
    victim = s.leader()
    holders = s.connected_to(victim)
    s.mark_fault(holders)
    s.kill(victim)
    s.notes.append(
        f"killed dispatcher {victim.name} (the leader) with workers {sorted(holders)} "
        f"holding {len(s.stranded)} tasks"
    )
    time.sleep(2)
    s.dispatchers[s.dispatchers.index(victim)] = s.procs.restart(victim)


def postgres_restart(s: Stage) -> None:
    """pg_ctl stop -m immediate, down for a few seconds (Load.outage), then start."""
    assert s.server is not None, "postgres-restart needs its own server"
    s.busiest_worker()
    s.mark_fault(None)
    s.server.crash()
    time.sleep(s.load.outage)
    s.server.start()
    # Claims that committed just before the crash, whose answer never reached a dispatcher,
    # are held too: count them among what the crash stranded.
    s.stranded |= s.held_now()
    s.notes.append(
        f"PostgreSQL crashed with {len(s.stranded)} tasks held, down {s.load.outage:g} s"
    )


def worker_freeze(s: Stage) -> None:
    """SIGSTOP the busiest worker until it is declared dead and its tasks are handed back,
    then SIGCONT: the reports it then sends for those attempts must be rejected."""
    victim = s.busiest_worker()
    s.faulted.add(victim.name)
    s.mark_fault({victim.name})
    s.procs.freeze(victim)
    s.expect_late_rejections(victim)
    s.monitor.watch(victim.name)
    started = time.monotonic()
    wait_until(
        lambda: (
            s.worker_status(victim.name) == "dead" and s.held(victim.name, running_only=False) == 0
        ),
        s.load.worker_timeout + 30,
        f"frozen {victim.name} to be declared dead",
        pause=0.1,
    )
    time.sleep(0.5)
    s.procs.thaw(victim)
    s.monitor.release(victim.name)
    s.notes.append(
        f"froze {victim.name} for {time.monotonic() - started:.1f} s with {len(s.stranded)} "
        "tasks held"
    )


def connection_cut(s: Stage) -> None:
    """Reset the worker's connection through the proxy twice: a blip it reconnects from at
    once, then a cut that keeps it out past the worker timeout (its leases go to others and
    its late reports must be rejected)."""
    proxy = s.proxy
    assert proxy is not None, "connection-cut needs the proxied worker"
    victim = s.workers[0]
    s.faulted.add(victim.name)
    s.busiest_worker([victim])
    before = proxy.accepted
    blip = proxy.cut()
    wait_until(lambda: proxy.accepted > before, 30, f"{victim.name} to reconnect", pause=0.05)
    s.busiest_worker([victim])
    s.mark_fault({victim.name})
    outage = s.load.worker_timeout + 3
    cut = proxy.cut(refuse_for=outage)
    s.expect_late_rejections(victim)
    s.monitor.watch(victim.name)
    before = proxy.accepted
    time.sleep(outage)
    proxy.restore()
    wait_until(lambda: proxy.accepted > before, 60, f"{victim.name} to reconnect", pause=0.05)
    s.monitor.release(victim.name)
    s.notes.append(
        f"cut {blip} then {cut} connections of {victim.name}; kept it out {outage:g} s "
        f"with {len(s.stranded)} tasks held ({proxy.refused} connections refused)"
    )


def two_reapers(s: Stage) -> None:
    """Two more reapers run hewer.reap every 50 ms, released together, while the busiest
    worker is killed: each stranded attempt must be reaped exactly once."""
    s.reapers = ReaperLoops(s.dsn, s.load.worker_timeout, count=2).start()
    victim = s.busiest_worker()
    s.faulted.add(victim.name)
    s.mark_fault({victim.name})
    s.kill(victim)
    s.monitor.watch(victim.name)
    s.notes.append(f"killed {victim.name} while it ran {len(s.stranded)} tasks")
    s.add_worker(wait=False)


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Callable[[Stage], None]
    proxied: bool = False
    own_server: bool = False  # restarts PostgreSQL, so it cannot share a server
    # A worker timeout longer than the outage: workers are alive all along, and must keep
    # their tasks (see test_crashes.py for what happens when the outage is longer).
    min_worker_timeout: float = 0.0

    @property
    def summary(self) -> str:
        return " ".join((self.fault.__doc__ or "").split("\n\n")[0].split())


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("worker-kill", worker_kill),
        Scenario("dispatcher-kill", dispatcher_kill),
        Scenario("postgres-restart", postgres_restart, own_server=True, min_worker_timeout=10),
        Scenario("worker-freeze", worker_freeze),
        Scenario("connection-cut", connection_cut, proxied=True),
        Scenario("two-reapers", two_reapers),
    )
}


def run(
    scenario: Scenario,
    dsn: str,
    tmp: Path,
    load: Load,
    *,
    server: ScratchServer | None = None,
) -> Result:
    """Run one scenario on a fresh, migrated database `dsn`; its logs go to `tmp`."""
    started = time.monotonic()
    if load.worker_timeout < scenario.min_worker_timeout:
        load = dataclasses.replace(load, worker_timeout=scenario.min_worker_timeout)
    stage = Stage(scenario.name, dsn, tmp, load, server=server, proxied=scenario.proxied)
    try:
        stage.start()
        stage.submit()
        scenario.fault(stage)
        stage.finish()
        result = stage.verify()
    except Exception as exc:  # noqa: BLE001 - reported as the scenario's failure, with logs
        result = Result(scenario.name, violations=[f"{type(exc).__name__}: {exc}"], logs=tmp)
        with contextlib.suppress(Exception):
            result.notes.append(stage.diagnose())
    finally:
        stage.close()
    result.seconds = time.monotonic() - started
    return result
