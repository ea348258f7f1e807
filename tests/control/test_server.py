from __future__ import annotations

import httpx
import pytest

from emulator.control.api import build_app
from emulator.control.manager import ControlError
from emulator.control.server import check_bind
from emulator.control.service import control_settings, parse_address
from emulator.scenario.config import ControlSettings
from emulator.testing.plant import RunningPlant, start_in_background


async def test_the_control_api_serves_http_on_an_ephemeral_port() -> None:
    plant, stop = await start_in_background(clock="virtual", control=True, grace=0.1)
    try:
        assert plant.control_url is not None and plant.control_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=plant.control_url) as client:
            assert (await client.get("/health")).status_code == 200
            await client.post("/processes/IO1/crash")
            events = (await client.get("/events", params={"prefix": "process."})).json()
        assert any(e.get("reason") == "crashed" for e in events["events"])
    finally:
        await stop()


async def test_a_token_guards_every_request(plant: RunningPlant) -> None:
    app = build_app(plant.manager, token="s3cret-token-of-16+")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://control") as client:
        refused = await client.get("/health")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        wrong = await client.get("/health", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await client.get("/health", headers={"Authorization": "Bearer s3cret-token-of-16+"})
        assert ok.status_code == 200


def test_a_non_loopback_bind_needs_a_token() -> None:
    with pytest.raises(ControlError, match="reachable from other machines"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "token")
    check_bind("localhost", None)
    check_bind("::1", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8787", ("127.0.0.1", 8787)),
        (":9000", ("127.0.0.1", 9000)),
        ("9001", ("127.0.0.1", 9001)),
        ("[::1]:0", ("::1", 0)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("bad", ["host:", "host:port", "1:70000", ""])
def test_bad_addresses_say_the_form(bad: str) -> None:
    with pytest.raises(ControlError, match="HOST:PORT"):
        parse_address(bad)


def test_control_settings_follow_the_options() -> None:
    base = ControlSettings()
    assert control_settings(base, disabled=True) is None
    assert control_settings(ControlSettings(enabled=False)) is None
    assert control_settings(base, ephemeral=True) == ControlSettings(port=0)
    chosen = control_settings(ControlSettings(enabled=False), address=":9100", token="t")
    assert chosen == ControlSettings(port=9100, token="t")
    with pytest.raises(ControlError, match="control-token"):
        control_settings(base, address="0.0.0.0:9100")
