"""Exact virtual time through the control API: `POST /clock/advance` in random splits, with a
random amount of client traffic between the calls, leaves the same plant as one advance.

test_exact_time.py covers the in-process `advance` over the pump trip; this one runs past the
demo's pump 2 start (20 min), so the triggered report is compared too, and the calls come at
different speeds (client requests between them let the plant's scan loop run at the current
time).
"""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.control.api import build_app
from emulator.processes.alarm import AlarmProcess
from emulator.processes.reports import ReportsProcess
from emulator.processes.trends import TrendsProcess
from emulator.testing.plant import RunningPlant, start_in_background
from emulator.topology.load import demo_text, load_text
from tests.scenario.test_exact_time import splits

#: Past the demo's pump 2 start (20 min), whose rising edge runs the PUMP2_START report.
SPAN = 1230.0


def _state(plant: RunningPlant) -> dict[str, Any]:
    start = plant.manager.runner.start
    alarm = plant.supervisor.process("ALARM1").process
    trends = plant.supervisor.process("TREND1").process
    reports = plant.supervisor.process("REPORT1").process
    assert isinstance(alarm, AlarmProcess)
    assert isinstance(trends, TrendsProcess)
    assert isinstance(reports, ReportsProcess)
    return {
        "now": round(plant.clock.now() - start, 6),
        "tags": {s.spec.name: plant.tag(s.spec.name) for s in plant.manager.plant.tags},
        "alarms": [
            (e.tag, e.kind, round(e.time - start, 6), e.value, e.condition)
            for e in alarm.alarms.events()
        ],
        "samples": {n: trends.trends.raw(n) for n in trends.trends.names},
        "reports": [
            (r.report, r.reason, round(r.time - start, 6), r.output, r.problems)
            for r in reports.reports.runs()
        ],
    }


async def _run(splits: list[float], chatter: list[int]) -> dict[str, Any]:
    plant, stop = await start_in_background(load_text(demo_text(), "demo.toml"), grace=0.1)
    try:
        transport = httpx.ASGITransport(app=build_app(plant.manager))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api,
            plant.client() as client,
        ):
            for seconds, reads in zip(splits, itertools.cycle(chatter or [0]), strict=False):
                for _ in range(reads):
                    await client.tag_read("TANK1_LEVEL")
                reply = await api.post("/clock/advance", json={"seconds": seconds})
                assert reply.status_code == 200, reply.text
        return _state(plant)
    finally:
        await stop()


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    splits=splits(SPAN, 6),
    chatter=st.lists(st.integers(0, 5), max_size=4),
)
def test_any_split_and_pace_of_clock_advance_gives_the_same_plant(
    splits: list[float], chatter: list[int]
) -> None:
    one = anyio.run(_run, [SPAN], [])
    other = anyio.run(_run, splits, chatter)
    assert other["now"] == pytest.approx(one["now"])
    assert [r[0] for r in one["reports"]].count("PUMP2_START") == 1
    assert other["reports"] == one["reports"]
    assert other["alarms"] == one["alarms"]
    assert other["samples"] == one["samples"]
    assert other["tags"] == one["tags"]


async def _concurrent(parts: int) -> dict[str, Any]:
    """`parts` clients each POST /clock/advance of SPAN / parts at the same moment."""
    plant, stop = await start_in_background(load_text(demo_text(), "demo.toml"), grace=0.1)
    try:
        transport = httpx.ASGITransport(app=build_app(plant.manager))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api:

            async def advance() -> None:
                reply = await api.post("/clock/advance", json={"seconds": SPAN / parts})
                assert reply.status_code == 200, reply.text

            async with anyio.create_task_group() as tg:
                for _ in range(parts):
                    tg.start_soon(advance)
        return _state(plant)
    finally:
        await stop()


def test_advances_asked_at_the_same_time_add_up() -> None:
    """Two or three clients advancing at once: each one's seconds count (each took its target
    from the clock before the other had moved it, so three advances of T/3 gave T/3)."""
    one = anyio.run(_run, [SPAN], [])
    for parts in (2, 3):
        together = anyio.run(_concurrent, parts)
        assert together["now"] == pytest.approx(one["now"]), parts
        assert together["reports"] == one["reports"]
        assert together["alarms"] == one["alarms"]
        assert together["samples"] == one["samples"]
        assert together["tags"] == one["tags"]
