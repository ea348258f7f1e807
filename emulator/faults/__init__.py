"""Fault injection, Toxiproxy-style: named faults with attributes and a toxicity.

`toxics` decides what a fault does to bytes and requests (sans-IO); `registry` keeps which
faults are active and what each connection gets; `injector` applies process-level faults to the
supervisor. Documented in docs/scenarios.md ("Faults").
"""

from emulator.faults.registry import FaultError, Faults, LinkFaults
from emulator.faults.toxics import Transmission

__all__ = ["FaultError", "Faults", "LinkFaults", "Transmission"]
