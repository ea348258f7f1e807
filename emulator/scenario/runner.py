"""Drives a running plant from its scenario: generator values into the Plant, timeline events
to whoever carries them out (the RuntimeManager), on the plant clock.

With a virtual clock nothing moves by itself: whoever advances the clock calls `step`.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import anyio

from emulator.logs import get_logger
from emulator.plant.clock import Clock, ScaledClock, VirtualClock
from emulator.plant.config import TagValue
from emulator.plant.state import Plant
from emulator.plant.tags import TagValueError
from emulator.protocol.errors import ProtocolError
from emulator.scenario.config import TimelineEvent
from emulator.scenario.duration import seconds
from emulator.scenario.generators import Generators
from emulator.scenario.timeline import Timeline
from emulator.topology.model import Topology

_log = get_logger("emulator.scenario")

#: Longest real-time sleep between two checks of the clock, so `--speed` changes stay timely.
MAX_SLEEP = 1.0


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
    def __init__(self, topology: Topology, plant: Plant, clock: Clock, actions: Actions) -> None:
        settings = topology.scenario
        self.plant = plant
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
        self._lock = anyio.Lock()

    @property
    def idle(self) -> bool:
        """Nothing to drive: no generators and no timeline."""
        return not self._reads and self.timeline.next_due() is None

    async def step(self) -> None:
        """Bring every generated value and timeline event up to the clock's now."""
        async with self._lock:
            now = self.clock.now()
            result = self.generators.advance(now, self._current())
            when = result.time if result.time is not None else now
            for tag, value in result.values.items():
                self._set(tag, value, when)
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

    def next_due(self) -> float:
        due = self.timeline.next_due()
        following = self.generators.next_tick() if self._reads else math.inf
        return min(following, math.inf if due is None else due)

    async def run(self) -> None:
        """Step whenever something falls due, sleeping in real time between (not virtual)."""
        if isinstance(self.clock, VirtualClock) or self.idle:
            return
        _log.info("scenario.start", generators=len(self._reads), clock=type(self.clock).__name__)
        while True:
            await self.step()
            wait = self.next_due() - self.clock.now()
            if isinstance(self.clock, ScaledClock):
                wait = self.clock.real_seconds(wait)
            if wait == math.inf and self.idle:
                return
            await anyio.sleep(min(max(wait, 0.0), MAX_SLEEP))

    def _current(self) -> dict[str, TagValue]:
        values: dict[str, TagValue] = {}
        for name in self._reads:
            try:
                values[name] = self.plant.value(name)
            except ProtocolError:
                continue
        return values

    def _set(self, tag: str, value: TagValue, now: float) -> None:
        try:
            self.plant.set_value(tag, value, now)
        except (ProtocolError, TagValueError) as exc:
            _log.warning("scenario.set_failed", tag=tag, value=value, error=str(exc))


def _targets(event: TimelineEvent) -> dict[str, Any]:
    fields = ("tag", "value", "process", "computer", "fault", "seconds", "report")
    return {f: getattr(event, f) for f in fields if getattr(event, f) is not None}
