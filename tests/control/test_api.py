from __future__ import annotations

import re

import anyio
import httpx
import pytest

from emulator.plant.alarms import AlarmServer
from emulator.plant.reports import ReportServer
from emulator.plant.storage import Store
from emulator.testing.plant import RunningPlant


async def test_health_is_200_until_a_process_leaves_its_intended_state(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["faults"] == []
    assert {"ALARM1", "IO2", "CtAPI"} <= {p["process"] for p in body["processes"]}
    crashed = await api.post("/processes/ALARM1/crash")
    assert crashed.json()[0]["state"] == "failed"
    response = await api.get("/health")
    assert response.status_code == 503
    alarm1 = next(p for p in response.json()["processes"] if p["process"] == "ALARM1")
    assert (alarm1["state"], alarm1["intended"], alarm1["healthy"]) == ("failed", "running", False)
    assert (await api.post("/processes/ALARM1/start")).json()[0]["state"] == "running"
    assert (await api.get("/health")).status_code == 200


async def test_a_stopped_process_is_healthy_because_it_was_meant_to_stop(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    stopped = (await api.post("/processes/IO2/stop")).json()[0]
    assert (stopped["state"], stopped["intended"], stopped["listeners"]) == (
        "stopped",
        "stopped",
        [],
    )
    assert (await api.get("/health")).status_code == 200
    with pytest.raises(LookupError, match="is it stopped"):
        plant.endpoint("IO2")


async def test_hang_is_unhealthy_until_start(api: httpx.AsyncClient) -> None:
    hung = (await api.post("/processes/TREND1/hang")).json()[0]
    assert hung["hung"] and hung["state"] == "running"
    assert (await api.get("/health")).status_code == 503
    assert [f["name"] for f in (await api.get("/faults")).json() if f["active"]] == [
        "hang SCADA-A/TREND1"
    ]
    assert not (await api.post("/processes/TREND1/start")).json()[0]["hung"]
    assert (await api.get("/health")).status_code == 200


async def test_per_computer_processes_take_a_computer(api: httpx.AsyncClient) -> None:
    both = (await api.post("/processes/CtAPI/stop")).json()
    assert {p["computer"] for p in both} == {"SCADA-A", "SCADA-B"}
    one = (await api.post("/processes/CtAPI/start?computer=scada-b")).json()
    assert [(p["computer"], p["state"]) for p in one] == [("SCADA-B", "running")]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/processes/NOPE/stop", 404, "no server process 'NOPE'"),
        ("/processes/IO1/explode", 404, "unknown action 'explode'"),
        ("/processes/IO1/stop?computer=SCADA-B", 404, "on computer 'SCADA-B'"),
    ],
)
async def test_process_errors_say_what(
    api: httpx.AsyncClient, path: str, status: int, message: str
) -> None:
    response = await api.post(path)
    assert response.status_code == status
    assert message in response.json()["error"]


async def test_topology_hides_passwords(api: httpx.AsyncClient) -> None:
    body = (await api.get("/topology")).json()
    assert body["project"]["name"] == "Demo Plant"
    assert {u["password"] for u in body["users"]} == {"***"}


async def test_faults_add_list_clear_and_reset(api: httpx.AsyncClient) -> None:
    added = await api.post(
        "/faults", json={"name": "slow", "kind": "latency", "latency": 20, "process": "IO1"}
    )
    assert added.status_code == 201 and added.json()["active"]
    await api.post("/faults", json={"name": "cut", "kind": "limit_data", "bytes": 10})
    listing = (await api.get("/faults")).json()
    assert [(f["name"], f["active"]) for f in listing] == [("slow", True), ("cut", True)]
    cleared = await api.delete("/faults/slow")
    assert cleared.status_code == 200 and not cleared.json()["active"]
    again = await api.post("/faults", json={"name": "SLOW"})
    assert again.status_code == 201
    assert sorted((await api.post("/reset")).json()["cleared"]) == ["cut", "slow"]
    assert (await api.delete("/faults")).json() == {"cleared": []}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"name": "x", "kind": "bandwidth"}, 400, "needs rate > 0"),
        ({"name": "x", "kind": "warp"}, 400, "kind 'warp' is not one of: latency"),
        ({"name": "x", "kind": "latency", "latency": 5, "process": "NOPE"}, 201, ""),
        ({"name": "never-defined"}, 404, "no fault named 'never-defined'"),
        ([1, 2], 400, "must be a JSON object"),
    ],
)
async def test_bad_faults_are_refused(
    api: httpx.AsyncClient, body: object, status: int, message: str
) -> None:
    response = await api.post("/faults", json=body)
    assert response.status_code == status
    if message:
        assert message in response.json()["error"]


async def test_not_json_and_unknown_fault_delete(api: httpx.AsyncClient) -> None:
    response = await api.post("/faults", content=b"{nope")
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
    assert (await api.delete("/faults/ghost")).status_code == 404


async def test_down_and_crash_faults_act_on_the_process(api: httpx.AsyncClient) -> None:
    await api.post("/faults", json={"name": "io-down", "kind": "down", "process": "IO1"})
    states = {p["process"]: p["state"] for p in (await api.get("/processes")).json()}
    assert states["IO1"] == "stopped"
    await api.delete("/faults/io-down")
    await api.post("/faults", json={"name": "boom", "kind": "crash", "process": "ALARM2"})
    states = {p["process"]: p["state"] for p in (await api.get("/processes")).json()}
    assert (states["IO1"], states["ALARM2"]) == ("running", "failed")
    await api.post("/reset")
    assert (await api.get("/health")).status_code == 200


async def test_tags_read_and_set(api: httpx.AsyncClient) -> None:
    tag = (await api.get("/tags/TANK1_LEVEL")).json()
    assert (tag["value"], tag["text"]) == (62.0, "62.0")
    tag = (await api.put("/tags/tank1_level", json={"value": 12.5})).json()
    assert tag["value"] == 12.5
    assert (await api.put("/tags/PUMP1_RUN", json={"value": False})).json()["value"] is False
    missing = await api.get("/tags/TANK9_LEVEL")
    assert missing.status_code == 404 and "no tag 'TANK9_LEVEL'" in missing.json()["error"]
    bad = await api.put("/tags/TANK1_LEVEL", json={"value": [1]})
    assert bad.status_code == 400 and "'value' must be" in bad.json()["error"]


async def test_events_and_metrics(api: httpx.AsyncClient) -> None:
    await api.post("/processes/REPORT2/crash")
    body = (await api.get("/events", params={"prefix": "process."})).json()
    assert any(e["process"] == "REPORT2" and e.get("reason") == "crashed" for e in body["events"])
    last = body["last"]
    assert (await api.get("/events", params={"since": last})).json()["events"] == []
    assert (await api.get("/events", params={"since": "x"})).status_code == 400
    metrics = await api.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'scada_emu_process_state{computer="SCADA-B",process="REPORT2",state="failed"} 1.0' in (
        metrics.text
    )


async def test_the_virtual_clock_advances_and_time_servers_shift(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    before = plant.clock.now()
    assert (await api.post("/clock/advance", json={"seconds": 90})).json()["now"] == before + 90
    assert (await api.post("/clock/advance", json={"seconds": -1})).status_code == 400
    assert (await api.post("/clock/advance", json={})).status_code == 400
    shifted = await api.post("/clock/shift", json={"seconds": 30, "computer": "SCADA-B"})
    assert shifted.json() == {"offsets": {"SCADA-B": 30.0}}
    assert plant.manager.context.time_offsets == {"SCADA-B": 30.0}
    assert (await api.post("/clock/shift", json={"seconds": 1, "computer": "X"})).status_code == 404


async def test_alarms_and_reports_go_through_the_running_server(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    model = plant.manager.topology
    for name in ("ALARM1", "ALARM2", "REPORT1", "REPORT2"):
        process = plant.supervisor.process(name).process
        if process is not None and not hasattr(process, "alarms"):
            process.alarms = AlarmServer(  # type: ignore[attr-defined]
                model.alarms, model.alarm_categories, plant.manager.plant.value, Store.memory()
            )
        if process is not None and not hasattr(process, "reports"):
            process.reports = ReportServer(model.reports, plant.manager.plant.value)  # type: ignore[attr-defined]
    alarms = (await api.get("/alarms")).json()
    assert "PUMP1_FAULT_ALM" in {a["tag"] for a in alarms}
    acked = await api.post("/alarms/PUMP1_FAULT_ALM/ack")
    assert acked.status_code == 200 and acked.json()["acked"]
    assert (await api.post("/alarms/NOPE/ack")).status_code == 404
    run = await api.post("/reports/DAILY/run")
    assert run.status_code == 200 and run.json()["output"].startswith("Daily: 1287 batches")
    assert (await api.post("/reports/NOPE/run")).status_code == 404
    await plant.crash("ALARM1")
    await plant.crash("ALARM2")
    gone = await api.get("/alarms")
    assert gone.status_code == 409 and "no running alarm server" in gone.json()["error"]


async def test_openapi_lists_every_route(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert {"/health", "/faults", "/tags/{name}", "/metrics", "/events"} <= set(document["paths"])
    fault = document["paths"]["/faults"]["post"]["requestBody"]
    assert fault["content"]["application/json"]["schema"]["$ref"].endswith("/Fault")


async def test_big_bodies_bad_values_and_made_up_ops(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    big = await api.post("/faults", content=b"x" * (70 * 1024))
    assert big.status_code == 413
    text = await api.put("/tags/TANK1_LEVEL", json={"value": "lots"})
    assert text.status_code == 400 and "TANK1_LEVEL" in text.json()["error"]
    async with plant.client("SCADA-A") as session:
        for n in range(3):
            with pytest.raises(Exception, match="unknown_request"):
                await session.request(f"made.up.{n}")
    metrics = (await api.get("/metrics")).text
    assert "made.up" not in metrics
    assert 'op="unknown"' in metrics


async def test_wait_for_an_event(plant: RunningPlant) -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(plant.crash, "IO2")
        with anyio.fail_after(5):
            event = await plant.events.wait_for("process.state", process="IO2", state="failed")
    assert event["reason"] == "crashed"


async def test_every_openapi_reference_resolves(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    text = str(document)
    refs = set(re.findall(r"'\$ref': '#/components/schemas/([A-Za-z]+)'", text))
    assert refs and refs <= set(document["components"]["schemas"])
    assert "$defs" not in text
