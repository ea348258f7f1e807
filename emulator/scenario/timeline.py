"""The timeline: which scenario events fall due between two moments of plant time. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emulator.scenario.config import TimelineEvent
from emulator.scenario.duration import seconds

#: Occurrences of one repeating event returned by one `due` at most (a clock that jumps skips).
MAX_OCCURRENCES = 10_000


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One firing of an event: when (plant time), which event, its index in the file."""

    time: float
    index: int
    event: TimelineEvent


@dataclass(slots=True)
class _Schedule:
    index: int
    event: TimelineEvent
    at: float
    every: float | None
    fired: int = 0

    def next_time(self, start: float) -> float | None:
        if self.every is None:
            return start + self.at if self.fired == 0 else None
        return start + self.at + self.fired * self.every


class Timeline:
    """Events at times relative to `start`, each once or `every` period after its first time."""

    def __init__(self, events: Sequence[TimelineEvent], start: float) -> None:
        self.start = start
        self._schedules = []
        for index, event in enumerate(events):
            every = seconds(event.every) if event.every is not None else None
            if every is not None and every <= 0:
                raise ValueError(f"timeline event {index}: 'every' must be > 0 seconds")
            self._schedules.append(_Schedule(index, event, seconds(event.at), every))

    def due(self, now: float) -> list[Occurrence]:
        """Every occurrence at or before `now` not returned before, in time then file order."""
        found: list[Occurrence] = []
        for schedule in self._schedules:
            for _ in range(MAX_OCCURRENCES):
                when = schedule.next_time(self.start)
                if when is None or when > now:
                    break
                found.append(Occurrence(when, schedule.index, schedule.event))
                schedule.fired += 1
            else:
                if schedule.every is not None:  # the clock jumped: skip to the present
                    behind = (now - self.start - schedule.at) // schedule.every + 1
                    schedule.fired = max(schedule.fired, int(behind))
        found.sort(key=lambda o: (o.time, o.index))
        return found

    def next_due(self) -> float | None:
        """The plant time of the next occurrence, None when nothing is left."""
        times = [t for s in self._schedules if (t := s.next_time(self.start)) is not None]
        return min(times, default=None)
