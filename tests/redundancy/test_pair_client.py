"""The Python client of a redundant pair follows failover within a bounded time, by the rules."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from emulator.client.errors import CtApiError
from emulator.client.pair import PairClient, Server, servers_from_ready
from emulator.processes.redundancy import Candidate, choose_alarm
from emulator.testing.plant import start_plant
from tests.servers.helpers import Plantwide, plantwide

#: The failover time the tests accept: generous, so a loaded machine does not fail them (a
#: failover on loopback takes milliseconds; the benchmark reports the measured time).
BOUND_MS = 5000.0


def pair(w: Plantwide, first: str, second: str, primary_priority: int = 1) -> list[Server]:
    a = w.port(first)
    b = w.port(second)
    password = w.sup.context.server_password
    return [
        Server(first, a[0], a[1], primary=True, priority=primary_priority, password=password),
        Server(second, b[0], b[1], primary=False, password=password),
    ]


async def test_the_alarm_client_fails_over_to_the_standby_and_measures_it() -> None:
    async with plantwide() as w, PairClient(pair(w, "ALARM1", "ALARM2"), kind="alarm") as client:
        assert client.current == "ALARM1"
        assert (await client.request("alarm.role"))["role"] == "main"
        await w.sup.crash("ALARM1")
        reply = await client.request("alarm.role")
        assert reply["role"] == "main" and client.current == "ALARM2"
        assert client.last_failover_ms is not None and client.last_failover_ms < BOUND_MS
        await w.sup.start("ALARM1")  # equal priorities: the client stays
        await client.request("alarm.list")
        assert client.current == "ALARM2"


async def test_the_trends_client_goes_back_to_the_primary_when_its_standby_fails() -> None:
    async with plantwide() as w:
        servers = pair(w, "TREND1", "TREND2")
        await w.sup.crash("TREND1")
        async with PairClient(servers, kind="trends") as client:
            assert client.current == "TREND2"
            await w.sup.start("TREND1")
            await w.sup.crash("TREND2")
            await client.request("trend.list")
            assert client.current == "TREND1" and len(client.failovers) == 1


async def test_servers_come_from_the_ready_file(tmp_path: Path) -> None:
    async with plantwide() as w:
        rows = [
            {
                "computer": lis.endpoint.computer,
                "process": lis.endpoint.process,
                "type": str(lis.endpoint.type),
                "cluster": lis.endpoint.cluster,
                "mode": lis.endpoint.mode,
                "address": lis.endpoint.address,
                "port": lis.port,
                "tls": lis.endpoint.tls,
            }
            for lis in w.sup.listeners
        ]
        ready = tmp_path / "ready.json"
        ready.write_text(json.dumps({"listeners": rows}))
        servers = servers_from_ready(ready, "reports", priorities={"REPORT2": 1})
        assert [(s.name, s.primary) for s in servers] == [("REPORT1", True), ("REPORT2", False)]


def test_the_alarm_rule_prefers_priority_and_moves_only_when_it_must() -> None:
    def servers(p1: int, p2: int, up1: bool = True, up2: bool = True) -> list[Candidate]:
        return [Candidate("A1", True, p1, up1), Candidate("A2", False, p2, up2)]

    assert choose_alarm(None, servers(1, 1)) == "A1"
    assert choose_alarm(None, servers(2, 1)) == "A2"
    assert choose_alarm("A2", servers(1, 1)) == "A2"  # equal: stay until it is lost
    assert choose_alarm("A2", servers(1, 2)) == "A1"  # a better priority is available
    assert choose_alarm("A1", servers(1, 1, up1=False)) == "A2"
    assert choose_alarm("A1", servers(1, 1, False, False)) is None


async def test_a_plant_in_a_test_hands_out_servers_that_log_in_by_themselves() -> None:
    async with start_plant() as plant:
        servers = plant.servers("alarm")
        assert [s.name for s in servers] == ["ALARM1", "ALARM2"]
        async with PairClient(servers, kind="alarm") as client:
            assert (await client.request("alarm.role"))["role"] == "main"
            acked = await client.request("alarm.ack", area=-1, user="engineer")
            assert acked["events"] >= 0
        wrong = [dataclasses.replace(s, password="not-it") for s in servers]
        with pytest.raises(CtApiError) as refused:
            async with PairClient(wrong, kind="alarm"):
                pass
        assert refused.value.name == "login_failed"
