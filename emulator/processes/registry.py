"""Which Process the runtime starts for each process type.

A process module adds its factory here with a one-line edit to FACTORIES. A type without one
runs the generic process: it says hello and answers ping (emulator.protocol.connection), and
answers every other request with `unknown_request`, so a listener is never silently a stub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from emulator.ports import ProcessType
from emulator.processes import (
    alarm,
    alarm_db,
    ctapi,
    io,
    odbc,
    reports,
    system_services,
    time_sync,
    trends,
)
from emulator.processes import cicode_servers as _cicode_servers  # noqa: F401 (registers them)
from emulator.processes.base import Handler, Message, Peer, Process
from emulator.processes.context import Context
from emulator.processes.serving import Quiet
from emulator.protocol.errors import UNKNOWN_REQUEST, ProtocolError
from emulator.topology.plan import Endpoint

ProcessFactory = Callable[[Endpoint, Context], Process]


class GenericHandler(Quiet):
    """A connection to a process type with no behaviour yet: hello and ping only."""

    def __init__(self, process_type: ProcessType) -> None:
        self.process_type = process_type

    def hello(self) -> Message:
        return {"requests": ["ping"]}

    def handle(self, request: Message, now: float) -> list[Message]:
        raise ProtocolError(
            UNKNOWN_REQUEST,
            f"{request.get('op')!r}: the {self.process_type} process of this emulator "
            "answers only 'ping' so far",
        )


class GenericProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint

    def connect(self, peer: Peer) -> Handler:
        return GenericHandler(self.endpoint.type)


#: One factory per process type that has behaviour; see the module docstring.
FACTORIES: dict[ProcessType, ProcessFactory] = {
    ProcessType.CTAPI: ctapi.create,
    ProcessType.ALARM: alarm.create,
    ProcessType.TRENDS: trends.create,
    ProcessType.REPORTS: reports.create,
    ProcessType.IO: io.create,
    ProcessType.TIME_SYNC: time_sync.create,
    ProcessType.SYSTEM_SERVICES: system_services.create,
    ProcessType.ALARM_DB: alarm_db.create,
    ProcessType.ODBC: odbc.create,
}


def factory_for(
    process_type: ProcessType, factories: Mapping[ProcessType, ProcessFactory] | None = None
) -> ProcessFactory:
    """The factory of a type, or the generic process when none is registered."""
    table = FACTORIES if factories is None else factories
    return table.get(process_type, GenericProcess)
