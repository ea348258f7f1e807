"""The fixtures of the pytest plugin under pytest-asyncio in auto mode (`asyncio_mode = auto`);
emulator.testing.plugin registers them instead of those of anyio_fixtures.py there.

Like the plugin, this module imports nothing of the emulator until a fixture is set up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from emulator.testing.options import options_of, resolve

if TYPE_CHECKING:
    from emulator.testing.plant import RunningPlant, Source

PlantFactory = Callable[..., Awaitable["RunningPlant"]]


@pytest_asyncio.fixture
async def scada_plant(request: pytest.FixtureRequest) -> AsyncIterator[RunningPlant]:
    """A plant on ephemeral ports, ready before the test and stopped after it."""
    from emulator.testing.plant import start_in_background

    source, options = options_of(request)
    plant, stop = await start_in_background(source, **options)
    try:
        yield plant
    finally:
        await stop()


@pytest_asyncio.fixture
async def scada_plant_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[PlantFactory]:
    """`await scada_plant_factory(source=None, clock=..., control=...)` starts one more."""
    from emulator.testing.plant import start_in_background

    stops: list[Callable[[], Awaitable[None]]] = []

    async def make(source: Source = None, **options: Any) -> RunningPlant:
        plant, stop = await start_in_background(resolve(source, request), **options)
        stops.append(stop)
        return plant

    try:
        yield make
    finally:
        for stop in reversed(stops):
            await stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def scada_plant_session(request: pytest.FixtureRequest) -> AsyncIterator[RunningPlant]:
    """One plant for every test of the session (--scada-scenario, --scada-clock)."""
    from emulator.testing.plant import start_in_background

    source, options = options_of(request)  # a session has no marker: the options alone
    plant, stop = await start_in_background(source, **options)
    try:
        yield plant
    finally:
        await stop()
