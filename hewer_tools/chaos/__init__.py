"""The chaos suite: real processes killed, frozen and cut off under load, then invariants checked.

workload.py   the workflow the workers run; every execution records its side effects
processes     hewer_tools/processes.py starts and signals the dispatcher and worker processes
pgserver.py   a scratch PostgreSQL that can be crashed (pg_ctl stop -m immediate)
faults.py     a TCP proxy that cuts connections, concurrent reaper loops
invariants.py what must hold afterwards, in the database and in the recorded side effects
stage.py      one scenario's system (processes, load, observers) and its checks
scenarios.py  the crash scenarios and their runner (used by pytest and `hewer chaos`)
soak.py       a steady load for minutes, sampling memory and table sizes

See docs/chaos.md.
"""
