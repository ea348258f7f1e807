"""The plant clock: every handler and generator asks it for `now`, never time.time() itself."""

from __future__ import annotations

import math
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
    """Real time run `speed` times faster from the moment it is made (`--speed 60`)."""

    def __init__(
        self,
        speed: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"the speed must be a finite number > 0, not {speed!r}")
        self.speed = speed
        self._start = time.time() if start is None else start
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> float:
        return self._start + (self._monotonic() - self._origin) * self.speed

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
