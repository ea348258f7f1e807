"""Alarm servers of other processes (issue 15.2): who is main of a cluster across
`scada-emu run --computer` processes, sans-IO. emulator.runtime.alarm_links dials and feeds it.

Across processes the main is the best-ranked alarm server that is up (reference section 3: the
primary first, by `priority`; the standby when the primary is gone). A local server is standby
while the link to a better-ranked peer is synced (`alarm.sync` answered): it evaluates nothing,
takes the peer's log and statuses, then every event the peer commits (`alarm.synced`). When
that link is lost it is main, and when the peer returns it hands back. A returning server takes
the log of the peer that was main meanwhile before it answers `alarm.sync` or becomes main.
Operator actions a standby's engine commits (acknowledge, disable, enable) are pushed to the
main too, which applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import msgspec

from emulator.logs import get_logger
from emulator.plant.alarms import AlarmEvent, AlarmSnapshot
from emulator.ports import ProcessType
from emulator.processes.base import Message
from emulator.processes.redundancy import DEFAULT_PRIORITY
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.alarm_peers")

#: The push a syncing peer gets for each event the alarm server commits.
SYNCED = "alarm.synced"
#: Seconds a reply to an operator action waits at most for the peers' `alarm.applied` (the
#: links' request timeout): a peer gone silent delays it, never blocks it.
HOLD = 2.0
#: Events a main takes from a standby peer: the operator's, not the scan's.
OPERATOR = frozenset({"ack", "disable", "enable"})


class Follower(Protocol):
    """A local alarm server, as the peers drive it."""

    @property
    def endpoint(self) -> Endpoint: ...

    def follow(self, peer: str, snapshot: AlarmSnapshot) -> None: ...

    def mirror(self, events: list[AlarmEvent]) -> None: ...

    def take_actions(self, peer: str, snapshot: AlarmSnapshot) -> None: ...

    def committed_last(self) -> int:
        """The number of the last operator action its engine committed (0: none yet)."""
        ...

    def confirmed(self, mark: int) -> bool:
        """Whether every peer syncing from it has applied its operator events up to `mark`."""
        ...


def rank(endpoint: Endpoint) -> tuple[int, bool, str]:
    """Lower is better: priority, then the primary before the standby, then the name."""
    priority = endpoint.priority or DEFAULT_PRIORITY
    return (priority, endpoint.mode == "standby", endpoint.process.casefold())


@dataclass(slots=True)
class PeerLink:
    server: Endpoint
    up: bool = False
    #: Whether the link has had an outcome since this process started (synced, or failed).
    tried: bool = False


def _no_resync(server: str) -> None:
    return None


def _cluster(endpoint: Endpoint) -> str:
    return (endpoint.cluster or "").casefold()


class AlarmPeers:
    """The links to the alarm servers of other processes that share a cluster with this one's."""

    def __init__(self, everywhere: Iterable[Endpoint], here: Iterable[Endpoint]) -> None:
        local = [e for e in here if e.type is ProcessType.ALARM]
        clusters = {_cluster(e) for e in local}
        computers = {e.computer.casefold() for e in local}
        self.links: dict[str, PeerLink] = {}
        for endpoint in everywhere:
            if (
                endpoint.type is ProcessType.ALARM
                and _cluster(endpoint) in clusters
                and endpoint.computer.casefold() not in computers
            ):
                self.links.setdefault(endpoint.process.casefold(), PeerLink(endpoint))
        self._followers: dict[str, Follower] = {}
        #: Told to sync a link again from the start (set by the runtime).
        self.resync: Callable[[str], None] = _no_resync

    def join(self, follower: Follower) -> None:
        """A local alarm server was made (first start or restart): it replaces its old self,
        and the links of its cluster that are up sync again, so it takes the peers' state."""
        self._followers[follower.endpoint.process.casefold()] = follower
        for link in self._cluster_links(follower.endpoint):
            if link.up:
                self.resync(link.server.process)

    def _cluster_links(self, endpoint: Endpoint) -> list[PeerLink]:
        return [link for link in self.links.values() if _cluster(link.server) == _cluster(endpoint)]

    def followed(self, endpoint: Endpoint) -> str | None:
        """The remote main a local server follows now; None when it is main itself (here)."""
        better = [
            link.server
            for link in self._cluster_links(endpoint)
            if link.up and rank(link.server) < rank(endpoint)
        ]
        return min(better, key=rank).process if better else None

    def ready(self, endpoint: Endpoint) -> bool:
        """Whether each link of the server's cluster has had its first outcome, so it has caught
        up from whichever peer was main: until then it neither is main nor answers `alarm.sync`."""
        return all(link.tried for link in self._cluster_links(endpoint))

    # ---- what the links report ------------------------------------------------------------------

    def synced(self, server: str, role: object, snapshot: object) -> None:
        """A link is up: `role` and `snapshot` are the peer's `alarm.sync` reply."""
        link = self.links[server.casefold()]
        try:
            taken = msgspec.convert(snapshot, AlarmSnapshot)
        except (msgspec.ValidationError, TypeError) as exc:
            _log.warning("alarm_peers.bad_snapshot", server=link.server.process, error=str(exc))
            taken = None
        first = not link.tried
        link.up, link.tried = True, True
        _log.info("alarm_peers.synced", server=link.server.process, role=role)
        for follower in self._local(link.server):
            better = rank(link.server) < rank(follower.endpoint)
            if taken is None:
                continue
            # Follow a better peer; on return, catch up from a worse one that was main; else
            # take the operator actions the standby's engine logged while this link was down.
            if better or (first and role == "main"):
                follower.follow(link.server.process, taken)
            else:
                follower.take_actions(link.server.process, taken)

    def pushed(self, server: str, record: Message) -> int | None:
        """An event the peer committed (`alarm.synced`); its `seq` when it is an operator
        action applied here, for the link to confirm (`alarm.applied`)."""
        link = self.links[server.casefold()]
        seq = record.get("seq")
        record = {k: v for k, v in record.items() if k not in ("event", "state", "seq")}
        try:
            item = msgspec.convert(record, AlarmEvent)
        except (msgspec.ValidationError, TypeError) as exc:
            _log.warning("alarm_peers.bad_event", server=link.server.process, error=str(exc))
            return None
        for follower in self._local(link.server):
            following = self.followed(follower.endpoint) == link.server.process
            if following or item.kind in OPERATOR:
                follower.mirror([item])
        if item.kind in OPERATOR and isinstance(seq, int) and not isinstance(seq, bool):
            return seq
        return None

    # ---- holding an operator action's reply until the peers have it -------------------------

    def marks(self) -> dict[str, int]:
        """Where each local alarm server's operator actions are now (before a request)."""
        return {name: f.committed_last() for name, f in self._followers.items()}

    def unconfirmed(self, marks: dict[str, int]) -> dict[str, int]:
        """The local servers that committed operator actions since `marks` that a peer has not
        yet confirmed, with the mark to wait for; {} when the reply may go now."""
        waits = {}
        for name, follower in self._followers.items():
            last = follower.committed_last()
            if last > marks.get(name, last) and not follower.confirmed(last):
                waits[name] = last
        return waits

    def confirmed(self, waits: dict[str, int]) -> bool:
        """Whether the peers have confirmed each wait (a server made anew meanwhile: moot)."""
        for name, mark in waits.items():
            follower = self._followers.get(name)
            if follower is not None and not follower.confirmed(mark):
                return False
        return True

    def lost(self, server: str, why: str) -> None:
        link = self.links[server.casefold()]
        if link.up:
            _log.warning("alarm_peers.lost", server=link.server.process, reason=why)
        link.up, link.tried = False, True

    def _local(self, peer: Endpoint) -> list[Follower]:
        return [f for f in self._followers.values() if _cluster(f.endpoint) == _cluster(peer)]


def alarm_peers_for(everywhere: list[Endpoint], here: list[Endpoint]) -> AlarmPeers | None:
    """The peers of a runtime of one computer; None when no alarm server here has one."""
    peers = AlarmPeers(everywhere, here)
    return peers if peers.links else None
