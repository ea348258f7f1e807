from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.control.api import build_app
from emulator.testing.plant import RunningPlant, start_in_background


@pytest.fixture
async def plant() -> AsyncIterator[RunningPlant]:
    running, stop = await start_in_background(clock="virtual", grace=0.1)
    try:
        yield running
    finally:
        await stop()


@pytest.fixture
async def api(plant: RunningPlant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
        yield client
