"""The demo plant (`make run`): its alarms follow its tags, are acknowledged through CtAPI, and
its trends answer TRNQUERY."""

from __future__ import annotations

from pathlib import Path

from emulator.topology.load import load_demo
from tests.servers.helpers import plantwide


async def test_demo_alarms_follow_tags_ack_through_ctapi_and_trends_answer(tmp_path: Path) -> None:
    demo = load_demo()
    async with plantwide(demo, state_dir=tmp_path) as w:
        c = await w.ctapi("SCADA-A")
        w.set("TANK1_LEVEL", 90.0)
        await w.until(lambda: w.engine("ALARM1").alarms.status("TANK1_LEVEL_ALM").on)
        # .State is numeric (1068486): 5, an analog alarm on its High limit; 0x100 acknowledged
        assert (await c.ok("tag.read", tag="TANK1_LEVEL_ALM.State"))["value"] == "5"
        await c.ok("cicode", command='AlarmAckTag("TANK1_LEVEL_ALM")')
        w.set("TANK1_LEVEL", 50.0)
        await w.until(lambda: not w.engine("ALARM1").alarms.status("TANK1_LEVEL_ALM").on)
        assert (await c.ok("tag.read", tag="TANK1_LEVEL_ALM.State"))["value"] == "256"
        for _ in range(3):
            w.advance(1.0)
            await w.until(lambda: w.engine("TREND1").trends.next_due(w.clock.now()) > w.clock.now())
        end = int(w.clock.now())
        found = await c.ok("find.first", table=f"TRNQUERY,{end},0,1,2,TANK1_LEVEL,0,1")
        assert found["count"] >= 2
