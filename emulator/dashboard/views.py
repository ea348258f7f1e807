"""What the dashboard shows, as JSON values read from a running plant.

Plain reads of the RuntimeManager, the supervisor's processes and the plant: no sockets, no
clock of its own. `Watch` remembers what it last gave so the live channel sends only changes.
Documented in docs/dashboard.md.
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec

from emulator.control.manager import ControlError, RuntimeManager
from emulator.plant.alarms import ALL_AREAS, QUERY_ACTIVE, AlarmServer
from emulator.plant.clock import VirtualClock
from emulator.plant.state import QUAL_BAD, QUAL_GOOD, QUAL_UNCR, TagState
from emulator.plant.trends import GOOD, TrendServer
from emulator.processes.context import ProcessState
from emulator.runtime.process import ProcessRuntime
from emulator.scenario.config import FaultKind

#: Newest trend samples a snapshot carries per trend, and alarm log lines and events it shows.
TREND_POINTS = 300
ALARM_LOG = 50
EVENTS = 200

QUALITY_NAMES = {QUAL_GOOD: "Good", QUAL_UNCR: "Uncertain", QUAL_BAD: "Bad"}
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


def _role(proc: ProcessRuntime) -> str | None:
    """The role a server process reports (an alarm server's "main" or "standby"), if any."""
    role = getattr(proc.process, "role", None)
    return role if isinstance(role, str) and proc.state is ProcessState.RUNNING else None


def processes(manager: RuntimeManager) -> list[dict[str, Any]]:
    """Every server process with its state, role and listeners (port, TLS, open connections)."""
    rows = []
    for view in manager.processes():
        proc = manager.supervisor.processes[(view.computer, view.process)]
        row = view.to_json()
        row["id"] = f"{view.computer}/{view.process}"
        row["role"] = _role(proc)
        row["listeners"] = [
            {
                "address": listener.endpoint.address,
                "port": listener.port,
                "tls": listener.endpoint.tls,
                "connections": sum(1 for s in proc.sessions if s.endpoint is listener.endpoint),
            }
            for listener in proc.listeners
        ]
        rows.append(row)
    return rows


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


def _main_alarms(manager: RuntimeManager) -> tuple[str, AlarmServer]:
    """The engine of the cluster's main alarm server (where acknowledgements go)."""
    found: list[tuple[bool, bool, str, AlarmServer]] = []
    for proc in manager.supervisor.processes.values():
        engine = getattr(proc.process, "alarms", None)
        running = proc.state is ProcessState.RUNNING
        if str(proc.type) == "alarm" and running and isinstance(engine, AlarmServer):
            found.append((_role(proc) != "main", proc.mode != "primary", proc.name, engine))
    if not found:
        raise ControlError("no alarm server process is running", 409)
    _, _, name, engine = min(found, key=lambda row: row[:3])
    return name, engine


def alarms(manager: RuntimeManager) -> dict[str, Any]:
    """The active alarm list and the newest lines of the alarm log, from the main server."""
    try:
        server, engine = _main_alarms(manager)
    except ControlError as exc:
        return {"server": None, "error": exc.message, "active": [], "log": []}
    categories = {c.number: c.name for c in manager.topology.alarm_categories}
    active = [
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
        for config, status in engine.query(QUERY_ACTIVE)
    ]
    log = [
        {
            "time": e.time,
            "tag": e.tag,
            "kind": e.kind,
            "user": e.user,
            "condition": e.condition,
            "state": e.state,
        }
        for e in reversed(engine.events(limit=ALARM_LOG))
    ]
    return {"server": server, "error": None, "active": active, "log": log}


def acknowledge_all(manager: RuntimeManager, user: str) -> int:
    """Acknowledge every alarm of every area on the main server; how many events that made."""
    _, engine = _main_alarms(manager)
    events = engine.acknowledge_area(ALL_AREAS, user, manager.context.clock.now())
    manager.context.changes.notify()
    return len(events)


def _trend_engine(manager: RuntimeManager) -> tuple[str, TrendServer] | None:
    for proc in sorted(
        manager.supervisor.processes.values(),
        key=lambda p: (p.state is not ProcessState.RUNNING, p.mode != "primary"),
    ):
        engine = getattr(proc.process, "trends", None)
        running = proc.state is ProcessState.RUNNING
        if str(proc.type) == "trends" and running and isinstance(engine, TrendServer):
            return proc.name, engine
    return None


def _points(engine: TrendServer, name: str, after: float | None) -> list[list[float | None]]:
    samples = (
        engine.raw(name, count=TREND_POINTS) if after is None else engine.raw(name, start=after)
    )
    return [
        [s.time, s.value if s.quality == GOOD else None]
        for s in samples
        if after is None or s.time > after
    ]


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
        self._trend_after: dict[str, float | None] = {}
        self._trend_server: str | None = None

    def snapshot(self) -> dict[str, Any]:
        m = self.manager
        tags = m.plant.tags
        self._versions = {id(s): s.version for s in tags}
        self._sections = self._current()
        events = m.events.since(max(m.events.sequence - EVENTS, 0))
        self._event_seq = m.events.sequence
        self._trend_after = {}
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
        if samples["changed"] or any(samples["points"].values()):
            frame["samples"] = samples
        if frame:
            frame["now"] = m.context.clock.now()
        return frame

    def _current(self) -> dict[str, Any]:
        m = self.manager
        healthy, _ = m.health()
        return {
            "health": "healthy" if healthy else "unhealthy",
            "processes": processes(m),
            "alarms": alarms(m),
            "faults": m.fault_listing(),
        }

    def _samples(self) -> dict[str, Any]:
        """New trend samples per trend, from the running trends server (primary first)."""
        found = _trend_engine(self.manager)
        server = found[0] if found else None
        changed = server != self._trend_server
        self._trend_server = server
        points: dict[str, list[list[float | None]]] = {}
        if found is not None:
            engine = found[1]
            for name in engine.names:
                after = None if changed else self._trend_after.get(name)
                fresh = _points(engine, name, after)
                if fresh:
                    self._trend_after[name] = fresh[-1][0]
                points[name] = fresh
        return {"server": server, "changed": changed, "points": points}


def encode(value: Any) -> bytes:
    """JSON for the page: msgspec writes NaN and infinities as null, which JSON.parse takes."""
    return msgspec.json.encode(value)
