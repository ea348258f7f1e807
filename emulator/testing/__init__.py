"""Test support: a plant inside the test process (plant.py) and the pytest plugin (plugin.py).

Documented in docs/testing.md.
"""
