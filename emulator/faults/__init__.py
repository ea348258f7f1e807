"""Fault injection, Toxiproxy-style: named faults with attributes and a toxicity.

`toxics` decides what a fault does to bytes and requests (sans-IO); `registry` keeps which
faults are active and what each connection gets; `handler` wraps a process handler for the
request-level faults (error_reply, hang). The process-level actions (down, crash) go through the
supervisor, from emulator.control.manager. Documented in docs/scenarios.md ("Faults").
"""

from emulator.faults.registry import FaultError, Faults, LinkFaults
from emulator.faults.toxics import Transmission

__all__ = ["FaultError", "Faults", "LinkFaults", "Transmission"]
