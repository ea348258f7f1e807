"""What every server process of one runtime shares: the topology, the plant, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emulator.plant.clock import Clock, SystemClock
from emulator.plant.state import ChangeFeed
from emulator.topology.model import Topology


@dataclass
class Context:
    topology: Topology
    clock: Clock = field(default_factory=SystemClock)
    changes: ChangeFeed = field(default_factory=ChangeFeed)
    #: Where state persists (alarm log, trend history, CA); None: everything in memory.
    state_dir: Path | None = None
