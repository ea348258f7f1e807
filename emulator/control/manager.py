"""The Runtime Manager: what an operator (or a test, or a timeline) may do to a running plant.

Stop, start, crash and hang server processes, add and clear faults, read and set tags, shift a
time server's clock, and tell whether every process is in the state it is meant to be in. The
HTTP control API, the pytest plugin and the scenario timeline all act through one of these.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import msgspec

from emulator.control.events import EventLog, install
from emulator.faults.registry import PROCESS_KINDS, FaultError, Faults, matches, to_json
from emulator.logs import get_logger
from emulator.plant.alarms import QUERY_CONFIGURED, AlarmError, AlarmServer
from emulator.plant.clock import VirtualClock
from emulator.plant.config import TagValue
from emulator.plant.state import Plant
from emulator.plant.tags import TagValueError
from emulator.ports import ProcessType
from emulator.processes.active import (
    alarm_clusters,
    alarm_server,
    alarm_server_of,
    report_server_of,
)
from emulator.processes.context import ProcessState
from emulator.processes.redundancy import pairs_of
from emulator.protocol.errors import INTERNAL_ERROR, TAG_NOT_FOUND, ProtocolError
from emulator.runtime.bind import BindError
from emulator.runtime.process import ProcessRuntime
from emulator.runtime.scan import next_scan, scan_once
from emulator.runtime.supervisor import Supervisor
from emulator.scenario.config import FaultSpec, TimelineEvent
from emulator.scenario.runner import ScenarioRunner

_log = get_logger("emulator.control")

Intent = Literal["running", "stopped"]


class ControlError(Exception):
    """A control request that cannot be carried out; `status` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class ProcessView:
    computer: str
    process: str
    type: str
    cluster: str | None
    mode: str | None
    state: str
    intended: Intent
    hung: bool
    reason: str | None
    listeners: list[dict[str, Any]]
    #: In a redundant pair: "main" (the alarm main; the trends/reports server clients use) or
    #: "standby"; None for a process that is not running or has no peer role.
    role: str | None = None

    @property
    def healthy(self) -> bool:
        return self.state == self.intended and not self.hung

    def to_json(self) -> dict[str, Any]:
        data = msgspec.to_builtins(self)
        data["healthy"] = self.healthy
        return dict(data)


class RuntimeManager:
    """Built around a Supervisor before it runs (it seeds the faults and the event log)."""

    def __init__(self, supervisor: Supervisor, events: EventLog | None = None) -> None:
        install()  # the event log's tap: once per process, a no-op where no log is active
        self.supervisor = supervisor
        self.topology = supervisor.loaded.model
        self.context = supervisor.context
        self.context.faults = Faults.from_specs(self.topology.faults, self.topology.scenario.seed)
        self.events = events if events is not None else EventLog()
        self.intended: dict[tuple[str, str], Intent] = dict.fromkeys(
            supervisor.processes, "running"
        )
        self.runner = ScenarioRunner(self.topology, self.plant, self.context.clock, self)
        self.control_url: str | None = None
        #: Advances one at a time, each from where the one before left the clock: two clients
        #: advancing T at once move it 2T (each took its target from a clock not yet moved).
        self._advancing = anyio.Lock()

    @property
    def plant(self) -> Plant:
        return self.context.plant

    @property
    def faults(self) -> Faults:
        return self.context.faults

    @contextmanager
    def logging(self) -> Iterator[None]:
        """Events logged in this context, and in tasks started from it, go to `events`."""
        with self.events.active():
            yield

    # ---- processes ----------------------------------------------------------------------------

    def targets(self, name: str | None, computer: str | None = None) -> list[ProcessRuntime]:
        """Every process named `name` (on `computer`, if given); all processes when name is None."""
        found = [
            proc
            for proc in self.supervisor.processes.values()
            if (name is None or proc.name.casefold() == name.casefold())
            and (computer is None or proc.computer.casefold() == computer.casefold())
        ]
        if not found:
            known = ", ".join(sorted({p.name for p in self.supervisor.processes.values()}))
            where = f" on computer {computer!r}" if computer else ""
            raise ControlError(f"no server process {name!r}{where} (processes: {known})", 404)
        return found

    def processes(self) -> list[ProcessView]:
        hangs = [s for s in self.faults.active.values() if s.kind == "hang"]
        return [
            ProcessView(
                computer=proc.computer,
                process=proc.name,
                type=str(proc.type),
                cluster=proc.cluster,
                mode=proc.mode,
                state=str(proc.state),
                intended=self.intended.get(proc.key, "running"),
                hung=any(matches(s, e) for s in hangs for e in proc.endpoints),
                reason=proc.reason,
                listeners=[
                    {
                        "address": listener.endpoint.address,
                        "port": listener.port,
                        "tls": listener.endpoint.tls,
                    }
                    for listener in proc.listeners
                ],
                role=self._role(proc),
            )
            for proc in self.supervisor.processes.values()
        ]

    def _role(self, proc: ProcessRuntime) -> str | None:
        """main or standby, as the cluster's redundancy has it now (reference section 3)."""
        if proc.state is not ProcessState.RUNNING or proc.process is None:
            return None
        role = getattr(proc.process, "role", None)  # the alarm server's election
        if isinstance(role, str):
            return role
        if proc.type in (ProcessType.TRENDS, ProcessType.REPORTS) and proc.cluster is not None:
            kind: Any = type(proc.process)
            active = pairs_of(self.context).active(proc.type, proc.cluster, kind)
            return "main" if active is proc.process else "standby"
        return None

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, body): every process in its intended state and none hung."""
        views = self.processes()
        healthy = all(v.healthy for v in views)
        return healthy, {
            "status": "healthy" if healthy else "unhealthy",
            "processes": [v.to_json() for v in views],
            "faults": [s.name for s in self.faults.active.values()],
        }

    async def stop(self, name: str, computer: str | None = None) -> list[ProcessView]:
        procs = self.targets(name, computer)
        for proc in procs:
            self.intended[proc.key] = "stopped"
            await self.supervisor.stop(proc.name, proc.computer)
        return self._views(procs)

    async def start(self, name: str, computer: str | None = None) -> list[ProcessView]:
        procs = self.targets(name, computer)
        for proc in procs:
            self.intended[proc.key] = "running"
            self._clear_hangs(proc)
            try:
                await self.supervisor.start(proc.name, proc.computer)
            except (BindError, OSError) as exc:
                message = f"{proc.name} on {proc.computer} did not start: {exc}"
                raise ControlError(message, 409) from None
        return self._views(procs)

    async def crash(self, name: str, computer: str | None = None) -> list[ProcessView]:
        procs = self.targets(name, computer)
        for proc in procs:
            await self.supervisor.crash(proc.name, proc.computer)
        return self._views(procs)

    async def hang(self, name: str, computer: str | None = None) -> list[ProcessView]:
        """The process keeps accepting connections and never answers again, until start."""
        procs = self.targets(name, computer)
        for proc in procs:
            spec = FaultSpec(
                name=f"hang {proc.computer}/{proc.name}",
                kind="hang",
                process=proc.name,
                computer=proc.computer,
            )
            self.faults.add(spec)
            _log.warning("fault.added", fault=spec.name, kind="hang", process=proc.name)
        return self._views(procs)

    def _clear_hangs(self, proc: ProcessRuntime) -> None:
        for spec in list(self.faults.active.values()):
            if spec.kind == "hang" and any(matches(spec, e) for e in proc.endpoints):
                self.faults.deactivate(spec.name)
                _log.info("fault.cleared", fault=spec.name, kind="hang", process=proc.name)

    def _views(self, procs: list[ProcessRuntime]) -> list[ProcessView]:
        keys = {p.key for p in procs}
        return [v for v in self.processes() if (v.computer, v.process) in keys]

    # ---- faults -------------------------------------------------------------------------------

    def fault_listing(self) -> list[dict[str, Any]]:
        return self.faults.listing()

    async def add_fault(self, spec: FaultSpec | str) -> dict[str, Any]:
        """Add a new fault, or activate one the scenario defines (by name)."""
        try:
            added = self.faults.activate(spec) if isinstance(spec, str) else self.faults.add(spec)
        except FaultError as exc:
            raise ControlError(str(exc), 404 if isinstance(spec, str) else 400) from None
        _log.warning("fault.added", fault=added.name, kind=added.kind, process=added.process)
        if added.kind in ("down", "crash"):
            for proc in self.targets(added.process, added.computer):
                if added.kind == "down":
                    await self.supervisor.stop(proc.name, proc.computer)
                else:
                    await self.supervisor.crash(proc.name, proc.computer)
        return to_json(added, True)

    async def clear_fault(self, name: str) -> dict[str, Any]:
        try:
            spec = self.faults.deactivate(name)
        except FaultError as exc:
            raise ControlError(str(exc), 404) from None
        _log.info("fault.cleared", fault=spec.name, kind=spec.kind, process=spec.process)
        if spec.kind in ("down", "crash"):
            for proc in self.targets(spec.process, spec.computer):
                if self.intended.get(proc.key) == "running":
                    await self.supervisor.start(proc.name, proc.computer)
        return to_json(spec, False)

    async def reset(self) -> list[str]:
        """Clear every active fault (processes they held down start again)."""
        names = [s.name for s in self.faults.active.values()]
        for name in names:
            await self.clear_fault(name)
        return names

    def reset_history(self) -> list[str]:
        """Forget the alarm log, alarm statuses and trend samples of every alarm and trends
        server (`POST /reset` with history): the plant's history is a fresh run's."""
        cleared = []
        for proc in self.supervisor.processes.values():
            reset = getattr(proc.process, "reset_history", None)
            if reset is not None:
                reset()
                cleared.append(proc.name)
        _log.warning("history.reset", processes=cleared)
        return cleared

    async def apply_initial_faults(self) -> None:
        """Process-level faults the scenario marks active from the start."""
        for spec in list(self.faults.active.values()):
            if spec.kind in PROCESS_KINDS:
                self.faults.deactivate(spec.name)
                await self.add_fault(spec.name)

    # ---- tags, clock --------------------------------------------------------------------------

    def read_tag(self, name: str) -> dict[str, Any]:
        try:
            reading = self.plant.read(name)
            value = self.plant.value(name)
        except ProtocolError as exc:
            raise ControlError(exc.detail or exc.error.message, _status(exc)) from None
        return {
            "tag": name,
            "value": value,
            "text": reading.value,
            "quality": reading.quality.to_json(),
            "timestamp": reading.timestamp,
            "value_timestamp": reading.value_timestamp,
        }

    def set_tag(self, name: str, value: TagValue) -> dict[str, Any]:
        """Write a tag to its device, as the device would then report it (no writability
        check); the tag's generator honours the write (docs/scenarios.md, "Writes")."""
        try:
            self.plant.set_value(name, value, self.context.clock.now(), write=True)
        except ProtocolError as exc:
            raise ControlError(exc.detail or exc.error.message, _status(exc)) from None
        except TagValueError as exc:
            raise ControlError(f"{name}: {exc}") from None
        _log.info("tag.set", tag=name, value=value, by="control")
        return self.read_tag(name)

    def write_tag(self, name: str, text: str, user: str) -> dict[str, Any]:
        """Write a tag as a CtAPI client would: only writable tags, within range, as text."""
        try:
            self.plant.write(name, text, self.context.clock.now(), user=user)
        except ProtocolError as exc:
            raise ControlError(exc.detail or exc.error.message, _status(exc)) from None
        return self.read_tag(name)

    def shift_clock(self, seconds: float, computer: str | None = None) -> dict[str, float]:
        """Move the time server's clock of `computer` (every computer when None)."""
        names = [c.name for c in self.topology.computers]
        if computer is not None:
            names = [n for n in names if n.casefold() == computer.casefold()]
            if not names:
                raise ControlError(f"no computer named {computer!r}", 404)
        for name in names:
            self.context.time_offsets[name] = self.context.time_offsets.get(name, 0.0) + seconds
        _log.warning("clock.shifted", seconds=seconds, computers=names)
        return {n: self.context.time_offsets[n] for n in names}

    async def advance(self, seconds: float) -> float:
        """Move a virtual plant clock forward and let the scenario catch up; the new now."""
        clock = self.context.clock
        if not isinstance(clock, VirtualClock):
            raise ControlError("the plant runs on real time; only a virtual clock advances", 409)
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ControlError(f"seconds must be a finite number >= 0, not {seconds!r}")
        processes = self.supervisor.processes.values

        def scan(now: float) -> float | None:
            changed, due = scan_once(list(processes()), now, strict=True)
            if changed:
                self.context.changes.notify()
            return due

        async with self._advancing:
            self.context.scans_held += 1
            try:
                pending = next_scan(list(processes()), clock.now())
                await self.runner.advance_to(clock.now() + seconds, scan, pending)
            finally:
                self.context.scans_held -= 1
        self.context.changes.notify()
        return clock.now()

    # ---- the scenario's timeline ----------------------------------------------------------------

    async def perform(self, event: TimelineEvent, now: float) -> None:
        try:
            await self._perform(event)
        except (ControlError, LookupError, BindError, OSError) as exc:
            _log.error("scenario.event_failed", action=event.action, error=str(exc))

    async def _perform(self, event: TimelineEvent) -> None:
        match event.action:
            case "set_tag":
                assert event.tag is not None and event.value is not None
                self.set_tag(event.tag, event.value)
            case "stop" | "start" | "crash" | "hang":
                assert event.process is not None
                await getattr(self, event.action)(event.process, event.computer)
            case "add_fault":
                assert event.fault is not None
                await self.add_fault(event.fault)
            case "clear_fault":
                assert event.fault is not None
                await self.clear_fault(event.fault)
            case "shift_clock":
                assert event.seconds is not None
                self.shift_clock(event.seconds, event.computer)
            case "run_report":
                assert event.report is not None
                self.run_report(event.report)

    # ---- alarms and reports: through the running (main) server process -------------------------

    def _alarm_main(self, tag: str) -> AlarmServer:
        """The engine of the alarm main that serves `tag`, as CtAPI finds it."""
        try:
            return alarm_server_of(self.context, tag)
        except AlarmError as exc:
            raise ControlError(str(exc), 404) from None
        except ProtocolError:
            raise ControlError("no running alarm server process in this runtime", 409) from None

    def alarm_mains(self) -> tuple[list[tuple[str | None, AlarmServer]], list[str]]:
        """(cluster, engine) of each cluster's alarm main as CtAPI finds it (reference section 3),
        and why each cluster with alarms has none."""
        mains, missing = [], []
        for cluster in alarm_clusters(self.context):
            try:
                mains.append((cluster, alarm_server(self.context, cluster)))
            except ProtocolError as exc:
                missing.append(exc.detail or exc.error.message)
        return mains, missing

    def alarms(self) -> list[dict[str, Any]]:
        """Every configured alarm of every cluster, each from its cluster's main; 409 only when
        no cluster has a running alarm server."""
        mains, _ = self.alarm_mains()
        if not mains:
            raise ControlError("no running alarm server process in this runtime", 409)
        rows: list[dict[str, Any]] = []
        for cluster, server in mains:
            rows += [
                {
                    "tag": config.tag,
                    "name": config.name,
                    "cluster": cluster,
                    "category": config.category,
                    "state": status.state,
                    **msgspec.to_builtins(status),
                }
                for config, status in server.query(QUERY_CONFIGURED)
            ]
        return rows

    def acknowledge(self, name: str) -> dict[str, Any]:
        server = self._alarm_main(name)
        try:
            server.acknowledge(name, "control", self.context.clock.now())
            status = server.status(name)
        except AlarmError as exc:
            raise ControlError(str(exc), 404) from None
        self.context.changes.notify()
        _log.info("alarm.acknowledged", alarm=name, by="control")
        return {"tag": name, "state": status.state, **msgspec.to_builtins(status)}

    def run_report(self, name: str) -> dict[str, Any]:
        """Run a report on the active reports server of its own cluster."""
        try:
            server = report_server_of(self.context, name)
            run = server.run(name, self.context.clock.now(), "control")
        except LookupError as exc:
            raise ControlError(str(exc), 404) from None
        except ProtocolError:
            raise ControlError("no running reports server process for this report", 409) from None
        _log.info("report.run", report=run.report, number=run.number, by="control")
        result: dict[str, Any] = msgspec.to_builtins(run)
        return result

    # ---- life ---------------------------------------------------------------------------------

    async def drive(self) -> None:
        """Run the scenario until cancelled (call apply_initial_faults first)."""
        await self.runner.run()
        await anyio.sleep_forever()


def _status(exc: ProtocolError) -> int:
    """404 for an unknown tag, 500 for a write the emulator could not keep, else 400."""
    if exc.error is INTERNAL_ERROR:
        return 500
    return 404 if exc.error is TAG_NOT_FOUND else 400
