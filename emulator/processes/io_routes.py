"""Tags served by I/O servers of other processes (issue 15.1): the client side of one
`scada-emu run --computer X`, sans-IO. emulator.runtime.io_links dials and feeds it.

Each tag has its I/O servers in client order (emulator.processes.io_owners: owner, then the
cluster's standbys). The one serving a tag is the first that is up: a local one running in this
process, or a remote one whose link is synced (reference section 3: primary first, the standby
when the primary is gone). While a remote server serves a tag, this process's plant holds that
server's value (`io.sync` and its `io.synced` pushes) and its generators leave the tag alone;
CtAPI writes to it go to that server (`io.write`) and are acknowledged once it has acknowledged
them. A write to a tag a local server serves goes to the tag's remote servers that are up as a
replica before it is acknowledged. When no server of a tag is up, the tag's quality is bad
(#COM).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from emulator.logs import get_logger
from emulator.plant.devices import moved_by_generators
from emulator.plant.state import QUAL_BAD, Plant, TagState
from emulator.plant.tags import TagValueError
from emulator.processes.base import Message
from emulator.processes.io_owners import IoOwners
from emulator.processes.io_tickets import Ticket
from emulator.protocol.errors import (
    SERVER_UNAVAILABLE,
    TAG_NOT_FOUND,
    ErrorCode,
    ProtocolError,
)
from emulator.topology.model import Topology
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.io_routes")

#: Whether the server process (computer, name) of this runtime is running.
Running = Callable[[tuple[str, str]], bool]


@dataclass(frozen=True, slots=True)
class IoServer:
    """One I/O server as a client sees it: where it listens and on which computer it runs."""

    name: str
    computer: str
    address: str
    port: int
    #: Its computer is encrypted-only, so the port speaks TLS (not dialled yet: docs/protocol.md).
    tls: bool = False


@dataclass(slots=True)
class _Link:
    server: IoServer
    up: bool = False
    #: The latest record of each tag from this server, by case-folded name.
    latest: dict[str, Message] = field(default_factory=dict)
    queue: deque[Ticket] = field(default_factory=deque)
    #: Whether the link has had an outcome since this process started (synced, or failed).
    tried: bool = False


def _named(record: Message) -> bool:
    """Whether a record from a peer names a tag (anything else from the wire is skipped)."""
    return isinstance(record.get("tag"), str)


def _no_wake(server: str) -> None:
    return None


class IoRoutes:
    """Which I/O server serves each tag for this computer, and the links to remote ones."""

    def __init__(
        self,
        topology: Topology,
        endpoints: Iterable[Endpoint],
        computer: str,
        plant: Plant,
        *,
        running: Running,
        notify: Callable[[], None],
    ) -> None:
        self.plant = plant
        self._running = running
        self._notify = notify
        #: Told which server has writes to send (set by the runtime).
        self.wake: Callable[[str], None] = _no_wake
        #: Every I/O server by case-folded name (its first listener), local or not.
        self._servers: dict[str, IoServer] = {}
        for endpoint in endpoints:
            if endpoint.type == "io":
                self._servers.setdefault(
                    endpoint.process.casefold(),
                    IoServer(
                        endpoint.process,
                        endpoint.computer,
                        endpoint.address,
                        endpoint.port,
                        endpoint.tls,
                    ),
                )
        here = computer.casefold()
        self.links = {
            name: _Link(server)
            for name, server in self._servers.items()
            if server.computer.casefold() != here
        }
        owners = IoOwners(topology)
        #: Each tag's servers in client order (those that have a listener).
        self._order: dict[TagState, list[IoServer]] = {}
        for state in plant.tags:
            names = owners.servers(state.spec.cluster, state.spec.name)
            self._order[state] = [self._servers[n] for n in names if n in self._servers]
        #: Tags a generator moves (not held by a device: nothing to catch up).
        self._generated = moved_by_generators(plant, topology)
        #: Tags with a remote server, and which server last fed each (None: local or nobody).
        self._remote_tags = [s for s, order in self._order.items() if self._has_remote(order)]
        self._fed: dict[TagState, str | None] = dict.fromkeys(self._remote_tags)

    def _has_remote(self, order: list[IoServer]) -> bool:
        return any(s.name.casefold() in self.links for s in order)

    # ---- which server serves ------------------------------------------------------------------

    def serving(self, state: TagState) -> IoServer | None:
        """The first of the tag's servers that is up; None when none is."""
        for server in self._order.get(state, ()):
            link = self.links.get(server.name.casefold())
            if link is not None:
                if link.up:
                    return server
            elif self._running((server.computer, server.name)):
                return server
        return None

    def remote_serving(self, state: TagState) -> IoServer | None:
        """The remote server that serves the tag now; None when a local one does (or none)."""
        server = self.serving(state)
        return server if server is not None and server.name.casefold() in self.links else None

    def follows(self, name: str) -> bool:
        """Whether the tag's value comes from another process now, so generators leave it."""
        try:
            state = self.plant.tag(name)
        except ProtocolError:
            return False
        return state in self._fed and self.remote_serving(state) is not None

    # ---- what the links report ------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Before any link is up: tags none of whose servers runs here are bad until synced."""
        self._reroute(now)

    def synced(self, server: str, records: list[Message], now: float) -> None:
        """A link to `server` is up and sent every tag it serves (the `io.sync` reply)."""
        link = self.links[server.casefold()]
        link.up = True
        link.latest = {r["tag"].casefold(): r for r in records if isinstance(r, dict) and _named(r)}
        _log.info("io_routes.synced", server=link.server.name, tags=len(records))
        self._reroute(now)
        self._catch_up(link, now)
        link.tried = True

    def _catch_up(self, link: _Link, now: float) -> None:
        """On a link's first sync since this process started: a peer that drove a tag itself
        (the standby, while this primary was gone) holds what its device was written; the
        tags served here take those values, as writes to the device. Tags a generator moves
        are left to it (they are made anew, not held)."""
        if link.tried:
            return
        taken = 0
        for state in self._remote_tags:
            serving = self.serving(state)
            if serving is None or serving.name.casefold() in self.links:
                continue  # nobody serves it here, or another process does
            if link.server not in self._order[state] or state in self._generated:
                continue
            record = link.latest.get(state.spec.name.casefold())
            if record is not None and record.get("served") is True:
                self._apply(state, record, now, write=True)
                taken += 1
        if taken:
            _log.info("io_routes.caught_up", server=link.server.name, tags=taken)

    @property
    def ready(self) -> bool:
        """Whether every link has had its first outcome, so the tags served here have caught up
        from whichever peer was reachable: until then this process's I/O servers do not answer
        `io.sync` (a follower must not take values older than the peer's)."""
        return all(link.tried for link in self.links.values())

    def update(self, server: str, record: Message, now: float) -> None:
        """A change pushed by `server` (`io.synced`), or the state an `io.write` reply carries."""
        link = self.links[server.casefold()]
        if not _named(record):
            return
        name = record["tag"].casefold()
        try:
            state = self.plant.tag(name)
        except ProtocolError:
            return
        link.latest[name] = record
        if self._fed.get(state) == link.server.name.casefold():
            self._apply(state, record, now)

    def lost(self, server: str, why: str, now: float) -> None:
        """The link to `server` is down: its writes fail, its tags move to the next server."""
        link = self.links[server.casefold()]
        if link.up:
            _log.warning("io_routes.lost", server=link.server.name, reason=why)
        link.up = False
        link.tried = True
        while link.queue:
            self.finish(link.queue.popleft(), (SERVER_UNAVAILABLE, why))
        self._reroute(now)

    def _reroute(self, now: float) -> None:
        """Each remote-capable tag fed by the server that serves it now; bad when none does."""
        for state in self._remote_tags:
            server = self.serving(state)
            key = None if server is None else server.name.casefold()
            remote = key if key in self.links else None
            if remote == self._fed[state] and remote is not None:
                continue
            self._fed[state] = remote
            if remote is not None:
                record = self.links[remote].latest.get(state.spec.name.casefold())
                if record is not None:
                    self._apply(state, record, now)
            elif server is None:
                self.plant.set_quality(state.spec.name, QUAL_BAD, now)

    def _apply(self, state: TagState, record: Message, now: float, *, write: bool = False) -> None:
        """Hold a peer's record: its values and quality, stamped with its value timestamp (so
        a returning peer can tell whose is newer); `write`: as a write to the device."""
        values = record.get("values")
        quality = record.get("quality")
        stamp = record.get("value_timestamp")
        if not isinstance(values, list) or not isinstance(quality, int):
            _log.warning("io_routes.bad_record", tag=state.spec.name)
            return
        changed = False
        try:
            for index, value in enumerate(values[: state.spec.array_size]):
                changed |= self.plant.set_value(
                    state.spec.name, value, now, index=index, quality=quality, write=write
                )
        except (ProtocolError, TagValueError, ValueError) as exc:
            _log.warning("io_routes.apply_failed", tag=state.spec.name, error=str(exc))
        if changed and isinstance(stamp, int | float) and not isinstance(stamp, bool):
            state.value_timestamp = float(stamp)

    # ---- writes --------------------------------------------------------------------------------

    def submit(self, tag: str, value: str, user: str | None) -> Ticket | None:
        """A CtAPI write: a ticket when a remote server serves the tag, None to write locally;
        server_unavailable when the tag has remote servers and none of its servers is up."""
        state = self._state_of(tag)
        if state is None or state not in self._fed:
            return None
        server = self.serving(state)
        if server is None:
            names = ", ".join(s.name for s in self._order[state])
            raise ProtocolError(
                SERVER_UNAVAILABLE,
                f"no I/O server of {state.spec.name} ({names}) is reachable; the write works "
                "again once one is",
            )
        link = self.links.get(server.name.casefold())
        if link is None:
            return None
        return self._queue(link, Ticket(link.server.name, tag, value, user))

    def replicate(self, tag: str, value: str, user: str | None) -> list[Ticket]:
        """A write done here to a tag a local server serves: the same write, as a replica, for
        each of the tag's other servers that is remote and up (its standby), so the write is
        on them before it is acknowledged; [] when there are none."""
        state = self._state_of(tag)
        if state is None or state not in self._fed or self._fed[state] is not None:
            return []
        tickets = []
        for server in self._order[state]:
            link = self.links.get(server.name.casefold())
            if link is not None and link.up:
                ticket = Ticket(link.server.name, tag, value, user, replica=True)
                tickets.append(self._queue(link, ticket))
        return tickets

    def _state_of(self, tag: str) -> TagState | None:
        """The plant tag a write names; None for anything else (an alarm's `.Ack`, ...), which
        the writer's own references write."""
        try:
            return self.plant.resolve(tag).state
        except ProtocolError as exc:
            if exc.error == TAG_NOT_FOUND:
                return None
            raise

    def _queue(self, link: _Link, ticket: Ticket) -> Ticket:
        link.queue.append(ticket)
        self.wake(link.server.name)
        return ticket

    def take(self, server: str) -> list[Ticket]:
        """The writes waiting for `server`, in order; the link sends them."""
        queue = self.links[server.casefold()].queue
        taken = list(queue)
        queue.clear()
        return taken

    def finish(self, ticket: Ticket, error: tuple[ErrorCode, str] | None) -> None:
        """The server answered a write (or the link went): the waiting connection replies."""
        ticket.done, ticket.error = True, error
        self._notify()
