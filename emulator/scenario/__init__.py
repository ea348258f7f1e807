"""Scenarios: generators per tag, a timeline of events and the clock that drives them.

config (the TOML tables), generators and timeline (pure engines on a fixed grid of plant time),
expression (Cicode expressions of tags), rules (compile checks), runner (drives a running plant).
Documented in docs/scenarios.md.
"""
