"""Without a token the control API answers only to a loopback Host (no DNS rebinding)."""

from __future__ import annotations

import httpx
import pytest

from emulator.control.api import build_app, loopback_host
from emulator.testing.plant import RunningPlant


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:8787", True),
        ("127.0.10.1", True),
        ("localhost:8787", True),
        ("LOCALHOST", True),
        ("[::1]:8787", True),
        ("::1", True),
        ("evil.example:8787", False),
        ("evil.example", False),
        ("10.0.0.1:8787", False),
        ("[fe80::1]:8787", False),
        ("", False),
        ("127.0.0.1.evil.example", False),
    ],
)
def test_which_hosts_are_this_machine(host: str, loopback: bool) -> None:
    assert loopback_host(host) is loopback


async def test_a_rebound_name_is_refused_and_the_plant_untouched(plant: RunningPlant) -> None:
    transport = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example:8787") as api:
        # Same origin as far as the browser knows: Origin and Host carry the attacker's name.
        same_origin = {"Origin": "http://evil.example:8787", "Sec-Fetch-Site": "same-origin"}
        crash = await api.post("/processes/ALARM1/crash", headers=same_origin)
        assert crash.status_code == 403 and "not this machine" in crash.json()["error"]
        assert (await api.get("/tags/TANK1_LEVEL")).status_code == 403
    assert plant.supervisor.process("ALARM1").state == "running"


async def test_with_a_token_any_host_may_ask(plant: RunningPlant) -> None:
    token = "a-token-for-the-lan-0123456789"
    transport = httpx.ASGITransport(app=build_app(plant.manager, token=token))
    async with httpx.AsyncClient(transport=transport, base_url="http://scada-emu.lan") as api:
        ok = await api.get("/health", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
