"""The pytest plugin (entry point `pytest11: scada_emu`): plants as fixtures.

    scada_plant          one plant per test: the demo plant, or the scenario of the
                         `scada_scenario` marker or of `--scada-scenario`
    scada_plant_factory  an async callable that starts more plants, all stopped after the test
    scada_plant_session  one plant for the whole session

The fixtures are async. They run on anyio's pytest plugin (anyio is a dependency, so it is
always there): a plain pytest project needs no setting and no marker. Where pytest-asyncio runs
in auto mode (`asyncio_mode = auto`), the fixtures are pytest-asyncio's instead, so the two
plugins never fight over one test. Documented in docs/testing.md.

This module is imported by every pytest start in an environment that has the package, so it
imports nothing of the emulator: the fixture modules do, when a fixture is first set up.
"""

from __future__ import annotations

import inspect

import pytest

from emulator.testing.options import MARKER

FIXTURES = ("scada_plant", "scada_plant_factory", "scada_plant_session")
#: Name under which the chosen fixture module is registered with pytest.
REGISTERED = "scada_emu_fixtures"
INSTALL = "pip install 'plant-scada-emulator[pytest]'"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scada-emu", "Plant SCADA emulator")
    group.addoption(
        "--scada-scenario",
        metavar="FILE",
        help="topology/scenario file the scada_plant fixtures start (default: the demo plant)",
    )
    group.addoption(
        "--scada-clock",
        choices=("scenario", "virtual", "real"),
        default=None,
        help="plant clock of the scada_plant fixtures (default: virtual)",
    )


def asyncio_auto(config: pytest.Config) -> bool:
    """pytest-asyncio is active and takes every async test and fixture (auto mode)."""
    if not config.pluginmanager.has_plugin("asyncio"):
        return False
    mode = config.getoption("asyncio_mode", default=None) or config.getini("asyncio_mode")
    return str(mode) == "auto"


def runner(config: pytest.Config) -> str:
    """Which plugin runs the fixtures: "asyncio" (pytest-asyncio, auto mode) or "anyio"."""
    return "asyncio" if asyncio_auto(config) else "anyio"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(source=None, *, clock='virtual', control=False): the scenario file (or TOML "
        "text) the scada_plant fixture starts, its clock, and whether to serve the control API",
    )
    if config.pluginmanager.has_plugin(REGISTERED):
        return
    if runner(config) == "asyncio":
        from emulator.testing import fixtures as chosen
    else:
        from emulator.testing import anyio_fixtures as chosen  # type: ignore[no-redef]
    config.pluginmanager.register(chosen, REGISTERED)


def _problem(item: pytest.Item) -> str | None:
    """Why the scada fixtures cannot work for this test, with what to do; None when they can."""
    used = [name for name in FIXTURES if name in getattr(item, "fixturenames", ())]
    if not used or not isinstance(item, pytest.Function):
        return None
    function = getattr(item.obj, "hypothesis", None)
    function = getattr(function, "inner_test", item.obj)
    fixture = used[0]
    if not inspect.iscoroutinefunction(function):
        return (
            f"{item.originalname} uses {fixture}, which is async: the plant runs on the test's "
            f"event loop, so write the test as `async def {item.originalname}(...)`"
        )
    config = item.config
    if runner(config) == "anyio":
        if not config.pluginmanager.has_plugin("anyio"):
            return (
                f"{fixture} runs on anyio's pytest plugin, which is disabled here (`-p no:anyio`"
                " in the command line or in addopts): remove it, or install pytest-asyncio "
                f"({INSTALL} pytest-asyncio) and set `asyncio_mode = auto`"
            )
        if item.get_closest_marker("asyncio") is not None:
            return (
                f"{item.originalname} is marked asyncio, but pytest-asyncio is not in auto mode, "
                f"so {fixture} runs on anyio's plugin: remove the `@pytest.mark.asyncio` marker "
                "(or `pytestmark`), or set `asyncio_mode = auto`"
            )
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    problem = _problem(item)
    if problem is not None:
        pytest.fail(f"scada_emu: {problem} (docs/testing.md)", pytrace=False)
