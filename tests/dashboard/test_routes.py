"""The dashboard's routes in-process (httpx over ASGI) and its live channel over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from emulator.control.api import build_app
from emulator.dashboard import stream, views
from emulator.testing.plant import RunningPlant, start_in_background

TOKEN = "dashboard-token-0123456789"


@pytest.fixture
async def plant() -> AsyncIterator[RunningPlant]:
    running, stop = await start_in_background(clock="virtual", grace=0.1, control=True)
    try:
        yield running
    finally:
        await stop()


@pytest.fixture
async def api(plant: RunningPlant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


async def test_the_page_and_its_assets_are_served(api: httpx.AsyncClient) -> None:
    page = await api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for asset in ("dashboard.js", "dashboard.css"):
        assert f"/dashboard/static/{asset}" in page.text
        assert (await api.get(f"/dashboard/static/{asset}")).status_code == 200
    assert (await api.get("/dashboard/static/nope.js")).status_code == 404


async def test_the_snapshot_shows_topology_tags_alarms_trends(api: httpx.AsyncClient) -> None:
    body = (await api.get("/dashboard/state")).json()
    assert [c["name"] for c in body["computers"]] == ["SCADA-A", "SCADA-B"]
    assert body["computers"][0]["addresses"] == [{"name": "SCADA_A", "address": "127.0.10.1"}]
    by_id = {p["id"]: p for p in body["processes"]}
    alarm1 = by_id["SCADA-A/ALARM1"]
    assert (alarm1["state"], alarm1["mode"], alarm1["role"]) == ("running", "primary", "main")
    assert by_id["SCADA-B/ALARM2"]["role"] == "standby"
    ctapi = by_id["SCADA-A/CtAPI"]["listeners"]
    assert {listener["tls"] for listener in ctapi} == {False, True}
    assert all(listener["port"] > 0 and listener["connections"] == 0 for listener in ctapi)
    tags = {t["name"]: t for t in body["tags"]}
    assert tags["TANK1_LEVEL"]["units"] == "%" and tags["TANK1_LEVEL"]["quality"] == "Good"
    assert not tags["TANK1_LEVEL"]["writable"] and tags["TANK1_HIGH_SP"]["writable"]
    assert body["alarms"]["server"] == "ALARM1" and body["alarms"]["error"] is None
    assert "TANK1_LEVEL" in {t["name"] for t in body["trends"]}
    assert body["samples"]["servers"]["TANK1_LEVEL"] == "TREND1"
    assert "TANK1_LEVEL" in body["samples"]["reset"] and body["samples"]["points"]["TANK1_LEVEL"]
    assert (by_id["SCADA-A/TREND1"]["role"], by_id["SCADA-B/TREND2"]["role"]) == (
        "active",
        "standby",
    )
    assert by_id["SCADA-A/IO1"]["role"] is None
    assert body["health"] == "healthy" and "down" in body["fault_kinds"]
    assert body["clock"] == "virtual"


async def test_listeners_count_open_connections(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    def ctapi_connections(body: Any) -> int:
        rows = {p["id"]: p for p in body["processes"]}
        return sum(x["connections"] for x in rows["SCADA-A/CtAPI"]["listeners"])

    async with plant.client("SCADA-A"):
        with anyio.fail_after(5):
            while ctapi_connections((await api.get("/dashboard/state")).json()) != 1:
                await anyio.wait_all_tasks_blocked()


async def test_a_write_from_the_page_obeys_the_tag_as_ctapi_does(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    written = await api.post("/dashboard/tags/TANK1_HIGH_SP/write", json={"value": "75"})
    assert written.status_code == 200 and written.json()["value"] == 75.0
    assert plant.tag("TANK1_HIGH_SP") == 75.0
    assert (await api.post("/dashboard/tags/PUMP1_CMD/write", json={"value": False})).is_success
    assert plant.tag("PUMP1_CMD") is False
    refused = await api.post("/dashboard/tags/TANK1_LEVEL/write", json={"value": "50"})
    assert refused.status_code == 400 and "not writable" in refused.json()["error"]
    out = await api.post("/dashboard/tags/TANK1_HIGH_SP/write", json={"value": "500"})
    assert out.status_code == 400 and "TANK1_HIGH_SP" in out.json()["error"]
    unknown = await api.post("/dashboard/tags/TANK9/write", json={"value": "1"})
    assert unknown.status_code == 404 and "no tag 'TANK9'" in unknown.json()["error"]
    for bad in (b"{", b"[1]", b'{"value": null}'):
        answer = await api.post("/dashboard/tags/TANK1_HIGH_SP/write", content=bad)
        assert answer.status_code == 400 and answer.json()["error"]
    huge = await api.post("/dashboard/tags/TANK1_HIGH_SP/write", content=b"x" * 20_000)
    assert huge.status_code == 413


async def test_acknowledge_all_goes_to_the_main_alarm_server(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    plant.set_tag("PUMP1_FAULT", True)
    plant.set_tag("PUMP2_FAULT", True)
    with anyio.fail_after(5):
        while _unacked(plant) != {"PUMP1_FAULT_ALM", "PUMP2_FAULT_ALM"}:
            await anyio.wait_all_tasks_blocked()
    answer = await api.post("/dashboard/alarms/ack")
    assert answer.status_code == 200 and answer.json()["acknowledged"] >= 2
    assert not _unacked(plant)
    await plant.crash("ALARM1")
    await plant.crash("ALARM2")
    gone = await api.post("/dashboard/alarms/ack")
    assert gone.status_code == 409 and "no Alarm server of cluster CLUSTER1" in gone.json()["error"]
    body = (await api.get("/dashboard/state")).json()
    assert body["alarms"]["server"] is None and body["alarms"]["active"] == []
    assert "CLUSTER1" in body["alarms"]["error"]


def _unacked(plant: RunningPlant) -> set[str]:
    active = views.alarms(plant.manager)["active"]
    return {a["tag"] for a in active if not a["acked"]}


async def test_a_token_becomes_a_cookie_for_the_page(plant: RunningPlant) -> None:
    transport = httpx.ASGITransport(app=build_app(plant.manager, token=TOKEN))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/")).status_code == 401
        assert (await client.get("/?token=wrong")).status_code == 401
        traded = await client.get(f"/?token={TOKEN}")
        assert traded.status_code == 303 and traded.headers["location"] == "/"
        cookie = traded.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert (await client.get("/")).status_code == 200  # the client keeps the cookie
        assert (await client.get("/dashboard/state")).status_code == 200
        assert (await client.get("/health")).status_code == 200
        client.cookies.set("scada_emu_token", "stale")
        assert (await client.get("/dashboard/state")).status_code == 401
        client.cookies.clear()
        client.headers["Cookie"] = 'scada_emu_token="unterminated'
        assert (await client.get("/dashboard/state")).status_code == 401
        del client.headers["Cookie"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/dashboard/state", headers=bearer)).status_code == 200


async def test_watch_sends_only_what_changed(plant: RunningPlant) -> None:
    watch = views.Watch(plant.manager)
    watch.snapshot()
    assert watch.update() == {}
    plant.set_tag("TANK1_TEMP", 33.3)
    frame = watch.update()
    assert [t["name"] for t in frame["tags"]] == ["TANK1_TEMP"]
    assert frame["tags"][0]["text"] == "33.3"
    assert "processes" not in frame and frame["events"][-1]["event"] == "tag.set"
    await plant.stop("IO2")
    frame = watch.update()
    io2 = next(p for p in frame["processes"] if p["process"] == "IO2")
    assert (io2["state"], io2["listeners"]) == ("stopped", [])
    assert watch.update() == {}


async def test_the_live_channel_streams_a_snapshot_then_changes(plant: RunningPlant) -> None:
    assert plant.control_url is not None
    async with (
        httpx.AsyncClient(base_url=plant.control_url) as client,
        client.stream("GET", "/dashboard/stream") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.aiter_lines())
        with anyio.fail_after(5):
            kind, first = await anext(events)
            assert kind == "snapshot" and first["alarms"]["server"] == "ALARM1"
            await client.put("/tags/FLOW_IN", json={"value": 200.5})
            kind, update = await anext(events)
        assert kind == "update" and [t["name"] for t in update["tags"]] == ["FLOW_IN"]
        assert update["tags"][0]["number"] == 200.5


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    kind = ""
    async for line in lines:
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            yield kind, json.loads(line[len("data: ") :])


async def test_frames_end_when_the_runtime_closes(plant: RunningPlant) -> None:
    sent: list[bytes] = []
    with anyio.fail_after(5):
        async for chunk in stream.frames(plant.manager, lambda: bool(sent)):
            sent.append(chunk)
    assert len(sent) == 1 and sent[0].startswith(b"retry: ")
    assert stream.message("x", {"v": float("nan")}) == b'event: x\ndata: {"v":null}\n\n'


TWO_CLUSTERS = """
[[computers]]
name = "PC-A"
[[network_addresses]]
name = "NET_A"
computer = "PC-A"
address = "127.0.0.1"
[[clusters]]
name = "NORTH"
[[clusters]]
name = "SOUTH"
[[server_processes]]
name = "ALARM_N"
type = "alarm"
cluster = "NORTH"
network_address = "NET_A"
[[server_processes]]
name = "ALARM_S"
type = "alarm"
cluster = "SOUTH"
network_address = "NET_A"
port = 2090
[[tags]]
name = "FAULT"
type = "digital"
cluster = "NORTH"
[[tags]]
name = "FAULT"
type = "digital"
cluster = "SOUTH"
[[alarms]]
tag = "NORTH_ALM"
variable = "NORTH.FAULT"
cluster = "NORTH"
[[alarms]]
tag = "SOUTH_ALM"
variable = "SOUTH.FAULT"
cluster = "SOUTH"
"""


async def test_each_cluster_shows_its_own_main_and_tags() -> None:
    plant, stop = await start_in_background(TWO_CLUSTERS, clock="virtual", grace=0.1)
    try:
        plant.set_tag("NORTH.FAULT", True)
        plant.set_tag("SOUTH.FAULT", True)
        with anyio.fail_after(5):
            while len(views.alarms(plant.manager)["active"]) < 2:
                await anyio.wait_all_tasks_blocked()
        body = views.Watch(plant.manager).snapshot()
        assert {t["name"] for t in body["tags"]} == {"NORTH.FAULT", "SOUTH.FAULT"}
        assert body["alarms"]["server"] == "ALARM_N, ALARM_S"
        assert {a["tag"] for a in body["alarms"]["active"]} == {"NORTH_ALM", "SOUTH_ALM"}
        assert views.acknowledge_all(plant.manager, "test") == 2
        await plant.crash("ALARM_S")
        alarms = views.alarms(plant.manager)
        assert alarms["server"] == "ALARM_N" and "cluster SOUTH" in alarms["error"]
    finally:
        await stop()


async def test_a_quiet_plant_gets_keep_alive_comments(
    plant: RunningPlant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "POLL", 0.01)
    monkeypatch.setattr(stream, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(stream, "KEEPALIVE", 0.01)
    sent: list[bytes] = []
    with anyio.fail_after(5):
        async for chunk in stream.frames(plant.manager, lambda: len(sent) >= 2):
            sent.append(chunk)
    assert b"event: snapshot" in sent[0] and sent[1] == b": keep-alive\n\n"


async def test_another_site_cannot_drive_the_plant_through_a_browser(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1"},
    ):
        refused = await api.post("/processes/ALARM1/crash", headers=headers)
        assert refused.status_code == 403 and "another site" in refused.json()["error"]
        assert (
            await api.put("/tags/FLOW_IN", json={"value": 1}, headers=headers)
        ).status_code == 403
    assert plant.supervisor.process("ALARM1").state == "running"
    assert (await api.get("/health", headers={"Origin": "http://evil.example"})).status_code == 200
    same = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
    assert (await api.put("/tags/FLOW_IN", json={"value": 1}, headers=same)).status_code == 200
    assert (await api.post("/dashboard/alarms/ack", headers={"Sec-Fetch-Site": "none"})).is_success


async def test_traffic_counts_requests_and_shows_a_connections_exchanges(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    async with plant.client("SCADA-A") as session:
        assert await session.tag_read("TANK1_LEVEL") == "62.0"
        with pytest.raises(Exception, match="NOPE"):
            await session.tag_read("NOPE")
        body = (await api.get("/dashboard/traffic")).json()
        ctapi = [
            x for x in body["listeners"] if (x["computer"], x["process"]) == ("SCADA-A", "CtAPI")
        ]
        (plain,) = [x for x in ctapi if x["connections"]]  # the client's choice: TLS or not
        assert plain["connections"] == 1 and plain["ops"]["tag.read"] == 2
        assert plain["requests"] == sum(plain["ops"].values()) >= 3  # open and the two reads
        (row,) = [c for c in body["connections"] if c["process"] == "CtAPI"]
        assert body["connection"] == row["id"] and row["listener"].endswith(f":{plain['port']}")
        newest, second, *older = row["exchanges"]
        assert (newest["op"], newest["ok"]) == ("tag.read", False)
        assert "NOPE" in newest["request"] and "NOPE" in newest["reply"]
        assert second["ok"] and "TANK1_LEVEL" in second["request"] and "62.0" in second["reply"]
        opened = next(e for e in older if e["op"] == "open")
        assert '"password":"***"' in opened["request"] and "control" not in opened["request"]
        other = (await api.get("/dashboard/traffic", params={"connection": "nope"})).json()
        assert other["connection"] is None
        assert all(c["exchanges"] == [] for c in other["connections"])


HOSTILE = """
[project]
name = "P"
description = "</script><script>alert(1)</script>"

[[computers]]
name = "PC1"

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
comment = "<img src=x onerror=alert(1)>"
"""


@pytest.mark.parametrize("source", [None, HOSTILE], ids=["demo", "hostile-text"])
async def test_the_page_carries_its_snapshot_as_inert_json(source: str | None) -> None:
    running, stop = await start_in_background(source, clock="virtual", grace=0.1)
    try:
        transport = httpx.ASGITransport(app=build_app(running.manager))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = (await client.get("/")).text
    finally:
        await stop()
    opening = '<script id="initial-state" type="application/json">'
    start = page.index(opening) + len(opening)
    data = page[start : page.index("</script>", start)]
    assert "<" not in data  # no text of the plant can end the element
    snapshot = json.loads(data)
    assert {"project", "processes", "tags", "trends", "samples"} <= set(snapshot)
    if source is not None:
        assert snapshot["project"]["description"] == "</script><script>alert(1)</script>"
        assert page.count("<script") == 3  # uPlot, dashboard.js, the data block, nothing else


def test_the_vendored_chart_library_is_the_documented_one() -> None:
    from pathlib import Path

    static = Path(views.__file__).parent / "static"
    banner = (static / "uPlot.iife.min.js").read_text("utf-8").splitlines()[0]
    assert banner == "/*! https://github.com/leeoniya/uPlot (v1.6.32) */"
    assert "The MIT License" in (static / "uPlot.LICENSE").read_text("utf-8")
    docs = Path(__file__).resolve().parents[2] / "docs"
    assert "uPlot](https://github.com/leeoniya/uPlot) 1.6.32" in (docs / "dashboard.md").read_text()
    assert "**uPlot** 1.6.32" in (docs / "architecture.md").read_text()
