"""Alarm properties written as tags through the CtAPI server: tag.write, list.write, TagWrite.

Source: "Supported Alarm Properties" (1068486) and ctapi-behaviour.md ("Alarm properties":
`.Ack`, `.Disabled`, `.Category`, the thresholds and `.Custom1`-`.Custom8` are writable, and
writing `.Ack` acknowledges); the error classes are docs/ctapi.md's "Our decisions".
"""

from __future__ import annotations

from tests.servers.helpers import plantwide


async def test_writing_ack_acknowledges_on_the_main_with_the_session_user() -> None:
    async with plantwide() as w:
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        c = await w.ctapi("PC-B")
        await c.ok("tag.write", tag="FAULT_ALM.Ack", value="1")
        main = w.engine("ALARM1").alarms
        assert main.status("FAULT_ALM").ack_user == "engineer"
        assert main.events(tag="FAULT_ALM")[-1].kind == "ack"
        assert (await c.ok("tag.read", tag="FAULT_ALM.Ack"))["value"] == "1"
        await w.until(lambda: w.engine("ALARM2").alarms.status("FAULT_ALM").acked, "standby")
        refused = await c.call("tag.write", tag="FAULT_ALM.Ack", value="0")
        assert refused["error"]["name"] == "invalid_argument"


async def test_disabled_category_thresholds_and_custom_through_lists_and_cicode() -> None:
    async with plantwide() as w:
        c = await w.ctapi("PC-B")
        await c.ok("tag.write", tag="C1.FAULT_ALM.Disabled", value="1")
        assert w.engine("ALARM1").alarms.status("FAULT_ALM").disabled
        tag_list = (await c.ok("list.new", mode=0))["list"]
        handle = (await c.ok("list.add", list=tag_list, tag="FAULT_ALM.Disabled"))["handle"]
        await c.ok("list.write", handle=handle, value="0")
        assert not w.engine("ALARM1").alarms.status("FAULT_ALM").disabled
        command = 'TagWrite("LEVEL_ALM.High", 70)'
        assert (await c.ok("cicode", command=command))["result"] == "0"
        assert (await c.ok("tag.read", tag="LEVEL_ALM.High"))["value"] == "70.0"
        await c.ok("tag.write", tag="LEVEL_ALM.Category", value="1")
        await c.ok("tag.write", tag="LEVEL_ALM.Custom8", value="night shift")
        assert (await c.ok("tag.read", tag="LEVEL_ALM.Category"))["value"] == "1"
        assert (await c.ok("tag.read", tag="LEVEL_ALM.Custom8"))["value"] == "night shift"


async def test_a_read_only_property_or_session_refuses_the_write_in_the_plant_scada_class() -> None:
    async with plantwide() as w:
        c = await w.ctapi("PC-B")
        on = await c.call("tag.write", tag="FAULT_ALM.On", value="1")
        assert on["error"]["name"] == "tag_read_only"
        digital = await c.call("tag.write", tag="FAULT_ALM.High", value="1")
        assert digital["error"]["name"] == "invalid_argument"
        missing = await c.call("tag.write", tag="NO_ALM.Ack", value="1")
        assert missing["error"]["name"] == "tag_not_found"
        reader = await w.client("CtAPI", "PC-B")
        await reader.ok("open", user="engineer", password="control", mode=0x4)  # read-only
        denied = await reader.call("tag.write", tag="FAULT_ALM.Ack", value="1")
        assert denied["error"]["name"] == "access_denied"


async def test_a_write_while_no_alarm_server_runs_is_server_unavailable() -> None:
    # As a read (docs/ctapi.md "Alarm properties"): the link is fine, the command is refused.
    async with plantwide() as w:
        c = await w.ctapi("PC-B")
        await w.sup.crash("ALARM1")
        await w.sup.crash("ALARM2")
        down = await c.call("tag.write", tag="FAULT_ALM.Ack", value="1")
        assert down["error"]["name"] == "server_unavailable"
