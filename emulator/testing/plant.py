"""A plant started inside the test process: ephemeral ports, a virtual clock by default, and a
handle with everything a test drives (docs/testing.md).

    async with start_plant("scenarios/failover.toml") as plant:
        async with plant.client("SCADA-A") as session:
            ...
        await plant.crash("ALARM1")
        await plant.advance(60)
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio

from emulator.client.locate import CtApiListener
from emulator.client.pair import Kind, Server
from emulator.client.session import Connecting, connect
from emulator.control.events import EventLog
from emulator.control.manager import ControlError, ProcessView, RuntimeManager
from emulator.control.service import run_beside
from emulator.plant.clock import Clock, ScaledClock, VirtualClock
from emulator.plant.config import TagValue
from emulator.ports import ProcessType
from emulator.processes.context import Context
from emulator.runtime.listener import Listener
from emulator.runtime.supervisor import Supervisor, TopologyError
from emulator.scenario.config import ControlSettings, FaultSpec
from emulator.scenario.runner import make_clock
from emulator.topology.load import LoadedTopology, load_demo, load_text
from emulator.topology.shipped import load_source

#: What a plant can be started from: a topology file, TOML text, a loaded topology, or None
#: for the demo plant.
Source = str | os.PathLike[str] | LoadedTopology | None
ClockChoice = Literal["virtual", "real", "scenario"] | Clock


class PlantError(Exception):
    """The plant cannot start: the message lists the compile problems."""


#: Seconds a plant gets to bind and to stop in a test.
START_TIMEOUT = 30.0
#: Seconds wait_alarm and wait_event wait by default.
WAIT_TIMEOUT = 10.0
ALARM_STATES = (
    "ON unacknowledged",
    "ON acknowledged",
    "OFF unacknowledged",
    "OFF acknowledged",
    "DISABLED",
)
_HALVES = {"on", "off", "acknowledged", "unacknowledged"}


def _alarm_row(rows: list[dict[str, Any]], tag: str) -> dict[str, Any]:
    for row in rows:
        if str(row["tag"]).casefold() == tag.casefold():
            return row
    names = difflib.get_close_matches(tag, [str(r["tag"]) for r in rows], n=3)
    hint = f" (did you mean {', '.join(names)}?)" if names else ""
    raise LookupError(f"the plant has no alarm {tag!r}{hint}")


async def _first_of(events: EventLog, after: int, names: tuple[str, ...]) -> None:
    """Returns once an event of one of `names` comes after event number `after`."""
    async with anyio.create_task_group() as tg:

        async def one(name: str) -> None:
            await events.wait_for(name, after)
            tg.cancel_scope.cancel()

        for name in names:
            tg.start_soon(one, name)


def _alarm_state_test(state: str) -> Callable[[str], bool]:
    """What matches `state` (see RunningPlant.wait_alarm); ValueError naming the choices."""
    folded = state.strip().casefold()
    if folded in {s.casefold() for s in ALARM_STATES}:
        return lambda current: current.casefold() == folded
    if folded in _HALVES:
        return lambda current: folded in current.casefold().split()
    choices = ", ".join([*ALARM_STATES, *sorted(_HALVES)])
    raise ValueError(f"unknown alarm state {state!r}: use one of {choices}")


def load(source: Source) -> LoadedTopology:
    if source is None:
        return load_demo()
    if isinstance(source, LoadedTopology):
        return source
    if isinstance(source, str) and "\n" in source:
        return load_text(source, "<test topology>")
    return load_source(source)  # a file, else a shipped scenario by name ("failover")


def _clock(choice: ClockChoice, loaded: LoadedTopology) -> Clock:
    if not isinstance(choice, str):
        return choice
    if choice == "virtual":
        return VirtualClock()
    if choice == "real":
        return ScaledClock(1.0)
    return make_clock(loaded.model)  # the scenario's own


@dataclasses.dataclass
class RunningPlant:
    """The handle a test gets: endpoints, clients, faults, processes, clock, events."""

    manager: RuntimeManager

    @property
    def supervisor(self) -> Supervisor:
        return self.manager.supervisor

    @property
    def clock(self) -> Clock:
        return self.manager.context.clock

    @property
    def events(self) -> EventLog:
        return self.manager.events

    @property
    def control_url(self) -> str | None:
        return self.manager.control_url

    @property
    def ca_certificate(self) -> Path | None:
        return self.supervisor.ca_certificate

    @property
    def server_password(self) -> str:
        """What a server proves on the server ports (docs/protocol.md "Server authentication")."""
        return self.supervisor.context.server_password

    def servers(self, kind: Kind, cluster: str | None = None) -> list[Server]:
        """The alarm, trends or reports servers of `cluster` (else the first cluster's), for a
        PairClient: they log in with this plant's server password, over TLS where it is TLS."""
        rows = [
            x
            for x in self.supervisor.listeners
            if x.endpoint.type == kind and cluster in (None, x.endpoint.cluster)
        ]
        ca = str(self.ca_certificate) if self.ca_certificate else None
        return [
            Server(
                x.endpoint.process,
                x.endpoint.address,
                x.port,
                primary=x.endpoint.mode != "standby",
                priority=x.endpoint.priority or 1,
                password=self.server_password,
                tls=x.endpoint.tls,
                computer=x.endpoint.computer,
                ca=ca,
            )
            for x in rows
            if x.endpoint.cluster == rows[0].endpoint.cluster
        ]

    # ---- endpoints and clients ----------------------------------------------------------------

    def listeners(self, process: str | None = None, computer: str | None = None) -> list[Listener]:
        return [
            listener
            for listener in self.supervisor.listeners
            if (process is None or listener.endpoint.process.casefold() == process.casefold())
            and (computer is None or listener.endpoint.computer.casefold() == computer.casefold())
        ]

    def endpoint(
        self, process: str, computer: str | None = None, *, tls: bool | None = None
    ) -> tuple[str, int]:
        """(address, port) of a process' listener (the plain one first unless `tls`)."""
        found = [
            x for x in self.listeners(process, computer) if tls is None or x.endpoint.tls == tls
        ]
        found.sort(key=lambda x: x.endpoint.tls)
        if not found:
            names = sorted({x.endpoint.process for x in self.supervisor.listeners})
            raise LookupError(
                f"no listener of {process!r}"
                + (f" on {computer!r}" if computer else "")
                + f" (processes: {', '.join(names)}); is it stopped?"
            )
        return found[0].endpoint.address, found[0].port

    @property
    def endpoints(self) -> dict[str, list[tuple[str, int]]]:
        """Every listener by process name ('CtAPI' lists each computer's)."""
        table: dict[str, list[tuple[str, int]]] = {}
        for x in self.supervisor.listeners:
            table.setdefault(x.endpoint.process, []).append((x.endpoint.address, x.port))
        return table

    def ctapi_listeners(self) -> tuple[CtApiListener, ...]:
        return tuple(
            CtApiListener(x.endpoint.computer, x.endpoint.address, x.port, x.endpoint.tls)
            for x in self.supervisor.listeners
            if x.endpoint.type is ProcessType.CTAPI
        )

    def client(
        self,
        computer: str | None = None,
        *,
        user: str = "engineer",
        password: str = "control",  # noqa: S107 -- the demo plant's documented login
        **options: Any,
    ) -> Connecting:
        """A CtAPI session to `computer` (the first one by default): `async with` or await it."""
        host = computer if computer is not None else self.manager.topology.computers[0].name
        connecting = connect(host, user=user, password=password, **options)
        ca = str(self.ca_certificate) if self.ca_certificate else connecting.options.ca
        return Connecting(
            dataclasses.replace(connecting.options, listeners=self.ctapi_listeners(), ca=ca)
        )

    # ---- processes, faults, tags, clock -------------------------------------------------------

    async def stop(self, process: str, computer: str | None = None) -> list[ProcessView]:
        with self.events.active():
            return await self.manager.stop(process, computer)

    async def start(self, process: str, computer: str | None = None) -> list[ProcessView]:
        with self.events.active():
            return await self.manager.start(process, computer)

    async def crash(self, process: str, computer: str | None = None) -> list[ProcessView]:
        with self.events.active():
            return await self.manager.crash(process, computer)

    async def hang(self, process: str, computer: str | None = None) -> list[ProcessView]:
        with self.events.active():
            return await self.manager.hang(process, computer)

    async def add_fault(self, fault: FaultSpec | str | None = None, **attributes: Any) -> None:
        """A defined fault by name, a FaultSpec, or attributes: add_fault(name=.., kind=..)."""
        if fault is None:
            fault = FaultSpec(**attributes)
        with self.events.active():
            await self.manager.add_fault(fault)

    async def clear_fault(self, name: str) -> None:
        with self.events.active():
            await self.manager.clear_fault(name)

    async def reset(self) -> list[str]:
        with self.events.active():
            return await self.manager.reset()

    def tag(self, name: str) -> TagValue:
        value: TagValue = self.manager.read_tag(name)["value"]
        return value

    def set_tag(self, name: str, value: TagValue) -> None:
        with self.events.active():
            self.manager.set_tag(name, value)

    async def advance(self, seconds: float) -> float:
        """Move the virtual clock on; generators and the timeline catch up before it returns."""
        with self.events.active():
            return await self.manager.advance(seconds)

    def healthy(self) -> bool:
        return self.manager.health()[0]

    # ---- waiting, without polling -------------------------------------------------------------

    async def wait_event(
        self,
        name: str,
        *,
        timeout: float = WAIT_TIMEOUT,  # noqa: ASYNC109 -- a test's one-line bound
        after: int = 0,
        **fields: Any,
    ) -> dict[str, Any]:
        """The first event `name` of the event log with these field values, after event number
        `after` (0: any since the plant started; `plant.events.sequence` before an action: only
        what the action causes). TimeoutError after `timeout` seconds, naming what came."""
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        with anyio.move_on_after(timeout):
            return await self.events.wait_for(name, after, **fields)
        seen = [e for e in self.events.since(after) if e["event"] == name][-3:]
        wanted = " ".join(f"{k}={v!r}" for k, v in fields.items())
        raise TimeoutError(
            f"no event {name!r}{' with ' + wanted if wanted else ''} in {timeout} s"
            + (f"; the last {name!r} events were {seen}" if seen else f"; none named {name!r} came")
            + " (plant.events.since(0) lists them all)"
        )

    def alarm(self, tag: str) -> dict[str, Any]:
        """An alarm's state as its cluster's main alarm server has it (as `GET /alarms`)."""
        try:
            rows = self.manager.alarms()
        except ControlError as exc:
            raise LookupError(exc.message) from None
        return _alarm_row(rows, tag)

    async def wait_alarm(
        self,
        tag: str,
        state: str = "on",
        *,
        timeout: float = WAIT_TIMEOUT,  # noqa: ASYNC109 -- a test's one-line bound
    ) -> dict[str, Any]:
        """Wait until alarm `tag` is in `state` on its main alarm server; its state then.

        `state`: the alarm's state words, as the alarm tables' STATE field (`ON unacknowledged`,
        `ON acknowledged`, `OFF unacknowledged`, `OFF acknowledged`, `DISABLED`), any case, or
        `on`, `off`,
        `acknowledged`, `unacknowledged` for either half. Returns at once if it already is.
        LookupError for an alarm the plant does not have; TimeoutError after `timeout` seconds,
        saying the state it is in (or why no alarm server answers)."""
        wanted = _alarm_state_test(state)
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        last = "unknown"
        with anyio.move_on_after(timeout):
            while True:
                seq = self.events.sequence
                try:
                    rows = self.manager.alarms()
                except ControlError as exc:
                    last = exc.message  # no alarm server runs now: a standby may take over
                else:
                    row = _alarm_row(rows, tag)
                    if wanted(row["state"]):
                        return row
                    last = row["state"]
                # an alarm event, or a process changing state (a new main alarm server)
                await _first_of(self.events, seq, ("alarm.event", "process.state"))
        raise TimeoutError(f"alarm {tag!r} did not become {state!r} in {timeout} s: it is {last!r}")


@asynccontextmanager
async def start_plant(
    source: Source = None,
    *,
    clock: ClockChoice = "virtual",
    control: bool = False,
    grace: float = 0.5,
) -> AsyncIterator[RunningPlant]:
    """Run a plant on ephemeral ports until the block ends; ready when the block starts.

    `clock`: "virtual" (the default: only `advance` moves it, so tests see fixed values),
    "real", "scenario" (the file's [scenario] clock and speed), or a Clock.
    `control`: also serve the HTTP control API on 127.0.0.1:0.
    """
    loaded = load(source)
    context = Context(loaded.model, clock=_clock(clock, loaded))
    try:
        supervisor = Supervisor(loaded, ephemeral=True, grace=grace, context=context)
    except TopologyError as exc:
        problems = "\n".join(p.format() for p in exc.problems)
        raise PlantError(f"{loaded.source} does not compile:\n{problems}") from None
    manager = RuntimeManager(supervisor)
    settings = ControlSettings(host="127.0.0.1", port=0) if control else None
    with manager.logging():
        async with anyio.create_task_group() as tg:
            with anyio.fail_after(START_TIMEOUT):
                await tg.start(supervisor.run)
                await tg.start(run_beside, manager, settings)
            try:
                yield RunningPlant(manager)
            finally:
                supervisor.shutdown()
                with anyio.CancelScope(shield=True), anyio.fail_after(START_TIMEOUT):
                    await supervisor.stopped.wait()
                tg.cancel_scope.cancel()


async def start_in_background(
    source: Source = None, **options: Any
) -> tuple[RunningPlant, Callable[[], Awaitable[None]]]:
    """`start_plant` in a task of its own: (plant, stop). For fixtures, whose set-up and
    tear-down may run in different tasks (a task group must be left by the task that entered)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[RunningPlant] = loop.create_future()
    done = asyncio.Event()

    async def keep() -> None:
        try:
            async with start_plant(source, **options) as plant:
                ready.set_result(plant)
                await done.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
                return
            raise

    task = loop.create_task(keep())
    plant = await ready

    async def stop() -> None:
        done.set()
        await task

    return plant, stop
