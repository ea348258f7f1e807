"""What every server process of one runtime shares: the topology, the plant, the clock."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from emulator.control.metrics import Metrics
from emulator.faults.registry import Faults
from emulator.plant.clock import Clock, SystemClock
from emulator.plant.state import ChangeFeed, Plant
from emulator.ports import ProcessType
from emulator.processes.io_tickets import RemoteIo
from emulator.topology.model import Topology


class ProcessState(StrEnum):
    """The supervisor's state of one server process (docs/running.md, "Process states")."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    """A read-only snapshot of one server process, as the system-services process reports it."""

    computer: str
    process: str
    type: ProcessType
    state: ProcessState
    cluster: str | None = None
    #: Why it is stopped or failed (the bind error, "crashed", ...); None while all is well.
    reason: str | None = None
    #: When it last went running (plant clock), and its open connections (system services).
    started: float | None = None
    connections: int = 0


def _no_processes() -> tuple[ProcessStatus, ...]:
    return ()


def _no_state(key: tuple[str, str]) -> ProcessState | None:
    return None


@dataclass
class Context:
    topology: Topology
    clock: Clock = field(default_factory=SystemClock)
    changes: ChangeFeed = field(default_factory=ChangeFeed)
    #: Where state persists (alarm log, trend history, CA); None: everything in memory.
    state_dir: Path | None = None
    #: The supervisor's current view of every server process (set by the runtime).
    processes: Callable[[], tuple[ProcessStatus, ...]] = _no_processes
    #: The state of one server process by (computer, process), in O(1); None: not supervised.
    process_state: Callable[[tuple[str, str]], ProcessState | None] = _no_state
    #: Active faults (emulator.faults) and the metrics of every connection (emulator.control).
    faults: Faults = field(default_factory=Faults)
    metrics: Metrics = field(default_factory=Metrics)
    #: Seconds each computer's time server is off the plant clock (the shift_clock event).
    time_offsets: dict[str, float] = field(default_factory=dict)
    #: > 0 while a virtual-clock advance runs: the scheduler scans at each event's plant time
    #: and the scan loop (emulator.runtime.scan) stands aside.
    scans_held: int = 0
    #: The one Plant of the runtime (every tag's live value), built from the topology at once.
    plant: Plant = field(init=False, repr=False)
    #: Runtime-wide services the process modules make on first use, keyed by their class (the
    #: Pairs of emulator.processes.redundancy.pairs_of), so this module needs not import them.
    services: dict[type, object] = field(default_factory=dict, init=False, repr=False)
    #: The server password of the server ports (docs/protocol.md "Server authentication"): the
    #: topology's `[project] server_password`, else a random one for this run.
    server_password: str = field(init=False, repr=False)
    #: The I/O servers of other processes that serve some tags (`run --computer`); None when
    #: every I/O server runs here (emulator.processes.io_routes).
    io_routes: RemoteIo | None = field(default=None, init=False, repr=False)
    #: A table's records by case-folded cluster, for emulator.processes.serving.of_cluster.
    grouped: dict[int, tuple[Sequence[Any], int, dict[str, list[Any]]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.plant = Plant(self.topology, changes=self.changes, now=self.clock.now())
        configured = self.topology.project.server_password
        self.server_password = configured or secrets.token_urlsafe(24)
