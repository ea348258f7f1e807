"""The alarm server database process (5482): queries over the alarm event log, local only.

It serves the logs of the alarm servers of its own computer (reference section 1: the port is
only between the alarm server and its database on the same computer), whether or not their
server process runs now; a connection from another host is refused with `not_local`.
Requests: docs/protocol.md ("Alarm database").
"""

from __future__ import annotations

from emulator.plant import almquery
from emulator.ports import ProcessType
from emulator.processes.alarm import MAX_EVENTS, AlarmProcess, event_record
from emulator.processes.base import Job, Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import pairs_of
from emulator.processes.serving import Quiet, Requests, optional
from emulator.protocol.errors import BAD_REQUEST, NOT_LOCAL, TAG_NOT_FOUND, ProtocolError
from emulator.protocol.messages import RequestId, field, ok
from emulator.topology.plan import Endpoint, is_loopback


class AlarmDatabaseProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context

    def servers(self) -> list[AlarmProcess]:
        """The alarm servers of this computer (their newest incarnation)."""
        return pairs_of(self.context).on_computer(
            ProcessType.ALARM, self.endpoint.computer, AlarmProcess
        )

    def server(self, name: str | None) -> AlarmProcess:
        servers = self.servers()
        if not servers:
            raise ProtocolError(TAG_NOT_FOUND, "no alarm server has started on this computer")
        if name is None:
            return servers[0]
        for server in servers:
            if server.endpoint.process.casefold() == name.casefold():
                return server
        known = ", ".join(s.endpoint.process for s in servers)
        raise ProtocolError(TAG_NOT_FOUND, f"no alarm server {name!r} here (servers: {known})")

    def connect(self, peer: Peer) -> AlarmDatabaseHandler:
        return AlarmDatabaseHandler(self, is_loopback(peer.host))


def create(endpoint: Endpoint, context: Context) -> AlarmDatabaseProcess:
    """The factory the runtime registers for ProcessType.ALARM_DB."""
    return AlarmDatabaseProcess(endpoint, context)


class AlarmDatabaseHandler(Quiet):
    def __init__(self, process: AlarmDatabaseProcess, local: bool) -> None:
        self.process = process
        self.local = local

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "local": self.local}

    def handle(self, request: Message, now: float) -> list[Message]:
        if not self.local:
            raise ProtocolError(NOT_LOCAL, "connect from this computer's loopback address")
        return REQUESTS.serve(self, request, now)

    def offload(self, request: Message, now: float) -> Job | None:
        if not self.local:
            return None  # `handle` refuses it
        return REQUESTS.offload(self, request, now)

    def _servers(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        names = [s.endpoint.process for s in self.process.servers()]
        return [ok(rid, servers=names)]

    def _events(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        server = self.process.server(optional(request, "server", str))
        limit = field(request, "limit", int, 1000)
        if not 1 <= limit <= MAX_EVENTS:
            raise ProtocolError(BAD_REQUEST, f"'limit' must be 1..{MAX_EVENTS}, not {limit}")
        events = server.alarms.events(
            optional(request, "start", (int, float)),
            optional(request, "end", (int, float)),
            optional(request, "tag", str),
            limit,
        )
        return [ok(rid, server=server.endpoint.process, events=[event_record(e) for e in events])]

    def _query(self, rid: RequestId, request: Message, now: float) -> Job:
        """Up to 100,000 records: the log is read now, the records are made off the loop."""
        server = self.process.server(optional(request, "server", str))
        query = almquery.parse(field(request, "query", str))
        events, name = almquery.fetch(server.alarms, query), server.endpoint.process

        def records() -> list[Message]:
            found = almquery.answer(query, events)
            return [ok(rid, server=name, records=[r.fields() for r in found])]

        return Job(records)


REQUESTS: Requests[AlarmDatabaseHandler] = Requests(
    "alarm database",
    {
        "db.servers": AlarmDatabaseHandler._servers,
        "db.events": AlarmDatabaseHandler._events,
    },
    {"db.query": AlarmDatabaseHandler._query},
)
