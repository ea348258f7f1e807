"""Who serves a cluster: the alarm main, and the trends/reports server a client would use.

Reference section 3. Alarm pairs have a *main*: by default the first to start; when servers
start together (or the main fails), the running one with the best `priority` (lower number),
ties by start order; a server whose history file was found empty or damaged loses to one whose
history is intact (docs/plant.md, "Persistence"). A server that starts while a main runs
becomes standby and is synchronised from it. Reports and trends clients try the primary first,
then the standby; once on the standby they stay there when the primary returns, unless the
primary has a higher priority; if their server fails they go to the other. `choose` is that
rule as a pure function, shared by the CtAPI process and the Python client
(emulator.client.cluster).

One `Pairs` per runtime (`pairs_of(context)`); server processes join it when the supervisor
makes them, and it asks the supervisor's states (`Context.processes`) who is running.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from emulator.logs import get_logger
from emulator.ports import ProcessType, type_title
from emulator.processes.context import Context, ProcessState
from emulator.protocol.errors import SERVER_UNAVAILABLE, ProtocolError
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.redundancy")

#: A server process's default `priority` (reference section 3: 1-32767, default 1).
DEFAULT_PRIORITY = 1


class Member(Protocol):
    """A server process that takes part in a cluster's redundancy."""

    @property
    def endpoint(self) -> Endpoint: ...


M = TypeVar("M", bound=Member)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the client rule needs to know of one server of a pair."""

    name: str
    primary: bool
    priority: int
    running: bool


def choose(current: str | None, servers: Sequence[Candidate]) -> str | None:
    """The server a reports/trends client uses (reference section 3); None when none runs.

    Stay on `current` while it runs, unless it is a standby and a running primary has a higher
    priority (a lower number); otherwise the primary first, then the standby.
    """
    running = [s for s in servers if s.running]
    if not running:
        return None
    by_name = {s.name: s for s in running}
    primaries = sorted((s for s in running if s.primary), key=lambda s: s.priority)
    if current in by_name:
        now = by_name[current]
        if now.primary or not primaries or primaries[0].priority >= now.priority:
            return current
        return primaries[0].name
    if primaries:
        return primaries[0].name
    return min(running, key=lambda s: s.priority).name


def choose_alarm(current: str | None, servers: Sequence[Candidate]) -> str | None:
    """The alarm server a client uses (reference section 3); None when none runs.

    The best priority (lowest number) available; with equal priorities a client moves only
    when it loses its current server. Ties go to the primary.
    """
    running = {s.name: s for s in servers if s.running}
    if not running:
        return None
    best = min(running.values(), key=lambda s: (s.priority, not s.primary))
    if current in running and running[current].priority <= best.priority:
        return current
    return best.name


def _cluster_key(cluster: str | None) -> str:
    return (cluster or "").casefold()


class Pairs:
    """The redundancy state of one runtime: members by type and cluster, mains, client choices."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._members: dict[tuple[str, str], object] = {}
        #: The members of each (type, cluster), so a lookup costs the pair, not the runtime.
        self._groups: dict[tuple[ProcessType, str], dict[tuple[str, str], object]] = {}
        self._order: dict[tuple[str, str], int] = {}
        self._sequence = itertools.count()
        self._mains: dict[str, tuple[str, str]] = {}
        self._chosen: dict[tuple[ProcessType, str], str] = {}
        #: False until the runtime's first scan: servers started together elect by priority
        #: then, instead of the first one made becoming main before the others exist.
        self.settled = False

    # ---- membership ---------------------------------------------------------------------------

    def join(self, member: Member) -> None:
        """A server process was made (first start or restart): it replaces its old self."""
        endpoint = member.endpoint
        key = endpoint.key
        self._members[key] = member
        self._groups.setdefault((endpoint.type, _cluster_key(endpoint.cluster)), {})[key] = member
        self._order[key] = next(self._sequence)

    def running(self, member: Member) -> bool:
        """Whether the supervisor says the member is running (always, without a supervisor)."""
        key = member.endpoint.key
        if self._members.get(key) is not member:
            return False
        state = self.context.process_state(key)
        return state is None or state is ProcessState.RUNNING

    def members(self, kind: ProcessType, cluster: str | None, cls: type[M]) -> list[M]:
        """The current members of a type in a cluster (running or not), in start order."""
        group = self._groups.get((kind, _cluster_key(cluster)), {})
        found = [m for m in group.values() if isinstance(m, cls)]
        return sorted(found, key=lambda m: self._order[m.endpoint.key])

    def on_computer(self, kind: ProcessType, computer: str, cls: type[M]) -> list[M]:
        """The current members of a type on one computer (running or not), in start order."""
        found = [
            m
            for m in self._members.values()
            if isinstance(m, cls)
            and m.endpoint.type is kind
            and m.endpoint.computer.casefold() == computer.casefold()
        ]
        return sorted(found, key=lambda m: self._order[m.endpoint.key])

    def peers(self, member: M, cls: type[M]) -> list[M]:
        """The other running members of the member's type and cluster."""
        endpoint = member.endpoint
        return [
            m
            for m in self.members(endpoint.type, endpoint.cluster, cls)
            if m is not member and self.running(m)
        ]

    # ---- alarm main -----------------------------------------------------------------------------

    def main(self, cluster: str | None, cls: type[M], *, elect: bool = True) -> M | None:
        """The alarm main of a cluster, elected now if it has none running; None: none runs.

        With `elect=False` only a main already elected and running is returned.
        """
        key = self._mains.get(_cluster_key(cluster))
        current = self._members.get(key) if key is not None else None
        if isinstance(current, cls) and self.running(current):
            return current
        if not elect:
            return None
        running = [m for m in self.members(ProcessType.ALARM, cluster, cls) if self.running(m)]
        if not running:
            self._mains.pop(_cluster_key(cluster), None)
            return None
        elected = min(running, key=lambda m: (_lost(m), _priority(m), self._order[m.endpoint.key]))
        self._mains[_cluster_key(cluster)] = elected.endpoint.key
        _log.info(
            "alarm.main",
            cluster=cluster,
            main=elected.endpoint.process,
            was=None if key is None else key[1],
        )
        return elected

    # ---- reports and trends: the client rule ------------------------------------------------

    def active(self, kind: ProcessType, cluster: str | None, cls: type[M]) -> M | None:
        """The trends/reports server a client of this runtime uses now (`choose`)."""
        members = self.members(kind, cluster, cls)
        key = (kind, _cluster_key(cluster))
        chosen = choose(self._chosen.get(key), [_candidate(m, self.running(m)) for m in members])
        if chosen is None:
            self._chosen.pop(key, None)
            return None
        if self._chosen.get(key) != chosen:
            _log.info("client.server", type=str(kind), cluster=cluster, server=chosen)
            self._chosen[key] = chosen
        return next(m for m in members if m.endpoint.process == chosen)


def _lost(member: Member) -> bool:
    """A server whose history file was empty or damaged (`history_lost`) is main only when no
    server with its history runs: it starts as standby and takes the peer's history."""
    return bool(getattr(member, "history_lost", False))


def _priority(member: Member) -> int:
    return member.endpoint.priority or DEFAULT_PRIORITY


def _candidate(member: Member, running: bool) -> Candidate:
    endpoint = member.endpoint
    return Candidate(endpoint.process, endpoint.mode != "standby", _priority(member), running)


def pairs_of(context: Context) -> Pairs:
    """The one Pairs of a runtime, made on first use."""
    found = context.services.get(Pairs)
    if not isinstance(found, Pairs):
        found = context.services[Pairs] = Pairs(context)
    return found


def unavailable(kind: ProcessType, cluster: str | None) -> ProtocolError:
    """The error of a request that needs a server of `kind` when none of the cluster runs."""
    where = f"cluster {cluster}" if cluster else "the cluster"
    return ProtocolError(
        SERVER_UNAVAILABLE,
        f"no {type_title(kind)} of {where} is running; the request works again once one starts",
    )
