from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.control.api import build_app
from emulator.testing.plant import RunningPlant


@pytest.fixture
def plant(scada_plant: RunningPlant) -> RunningPlant:
    """The plugin's plant: the demo plant on a virtual clock."""
    return scada_plant


@pytest.fixture
async def api(plant: RunningPlant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client
