"""Writes to generated tags stick as the device would keep them (docs/scenarios.md, "Writes"),
through every write path: CtAPI, the control API (and `scada-emu tag set`), the dashboard and
a timeline event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from emulator.cli import main
from emulator.control.api import build_app
from emulator.plant.config import TagValue
from emulator.scenario.config import Generator, Step
from emulator.scenario.generators import Generators
from emulator.testing.plant import RunningPlant, start_in_background
from emulator.topology.load import demo_text, load_text

#: The demo plant without its own scenario.
PLANT = demo_text().split("\n# ---- Scenario")[0]

_TAGS = ("W_CONST", "W_WALK", "W_TANK", "W_STEPS", "W_SINE", "W_EXPR", "W_NOW")

SCENARIO = (
    "".join(
        f'\n[[tags]]\nname = "{name}"\ntype = "real"\nio_device = "PLC2"\n'
        f'address = "D{400 + 2 * i}"\ninitial = 0.0\n'
        for i, name in enumerate(_TAGS)
    )
    + """
[scenario]
clock = "virtual"
tick = "1s"

[[generators]]
tag = "W_CONST"
kind = "constant"
value = 10.0

[[generators]]
tag = "W_WALK"
kind = "random_walk"
step = 0.1

[[generators]]
tag = "W_TANK"
kind = "expression"
expression = "1"
integrate = true

[[generators]]
tag = "W_STEPS"
kind = "steps"
period = "1m"
steps = [{ at = 0, value = 1.0 }, { at = "30s", value = 2.0 }]

[[generators]]
tag = "W_SINE"
kind = "sine"
offset = 50.0
amplitude = 10.0
period = "1m"
write_hold = "20s"

[[generators]]
tag = "W_EXPR"
kind = "expression"
expression = "W_SINE * 2"

[[generators]]
tag = "W_NOW"
kind = "ramp"
rate = 1.0
write_hold = 0

[[timeline]]
at = "100s"
action = "set_tag"
tag = "W_CONST"
value = 33.0
"""
)


@pytest.fixture
async def plant() -> AsyncIterator[RunningPlant]:
    running, stop = await start_in_background(
        load_text(PLANT + SCENARIO, "writes.toml"), control=True, grace=0.1
    )
    try:
        yield running
    finally:
        await stop()


@pytest.fixture
async def api(plant: RunningPlant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


def number(plant: RunningPlant, tag: str) -> float:
    value = plant.tag(tag)
    assert isinstance(value, float)
    return value


async def test_a_constant_keeps_a_ctapi_write_as_its_setpoint(plant: RunningPlant) -> None:
    await plant.advance(2)
    async with plant.client() as client:
        await client.tag_write("W_CONST", "12.5")
        await plant.advance(30)
        assert await client.tag_read("W_CONST") == "12.5"
    # A timeline set_tag is a write too: at 100 s it becomes the setpoint.
    await plant.advance(70)
    assert plant.tag("W_CONST") == 33.0


async def test_integrators_go_on_from_the_written_value(plant: RunningPlant) -> None:
    await plant.advance(10)
    assert plant.tag("W_TANK") == pytest.approx(10.0)
    async with plant.client() as client:
        await client.tag_write("W_TANK", "100")
        await client.tag_write("W_WALK", "-40")
    await plant.advance(3)
    assert plant.tag("W_TANK") == pytest.approx(103.0)
    assert number(plant, "W_WALK") == pytest.approx(-40.0, abs=1.0)


async def test_steps_hold_a_write_until_the_next_step(plant: RunningPlant) -> None:
    await plant.advance(5)
    assert plant.tag("W_STEPS") == 1.0
    plant.set_tag("W_STEPS", 7.0)
    await plant.advance(24)  # 29 s: still the step begun at 0 s
    assert plant.tag("W_STEPS") == 7.0
    await plant.advance(2)  # 31 s: the step at 30 s takes over
    assert plant.tag("W_STEPS") == 2.0
    await plant.advance(60)
    assert plant.tag("W_STEPS") == 2.0  # and the schedule goes on


async def test_functions_of_time_hold_a_write_for_write_hold(
    plant: RunningPlant, api: httpx.AsyncClient
) -> None:
    await plant.advance(15)  # sine at its top: 60
    answer = await api.put("/tags/W_SINE", json={"value": 12.5})
    assert answer.status_code == 200 and answer.json()["value"] == 12.5
    await plant.advance(19)
    assert plant.tag("W_SINE") == 12.5
    assert plant.tag("W_EXPR") == 25.0  # an expression reads the held value
    await plant.advance(2)  # 36 s: 21 s after the write, the sine is back
    assert number(plant, "W_SINE") != 12.5 and 40.0 <= number(plant, "W_SINE") <= 60.0
    # write_hold = 0: the generator's next tick replaces the write.
    await api.put("/tags/W_NOW", json={"value": -5.0})
    await plant.advance(1)
    assert plant.tag("W_NOW") == pytest.approx(37.0)


async def test_an_override_holds_until_the_mode_is_cleared(plant: RunningPlant) -> None:
    async with plant.client() as client:
        await client.tag_write("W_SINE.Override", "5")
        await client.tag_write("W_SINE.OverrideMode", "1")
        await plant.advance(300)
        assert await client.tag_read("W_SINE") == "5"
        assert float(await client.tag_read("W_SINE.Field")) != 5.0
        await client.tag_write("W_SINE.OverrideMode", "0")
        assert float(await client.tag_read("W_SINE")) != 5.0


async def test_the_dashboard_write_holds(plant: RunningPlant, api: httpx.AsyncClient) -> None:
    await plant.advance(3)
    answer = await api.post("/dashboard/tags/W_CONST/write", json={"value": "44"})
    assert answer.status_code == 200
    await plant.advance(10)
    assert plant.tag("W_CONST") == 44.0


async def test_scada_emu_tag_set_holds(
    plant: RunningPlant, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plant.control_url is not None
    await plant.advance(2)
    argv = ["tag", "set", "W_TANK", "50", "--control", plant.control_url]
    assert await anyio.to_thread.run_sync(main, argv) == 0
    capsys.readouterr()
    await plant.advance(5)
    assert plant.tag("W_TANK") == pytest.approx(55.0)


def test_each_kind_takes_a_write_its_own_way() -> None:
    """The generators alone (pure): what each kind does with a write, tick by tick."""
    specs = [
        Generator(tag="C", kind="constant", value=1.0),
        Generator(tag="I", kind="expression", expression="2", integrate=True),
        Generator(tag="S", kind="steps", period=10.0, steps=[Step(at=0, value=1.0)]),
        Generator(tag="R", kind="ramp", write_hold=3.0),
    ]
    gens = Generators(specs, seed=0, tick=1.0, start=0.0, types={})
    current: dict[str, TagValue] = {"c": 0.0, "i": 0.0, "s": 0.0, "r": 0.0}
    current.update({k.casefold(): v for k, v in gens.advance(2.0, current).values.items()})
    assert current == {"c": 1.0, "i": 4.0, "s": 1.0, "r": 2.0}
    for tag, value in (("C", 9.0), ("I", 100.0), ("S", 8.0), ("R", -1.0)):
        current[tag.casefold()] = value
        gens.written(tag, value, 2.5)
    values = gens.advance(5.0, current).values  # ticks at 3, 4, 5
    assert values == {"C": 9.0, "I": 106.0}  # S and R hold: they give no value
    assert gens.advance(6.0, current).values["R"] == 6.0
    assert gens.advance(10.0, current).values["S"] == 1.0  # the next cycle's step
