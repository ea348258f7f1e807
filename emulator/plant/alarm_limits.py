"""An analog alarm's limits, each with its hysteresis: a value inside the deadband never flaps.

A high limit goes on above `high` and off only below `high - deadband`; a low limit goes on below
`low` and off only above `low + deadband`; a deviation goes on when |value - setpoint| exceeds
`deviation` and off below `deviation - deadband`. A value exactly on a limit keeps the state it
had. Rate of change (units per second between two evaluations) has no deadband (Plant SCADA
applies the deadband to the level and deviation limits only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from emulator.plant.config import Alarm


class Condition(StrEnum):
    """An analog alarm's sub-condition, most severe first (the order the `.State` reports)."""

    HIGHHIGH = "HIGHHIGH"
    LOWLOW = "LOWLOW"
    HIGH = "HIGH"
    LOW = "LOW"
    DEVIATION = "DEVIATION"
    RATE = "RATE"


@dataclass(slots=True)
class AnalogLimits:
    high_high: float | None = None
    high: float | None = None
    low: float | None = None
    low_low: float | None = None
    deviation: float | None = None
    rate: float | None = None
    deadband: float = 0.0
    active: set[Condition] = field(default_factory=set)
    _previous: tuple[float, float] | None = None

    @classmethod
    def of(cls, alarm: Alarm) -> AnalogLimits:
        return cls(
            high_high=alarm.high_high,
            high=alarm.high,
            low=alarm.low,
            low_low=alarm.low_low,
            deviation=alarm.deviation,
            rate=alarm.rate,
            deadband=max(alarm.deadband, 0.0),
        )

    def update(self, value: float, setpoint: float | None, now: float) -> Condition | None:
        """Apply one reading; the most severe condition now on, or None when all are off."""
        self._above(Condition.HIGHHIGH, self.high_high, value)
        self._above(Condition.HIGH, self.high, value)
        self._below(Condition.LOW, self.low, value)
        self._below(Condition.LOWLOW, self.low_low, value)
        if self.deviation is not None and setpoint is not None:
            self._above(Condition.DEVIATION, self.deviation, abs(value - setpoint))
        if self.rate is not None and self._previous is not None:
            before, then = self._previous
            if now > then:
                self._above(Condition.RATE, self.rate, abs(value - before) / (now - then), 0.0)
        if self._previous is None or now > self._previous[1]:
            self._previous = (value, now)
        return next((c for c in Condition if c in self.active), None)

    def resume(self, condition: str) -> None:
        """Take up a restored 'on' status, so a restart does not raise the alarm again."""
        if condition not in Condition.__members__:
            return
        self.active.add(Condition(condition))
        if condition == Condition.HIGHHIGH:
            self.active.add(Condition.HIGH)
        if condition == Condition.LOWLOW:
            self.active.add(Condition.LOW)

    def reset(self) -> None:
        self.active.clear()
        self._previous = None

    def _above(
        self, condition: Condition, limit: float | None, value: float, deadband: float | None = None
    ) -> None:
        if limit is None:
            return
        band = self.deadband if deadband is None else deadband
        if value > limit:
            self.active.add(condition)
        elif value < limit - band:
            self.active.discard(condition)

    def _below(self, condition: Condition, limit: float | None, value: float) -> None:
        if limit is None:
            return
        if value < limit:
            self.active.add(condition)
        elif value > limit + self.deadband:
            self.active.discard(condition)
