"""Drives a running plant from its scenario: generator values into the Plant, timeline events
to whoever carries them out (the RuntimeManager), on the plant clock.

With a virtual clock nothing moves by itself: whoever advances the clock calls `step`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any, Protocol, cast

import anyio
import anyio.lowlevel

from emulator.logs import get_logger
from emulator.plant.clock import Clock, ScaledClock, VirtualClock
from emulator.plant.config import TagValue
from emulator.plant.refs import Element
from emulator.plant.state import Plant, TagState
from emulator.plant.tags import TagValueError
from emulator.protocol.errors import ProtocolError
from emulator.scenario.config import TimelineEvent
from emulator.scenario.duration import seconds
from emulator.scenario.generators import Advance, Generators
from emulator.scenario.timeline import Timeline
from emulator.topology.model import Topology

_log = get_logger("emulator.scenario")

#: Longest real-time sleep between two checks of the clock, so `--speed` changes stay timely.
MAX_SLEEP = 1.0
#: An event this close after an advance's target (seconds) still falls in it: advances that add
#: up to T in floating point reach the same events as one advance by T.
EPSILON = 1e-6
#: A virtual-clock advance lets other tasks (clients) run after this many events.
YIELD_EVERY = 500

#: Scans the server processes at a plant time; returns when they have work next (after it).
Scan = Callable[[float], float | None]


class Actions(Protocol):
    async def perform(self, event: TimelineEvent, now: float) -> None:
        """Carry out one timeline event (errors are logged, never raised)."""
        ...


def make_clock(topology: Topology, speed: float | None = None) -> Clock:
    """The clock a scenario asks for: virtual, or real time at `speed` (the option wins)."""
    if topology.scenario.clock == "virtual" and speed is None:
        return VirtualClock()
    return ScaledClock(speed if speed is not None else topology.scenario.speed)


class ScenarioRunner:
    def __init__(
        self,
        topology: Topology,
        plant: Plant,
        clock: Clock,
        actions: Actions,
        *,
        follows: Callable[[str], bool] | None = None,
    ) -> None:
        settings = topology.scenario
        self.plant = plant
        #: Whether a tag's value now comes from another process's I/O server (its field device
        #: is there): its generator leaves it alone (emulator.processes.io_routes).
        self.follows = follows
        self.clock = clock
        self.actions = actions
        self.start = clock.now()
        self.generators = Generators(
            topology.generators,
            seed=settings.seed,
            tick=seconds(settings.tick),
            start=self.start,
            types={t.name: t.type for t in topology.tags},
        )
        self.timeline = Timeline(topology.timeline, self.start)
        self._reads = sorted(self.generators.reads)
        #: Each tag the generators read or set, looked up once (by casefolded name).
        self._states: dict[str, TagState] = {}
        for name in self._reads:
            with contextlib.suppress(ProtocolError):
                self._states[name] = plant.named(name)
        #: What `_current` reads: narrowed once the walks have started (their first tick).
        self._reading = self._states
        # The timed generators' tags are computed when something reads them (Plant.refresh):
        # a large plant's tags cost nothing while nobody looks at them.
        for tag in self.generators.timed:
            with contextlib.suppress(ProtocolError):
                plant.named(tag).source = _Timed(tag)
        if self.generators.timed:
            plant.refresh = self._refresh
        self._lock = anyio.Lock()
        #: The generated tags by their state, to hear of writes to them.
        self._generated: dict[TagState, str] = {}
        for spec in topology.generators:
            try:
                self._generated.setdefault(plant.named(spec.tag), spec.tag)
            except ProtocolError:
                continue  # an unknown tag: the compile reports it
        plant.on_write(self._heard)

    @property
    def idle(self) -> bool:
        """Nothing to drive: no generators and no timeline."""
        return not len(self.generators) and self.timeline.next_due() is None

    async def step(self) -> None:
        """Bring every generated value and timeline event up to the clock's now."""
        async with self._lock:
            now = self.clock.now()
            result = self._advance(now)
            when = result.time if result.time is not None else now
            with self.plant.changing():
                for tag, value in result.values.items():
                    self._set(tag, value, when)
                if result.time is not None and self.generators.timed:
                    self.plant.touch()
            if result.skipped:
                _log.warning("scenario.skipped", ticks=result.skipped)
            for tag, message in result.errors.items():
                _log.warning("scenario.expression_failed", tag=tag, error=message)
            for occurrence in self.timeline.due(now):
                event = occurrence.event
                _log.info(
                    "scenario.event",
                    action=event.action,
                    at=occurrence.time - self.start,
                    **_targets(event),
                )
                await self.actions.perform(event, now)

    async def advance_to(self, target: float, scan: Scan, pending: float | None) -> int:
        """Move a virtual clock to `target`, processing every event on the way in time order.

        The events are the generator ticks, the timeline's occurrences and the server
        processes' scans (`pending`: the first one due; `scan` runs them and gives the next).
        At each event the clock stands at its time, the generators step to it, the timeline
        events fall due, then the alarm, trends and reports engines scan at it: so the plant's
        state at `target` is the same whatever the advances that got it there. Returns the
        number of events processed.
        """
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("only a virtual clock advances")
        events = 0
        async with self._lock:
            scan_due = pending
            while True:
                now = clock.now()
                when = min(self.next_due(), math.inf if scan_due is None else scan_due)
                if when > target + EPSILON:
                    break
                when = max(when, now)
                clock.move_to(when)
                await self._step_at(when)
                scan_due = scan(when)
                events += 1
                if events % YIELD_EVERY == 0:
                    await anyio.lowlevel.checkpoint()  # serve clients during a long advance
            clock.move_to(max(target, clock.now()))
        return events

    async def _step_at(self, now: float) -> None:
        """The generator tick and timeline events due at `now` (the clock stands at it)."""
        result = self._advance(now)
        when = result.time if result.time is not None else now
        with self.plant.changing():
            for tag, value in result.values.items():
                self._set(tag, value, when)
            if result.time is not None and self.generators.timed:
                self.plant.touch()
        for tag, message in result.errors.items():
            _log.warning("scenario.expression_failed", tag=tag, error=message)
        for occurrence in self.timeline.due(now):
            event = occurrence.event
            _log.info(
                "scenario.event",
                action=event.action,
                at=occurrence.time - self.start,
                **_targets(event),
            )
            await self.actions.perform(event, occurrence.time)

    def next_due(self) -> float:
        due = self.timeline.next_due()
        following = self.generators.next_tick() if len(self.generators) else math.inf
        return min(following, math.inf if due is None else due)

    async def run(self) -> None:
        """Step whenever something falls due, sleeping in real time between (not virtual)."""
        if isinstance(self.clock, VirtualClock) or self.idle:
            return
        _log.info(
            "scenario.start", generators=len(self.generators), clock=type(self.clock).__name__
        )
        while True:
            await self.step()
            wait = self.next_due() - self.clock.now()
            if isinstance(self.clock, ScaledClock):
                wait = self.clock.real_seconds(wait)
            if wait == math.inf and self.idle:
                return
            await anyio.sleep(min(max(wait, 0.0), MAX_SLEEP))

    def _advance(self, now: float) -> Advance:
        result = self.generators.advance(now, self._current_if_due(now), skip_timed=True)
        if result.time is not None and self._reading is self._states:
            reads = self.generators.reads
            self._reading = {n: s for n, s in self._states.items() if n in reads}
        return result

    def _refresh(self, state: TagState) -> None:
        """A timed generator's tag brought to its value at the last tick, once per tick."""
        timed = cast(_Timed, state.source)
        ticks = self.generators.ticks
        if timed.seen == ticks:
            return
        timed.seen = ticks
        if self.follows is not None and self.follows(timed.tag):
            return  # another process's I/O server serves it: its values, not our generator's
        value = self.generators.value_now(timed.tag)
        if value is None:
            return
        try:
            self.plant.settle(state, value, self.generators.tick_time())
        except TagValueError as exc:
            _log.warning("scenario.set_failed", tag=timed.tag, value=value, error=str(exc))

    def _current_if_due(self, now: float) -> dict[str, TagValue]:
        """The plant's values the generators read, when a tick is due (the runner wakes every
        MAX_SLEEP: reading every generated tag each time was most of an idle plant's work)."""
        return self._current() if self.generators.due(now) > 0 else {}

    def _current(self) -> dict[str, TagValue]:
        value_of = self.plant.value_of
        return {name: value_of(state) for name, state in self._reading.items()}

    def _heard(self, state: TagState, element: Element, index: int, now: float) -> None:
        """A write to a generated tag's (first) field value: its generator honours it."""
        tag = self._generated.get(state)
        if tag is not None and element is Element.FIELD and index == 0:
            self.generators.written(tag, state.spec.eng(state.field[0]), now)

    def _set(self, tag: str, value: TagValue, now: float) -> None:
        if self.follows is not None and self.follows(tag):
            return
        state = self._states.get(tag.casefold())
        try:
            if state is None:
                self.plant.set_value(tag, value, now)
            else:
                self.plant.set_field(state, value, now)
        except (ProtocolError, TagValueError) as exc:
            _log.warning("scenario.set_failed", tag=tag, value=value, error=str(exc))


class _Timed:
    """A tag whose timed generator computes it when read, and the tick it last did."""

    __slots__ = ("seen", "tag")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.seen = 0


def _targets(event: TimelineEvent) -> dict[str, Any]:
    fields = ("tag", "value", "process", "computer", "fault", "seconds", "report")
    return {f: getattr(event, f) for f in fields if getattr(event, f) is not None}
