"""The pytest plugin used the way a user would: a sample project run by pytester, under
pytest-asyncio in auto mode and in a plain pytest project (anyio's plugin, no setting)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SAMPLE_TESTS = """
import anyio
import pytest

from emulator.testing.plant import RunningPlant


async def test_demo_plant_is_ready_and_healthy(scada_plant: RunningPlant) -> None:
    assert scada_plant.healthy()
    assert set(scada_plant.endpoints) >= {"ALARM1", "IO1", "CtAPI"}
    async with scada_plant.client("SCADA-A") as session:
        assert await session.tag_read("TANK1_LEVEL") == "62.0"


async def test_failover(scada_plant: RunningPlant) -> None:
    await scada_plant.crash("ALARM1")
    assert not scada_plant.healthy()
    assert scada_plant.events.since(0, "process.state")[-1]["reason"] == "crashed"
    await scada_plant.start("ALARM1")
    assert scada_plant.healthy()


@pytest.mark.scada_scenario("plant.toml", clock="virtual")
async def test_marker_scenario_and_virtual_clock(scada_plant: RunningPlant) -> None:
    await scada_plant.advance(30)
    assert scada_plant.tag("LEVEL") == 30.0
    assert scada_plant.endpoints["IO1"][0][0] == "127.0.0.1"


async def test_factory_starts_several(scada_plant_factory) -> None:
    first = await scada_plant_factory()
    second = await scada_plant_factory("plant.toml", clock="virtual")
    assert first.endpoint("IO1") != second.endpoint("IO1")


@pytest.mark.asyncio(loop_scope="session")
async def test_session_plant(scada_plant_session: RunningPlant) -> None:
    assert scada_plant_session.healthy()


@pytest.mark.scada_scenario("broken.toml")
async def test_broken(scada_plant: RunningPlant) -> None:
    pass
"""

PLANT = """
[[computers]]
name = "PC1"
ctapi = "unencrypted"

[[network_addresses]]
name = "PC1_NET"
computer = "PC1"
address = "127.0.0.1"

[[clusters]]
name = "C1"

[[server_processes]]
name = "IO1"
type = "io"
network_address = "PC1_NET"

[[tags]]
name = "LEVEL"
type = "real"

[scenario]
clock = "virtual"

[[generators]]
tag = "LEVEL"
kind = "ramp"
rate = 1.0
"""


@pytest.fixture
def sample(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makefile(".toml", plant=PLANT)
    pytester.makefile(".toml", broken=PLANT.replace('tag = "LEVEL"\nkind', 'tag = "LEVL"\nkind'))
    pytester.makepyfile(test_sample=SAMPLE_TESTS)
    return pytester


def test_the_fixtures_work_in_a_user_project(sample: pytest.Pytester) -> None:
    result = sample.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*broken.toml does not compile*", "*unknown tag 'LEVL'*"])


def test_the_option_picks_the_scenario(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makefile(".toml", plant=PLANT)
    pytester.makepyfile(
        test_option="""
import pytest


async def test_it(scada_plant):
    assert "IO1" in scada_plant.endpoints
    await scada_plant.advance(5)
    assert scada_plant.tag("LEVEL") == 5.0


@pytest.mark.asyncio(loop_scope="session")
async def test_the_session_plant_takes_the_options(scada_plant_session):
    assert "IO1" in scada_plant_session.endpoints
    await scada_plant_session.advance(5)
    assert scada_plant_session.tag("LEVEL") == 5.0
"""
    )
    result = pytester.runpytest_subprocess(
        "-q", "--scada-scenario", "plant.toml", "--scada-clock", "virtual"
    )
    result.assert_outcomes(passed=2)


# ---- a plain pytest project: no asyncio_mode, no marker, pytest-asyncio absent or strict -------

PLAIN_TESTS = """
import sys

import pytest

from emulator.testing.plant import RunningPlant


async def test_demo_plant(scada_plant: RunningPlant) -> None:
    async with scada_plant.client("SCADA-A") as session:
        assert await session.tag_read("TANK1_LEVEL") == "62.0"


async def test_waits_need_no_polling(scada_plant: RunningPlant) -> None:
    assert (await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "off"))["on"] is False
    scada_plant.set_tag("PUMP1_FAULT", True)
    alarm = await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "ON unacknowledged", timeout=5)
    assert alarm["state"] == "ON unacknowledged"
    mark = scada_plant.events.sequence
    await scada_plant.crash("ALARM1")
    event = await scada_plant.wait_event("process.state", after=mark, reason="crashed")
    assert event["process"] == "ALARM1"


@pytest.mark.scada_scenario("plant.toml")
async def test_marker(scada_plant: RunningPlant) -> None:
    await scada_plant.advance(30)
    assert scada_plant.tag("LEVEL") == 30.0


async def test_factory(scada_plant_factory) -> None:
    first = await scada_plant_factory()
    second = await scada_plant_factory("plant.toml")
    assert first.endpoint("IO1") != second.endpoint("IO1")


async def test_session_plant(scada_plant_session: RunningPlant) -> None:
    assert scada_plant_session.healthy()


async def test_session_plant_again(scada_plant_session: RunningPlant) -> None:
    async with scada_plant_session.client("SCADA-A") as session:
        assert await session.tag_read("TANK1_LEVEL") == "62.0"
"""

LAZY_TEST = """
import sys


def test_the_plugin_loaded_nothing_of_the_emulator() -> None:
    loaded = sorted(name for name in sys.modules if name.startswith("emulator"))
    assert loaded == [
        "emulator",
        "emulator.testing",
        "emulator.testing.anyio_fixtures",
        "emulator.testing.options",
        "emulator.testing.plugin",
    ], loaded
"""


def plain_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with no pytest configuration at all."""
    pytester.makefile(".toml", plant=PLANT)
    pytester.makepyfile(test_plain=PLAIN_TESTS)
    return pytester


@pytest.mark.parametrize(
    "without", [["-p", "no:asyncio"], []], ids=["no-pytest-asyncio", "pytest-asyncio-strict"]
)
def test_a_plain_project_needs_no_setting(pytester: pytest.Pytester, without: list[str]) -> None:
    result = plain_project(pytester).runpytest_subprocess("-q", "-p", "no:cacheprovider", *without)
    result.assert_outcomes(passed=6)


def test_the_plugin_loads_the_emulator_only_when_a_fixture_runs(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_lazy=LAZY_TEST)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("test", "options", "message"),
    [
        (
            "def test_sync(scada_plant):\n    pass\n",
            [],
            "*scada_emu: test_sync uses scada_plant, which is async*write the test as "
            "`async def test_sync(...)`*",
        ),
        (
            "async def test_it(scada_plant):\n    pass\n",
            ["-p", "no:anyio"],
            "*scada_plant runs on anyio's pytest plugin, which is disabled here (`-p no:anyio`*"
            "asyncio_mode = auto*",
        ),
        (
            "import pytest\n\n@pytest.mark.asyncio\nasync def test_it(scada_plant):\n    pass\n",
            [],
            "*test_it is marked asyncio, but pytest-asyncio is not in auto mode*remove the "
            "`@pytest.mark.asyncio` marker*",
        ),
    ],
    ids=["sync-test", "anyio-disabled", "asyncio-marker-strict"],
)
def test_what_is_missing_is_said(
    pytester: pytest.Pytester, test: str, options: list[str], message: str
) -> None:
    pytester.makepyfile(test_missing=test)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *options)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
