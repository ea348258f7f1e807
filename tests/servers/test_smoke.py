from __future__ import annotations

from tests.servers.helpers import plantwide


async def test_alarm_goes_on_and_is_acknowledged() -> None:
    async with plantwide() as w:
        c = await w.client("ALARM1")
        await c.ok("alarm.subscribe")
        w.set("FAULT", True)
        push = await c.push("alarm")
        assert push["tag"] == "FAULT_ALM" and push["kind"] == "on"
        reply = await c.ok("alarm.list")
        assert [a["tag"] for a in reply["alarms"]] == ["FAULT_ALM"]
        await c.ok("alarm.ack", tag="FAULT_ALM", user="op")
        c2 = await w.client("ALARM2")
        reply = await c2.ok("alarm.get", tag="FAULT_ALM")
        assert reply["alarm"]["state"] == "ON acknowledged"
