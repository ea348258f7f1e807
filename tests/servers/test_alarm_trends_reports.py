"""The alarm, trends and reports server processes over the wire, driven by the plant scan."""

from __future__ import annotations

from tests.servers.helpers import START, plantwide


async def test_alarms_go_on_get_acknowledged_by_tag_area_category_and_clear() -> None:
    async with plantwide() as w:
        c = await w.client("ALARM1")
        assert c.hello["role"] in ("main", "standby")
        await c.ok("alarm.subscribe", area=1)
        w.set("FAULT", True)
        push = await c.push("alarm")
        assert (push["tag"], push["kind"], push["state"]) == (
            "FAULT_ALM",
            "on",
            "ON unacknowledged",
        )
        w.set("LEVEL", 85.0)
        await w.until(lambda: w.engine("ALARM1").alarms.status("LEVEL_ALM").on)
        active = await c.ok("alarm.list", query=0)
        assert {a["tag"] for a in active["alarms"]} == {"FAULT_ALM", "LEVEL_ALM"}
        level = next(a for a in active["alarms"] if a["tag"] == "LEVEL_ALM")
        assert level["condition"] == "HIGH" and level["priority"] == 3
        assert (await c.ok("alarm.ack", area=2, user="op"))["events"] == 1
        assert (await c.ok("alarm.ack", category=2, user="op"))["events"] == 1
        assert (await c.ok("alarm.ack", category=2))["events"] == 0
        unacked = await c.ok("alarm.list", query=1)
        assert unacked["alarms"] == []
        w.set("FAULT", False)
        await w.until(lambda: not w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        off = await c.push("alarm")
        while off["kind"] != "off":
            off = await c.push("alarm")
        assert off["state"] == "OFF acknowledged"
        events = await c.ok("alarm.events", tag="FAULT_ALM")
        assert [e["kind"] for e in events["events"]] == ["on", "ack", "off"]
        summary = await c.ok("alarm.summary", tag="FAULT_ALM")
        row = summary["summary"][0]
        assert row["ack_user"] == "op" and row["off_time"] is not None


async def test_disable_enable_and_bad_requests_say_what_is_wrong() -> None:
    async with plantwide() as w:
        c = await w.client("ALARM1")
        assert (await c.ok("alarm.disable", tag="FAULT_ALM", user="op", comment="x"))["events"] == 1
        w.set("FAULT", True)
        disabled = await c.ok("alarm.list", query=3)
        assert [a["tag"] for a in disabled["alarms"]] == ["FAULT_ALM"]
        await c.ok("alarm.enable", tag="FAULT_ALM", user="op")
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        bad = await c.call("alarm.ack", tag="FAULT_ALM", area=1)
        assert (
            bad["error"]["name"] == "invalid_parameter" and "exactly one" in bad["error"]["message"]
        )
        unknown = await c.call("alarm.get", tag="NOPE")
        assert unknown["error"]["name"] == "tag_not_found" and "NOPE" in unknown["error"]["message"]
        assert (await c.call("alarm.list", query=9))["error"]["name"] == "invalid_parameter"
        assert (await c.call("alarm.fly"))["error"]["name"] == "unknown_request"
        assert (await c.call("alarm.events", limit=0))["error"]["name"] == "invalid_parameter"


async def test_trends_sample_on_the_clock_and_answer_raw_averaged_and_trnquery() -> None:
    async with plantwide() as w:
        t = await w.client("TREND1")
        listed = await t.ok("trend.list")
        assert [x["name"] for x in listed["trends"]] == ["LEVEL_TR", "SPEED_TR"]
        for value in (10.0, 20.0, 30.0, 40.0):
            w.set("LEVEL", value)
            w.advance(1.0)
            await w.until(lambda: w.engine("TREND1").trends.next_due(w.clock.now()) > w.clock.now())
        raw = await t.ok("trend.raw", trend="LEVEL_TR", count=3)
        assert [s[1] for s in raw["samples"]] == [20.0, 30.0, 40.0]
        averaged = await t.ok("trend.averaged", trend="LEVEL_TR", end=START + 4, period=2, count=2)
        assert [s[1] for s in averaged["samples"]] == [15.0, 35.0]
        query = f"TRNQUERY,{int(START + 4)},0,1,3,LEVEL_TR,0,1"
        records = (await t.ok("trend.query", query=query))["records"]
        assert [r["VALUE"] for r in records[1:4]] == [20.0, 30.0, 40.0]
        bad = await t.call("trend.query", query="TRNQUERY,1,0,x,3,LEVEL_TR,0,1")
        assert bad["error"]["name"] == "invalid_argument" and "Period" in bad["error"]["message"]
        assert (await t.call("trend.raw", trend="NOPE"))["error"]["name"] == "tag_not_found"


async def test_reports_run_on_schedule_only_on_the_active_server_and_on_demand() -> None:
    async with plantwide() as w:
        r1, r2 = await w.client("REPORT1"), await w.client("REPORT2")
        assert r1.hello["active"] and not r2.hello["active"]
        w.advance(3600.0)
        await w.until(lambda: bool(w.engine("REPORT1").reports.runs()))
        runs = (await r1.ok("report.runs"))["runs"]
        assert [(x["report"], x["reason"]) for x in runs] == [("HOURLY", "schedule")]
        assert (await r2.ok("report.runs"))["runs"] == runs  # mirrored, not run twice
        run = (await r2.ok("report.run", report="HOURLY", user="op"))["run"]
        assert run["output"] == "Level 50.0 fault False" and run["reason"] == "demand"
        out = await r2.ok("report.output", run=run["number"])
        assert out["run"]["output"] == run["output"]
        listed = (await r1.ok("report.list"))["reports"]
        assert listed[0]["next_run"] == START + 7200
        assert (await r1.call("report.run", report="NOPE"))["error"]["name"] == "report_not_found"
        assert (await r1.call("report.output", run=999))["error"]["name"] == "report_not_found"
