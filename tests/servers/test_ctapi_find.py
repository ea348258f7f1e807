"""CtAPI's find family, alarm properties and the alarm Cicode functions, through the CtAPI port."""

from __future__ import annotations

from emulator.processes.ctapi_find import parse_filter
from tests.servers.helpers import START, plantwide


def test_filters_take_field_patterns_separated_by_semicolons_or_spaces() -> None:
    assert parse_filter("") == []
    assert parse_filter("TAG=LEV*;CLUSTER=C1") == [("TAG", "LEV*"), ("CLUSTER", "C1")]
    assert parse_filter("tag=A* area=2") == [("TAG", "A*"), ("AREA", "2")]
    assert parse_filter("SPEED") == [("TAG", "SPEED")]


async def test_find_over_tags_moves_scrolls_counts_and_closes() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        first = await c.ok("find.first", table="Tag", filter="")
        assert (first["count"], first["position"], first["record"]["TAG"]) == (3, 1, "LEVEL")
        assert first["record"]["ENG_FULL"] == 100.0 and first["record"]["RAW_ZERO"] == ""
        assert first["record"]["TYPE"] == "REAL"  # what a point's data size follows
        handle = first["find"]
        fault = (await c.ok("find.next", find=handle))["record"]
        assert (fault["TAG"], fault["TYPE"]) == ("FAULT", "DIGITAL")
        speed = (await c.ok("find.next", find=handle))["record"]
        assert (speed["TAG"], speed["TYPE"]) == ("SPEED", "INT")
        end = await c.call("find.next", find=handle)
        assert end["error"]["name"] == "no_more_records"
        assert (await c.ok("find.prev", find=handle))["record"]["TAG"] == "FAULT"
        assert (await c.ok("find.scroll", find=handle, mode=3))["position"] == 1
        assert (await c.ok("find.scroll", find=handle, mode=4))["record"]["TAG"] == "SPEED"
        assert (await c.ok("find.scroll", find=handle, mode=5, offset=2))["position"] == 2
        assert (await c.ok("find.scroll", find=handle, mode=6, offset=-1))["position"] == 1
        assert (await c.call("find.scroll", find=handle, mode=9))["error"]["name"] == (
            "invalid_argument"
        )
        assert (await c.ok("find.count", find=handle))["count"] == 3
        await c.ok("find.close", find=handle)
        assert (await c.call("find.count", find=handle))["error"]["name"] == "unknown_handle"
        none = await c.call("find.first", table="Tag", filter="TAG=NOPE*")
        assert none["error"]["name"] == "no_more_records"
        bad = await c.call("find.first", table="Pumps")
        assert bad["error"]["name"] == "invalid_argument" and "DigAlm" in bad["error"]["message"]


async def test_find_over_alarm_tables_and_trends_with_the_reference_fields() -> None:
    async with plantwide() as w:
        w.set("LEVEL", 85.0)
        await w.until(lambda: w.engine("ALARM1").alarms.status("LEVEL_ALM").on)
        c = await w.ctapi()
        dig = await c.ok("find.first", table="DigAlm")
        assert dig["count"] == 1
        assert set(dig["record"]) >= {"TAG", "NAME", "DESC", "HELP", "CATEGORY", "STATE"}
        assert set(dig["record"]) >= {"TIME", "DATE", "AREA"}
        ana = await c.ok("find.first", table="AnaAlm", filter="STATE=ON*")
        record = ana["record"]
        assert (record["TAG"], record["HIGH"], record["VALUE"]) == ("LEVEL_ALM", 80.0, 85.0)
        assert record["DATE"] == "01-01-2026" and record["HIGHHIGH"] == ""  # dd-mm-yyyy
        assert (await c.ok("find.first", table="AdvAlm"))["record"]["TAG"] == "BOTH_ALM"
        trend = (await c.ok("find.first", table="Trend", filter="TAG=SPEED*"))["record"]
        assert (trend["TAG"], trend["SAMPLEPER"], trend["TYPE"]) == ("SPEED_TR", 2.0, "PERIODIC")


async def test_trnquery_and_almquery_strings_return_their_records() -> None:
    async with plantwide() as w:
        await w.trend_levels(10.0, 20.0, 30.0)
        c = await w.ctapi()
        query = f"TRNQUERY,{int(START + 3)},0,1,2,LEVEL_TR,0,1"
        found = await c.ok("find.first", table=query)
        records = [found["record"]]
        for _ in range(found["count"] - 1):
            records.append((await c.ok("find.next", find=found["find"]))["record"])
        assert [r["VALUE"] for r in records[1:3]] == [20.0, 30.0]
        assert set(records[0]) == {"DATETIME", "MSECONDS", "VALUE", "QUALITY"}
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        now = int(w.clock.now())
        alm = await c.ok("find.first", table=f"ALMQUERY,DigAlm,FAULT_ALM,{now - 5},0,{now + 5},0,0")
        assert (alm["record"]["VALUE"], alm["record"]["COMMENT"]) == (1 | 8, "")  # good, on
        bad = await c.call("find.first", table="ALMQUERY,AnaAlm,FAULT_ALM,0,0,1,0,0")
        assert bad["error"]["name"] == "invalid_argument" and "DigAlm" in bad["error"]["message"]
        unknown = await c.call("find.first", table="TRNQUERY,1,0,1,2,NOPE,0,1")
        assert unknown["error"]["name"] == "tag_not_found"


async def test_alarm_properties_read_as_tag_elements_and_cicode_acknowledges() -> None:
    async with plantwide() as w:
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        c = await w.ctapi("PC-B")
        assert (await c.ok("tag.read", tag="FAULT_ALM.On"))["value"] == "1"
        assert (await c.ok("tag.read", tag="FAULT_ALM.Ack"))["value"] == "0"
        assert (await c.ok("tag.read", tag="C1.FAULT_ALM.Category"))["value"] == "2"
        assert (await c.ok("tag.read_ex", tag="FAULT_ALM.State"))["value"] == "1"  # 1068486
        assert (await c.ok("cicode", command='AlarmAckTag("FAULT_ALM")'))["result"] == "0"
        assert (await c.ok("tag.read", tag="FAULT_ALM.State"))["value"] == "257"  # ON | ack
        standby = w.engine("ALARM2").alarms
        assert standby.status("FAULT_ALM").acked  # the main's ack reached the standby
        await c.ok("cicode", command='AlarmDisableTag("FAULT_ALM")')
        assert (await c.ok("tag.read", tag="FAULT_ALM.Disabled"))["value"] == "1"
        await c.ok("cicode", command='AlarmEnableTag("FAULT_ALM")')
        assert (await c.ok("cicode", command='Report("HOURLY")'))["result"] == "0"
        wrong = await c.call("tag.read", tag="FAULT_ALM.Colour")
        assert (
            wrong["error"]["name"] == "invalid_argument" and ".OnTime" in wrong["error"]["message"]
        )
        assert (await c.call("tag.read", tag="NOPE.On"))["error"]["name"] == "tag_not_found"
        for wrong_cluster in ("C2.FAULT_ALM.On", "X.C1.FAULT_ALM.On"):
            missing = await c.call("tag.read", tag=wrong_cluster)
            assert missing["error"]["name"] == "tag_not_found", wrong_cluster


async def test_tag_lists_and_cicode_resolve_alarm_properties_as_tag_read_does() -> None:
    async with plantwide() as w:
        c = await w.ctapi("PC-B")
        tag_list = (await c.ok("list.new", mode=1))["list"]  # CT_LIST_EVENT
        on = (await c.ok("list.add", list=tag_list, tag="FAULT_ALM.On"))["handle"]
        state = (await c.ok("list.add", list=tag_list, tag="C1.FAULT_ALM.State"))["handle"]
        colour = (await c.ok("list.add", list=tag_list, tag="FAULT_ALM.Colour"))["handle"]
        first = await c.ok("list.read", list=tag_list)
        assert [f["handle"] for f in first["failed"]] == [colour]  # the error shows at read
        assert (await c.ok("list.data", handle=on))["value"] == "0"
        bad = await c.call("list.data", handle=colour)
        assert bad["error"]["name"] == "invalid_argument" and ".OnTime" in bad["error"]["message"]
        while (await c.ok("list.event", list=tag_list, mode=1))["handle"] is not None:
            pass  # the NEW events of the first read
        pending = await c.ok("list.read", list=tag_list)  # nothing moved: no events
        assert pending["failed"] and (await c.ok("list.event", list=tag_list))["handle"] is None
        w.set("FAULT", True)
        w.advance(1.0)  # past the list's poll period (500 ms) on the virtual clock
        # A waiting read completes on the alarm's change (no tag of the list moved).
        await c.ok("list.read", list=tag_list, wait=True)
        assert (await c.ok("list.data", handle=on))["value"] == "1"
        assert (await c.ok("list.data", handle=state))["value"] == "1"  # numeric (1068486)
        changed = {(await c.ok("list.event", list=tag_list))["handle"] for _ in range(2)}
        assert changed == {on, state}
        read = await c.ok("cicode", command='TagRead("FAULT_ALM.Ack")')
        assert read["result"] == "0"
        await c.ok("cicode", command='AlarmAckTag("FAULT_ALM")')
        w.advance(1.0)
        await c.ok("list.read", list=tag_list, wait=True)
        assert (await c.ok("list.data", handle=state))["value"] == "257"
        await w.sup.crash("ALARM1")
        await w.sup.crash("ALARM2")
        down = await c.ok("list.read", list=tag_list)
        assert {f["handle"] for f in down["failed"]} == {on, state, colour}
        com = await c.call("list.data", handle=on)
        assert com["error"]["name"] == "server_unavailable"
