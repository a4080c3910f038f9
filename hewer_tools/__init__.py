"""Tools around the engine, behind `hewer dev`, `hewer bench` and `hewer chaos`: the demo,
the benchmarks, the crash scenarios and soaks, and the process harness they share with the
tests. Installed with the package; the runtime (pydispatch) never imports them."""
