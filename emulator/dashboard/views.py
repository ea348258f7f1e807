"""What the dashboard shows, as JSON values read from a running plant.

Plain reads of the RuntimeManager, the supervisor's processes and the plant: no sockets, no
clock of its own. `Watch` remembers what it last gave so the live channel sends only changes.
Documented in docs/dashboard.md.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from emulator.control.manager import ControlError, RuntimeManager
from emulator.faults.handler import Exchange
from emulator.plant.alarms import ALL_AREAS, QUERY_ACTIVE, AlarmServer
from emulator.plant.clock import VirtualClock
from emulator.plant.state import QUAL_BAD, QUAL_GOOD, QUAL_UNCR, TagState
from emulator.plant.trends import GOOD, TrendSample, TrendServer
from emulator.processes.active import trend_server_of
from emulator.processes.system_services import role_of
from emulator.protocol.errors import ProtocolError
from emulator.runtime.session import Session
from emulator.scenario.config import FaultKind

#: Newest trend samples a snapshot carries per trend, and alarm log lines and events it shows.
TREND_POINTS = 300
ALARM_LOG = 50
EVENTS = 200

QUALITY_NAMES = {QUAL_GOOD: "Good", QUAL_UNCR: "Uncertain", QUAL_BAD: "Bad"}
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


def _owners(manager: RuntimeManager, attribute: str) -> dict[int, str]:
    """Which server process owns each engine (`alarms`, `trends`): id(engine) -> its name."""
    return {
        id(getattr(proc.process, attribute)): proc.name
        for proc in manager.supervisor.processes.values()
        if hasattr(proc.process, attribute)
    }


def processes(manager: RuntimeManager) -> list[dict[str, Any]]:
    """Every server process with its state, role and listeners (port, TLS, open connections)."""
    rows = []
    for view in manager.processes():
        proc = manager.supervisor.processes[(view.computer, view.process)]
        row = view.to_json()
        row["id"] = f"{view.computer}/{view.process}"
        row["role"] = role_of(manager.context, proc.status())
        for listener, shown in zip(proc.listeners, row["listeners"], strict=True):
            shown["connections"] = sum(1 for s in proc.sessions if s.endpoint is listener.endpoint)
        rows.append(row)
    return rows


#: Connections the traffic view lists (the newest first), and characters of a request or reply.
TRAFFIC_CONNECTIONS = 50
EXCHANGE_TEXT = 400
#: Request fields the traffic view never shows.
SECRET_FIELDS = frozenset({"password", "token", "secret", "proof"})


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "***" if str(k).casefold() in SECRET_FIELDS else _redacted(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _text(value: Any) -> str:
    text = encode(_redacted(value)).decode("utf-8", "replace")
    return text if len(text) <= EXCHANGE_TEXT else text[: EXCHANGE_TEXT - 1] + "…"


def exchange(entry: Exchange) -> dict[str, Any]:
    """One request and what answered it, as text (secrets as ***, long ones cut)."""
    at, request, answer = entry
    if isinstance(answer, ProtocolError):
        ok, reply = (
            False,
            f"error {answer.error.name}" + (f": {answer.detail}" if answer.detail else ""),
        )
    else:
        ok = all(r.get("ok") is not False for r in answer)
        reply = _text(answer[0] if len(answer) == 1 else answer) if answer else "(no reply)"
    return {
        "time": at,
        "op": str(request.get("op")),
        "ok": ok,
        "request": _text(request),
        "reply": reply,
    }


def _last_busy(session: Session) -> float:
    recent = session.handler.recent if session.handler is not None else None
    return recent[-1][0] if recent else 0.0


def traffic(manager: RuntimeManager, connection: str | None = None) -> dict[str, Any]:
    """Requests per listener (the metrics' counts), the open connections, and the last
    exchanges of one of them (`connection`, else the one that was last busy)."""
    listeners: list[dict[str, Any]] = []
    connections: list[tuple[Session, dict[str, Any]]] = []
    for proc in manager.supervisor.processes.values():
        for listener in proc.listeners:
            endpoint = listener.endpoint
            ops = manager.context.metrics.served(endpoint, listener.port)
            listeners.append(
                {
                    "computer": endpoint.computer,
                    "process": endpoint.process,
                    "address": endpoint.address,
                    "port": listener.port,
                    "tls": endpoint.tls,
                    "connections": sum(1 for s in proc.sessions if s.endpoint is endpoint),
                    "requests": sum(ops.values()),
                    "ops": ops,
                }
            )
        for session in proc.sessions:
            if session.handler is None:
                continue
            port = session.port
            row = {
                "id": f"{session.endpoint.computer}/{session.endpoint.process}/{port}/"
                f"{session.peer_host}:{session.peer_port}",
                "computer": session.endpoint.computer,
                "process": session.endpoint.process,
                "listener": f"{session.endpoint.address}:{port}",
                "peer": f"{session.peer_host}:{session.peer_port}",
                "exchanges": [],
            }
            connections.append((session, row))
    connections.sort(key=lambda pair: -_last_busy(pair[0]))
    connections = connections[:TRAFFIC_CONNECTIONS]
    chosen = next((pair for pair in connections if pair[1]["id"] == connection), None)
    if chosen is None and connections and connection is None:
        chosen = connections[0]
    if chosen is not None:
        recent = chosen[0].handler.recent if chosen[0].handler is not None else ()
        chosen[1]["exchanges"] = [exchange(e) for e in reversed(recent)]
    return {
        "listeners": listeners,
        "connections": [row for _, row in connections],
        "connection": None if chosen is None else chosen[1]["id"],
    }


def layout(manager: RuntimeManager) -> dict[str, Any]:
    """The parts of the topology that do not change while the plant runs."""
    model = manager.topology
    return {
        "project": {"name": model.project.name, "description": model.project.description},
        "computers": [
            {
                "name": c.name,
                "ctapi": c.ctapi,
                "addresses": [
                    {"name": a.name, "address": a.address}
                    for a in model.network_addresses
                    if a.computer == c.name
                ],
            }
            for c in model.computers
        ],
        "clusters": [{"name": c.name, "description": c.description} for c in model.clusters],
        "fault_kinds": list(FAULT_KINDS),
        "clock": "virtual" if isinstance(manager.context.clock, VirtualClock) else "real",
    }


def tag_row(manager: RuntimeManager, state: TagState) -> dict[str, Any]:
    spec = state.spec
    name = f"{spec.cluster}.{spec.name}" if len(manager.plant.clusters) > 1 else spec.name
    reading = manager.plant.read(name)
    general = reading.quality.general
    return {
        "name": name,
        "type": spec.type,
        "units": spec.units,
        "comment": spec.comment,
        "writable": spec.writable and not state.control_mode,
        "text": reading.value,
        "number": reading.number,
        "quality": QUALITY_NAMES.get(general, str(general)),
        "time": reading.value_timestamp,
    }


def _main_alarms(manager: RuntimeManager) -> tuple[list[AlarmServer], list[str]]:
    """The engine of each cluster's alarm main, and why a cluster with alarms has none."""
    mains, missing = manager.alarm_mains()
    return [engine for _, engine in mains], missing


def alarms(manager: RuntimeManager) -> dict[str, Any]:
    """The active alarm list and the newest lines of the alarm log, from each cluster's main."""
    engines, missing = _main_alarms(manager)
    owners = _owners(manager, "alarms")
    categories = {c.number: c.name for c in manager.topology.alarm_categories}
    active: list[dict[str, Any]] = [
        {
            "time": status.on_time if status.on_time is not None else status.off_time,
            "tag": config.tag,
            "name": config.name,
            "description": config.description,
            "category": config.category,
            "category_name": categories.get(config.category, ""),
            "priority": engine.priority(config.tag),
            "state": status.state,
            "on": status.on,
            "acked": status.acked,
            "condition": status.condition,
        }
        for engine in engines
        for config, status in engine.query(QUERY_ACTIVE)
    ]
    active.sort(key=lambda row: -(row["time"] or 0.0))
    events = sorted(
        (e for engine in engines for e in reversed(engine.events(limit=ALARM_LOG))),
        key=lambda e: -e.time,
    )[:ALARM_LOG]
    log = [
        {
            "time": e.time,
            "tag": e.tag,
            "kind": e.kind,
            "user": e.user,
            "condition": e.condition,
            "state": e.state,
        }
        for e in events
    ]
    return {
        "server": ", ".join(owners.get(id(e), "?") for e in engines) or None,
        "error": "; ".join(missing) or None,
        "active": active,
        "log": log,
    }


def acknowledge_all(manager: RuntimeManager, user: str) -> int:
    """Acknowledge every alarm of every area on each main server; how many events that made."""
    engines, missing = _main_alarms(manager)
    if not engines:
        raise ControlError("; ".join(missing) or "this plant has no alarms", 409)
    now = manager.context.clock.now()
    count = sum(len(e.acknowledge_area(ALL_AREAS, user, now)) for e in engines)
    manager.context.changes.notify()
    return count


def _trend_engine(manager: RuntimeManager, name: str) -> TrendServer | None:
    """The engine of the trends server a client would read `name` from; None if none runs."""
    try:
        return trend_server_of(manager.context, name)
    except ProtocolError:
        return None


def _points(engine: TrendServer, name: str, after: float | None) -> list[TrendSample]:
    """The newest TREND_POINTS samples, or those after `after`."""
    if after is None:
        return engine.raw(name, count=TREND_POINTS)
    return [s for s in engine.raw(name, start=after) if s.time > after]


def trend_list(manager: RuntimeManager) -> list[dict[str, Any]]:
    units = {s.spec.name.casefold(): s.spec.units for s in manager.plant.tags}
    return [
        {
            "name": t.name,
            "tag": t.tag,
            "type": t.type,
            "period": t.sample_period,
            "units": units.get(t.tag.casefold(), ""),
            "comment": t.comment,
        }
        for t in manager.topology.trends
    ]


class Watch:
    """One viewer's view of the plant: a full snapshot first, then only what changed."""

    def __init__(self, manager: RuntimeManager) -> None:
        self.manager = manager
        self._versions: dict[int, int] = {}
        self._sections: dict[str, Any] = {}
        self._event_seq = 0
        self._trend_after: dict[str, float] = {}
        self._trend_servers: dict[str, str | None] = {}

    def snapshot(self) -> dict[str, Any]:
        m = self.manager
        tags = m.plant.tags
        self._versions = {id(s): s.version for s in tags}
        self._sections = self._current()
        events = m.events.since(max(m.events.sequence - EVENTS, 0))
        self._event_seq = m.events.sequence
        self._trend_after, self._trend_servers = {}, {}
        return {
            **layout(m),
            **self._sections,
            "now": m.context.clock.now(),
            "tags": [tag_row(m, s) for s in tags],
            "trends": trend_list(m),
            "samples": self._samples(),
            "events": events,
        }

    def update(self) -> dict[str, Any]:
        """What changed since the last snapshot or update; empty when nothing did."""
        m = self.manager
        frame: dict[str, Any] = {}
        changed = []
        for state in m.plant.tags:
            if self._versions.get(id(state)) != state.version:
                self._versions[id(state)] = state.version
                changed.append(tag_row(m, state))
        if changed:
            frame["tags"] = changed
        for key, value in self._current().items():
            if self._sections.get(key) != value:
                self._sections[key] = value
                frame[key] = value
        if m.events.sequence != self._event_seq:
            frame["events"] = m.events.since(self._event_seq)
            self._event_seq = m.events.sequence
        samples = self._samples()
        if samples["reset"] or samples["points"]:
            frame["samples"] = samples
        if frame:
            frame["now"] = m.context.clock.now()
        return frame

    def _current(self) -> dict[str, Any]:
        m = self.manager
        rows = processes(m)
        return {
            "health": "healthy" if all(row["healthy"] for row in rows) else "unhealthy",
            "processes": rows,
            "alarms": alarms(m),
            "faults": m.fault_listing(),
        }

    def _samples(self) -> dict[str, Any]:
        """Per trend: its server, and its samples since the last call (all of them again when
        the server changed: `reset`)."""
        owners = _owners(self.manager, "trends")
        servers: dict[str, str | None] = {}
        reset: list[str] = []
        points: dict[str, list[list[float | None]]] = {}
        for trend in self.manager.topology.trends:
            engine = _trend_engine(self.manager, trend.name)
            server = None if engine is None else owners.get(id(engine))
            servers[trend.name] = server
            if server != self._trend_servers.get(trend.name, ""):
                reset.append(trend.name)
                self._trend_after.pop(trend.name, None)
            self._trend_servers[trend.name] = server
            if engine is not None:
                fresh = _points(engine, trend.name, self._trend_after.get(trend.name))
                if fresh:
                    self._trend_after[trend.name] = fresh[-1].time
                    points[trend.name] = [
                        [s.time, s.value if s.quality == GOOD else None] for s in fresh
                    ]
        return {"servers": servers, "reset": reset, "points": points}


def encode(value: Any) -> bytes:
    """JSON for the page: msgspec writes NaN and infinities as null, which JSON.parse takes."""
    return msgspec.json.encode(value)
