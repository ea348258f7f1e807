"""The plant clock: every handler and generator asks it for `now`, never time.time() itself."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """UTC seconds since 1970."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class ScaledClock:
    """Real time run `speed` times faster from the moment it is made (`--speed 60`).

    It follows the host clock's steps as Plant SCADA's runtime follows the system time: a step
    forward (the host set ahead, an NTP step) moves the plant by the same amount at once. A step
    back is absorbed instead of followed: the plant runs at half its speed until the host has
    caught up, so plant time never goes back (alarm log, trend samples and report slots are
    ordered by it) and never stands still (docs/scenarios.md, "Clock").
    """

    #: How fast the plant runs, as a share of its speed, while a step back is absorbed.
    SLEW = 0.5

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"the speed must be a finite number > 0, not {speed!r}")
        self.speed = speed
        self._monotonic = monotonic
        self._wall = wall
        self._origin = monotonic()
        self._wall_origin = wall()
        self._start = self._wall_origin if start is None else start
        self._last = self._start
        self._last_tick = self._origin
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            tick = self._monotonic()
            elapsed = tick - self._origin
            stepped = (self._wall() - self._wall_origin) - elapsed  # the host's steps, net
            target = self._start + elapsed * self.speed + stepped
            slewed = self._last + (tick - self._last_tick) * self.speed * self.SLEW
            self._last = max(target, slewed) if target <= self._last else target
            self._last_tick = tick
            return self._last

    def real_seconds(self, plant_seconds: float) -> float:
        """How long to sleep in real time for `plant_seconds` of plant time to pass."""
        return plant_seconds / self.speed


class VirtualClock:
    """A clock that moves only when a test advances it."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += seconds

    def move_to(self, when: float) -> None:
        """Set the clock to `when` (the scheduler stops it at each event of an advance)."""
        if when < self._now:
            raise ValueError("a clock does not go back")
        self._now = when
