"""The benchmark harness: one fast load generator driven against the emulator and its peers.

Run it with `make bench` (stable medians) or `make bench-quick` (under a minute); results go to
bench/results/latest.json and the table in docs/performance.md. Not part of `make test`.
"""
