from __future__ import annotations

import itertools

import pytest

from emulator.plant.clock import ScaledClock


def test_scaled_clock_runs_speed_times_faster() -> None:
    ticks = [100.0]
    clock = ScaledClock(60, start=1000.0, monotonic=lambda: ticks[0], wall=lambda: ticks[0])
    assert clock.now() == 1000.0
    ticks[0] += 2
    assert clock.now() == 1120.0
    assert clock.real_seconds(60) == 1.0


@pytest.mark.parametrize("speed", [0, -1, float("inf"), float("nan")])
def test_speed_must_be_positive_and_finite(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed)


def test_the_plant_clock_follows_a_host_clock_step_forward_at_once() -> None:
    """Issue 18.7: the plant clock drifted from the host clock after a wall-clock step."""
    tick, wall = [50.0], [1_767_225_600.0]
    clock = ScaledClock(1.0, monotonic=lambda: tick[0], wall=lambda: wall[0])
    assert clock.now() == wall[0]
    tick[0] += 10
    wall[0] += 10 + 3600  # ten seconds pass, and the host is set an hour ahead
    assert clock.now() == wall[0]
    tick[0] += 5
    wall[0] += 5
    assert clock.now() == wall[0]  # and stays with it


def test_a_step_back_is_absorbed_at_half_speed_never_followed_backwards() -> None:
    tick, wall = [0.0], [1_000_000.0]
    clock = ScaledClock(1.0, monotonic=lambda: tick[0], wall=lambda: wall[0])
    tick[0] += 100
    wall[0] += 100
    before = clock.now()
    assert before == wall[0]
    wall[0] -= 60  # the host is set a minute back
    assert clock.now() == before  # no jump back
    seen = [before]
    for _ in range(130):
        tick[0] += 1
        wall[0] += 1
        seen.append(clock.now())
    steps = [b - a for a, b in itertools.pairwise(seen)]
    assert all(step > 0 for step in steps)  # never back, never still
    assert steps[0] == pytest.approx(0.5)  # half speed while behind
    assert seen[-1] == wall[0]  # caught up: 60 s absorbed within 120 s
    assert steps[-1] == pytest.approx(1.0)


def test_a_scaled_clock_follows_the_step_itself_not_scaled() -> None:
    tick, wall = [0.0], [0.0]
    clock = ScaledClock(60.0, start=1000.0, monotonic=lambda: tick[0], wall=lambda: wall[0])
    tick[0] += 1
    wall[0] += 1 + 30
    assert clock.now() == 1000.0 + 60 + 30
