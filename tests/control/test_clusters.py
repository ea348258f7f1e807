"""The control API sees every cluster: alarms and reports go to each cluster's own servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator.control.api import build_app
from emulator.testing.plant import RunningPlant

TWO_CLUSTERS = """
[[computers]]
name = "NORTH-PC"
[[computers]]
name = "SOUTH-PC"
[[network_addresses]]
name = "NORTH"
computer = "NORTH-PC"
address = "127.0.21.1"
[[network_addresses]]
name = "SOUTH"
computer = "SOUTH-PC"
address = "127.0.21.2"
[[clusters]]
name = "NORTH_CL"
[[clusters]]
name = "SOUTH_CL"
[[server_processes]]
name = "ALM_N"
type = "alarm"
cluster = "NORTH_CL"
network_address = "NORTH"
[[server_processes]]
name = "ALM_S"
type = "alarm"
cluster = "SOUTH_CL"
network_address = "SOUTH"
[[server_processes]]
name = "RPT_S"
type = "reports"
cluster = "SOUTH_CL"
network_address = "SOUTH"
[[server_processes]]
name = "IO_N"
type = "io"
cluster = "NORTH_CL"
network_address = "NORTH"
[[server_processes]]
name = "IO_S"
type = "io"
cluster = "SOUTH_CL"
network_address = "SOUTH"
[[tags]]
name = "N_TRIP"
type = "digital"
cluster = "NORTH_CL"
initial = true
[[tags]]
name = "S_TRIP"
type = "digital"
cluster = "SOUTH_CL"
initial = true
[[alarms]]
tag = "N_TRIP_ALM"
variable = "N_TRIP"
cluster = "NORTH_CL"
[[alarms]]
tag = "S_TRIP_ALM"
variable = "S_TRIP"
cluster = "SOUTH_CL"
[[reports]]
name = "SOUTH_SHIFT"
cluster = "SOUTH_CL"
template = "south trip {S_TRIP}"
"""


@pytest.fixture
async def api(scada_plant: RunningPlant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(scada_plant.manager))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.scada_scenario(TWO_CLUSTERS)
async def test_alarms_of_every_cluster_each_from_its_own_main(
    api: httpx.AsyncClient, scada_plant: RunningPlant
) -> None:
    await scada_plant.advance(1)
    alarms = {a["tag"]: a["cluster"] for a in (await api.get("/alarms")).json()}
    assert alarms == {"N_TRIP_ALM": "NORTH_CL", "S_TRIP_ALM": "SOUTH_CL"}
    assert (await api.post("/alarms/S_TRIP_ALM/ack")).status_code == 200
    await scada_plant.crash("ALM_N")
    remaining = {a["tag"] for a in (await api.get("/alarms")).json()}
    assert remaining == {"S_TRIP_ALM"}
    assert (await api.post("/alarms/N_TRIP_ALM/ack")).status_code == 409


@pytest.mark.scada_scenario(TWO_CLUSTERS)
async def test_a_report_runs_on_its_own_clusters_server(
    api: httpx.AsyncClient, scada_plant: RunningPlant
) -> None:
    run = await api.post("/reports/SOUTH_SHIFT/run")
    assert run.status_code == 200, run.text
    assert run.json()["output"].startswith("south trip")
    await scada_plant.crash("RPT_S")
    assert (await api.post("/reports/SOUTH_SHIFT/run")).status_code == 409
    assert (await api.post("/reports/NOPE/run")).status_code == 404
