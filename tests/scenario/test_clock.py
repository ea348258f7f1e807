from __future__ import annotations

import pytest

from emulator.plant.clock import ScaledClock


def test_scaled_clock_runs_speed_times_faster() -> None:
    ticks = [100.0]
    clock = ScaledClock(60, start=1000.0, monotonic=lambda: ticks[0])
    assert clock.now() == 1000.0
    ticks[0] += 2
    assert clock.now() == 1120.0
    assert clock.real_seconds(60) == 1.0


@pytest.mark.parametrize("speed", [0, -1, float("inf"), float("nan")])
def test_speed_must_be_positive_and_finite(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed)
