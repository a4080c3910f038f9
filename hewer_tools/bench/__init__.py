"""`hewer bench`: Hewer against its peers (workloads.py, peers.py), event latency
(events.py), tenant isolation's cost (tenants.py), profiles (profile.py), and the cycle and
end-to-end measures (run.py). See docs/benchmarks.md."""
