"""Nothing lost (docs/reliability.md): every acknowledged write is read back by every later read
from any client, port and computer; every acknowledged alarm acknowledgement survives a failover.
The kill -9 half is tests/redundancy/test_persistence.py
::test_kill_9_loses_no_acknowledged_event_and_at_most_a_second_of_samples."""

from __future__ import annotations

import random
from typing import Any

from tests.runtime.helpers import Client
from tests.servers.helpers import Plantwide, plant_text, plantwide

WRITES = 60


async def sessions(w: Plantwide) -> dict[str, Client]:
    """An open CtAPI session on each port (2073, 3073) of each computer."""
    found: dict[str, Client] = {}
    for listener in w.sup.listeners:
        e = listener.endpoint
        if str(e.type) != "ctapi":
            continue
        ca = w.sup.ca_certificate if e.tls else None
        client = await Client.connect(e.address, listener.port, ca=ca, hostname=e.computer)
        assert (await client.frame())["event"] == "hello"
        assert (await client.request("open", user="engineer", password="control"))["ok"]
        found[f"{e.computer}:{'3073' if e.tls else '2073'}"] = client
    return found


async def test_every_acknowledged_write_is_read_by_every_later_read_anywhere() -> None:
    text = plant_text().replace('ctapi = "unencrypted"', 'ctapi = "mixed"')
    async with plantwide(text) as w:
        clients = await sessions(w)
        assert len(clients) == 4
        lists: dict[str, tuple[int, int]] = {}
        for name, client in clients.items():
            list_id = (await client.request("list.new"))["list"]
            handle = (await client.request("list.add", list=list_id, tag="SPEED"))["handle"]
            lists[name] = (list_id, handle)
            assert (await client.request("list.read", list=list_id))["ok"]
        io = await w.client("IO1")
        rng = random.Random(8)
        for _ in range(WRITES):
            writer = rng.choice(sorted(clients))
            value = str(rng.randint(-1000, 1000))
            assert (await clients[writer].request("tag.write", tag="SPEED", value=value))["ok"]
            for name, reader in clients.items():
                got = await reader.request("tag.read", tag="SPEED")
                assert got["value"] == value, (writer, name, got)
                via_list = await _list_value(reader, lists[name])
                assert via_list == value, (writer, name, via_list)
            assert (await io.ok("io.read", tags=["SPEED"]))["values"][0]["value"] == value
        for client in clients.values():
            await client.aclose()


async def _list_value(client: Client, where: tuple[int, int]) -> Any:
    list_id, handle = where
    await client.send({"id": 2, "op": "list.read", "list": list_id})
    assert (await client.frame())["ok"]
    reply = await client.request("list.data", handle=handle)
    return reply["value"]


async def test_pipelined_writes_on_one_connection_are_read_in_order_on_another() -> None:
    async with plantwide() as w:
        writer, reader = await w.ctapi("PC-A"), await w.ctapi("PC-B")
        frames = b"".join(
            b'{"id":%d,"op":"tag.write","tag":"SPEED","value":"%d"}\n' % (n, n) for n in range(200)
        )
        await writer.stream.send(frames)
        for n in range(200):
            reply = await writer.frame()
            assert reply == {"id": n, "ok": True}
            # Acknowledged: every later read sees it or a later write, never an earlier one.
            seen = int((await reader.ok("tag.read", tag="SPEED"))["value"])
            assert seen >= n


async def test_every_acknowledged_alarm_acknowledgement_survives_a_failover() -> None:
    async with plantwide() as w:
        w.set("FAULT", True)
        w.set("LEVEL", 95.0)
        await w.until(
            lambda: (
                w.engine("ALARM1").alarms.status("FAULT_ALM").on
                and w.engine("ALARM1").alarms.status("LEVEL_ALM").on
            )
        )
        alarm1 = await w.client("ALARM1")
        await alarm1.ok("alarm.ack", tag="FAULT_ALM", user="op")
        ctapi = await w.ctapi("PC-A")
        assert (await ctapi.ok("cicode", command='AlarmAckTag("LEVEL_ALM")'))["ok"]
        await w.sup.crash("ALARM1")
        await w.until(lambda: w.engine("ALARM2").role == "main")
        alarm2 = await w.client("ALARM2")
        for tag in ("FAULT_ALM", "LEVEL_ALM"):
            alarm = (await alarm2.ok("alarm.get", tag=tag))["alarm"]
            assert alarm["state"] == "ON acknowledged", alarm
        on_b = await w.ctapi("PC-B")
        assert (await on_b.ok("tag.read", tag="FAULT_ALM.Ack"))["value"] == "1"
        await w.sup.start("ALARM1")  # and back: the returning server has them too
        alarm1 = await w.client("ALARM1")
        for tag in ("FAULT_ALM", "LEVEL_ALM"):
            alarm = (await alarm1.ok("alarm.get", tag=tag))["alarm"]
            assert alarm["state"] == "ON acknowledged", alarm
