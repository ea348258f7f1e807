"""A scenario driving a running plant on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator.plant.clock import ScaledClock, VirtualClock
from emulator.scenario.runner import make_clock
from emulator.testing.plant import RunningPlant, start_in_background
from emulator.topology.load import demo_text, load_text

#: The demo plant without its own scenario, for tests that bring theirs.
PLANT = demo_text().split("\n# ---- Scenario")[0]

SCENARIO = """
[scenario]
seed = 3
clock = "virtual"
tick = "1s"

[[generators]]
tag = "FLOW_IN"
kind = "sine"
offset = 120.0
amplitude = 10.0
period = "1m"

[[generators]]
tag = "TANK1_LEVEL"
kind = "expression"
expression = "(FLOW_IN - FLOW_TRANSFER) / 60"
integrate = true
min = 0.0
max = 100.0

[[generators]]
tag = "PRODUCT_CODE"
kind = "steps"
period = "2m"
steps = [{ at = 0, value = "BLEND-A42" }, { at = "1m", value = "BLEND-B07" }]

[[faults]]
name = "slow-ctapi"
kind = "latency"
latency = 100.0
process = "CtAPI"

[[timeline]]
at = "10s"
action = "crash"
process = "ALARM1"

[[timeline]]
at = "20s"
action = "start"
process = "ALARM1"

[[timeline]]
at = "30s"
action = "add_fault"
fault = "slow-ctapi"

[[timeline]]
at = "40s"
action = "set_tag"
tag = "PUMP2_RUN"
value = true

[[timeline]]
at = "42s"
action = "stop"
process = "IO2"

[[timeline]]
at = "44s"
action = "hang"
process = "TREND2"

[[timeline]]
at = "45s"
action = "clear_fault"
fault = "slow-ctapi"

[[timeline]]
at = "50s"
action = "shift_clock"
seconds = -30.0
computer = "SCADA-B"

[[timeline]]
at = "55s"
every = "1m"
action = "run_report"
report = "DAILY"
"""


@pytest.fixture
async def plant() -> AsyncIterator[RunningPlant]:
    running, stop = await start_in_background(
        load_text(PLANT + SCENARIO, "scenario.toml"), grace=0.1
    )
    try:
        yield running
    finally:
        await stop()


def state(plant: RunningPlant, name: str) -> str:
    return str(plant.supervisor.process(name).state)


async def test_generators_move_tags_on_the_virtual_clock(plant: RunningPlant) -> None:
    assert isinstance(plant.clock, VirtualClock)
    assert plant.tag("FLOW_IN") == 120.0  # nothing moves until the clock does
    await plant.advance(15)
    assert plant.tag("FLOW_IN") == pytest.approx(130.0)
    assert plant.tag("TANK1_LEVEL") == pytest.approx(62.0 + 15 * (125 - 80) / 60, abs=1.5)
    await plant.advance(60)
    assert plant.tag("PRODUCT_CODE") == "BLEND-B07"


async def test_the_timeline_crashes_and_restores_and_adds_faults(plant: RunningPlant) -> None:
    await plant.advance(10)
    assert state(plant, "ALARM1") == "failed"
    assert not plant.healthy()
    await plant.advance(10)
    assert state(plant, "ALARM1") == "running"
    await plant.advance(10)
    assert [s.name for s in plant.manager.faults.active.values()] == ["slow-ctapi"]
    await plant.advance(10)
    assert plant.tag("PUMP2_RUN") is True
    await plant.advance(5)
    views = {v.process: v for v in plant.manager.processes()}
    assert (views["IO2"].state, views["IO2"].intended) == ("stopped", "stopped")
    assert views["TREND2"].hung
    assert [s.name for s in plant.manager.faults.active.values()] == ["hang SCADA-B/TREND2"]
    await plant.advance(5)
    assert plant.manager.context.time_offsets == {"SCADA-B": -30.0}
    await plant.advance(5)
    actions = [e["action"] for e in plant.events.since(0, "scenario.event")]
    assert actions == [
        "crash",
        "start",
        "add_fault",
        "set_tag",
        "stop",
        "hang",
        "clear_fault",
        "shift_clock",
        "run_report",
    ]
    # PUMP2_RUN rising at 40 s triggers PUMP2_START; DAILY runs on its timeline at 55 s. (This
    # test used to see DAILY only: the trigger edge was missed when no scan ran before 40 s.)
    runs = [e["report"] for e in plant.events.since(0, "report.run")]
    assert runs[:2] == ["PUMP2_START", "DAILY"]


async def test_an_event_that_cannot_be_carried_out_is_logged_not_raised(
    plant: RunningPlant,
) -> None:
    for name in ("REPORT1", "REPORT2"):
        await plant.crash(name)
    await plant.advance(55)
    failed = plant.events.since(0, "scenario.event_failed")
    assert failed and "no running reports server" in failed[0]["error"]


async def test_same_seed_same_values() -> None:
    values = []
    for _ in range(2):
        running, stop = await start_in_background(
            load_text(PLANT + SCENARIO.replace('kind = "sine"', 'kind = "random_walk"')),
            grace=0.1,
        )
        try:
            await running.advance(30)
            values.append((running.tag("FLOW_IN"), running.tag("TANK1_LEVEL")))
        finally:
            await stop()
    assert values[0] == values[1]


def test_make_clock() -> None:
    demo = load_text(demo_text()).model
    assert isinstance(make_clock(demo), ScaledClock)
    fast = make_clock(demo, 60)
    assert isinstance(fast, ScaledClock) and fast.speed == 60
    virtual = load_text(PLANT + '\n[scenario]\nclock = "virtual"\n').model
    assert isinstance(make_clock(virtual), VirtualClock)
    assert isinstance(make_clock(virtual, 2.0), ScaledClock)


async def test_faults_active_from_the_start() -> None:
    text = (
        PLANT
        + """
[[faults]]
name = "io2-down"
kind = "down"
process = "IO2"
active = true

[[faults]]
name = "slow"
kind = "latency"
latency = 10.0
active = true
"""
    )
    plant, stop = await start_in_background(load_text(text), grace=0.1)
    try:
        assert str(plant.supervisor.process("IO2").state) == "stopped"
        assert sorted(plant.manager.faults.active) == ["io2-down", "slow"]
        assert not plant.healthy()
        await plant.clear_fault("io2-down")
        assert plant.healthy()
    finally:
        await stop()


TIMED = """
[scenario]
seed = 1
clock = "virtual"
tick = "1s"

[[generators]]
tag = "PUMP1_FAULT"
kind = "square"
offset = 0.5
amplitude = 0.5
period = "20s"
phase = "10s"

[[generators]]
tag = "TANK2_TEMP"
kind = "sine"
offset = 40.0
amplitude = 5.0
period = "1m"
noise = 0.1
"""


async def test_a_tag_computed_when_read_raises_its_alarm_on_time() -> None:
    """A square wave no expression reads is not stepped at each tick; its digital alarm still
    goes on at the first scan of the tick where the wave goes high, not before."""
    running, stop = await start_in_background(load_text(PLANT + TIMED, "timed.toml"), grace=0.1)
    try:
        plant = running.supervisor.context.plant
        temp = plant.named("TANK2_TEMP")  # held: looking does not compute it
        start = temp.timestamp
        await running.advance(9)
        assert (temp.timestamp, temp.version) == (start, 0)  # nobody read it: never computed
        assert running.tag("TANK2_TEMP") != 40.0  # read: computed for the last tick
        assert temp.timestamp == running.clock.now()
        assert running.alarm("PUMP1_FAULT_ALM")["on"] is False
        assert running.tag("PUMP1_FAULT") is False
        await running.advance(1)
        assert running.alarm("PUMP1_FAULT_ALM")["on"] is True
        assert running.tag("PUMP1_FAULT") is True
        assert plant.read("PUMP1_FAULT").value_timestamp == running.clock.now()
    finally:
        await stop()
