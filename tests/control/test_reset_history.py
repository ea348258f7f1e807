"""`POST /reset` clears faults; with `history` it clears the alarm log, the alarm statuses and
the trend samples of every alarm and trends server too (docs/control.md)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import httpx
import pytest

from emulator.processes.alarm import AlarmProcess
from emulator.processes.trends import TrendsProcess
from emulator.testing.plant import RunningPlant


def alarm_server(plant: RunningPlant, name: str) -> AlarmProcess:
    process = plant.supervisor.process(name).process
    assert isinstance(process, AlarmProcess)
    return process


def trends_server(plant: RunningPlant, name: str) -> TrendsProcess:
    process = plant.supervisor.process(name).process
    assert isinstance(process, TrendsProcess)
    return process


def logged(plant: RunningPlant, server: str, tag: str | None = "PUMP1_FAULT_ALM") -> list[str]:
    return [e.kind for e in alarm_server(plant, server).store.alarm_events(tag=tag)]


async def until(plant: RunningPlant, done: Callable[[], bool]) -> None:
    """Poll `done` within a deadline: the scan runs in a task of its own, woken by the change."""
    with anyio.fail_after(10):
        while not done():  # noqa: ASYNC110 -- a deadline poll of the scan task's work
            await anyio.sleep(0.02)


async def raise_and_acknowledge(api: httpx.AsyncClient, plant: RunningPlant) -> None:
    await api.put("/tags/PUMP1_FAULT", json={"value": True})
    await until(plant, lambda: logged(plant, "ALARM2") == ["on"])
    assert (await api.post("/alarms/PUMP1_FAULT_ALM/ack")).status_code == 200
    await until(plant, lambda: logged(plant, "ALARM2") == ["on", "ack"])


async def test_a_plain_reset_keeps_the_history(api: httpx.AsyncClient, plant: RunningPlant) -> None:
    await raise_and_acknowledge(api, plant)
    assert (await api.post("/reset")).json() == {"cleared": []}
    assert logged(plant, "ALARM1") == ["on", "ack"]


@pytest.mark.parametrize("how", ["body", "query"])
async def test_reset_with_history_forgets_log_statuses_and_samples(
    api: httpx.AsyncClient, plant: RunningPlant, how: str
) -> None:
    await raise_and_acknowledge(api, plant)
    trends = trends_server(plant, "TREND1")
    name = trends.trends.names[0]
    await plant.advance(5)
    await until(plant, lambda: bool(trends.store.samples(name)))
    assert logged(plant, "ALARM1") == logged(plant, "ALARM2") == ["on", "ack"]
    await api.post("/faults", json={"name": "slow", "kind": "latency", "latency": 5})
    response = (
        await api.post("/reset", json={"history": True})
        if how == "body"
        else await api.post("/reset?history=true")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["cleared"] == ["slow"]
    assert {"ALARM1", "ALARM2", "TREND1", "TREND2"} <= set(body["history"])
    assert logged(plant, "ALARM1", None) == logged(plant, "ALARM2", None) == []
    assert trends.store.samples(name) == []
    status = alarm_server(plant, "ALARM1").alarms.status("PUMP1_FAULT_ALM")
    assert (status.on, status.ack_user, status.ack_time) == (False, "", None)
    # The condition still holds: the fresh history raises it anew, unacknowledged.
    await until(plant, lambda: logged(plant, "ALARM1") == ["on"])
    alarms = {a["tag"]: a for a in (await api.get("/alarms")).json()}
    assert alarms["PUMP1_FAULT_ALM"]["state"] == "ON unacknowledged"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/reset?history=maybe", None, "'history' must be true or false"),
        ("/reset", {"history": "yes"}, "'history' must be true or false"),
        ("/reset", {"histroy": True}, "unknown field(s) histroy"),
        ("/reset", [True], "must be a JSON object"),
    ],
)
async def test_a_bad_reset_says_what_is_wrong(
    api: httpx.AsyncClient, path: str, body: object, message: str
) -> None:
    response = await api.post(path, json=body) if body is not None else await api.post(path)
    assert response.status_code == 400
    assert message in response.json()["error"]
