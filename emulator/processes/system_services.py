"""The system services process (2087): which server processes run on this computer, how.

Each process with its type, cluster, mode, supervisor state, redundancy role (alarm: main or
standby; trends and reports: active or standby, as a client of this runtime would choose),
uptime and open connections. Requests: docs/protocol.md ("System services").
"""

from __future__ import annotations

from typing import Any

from emulator.ports import ProcessType
from emulator.processes.alarm import AlarmProcess
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context, ProcessState, ProcessStatus
from emulator.processes.redundancy import pairs_of
from emulator.processes.reports import ReportsProcess
from emulator.processes.serving import Quiet, Requests
from emulator.processes.trends import TrendsProcess
from emulator.protocol.messages import RequestId, ok
from emulator.topology.plan import Endpoint


def role_of(context: Context, status: ProcessStatus) -> str | None:
    """main/standby (alarm), active/standby (trends, reports); None for the others and for a
    process that is not running. The dashboard shows the same (emulator.dashboard.views)."""
    if status.state is not ProcessState.RUNNING:
        return None
    pairs = pairs_of(context)
    if status.type is ProcessType.ALARM:
        main = pairs.main(status.cluster, AlarmProcess)
        return "main" if main and main.endpoint.process == status.process else "standby"
    kinds: dict[ProcessType, type[TrendsProcess] | type[ReportsProcess]] = {
        ProcessType.TRENDS: TrendsProcess,
        ProcessType.REPORTS: ReportsProcess,
    }
    cls = kinds.get(status.type)
    if cls is None:
        return None
    chosen = pairs.active(status.type, status.cluster, cls)
    return "active" if chosen and chosen.endpoint.process == status.process else "standby"


class SystemServicesProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context

    def role(self, status: ProcessStatus) -> str | None:
        return role_of(self.context, status)

    def processes(self, now: float) -> list[dict[str, Any]]:
        modes = {p.name: p.mode for p in self.context.topology.server_processes}
        rows = []
        for status in self.context.processes():
            if status.computer != self.endpoint.computer:
                continue
            rows.append(
                {
                    "process": status.process,
                    "type": str(status.type),
                    "cluster": status.cluster,
                    "mode": modes.get(status.process),
                    "state": str(status.state),
                    "reason": status.reason,
                    "role": self.role(status),
                    "uptime": _uptime(status, now),
                    "connections": status.connections,
                }
            )
        return rows

    def connect(self, peer: Peer) -> SystemServicesHandler:
        return SystemServicesHandler(self)


def _uptime(status: ProcessStatus, now: float) -> float:
    """Seconds since the process last went running; 0 while it is not running."""
    if status.state is not ProcessState.RUNNING or status.started is None:
        return 0.0
    return round(max(now - status.started, 0.0), 3)


def create(endpoint: Endpoint, context: Context) -> SystemServicesProcess:
    """The factory the runtime registers for ProcessType.SYSTEM_SERVICES."""
    return SystemServicesProcess(endpoint, context)


class SystemServicesHandler(Quiet):
    def __init__(self, process: SystemServicesProcess) -> None:
        self.process = process

    def hello(self) -> Message:
        return {"requests": REQUESTS.names()}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def _processes(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        return [
            ok(
                rid,
                computer=self.process.endpoint.computer,
                processes=self.process.processes(now),
            )
        ]


REQUESTS: Requests[SystemServicesHandler] = Requests(
    "system services process", {"system.processes": SystemServicesHandler._processes}
)
