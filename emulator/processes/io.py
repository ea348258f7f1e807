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
from emulator.processes.serving import Requests, user_of
from emulator.protocol.errors import BAD_REQUEST, TAG_NOT_FOUND, ProtocolError
from emulator.protocol.messages import RequestId, event, field, ok
from emulator.topology.plan import Endpoint

#: Most tags one read or subscription names.
MAX_TAGS = 1000


def owned_tags(context: Context, endpoint: Endpoint, plant: Plant) -> dict[str, TagState]:
    """The tags this I/O server serves, by case-folded name.

    A tag's owner is the I/O server its `io_server` names, else its cluster's first primary I/O
    server. A standby I/O server also serves every tag its cluster's primaries own: in Plant
    SCADA the standby takes over its primary's I/O devices when the primary fails, so a client
    that fails over finds the same tags there. Which standby backs which primary is not
    published; here every standby of a cluster backs all of its primaries (ours to decide).
    """
    owners = context.io_owners
    if owners is None or owners.plant is not plant:
        owners = context.io_owners = IoOwners.of(context, plant)
    me = endpoint.process.casefold()
    mine = owners.by_owner.get(me, [])
    if me in owners.standbys:
        backed = [
            (position, name, state)
            for position, name, owner, state in owners.by_cluster.get(
                (endpoint.cluster or "").casefold(), ()
            )
            if owner != me and owner not in owners.standbys
        ]
        mine = sorted([*mine, *backed], key=lambda entry: entry[0])
    return {name: state for _, name, state in mine}


@dataclass(frozen=True, slots=True)
class IoOwners:
    """Every tag's owning I/O server, worked out once for all the I/O servers of a runtime (each
    one scanning every tag was quadratic in a large plant)."""

    plant: Plant
    standbys: frozenset[str]
    #: Owner (case-folded process name) -> (plant position, case-folded name, state) of its tags.
    by_owner: dict[str, list[tuple[int, str, TagState]]]
    #: Case-folded cluster -> (plant position, name, owner, state) of its tags.
    by_cluster: dict[str, list[tuple[int, str, str, TagState]]]

    @classmethod
    def of(cls, context: Context, plant: Plant) -> IoOwners:
        topology = context.topology
        clusters = [c.name for c in topology.clusters]
        only = clusters[0] if len(clusters) == 1 else None
        first_io: dict[str, str] = {}
        standbys: set[str] = set()
        for process in sorted(
            (p for p in topology.server_processes if p.type == "io"),
            key=lambda p: p.mode != "primary",
        ):
            cluster = (process.cluster or only or "").casefold()
            first_io.setdefault(cluster, process.name.casefold())
            if process.mode == "standby":
                standbys.add(process.name.casefold())
        #: Each tag's configured I/O server by (cluster, name), the first of duplicates as the
        #: Plant.
        servers: dict[tuple[str, str], str | None] = {}
        for tag in topology.tags:
            key = ((tag.cluster or only or "").casefold(), tag.name.casefold())
            servers.setdefault(key, tag.io_server)
        by_owner: dict[str, list[tuple[int, str, TagState]]] = {}
        by_cluster: dict[str, list[tuple[int, str, str, TagState]]] = {}
        for position, state in enumerate(plant.tags):
            cluster = (state.spec.cluster or "").casefold()
            name = state.spec.name.casefold()
            owner = (servers.get((cluster, name)) or first_io.get(cluster, "")).casefold()
            by_owner.setdefault(owner, []).append((position, name, state))
            by_cluster.setdefault(cluster, []).append((position, name, owner, state))
        return cls(plant, frozenset(standbys), by_owner, by_cluster)


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

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "tags": len(self.process.tags)}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def poll(self, now: float) -> list[Message]:
        pushes = []
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
        self.process.plant.write(tag, field(request, "value", str), now, user_of(request) or None)
        return [ok(rid)]

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
    },
)
