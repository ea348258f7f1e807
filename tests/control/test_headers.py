"""Every answer of the control API and the dashboard carries the security headers
(docs/security.md), and paths or methods no route takes get the JSON error body
(docs/control.md "Routes")."""

from __future__ import annotations

import httpx
import pytest

from emulator.control.api import build_app
from emulator.control.headers import CSP
from emulator.testing.plant import RunningPlant


def assert_secure(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/", 200),
        ("GET", "/dashboard/static/dashboard.js", 200),
        ("GET", "/dashboard/static/dashboard.css", 200),
        ("GET", "/dashboard/static/nope.js", 404),
        ("GET", "/no/such/path", 404),
        ("DELETE", "/health", 405),
        ("GET", "/tags/NO_SUCH_TAG", 404),
    ],
)
async def test_every_answer_carries_the_security_headers(
    api: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await api.request(method, path)
    assert response.status_code == status
    assert_secure(response)


async def test_refusals_before_the_routes_carry_them_too(plant: RunningPlant) -> None:
    token_app = httpx.ASGITransport(app=build_app(plant.manager, "secret-token-0123456789"))
    async with httpx.AsyncClient(transport=token_app, base_url="http://127.0.0.1") as client:
        refused = await client.get("/health")
        assert refused.status_code == 401
        assert_secure(refused)
    open_app = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=open_app, base_url="http://evil.example") as client:
        refused = await client.get("/health")
        assert refused.status_code == 403
        assert_secure(refused)


async def test_an_unknown_path_is_a_json_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/no/such/path")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == 404 and "/no/such/path" in body["error"]
    assert (await api.post("/nothing/here", json={})).json()["status"] == 404


async def test_a_method_the_path_does_not_take_is_a_json_405(api: httpx.AsyncClient) -> None:
    response = await api.delete("/health")
    assert response.status_code == 405
    assert response.json() == {
        "error": "DELETE is not allowed on '/health' (allowed: GET, HEAD)",
        "status": 405,
    }
    assert response.headers["allow"] == "GET, HEAD"
    # GET and PUT /tags/{name} are two routes: Allow names both (HEAD comes with GET).
    both = await api.delete("/tags/TANK1_LEVEL")
    assert both.status_code == 405 and both.json()["status"] == 405
    assert both.headers["allow"] == "GET, HEAD, PUT"
