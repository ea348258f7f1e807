"""The fixtures of the pytest plugin on anyio's pytest plugin: what a plain pytest project
gets, with no setting and no marker (emulator.testing.plugin registers this module unless
pytest-asyncio runs in auto mode).

anyio's plugin runs an async test on its own event loop when the test depends on the
`anyio_backend` fixture; these fixtures depend on it, so a test that asks for one of them is
run by anyio. The emulator runs on asyncio: under another backend (trio, when installed, is one
of anyio_backend's parameters) the fixtures skip the test.

`scada_plant_session` keeps one anyio test runner (one event loop) open for the session, so the
session's plant and every test after its first use share that loop.

Like the plugin, this module imports nothing of the emulator until a fixture is set up.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from emulator.testing.options import options_of, resolve

if TYPE_CHECKING:
    from emulator.testing.plant import RunningPlant, Source

PlantFactory = Callable[..., Awaitable["RunningPlant"]]
BACKEND = "asyncio"


def _backend_name(anyio_backend: Any) -> str:
    return str(anyio_backend if isinstance(anyio_backend, str) else anyio_backend[0])


@pytest.fixture
def _scada_on_asyncio(anyio_backend: Any) -> None:
    """Skips a test that anyio runs on another backend than asyncio."""
    name = _backend_name(anyio_backend)
    if name != BACKEND:
        pytest.skip(
            f"the emulator runs on asyncio, not {name}: the scada_plant fixtures skip it "
            "(override anyio_backend to return 'asyncio' to run each test once)"
        )


@pytest.fixture
async def scada_plant(
    request: pytest.FixtureRequest, _scada_on_asyncio: None
) -> AsyncIterator[RunningPlant]:
    """A plant on ephemeral ports, ready before the test and stopped after it."""
    from emulator.testing.plant import start_in_background

    source, options = options_of(request)
    plant, stop = await start_in_background(source, **options)
    try:
        yield plant
    finally:
        await stop()


@pytest.fixture
async def scada_plant_factory(
    request: pytest.FixtureRequest, _scada_on_asyncio: None
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


async def _session_plant(
    source: Source, options: dict[str, Any]
) -> AsyncGenerator[RunningPlant, None]:
    from emulator.testing.plant import start_in_background

    plant, stop = await start_in_background(source, **options)
    try:
        yield plant
    finally:
        await stop()


@pytest.fixture(scope="session")
def _scada_session(request: pytest.FixtureRequest) -> Iterator[RunningPlant]:
    """The session's plant, in an anyio test runner held open until the session ends."""
    from anyio.pytest_plugin import get_runner

    source, options = options_of(request)  # a session has no marker: the options alone
    with get_runner(BACKEND, {}) as runner:
        yield from runner.run_asyncgen_fixture(
            _session_plant, {"source": source, "options": options}
        )


@pytest.fixture
def scada_plant_session(_scada_session: RunningPlant, _scada_on_asyncio: None) -> RunningPlant:
    """One plant for every test of the session (--scada-scenario, --scada-clock)."""
    return _scada_session
