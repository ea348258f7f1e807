"""The I/O server process (2082): the tags it owns, read, written and subscribed with a deadband.

A tag belongs to the I/O server its `io_server` names, else to the first primary I/O server of
its cluster; a standby I/O server serves its cluster's primaries' tags too (docs/plant.md
"Tags"). Values are the plant's (engineering units, formatted as CtAPI
shows them). Requests: docs/protocol.md ("I/O server").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from emulator.plant.state import Plant, Reading, TagState
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context
from emulator.processes.io_owners import IoOwners
from emulator.processes.io_sync import SyncFeed, sync_record
from emulator.processes.io_tickets import Waiting
from emulator.processes.serving import Requests, user_of
from emulator.protocol.errors import BAD_REQUEST, SERVER_UNAVAILABLE, TAG_NOT_FOUND, ProtocolError
from emulator.protocol.messages import RequestId, event, field, ok
from emulator.topology.plan import Endpoint

#: Most tags one read or subscription names.
MAX_TAGS = 1000


def owned_tags(context: Context, endpoint: Endpoint, plant: Plant) -> dict[str, TagState]:
    """The tags this I/O server serves, by case-folded name: those it owns and, on a standby,
    those its cluster's primaries own (emulator.processes.io_owners). Worked out once for all
    the I/O servers of a runtime: each one scanning every tag was quadratic in a large plant."""
    served = context.services.get(ServedTags)
    if not isinstance(served, ServedTags) or served.plant is not plant:
        served = context.services[ServedTags] = ServedTags.of(context, plant)
    return served.by_server.get(endpoint.process.casefold(), {})


@dataclass(frozen=True, slots=True)
class ServedTags:
    """Every I/O server's tags (case-folded server -> case-folded tag -> state), in plant
    order, by the one rule of emulator.processes.io_owners."""

    plant: Plant
    by_server: dict[str, dict[str, TagState]]

    @classmethod
    def of(cls, context: Context, plant: Plant) -> ServedTags:
        owners = IoOwners(context.topology)
        by_server: dict[str, dict[str, TagState]] = {}
        for state in plant.tags:
            name = state.spec.name.casefold()
            for server in owners.servers(state.spec.cluster, state.spec.name):
                by_server.setdefault(server, {})[name] = state
        return cls(plant, by_server)


class IoProcess:
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context
        self.plant = context.plant

    @cached_property
    def tags(self) -> dict[str, TagState]:
        """Its tags, worked out when a client first asks (not while a large plant starts)."""
        return owned_tags(self.context, self.endpoint, self.plant)

    def connect(self, peer: Peer) -> IoHandler:
        return IoHandler(self)


def create(endpoint: Endpoint, context: Context) -> IoProcess:
    """The factory the runtime registers for ProcessType.IO."""
    return IoProcess(endpoint, context)


def reading_record(name: str, reading: Reading) -> dict[str, Any]:
    return {
        "tag": name,
        "value": reading.value,
        "quality": reading.quality.general,
        "timestamp": reading.value_timestamp,
    }


@dataclass(slots=True)
class _Watch:
    name: str
    deadband: float
    sent: Reading | None = None


class IoHandler:
    def __init__(self, process: IoProcess) -> None:
        self.process = process
        self.watches: dict[str, _Watch] = {}
        #: Set by `io.sync`: a peer server that follows every tag this server serves.
        self.sync: SyncFeed | None = None
        #: Writes done, waiting for their replicas on the tag's other servers, with their reply.
        self.replicating: list[tuple[Waiting, Message]] = []

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "tags": len(self.process.tags)}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def poll(self, now: float) -> list[Message]:
        pushes = []
        while self.replicating and self.replicating[0][0].done:
            pushes.append(self.replicating.pop(0)[1])
        if self.sync is not None:
            pushes += self.sync.pushes()
        for watch in self.watches.values():
            reading = self.process.plant.read(watch.name)
            if _moved(watch, reading):
                watch.sent = reading
                pushes.append(event("io.change", **reading_record(watch.name, reading)))
        return pushes

    def next_wakeup(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        self.watches.clear()
        self.sync = None
        self.replicating.clear()

    def _owned(self, name: str) -> str:
        state = self.process.plant.resolve(name).state
        if state.spec.name.casefold() not in self.process.tags:
            raise ProtocolError(
                TAG_NOT_FOUND,
                f"{self.process.endpoint.process} owns no tag {name!r} (io.tags lists its tags)",
            )
        return name

    def _names(self, request: Message) -> list[str]:
        names = field(request, "tags", list)
        if not 1 <= len(names) <= MAX_TAGS or not all(isinstance(n, str) for n in names):
            raise ProtocolError(BAD_REQUEST, f"'tags' must list 1..{MAX_TAGS} tag names")
        return [self._owned(n) for n in names]

    def _tags(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tags = [
            {
                "name": s.spec.name,
                "cluster": s.spec.cluster,
                "type": s.spec.type,
                "units": s.spec.units,
                "writable": s.spec.writable,
                "array_size": s.spec.array_size,
            }
            for s in self.process.tags.values()
        ]
        return [ok(rid, tags=tags)]

    def _read(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        plant = self.process.plant
        values = [reading_record(n, plant.read(n)) for n in self._names(request)]
        return [ok(rid, values=values)]

    def _write(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag = self._owned(field(request, "tag", str))
        value, user = field(request, "value", str), user_of(request) or None
        replica = field(request, "replica", bool, False)
        plant = self.process.plant
        plant.write(tag, value, now, user)
        routes = self.process.context.io_routes
        reply = ok(rid, state=sync_record(plant.resolve(tag).state))
        if not replica and routes is not None and (replicas := routes.replicate(tag, value, user)):
            self.replicating.append((Waiting(rid, tuple(replicas), strict=False), reply))
            return []
        return [reply]

    def _sync(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        routes = self.process.context.io_routes
        if routes is not None and not routes.ready:
            raise ProtocolError(
                SERVER_UNAVAILABLE,
                f"{self.process.endpoint.process} is catching up from its peers; ask again",
            )
        self.sync = SyncFeed(self.process.tags, None if routes is None else routes.follows)
        return [ok(rid, tags=self.sync.snapshot())]

    def _subscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        names = self._names(request)
        deadband = float(field(request, "deadband", (int, float), 0.0))
        if not deadband >= 0:
            raise ProtocolError(BAD_REQUEST, "'deadband' must be a number >= 0")
        values = []
        for name in names:
            reading = self.process.plant.read(name)
            self.watches[name.casefold()] = _Watch(name, deadband, reading)
            values.append(reading_record(name, reading))
        return [ok(rid, values=values)]

    def _unsubscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        for name in self._names(request):
            self.watches.pop(name.casefold(), None)
        return [ok(rid)]


def _moved(watch: _Watch, reading: Reading) -> bool:
    sent = watch.sent
    if sent is None or sent.quality != reading.quality:
        return True
    if sent.number is not None and reading.number is not None:
        return abs(reading.number - sent.number) > watch.deadband
    return sent.value != reading.value


REQUESTS: Requests[IoHandler] = Requests(
    "I/O server",
    {
        "io.tags": IoHandler._tags,
        "io.read": IoHandler._read,
        "io.write": IoHandler._write,
        "io.subscribe": IoHandler._subscribe,
        "io.unsubscribe": IoHandler._unsubscribe,
        "io.sync": IoHandler._sync,
    },
)
