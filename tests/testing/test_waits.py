"""RunningPlant.wait_alarm and wait_event: waits on the event log, never polling, and clear
errors for what cannot come."""

from __future__ import annotations

import pytest

from emulator.testing.plant import RunningPlant


async def test_wait_alarm_returns_once_the_state_comes(scada_plant: RunningPlant) -> None:
    assert (await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "OFF acknowledged"))["on"] is False
    scada_plant.set_tag("PUMP1_FAULT", True)
    row = await scada_plant.wait_alarm("pump1_fault_alm", "on unacknowledged", timeout=5)
    assert (row["tag"], row["state"]) == ("PUMP1_FAULT_ALM", "ON unacknowledged")
    scada_plant.manager.acknowledge("PUMP1_FAULT_ALM")
    assert (await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "acknowledged"))["acked"] is True


async def test_wait_alarm_follows_failover(scada_plant: RunningPlant) -> None:
    await scada_plant.crash("ALARM1")
    scada_plant.set_tag("PUMP1_FAULT", True)
    row = await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "on", timeout=5)
    assert row["state"] == "ON unacknowledged"


async def test_wait_alarm_times_out_saying_the_state(scada_plant: RunningPlant) -> None:
    with pytest.raises(TimeoutError, match=r"did not become 'on' in 0.2 s: it is 'OFF ackn"):
        await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "on", timeout=0.2)


async def test_wait_alarm_bad_input(scada_plant: RunningPlant) -> None:
    with pytest.raises(
        LookupError, match=r"no alarm 'PUMP1_FAULT_ALN' \(did you mean PUMP1_FAULT_ALM"
    ):
        await scada_plant.wait_alarm("PUMP1_FAULT_ALN", "on")
    with pytest.raises(ValueError, match=r"unknown alarm state 'tripped': use one of ON unack"):
        await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "tripped")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        await scada_plant.wait_alarm("PUMP1_FAULT_ALM", "on", timeout=0)
    with pytest.raises(LookupError, match="no alarm 'NOPE'"):
        scada_plant.alarm("NOPE")


async def test_wait_event_matches_fields_after_a_mark(scada_plant: RunningPlant) -> None:
    mark = scada_plant.events.sequence
    await scada_plant.crash("CtAPI", computer="SCADA-A")
    event = await scada_plant.wait_event(
        "process.state", after=mark, computer="SCADA-A", reason="crashed", timeout=5
    )
    assert event["seq"] > mark


async def test_wait_event_times_out_naming_what_came(scada_plant: RunningPlant) -> None:
    await scada_plant.crash("CtAPI", computer="SCADA-A")
    with pytest.raises(
        TimeoutError, match=r"no event 'process.state' with computer='NOWHERE' in 0.2 s; the last"
    ):
        await scada_plant.wait_event("process.state", computer="NOWHERE", timeout=0.2)
    with pytest.raises(TimeoutError, match=r"none named 'no\.such' came"):
        await scada_plant.wait_event("no.such", timeout=0.1)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        await scada_plant.wait_event("no.such", timeout=float("nan"))
