"""Exact virtual time: the plant after advancing by T is the same whatever calls made up T.

Every generator tick, timeline event, alarm scan, trend sample and report in between is processed
at its own plant time, in order (emulator.scenario.runner.ScenarioRunner.advance_to).
"""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.plant.alarms import AlarmServer
from emulator.processes.trends import TrendsProcess
from emulator.testing.plant import RunningPlant, start_in_background
from emulator.topology.load import demo_text, load_text

#: The demo plant's pump 1 trips 5 minutes in (its timeline); the run covers it and a bit.
TRIP = 300.0
SPAN = 330.0


async def _start() -> tuple[RunningPlant, Any]:
    return await start_in_background(load_text(demo_text(), "demo.toml"), grace=0.1)


def _alarm_engine(plant: RunningPlant) -> AlarmServer:
    mains, _ = plant.manager.alarm_mains()
    assert mains
    return mains[0][1]


def _state(plant: RunningPlant) -> dict[str, Any]:
    """Everything the run leaves behind: tag values, the alarm log, every trend sample."""
    tags = {s.spec.name: plant.tag(s.spec.name) for s in plant.manager.plant.tags}
    log = [
        (e.tag, e.kind, round(e.time - start, 6), e.value, e.condition)
        for start in [plant.manager.runner.start]
        for e in _alarm_engine(plant).events()
    ]
    trends = plant.supervisor.process("TREND1").process
    assert isinstance(trends, TrendsProcess)
    samples = {n: trends.trends.raw(n) for n in trends.trends.names}
    return {"tags": tags, "alarms": log, "samples": samples, "now": plant.clock.now()}


async def _run(splits: list[float]) -> dict[str, Any]:
    plant, stop = await _start()
    try:
        for seconds in splits:
            await plant.advance(seconds)
        return _state(plant)
    finally:
        await stop()


async def test_one_large_advance_logs_the_pump_trip_at_its_exact_time() -> None:
    plant, stop = await _start()
    try:
        start = plant.manager.runner.start
        await plant.advance(SPAN)
        ons = {e.tag: e.time - start for e in _alarm_engine(plant).events() if e.kind == "on"}
        assert ons["PUMP1_FAULT_ALM"] == pytest.approx(TRIP, abs=1e-6)
        # PUMP1_RUN follows the fault at the next generator tick (1 s): FAIL_TO_RUN then.
        assert ons["PUMP1_FAIL_TO_RUN"] == pytest.approx(TRIP + 1.0, abs=1e-6)
        trends = plant.supervisor.process("TREND1").process
        assert isinstance(trends, TrendsProcess)
        samples = trends.trends.raw("TANK1_LEVEL")
        # one sample a second from the start: none missing, each on its grid time
        assert [round(s.time - start) for s in samples] == list(range(int(SPAN) + 1))
    finally:
        await stop()


def _splits(draw: st.DrawFn, span: float = SPAN, most: int = 8) -> list[float]:
    """Advances that add up to `span`: at most `most` + 1 of them, cut at random."""
    cuts = sorted(draw(st.lists(st.floats(0.0, span), max_size=most)))
    points = [0.0, *cuts, span]
    return [b - a for a, b in itertools.pairwise(points)]


splits = st.composite(_splits)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=splits(), second=splits())
def test_any_split_of_an_advance_gives_the_same_plant(
    first: list[float], second: list[float]
) -> None:
    one = anyio.run(_run, first)
    other = anyio.run(_run, second)
    assert one["now"] == pytest.approx(other["now"])
    assert one["alarms"] == other["alarms"]
    assert one["samples"] == other["samples"]
    assert one["tags"] == other["tags"]
