"""The alarm server process (2080): its cluster's alarms, their lists, acknowledgement, the log.

One AlarmServer engine (emulator.plant.alarms) per process, with its own history store. Only the
cluster's *main* evaluates alarms and writes events (reference section 3); every event it logs
is mirrored at once to the running standby, and a server that starts while a main runs is
synchronised from it (log and acknowledgements) before it serves. Operator actions sent to a
standby are carried out by the main. Across processes (`run --computer`) the pair is made by
emulator.processes.alarm_peers over `alarm.sync`: a server that follows a peer of another
process evaluates nothing and mirrors it. Requests: docs/protocol.md ("Alarm server").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import msgspec

from emulator.logs import get_logger
from emulator.plant.alarms import (
    ALL_AREAS,
    QUERY_ACTIVE,
    AlarmEvent,
    AlarmServer,
    AlarmSnapshot,
    AlarmStatus,
)
from emulator.plant.config import Alarm
from emulator.plant.readers import cicode_expressions, plant_stamps, plant_values
from emulator.ports import ProcessType
from emulator.processes.alarm_peers import OPERATOR, SYNCED, AlarmPeers
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context
from emulator.processes.redundancy import Pairs, pairs_of, unavailable
from emulator.processes.serving import (
    Requests,
    history_store,
    of_cluster,
    optional,
    user_of,
)
from emulator.protocol.errors import BAD_REQUEST, SERVER_UNAVAILABLE, ProtocolError
from emulator.protocol.messages import RequestId, event, field, ok
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.alarm")

#: Plant SCADA's [Alarm]ScanTime default: alarms are evaluated at least this often (seconds).
SCAN_TIME = 0.5
#: Events kept for subscribers that fall behind (the log keeps them all).
FEED_SIZE = 1000
#: Most events one `alarm.events` or `alarm.summary` reply carries.
MAX_EVENTS = 5000


class EventFeed:
    """The recent alarm events of one process, numbered, for subscribers to catch up from."""

    def __init__(self, size: int = FEED_SIZE) -> None:
        self._events: deque[tuple[int, AlarmEvent]] = deque(maxlen=size)
        self.last = 0

    def add(self, events: Sequence[AlarmEvent]) -> None:
        for item in events:
            self.last += 1
            self._events.append((self.last, item))

    def since(self, cursor: int) -> list[AlarmEvent]:
        return [item for number, item in self.numbered(cursor)]

    def numbered(self, cursor: int) -> list[tuple[int, AlarmEvent]]:
        return [(number, item) for number, item in self._events if number > cursor]


class AlarmProcess:
    """One alarm server process; `alarms` is its engine (the control API uses it too)."""

    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.endpoint = endpoint
        self.context = context
        plant = context.plant
        self.configured: list[Alarm] = of_cluster(context.topology.alarms, endpoint, context)
        self.store = history_store(context, endpoint)
        self.feed = EventFeed()
        #: The events this engine committed itself, for peers of other processes (`alarm.sync`).
        self.committed = EventFeed()
        #: The connections of peers of other processes syncing from this server.
        self.syncing: list[AlarmHandler] = []
        #: The number in `committed` of the last operator action (what peers confirm).
        self.operator_last = 0
        self.alarms = AlarmServer(
            self.configured,
            context.topology.alarm_categories,
            plant_values(plant),
            self.store,
            expressions=cicode_expressions(plant),
            server=endpoint.process,
            on_record=self._recorded,
            stamps=plant_stamps(plant),
        )
        self.synchronised = False
        #: Its history file was empty or damaged (set aside): standby until it has taken the
        #: peer's history (emulator.processes.redundancy).
        self.history_lost = self.store.damaged is not None
        self._last_scan: float | None = None
        self._revision = -1
        self._plant = plant
        self.pairs: Pairs = pairs_of(context)
        self.pairs.join(self)
        found = context.services.get(AlarmPeers)
        #: The alarm servers of other processes (`run --computer`); None when there are none.
        self.peers = found if isinstance(found, AlarmPeers) else None
        if self.peers is not None:
            self.peers.join(self)
        main = self.pairs.main(endpoint.cluster, AlarmProcess, elect=self.pairs.settled)
        if main is not None and main is not self:
            self.synchronise(main)

    # ---- roles ----------------------------------------------------------------------------------

    def main(self) -> AlarmProcess | None:
        return self.pairs.main(self.endpoint.cluster, AlarmProcess)

    def followed(self) -> str | None:
        """The alarm server of another process this one follows now, if any."""
        return None if self.peers is None else self.peers.followed(self.endpoint)

    def ready(self) -> bool:
        """Whether it has caught up from the peers of other processes (always, without)."""
        return self.peers is None or self.peers.ready(self.endpoint)

    @property
    def role(self) -> str:
        if self.followed() is not None or not self.ready():
            return "standby"
        return "main" if self.main() is self else "standby"

    def main_name(self) -> str | None:
        """The main's name, local or in another process; None when none is known."""
        remote = self.followed()
        if remote is not None or not self.ready():
            return remote  # still catching up: the main is not known yet
        main = self.main()
        return None if main is None else main.endpoint.process

    def follow(self, peer: str, snapshot: AlarmSnapshot) -> None:
        """Take the log and statuses of an alarm server of another process (its main, or the
        peer that was main while this one was gone)."""
        added = self.alarms.restore(snapshot)
        self.synchronised = True
        self.history_lost = False
        self.context.changes.notify()
        _log.info("alarm.followed", server=self.endpoint.process, peer=peer, events_added=added)

    def committed_last(self) -> int:
        return self.operator_last

    def confirmed(self, mark: int) -> bool:
        return all(handler.confirmed >= mark for handler in self.syncing)

    def take_actions(self, peer: str, snapshot: AlarmSnapshot) -> None:
        """A standby of another process synced: the operator actions in its log that this log
        lacks (taken on it while the link was down) are carried out here too."""
        known = {item.uid for item in self.alarms.snapshot().events}
        fresh = [e for e in snapshot.events if e.kind in OPERATOR and e.uid not in known]
        if fresh:
            self.mirror(fresh)
            _log.info(
                "alarm.actions_taken", server=self.endpoint.process, peer=peer, events=len(fresh)
            )

    def synchronise(self, main: AlarmProcess) -> None:
        """Become a copy of the main: its log and statuses (a returning server, a new standby)."""
        added = self.alarms.restore(main.alarms.snapshot())
        self.synchronised = True
        if self.history_lost:
            self.history_lost = False
            _log.warning(
                "alarm.history_recovered",
                server=self.endpoint.process,
                peer=main.endpoint.process,
                events_added=added,
            )
        _log.info(
            "alarm.synchronised",
            server=self.endpoint.process,
            main=main.endpoint.process,
            events_added=added,
        )

    def _recorded(self, events: list[AlarmEvent]) -> None:
        """Every event this engine commits: to subscribers, and mirrored to its running peer.

        Events come from the main (its scan, the operator actions routed to it); one logged by
        a standby's engine directly (a caller holding `alarms`) reaches the main the same way,
        so the pair never diverges.
        """
        self.feed.add(events)
        self.committed.add(events)
        first = self.committed.last - len(events) + 1
        for number, item in enumerate(events, first):
            if item.kind in OPERATOR:
                self.operator_last = number
        self.context.changes.notify()  # the pushes to peers of other processes
        for peer in self.pairs.peers(self, AlarmProcess):
            peer.mirror(events)

    def mirror(self, events: list[AlarmEvent]) -> None:
        """A standby takes the main's events as they happen."""
        self.feed.add(self.alarms.apply(events))
        self.context.changes.notify()

    def act(self) -> AlarmServer:
        """The engine operator actions go to: the main's (reference section 3)."""
        main = self.main()
        if main is None:
            raise unavailable(ProcessType.ALARM, self.endpoint.cluster)
        return main.alarms

    # ---- the scan (emulator.runtime.scan) -------------------------------------------------------

    def scan(self, now: float) -> bool:
        self.pairs.settled = True
        if self.followed() is not None or not self.ready():
            return False  # another process's main evaluates; its events come over the link
        main = self.main()
        if main is not self:
            if main is not None and not self.synchronised:
                self.synchronise(main)
            return False
        self.synchronised = True
        if not self.configured:
            return False
        due = self._last_scan is None or now >= self._last_scan + SCAN_TIME
        changed = self._plant.revision != self._revision
        if not due and not changed:
            return False
        self._last_scan, self._revision = now, self._plant.revision
        return bool(self.alarms.evaluate(now, tags_changed=changed))

    def next_scan(self, now: float) -> float | None:
        if not self.configured:
            return None  # nothing to evaluate: a large plant's empty servers cost nothing
        if self._last_scan is None:
            return now
        return self._last_scan + SCAN_TIME

    def close(self) -> None:
        self.store.flush()

    def reset_history(self) -> None:
        """Forget the log and every status (`POST /reset` with history): as a fresh run."""
        self.store.clear_history()
        self.alarms.forget()
        self._last_scan = None

    def connect(self, peer: Peer) -> AlarmHandler:
        return AlarmHandler(self, peer)


def create(endpoint: Endpoint, context: Context) -> AlarmProcess:
    """The factory the runtime registers for ProcessType.ALARM."""
    return AlarmProcess(endpoint, context)


def alarm_record(config: Alarm, status: AlarmStatus, priority: int) -> dict[str, Any]:
    """One alarm as lists and replies show it: its configuration and live status."""
    return {
        "tag": config.tag,
        "name": config.name,
        "description": config.description,
        "type": config.type,
        "category": config.category,
        "priority": priority,
        "area": config.area,
        "state": status.state,
        **{k: v for k, v in msgspec.to_builtins(status).items() if k != "tag"},
    }


def event_record(item: AlarmEvent) -> dict[str, Any]:
    record: dict[str, Any] = msgspec.to_builtins(item)
    record["state"] = item.state
    return record


class AlarmHandler:
    """One connection to an alarm server: requests, and alarm pushes once subscribed."""

    def __init__(self, process: AlarmProcess, peer: Peer) -> None:
        self.process = process
        self.peer = peer
        self.cursor: int | None = None
        self.area = ALL_AREAS
        self.category: int | None = None
        #: Set by `alarm.sync`: where a peer of another process is in `committed`.
        self.synced: int | None = None
        #: The last of this server's committed events the syncing peer confirmed applied.
        self.confirmed = 0

    def hello(self) -> Message:
        return {"requests": REQUESTS.names(), "role": self.process.role}

    def handle(self, request: Message, now: float) -> list[Message]:
        return REQUESTS.serve(self, request, now)

    def poll(self, now: float) -> list[Message]:
        pushes = []
        if self.synced is not None:
            committed = self.process.committed.numbered(self.synced)
            self.synced = self.process.committed.last
            pushes = [event(SYNCED, seq=n, **event_record(item)) for n, item in committed]
        if self.cursor is None:
            return pushes
        fresh = self.process.feed.since(self.cursor)
        self.cursor = self.process.feed.last
        return pushes + [
            event("alarm", **event_record(item))
            for item in fresh
            if self.area in (ALL_AREAS, item.area) and self.category in (None, item.category)
        ]

    def next_wakeup(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        self.cursor = None
        self.synced = None
        if self in self.process.syncing:
            self.process.syncing.remove(self)
            self.process.context.changes.notify()  # replies held for this peer may go

    # ---- requests -------------------------------------------------------------------------------

    @property
    def engine(self) -> AlarmServer:
        return self.process.alarms

    def _list(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        kind = field(request, "query", int, QUERY_ACTIVE)
        area = field(request, "area", int, ALL_AREAS)
        category = optional(request, "category", int)
        try:
            rows = self.engine.query(kind, area, category)
        except ValueError as exc:
            raise ProtocolError(BAD_REQUEST, str(exc)) from None
        alarms = [alarm_record(c, s, self.engine.priority(c.tag)) for c, s in rows]
        return [ok(rid, alarms=alarms)]

    def _get(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag = field(request, "tag", str)
        config = self.engine.config(tag)
        return [
            ok(rid, alarm=alarm_record(config, self.engine.status(tag), self.engine.priority(tag)))
        ]

    def _summary(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        events = self.engine.events(tag=optional(request, "tag", str), limit=4 * MAX_EVENTS)
        return [ok(rid, summary=summary(events, _limit(request)))]

    def _events(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        events = self.engine.events(
            optional(request, "start", (int, float)),
            optional(request, "end", (int, float)),
            optional(request, "tag", str),
            _limit(request),
        )
        return [ok(rid, events=[event_record(e) for e in events])]

    def _ack(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        chosen = [k for k in ("tag", "category", "area") if request.get(k) is not None]
        if len(chosen) != 1:
            raise ProtocolError(
                BAD_REQUEST, "give exactly one of 'tag', 'category' or 'area' (-1: every area)"
            )
        user = user_of(request)
        engine = self.process.act()
        match chosen[0]:
            case "tag":
                events = engine.acknowledge(field(request, "tag", str), user, now)
            case "category":
                events = engine.acknowledge_category(field(request, "category", int), user, now)
            case _:
                events = engine.acknowledge_area(field(request, "area", int), user, now)
        return self._done(rid, events)

    def _disable(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag = field(request, "tag", str)
        comment = field(request, "comment", str, "")
        events = self.process.act().disable(tag, user_of(request), now, comment)
        return self._done(rid, events)

    def _enable(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        tag = field(request, "tag", str)
        comment = field(request, "comment", str, "")
        events = self.process.act().enable(tag, user_of(request), now, comment)
        return self._done(rid, events)

    def _done(self, rid: RequestId, events: list[AlarmEvent]) -> list[Message]:
        if events:
            self.process.context.changes.notify()
        return [ok(rid, events=len(events))]

    def _subscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        self.area = field(request, "area", int, ALL_AREAS)
        self.category = optional(request, "category", int)
        self.cursor = self.process.feed.last
        return [ok(rid, subscribed=True)]

    def _unsubscribe(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        self.cursor = None
        return [ok(rid, subscribed=False)]

    def _role(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        role = self.process.role
        return [
            ok(
                rid,
                role=role,
                main=self.process.main_name(),
                synchronised=self.process.synchronised or role == "main",
            )
        ]

    def _sync(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        if not self.process.ready():
            raise ProtocolError(
                SERVER_UNAVAILABLE,
                f"{self.process.endpoint.process} is catching up from its peers; ask again",
            )
        self.synced = self.confirmed = self.process.committed.last
        if self not in self.process.syncing:
            self.process.syncing.append(self)
        snapshot = msgspec.to_builtins(self.process.alarms.snapshot())
        return [ok(rid, role=self.process.role, snapshot=snapshot)]

    def _applied(self, rid: RequestId, request: Message, now: float) -> list[Message]:
        if self.synced is None:
            raise ProtocolError(BAD_REQUEST, "alarm.applied: ask alarm.sync first")
        self.confirmed = max(self.confirmed, field(request, "seq", int))
        self.process.context.changes.notify()  # replies held for this confirmation may go
        return [ok(rid)]


def _limit(request: Message) -> int:
    limit = field(request, "limit", int, 1000)
    if not 1 <= limit <= MAX_EVENTS:
        raise ProtocolError(BAD_REQUEST, f"'limit' must be 1..{MAX_EVENTS}, not {limit}")
    return int(limit)


def summary(events: Sequence[AlarmEvent], limit: int) -> list[dict[str, Any]]:
    """The alarm summary: one row per occurrence (on, then off and ack), newest first."""
    rows: list[dict[str, Any]] = []
    open_rows: dict[str, dict[str, Any]] = {}
    for item in events:
        key = item.tag.casefold()
        if item.kind == "on":
            row = {
                "tag": item.tag,
                "condition": item.condition,
                "category": item.category,
                "priority": item.priority,
                "area": item.area,
                "on_time": item.time,
                "off_time": None,
                "ack_time": None,
                "ack_user": "",
            }
            rows.append(row)
            open_rows[key] = row
        elif key in open_rows:
            row = open_rows[key]
            if item.kind == "off" and row["off_time"] is None:
                row["off_time"] = item.time
            elif item.kind == "ack" and row["ack_time"] is None:
                row["ack_time"], row["ack_user"] = item.time, item.user
    return list(reversed(rows))[:limit]


REQUESTS: Requests[AlarmHandler] = Requests(
    "alarm server",
    {
        "alarm.list": AlarmHandler._list,
        "alarm.get": AlarmHandler._get,
        "alarm.summary": AlarmHandler._summary,
        "alarm.events": AlarmHandler._events,
        "alarm.ack": AlarmHandler._ack,
        "alarm.disable": AlarmHandler._disable,
        "alarm.enable": AlarmHandler._enable,
        "alarm.subscribe": AlarmHandler._subscribe,
        "alarm.unsubscribe": AlarmHandler._unsubscribe,
        "alarm.role": AlarmHandler._role,
        "alarm.sync": AlarmHandler._sync,
        "alarm.applied": AlarmHandler._applied,
    },
)
