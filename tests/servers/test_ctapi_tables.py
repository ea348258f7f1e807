"""ctFindFirst's tables beyond Tag and Trend (1150514; ctapi-behaviour.md "Alarms as tags and
tables"): Cluster, Alarm, AlarmSummary, and the tables the topology has no rows for."""

from __future__ import annotations

import pytest

from emulator.processes.ctapi_find import TABLES
from emulator.processes.ctapi_tables import EMPTY
from tests.servers.helpers import plantwide

#: The Alarm record's fields ctapi-behaviour.md lists.
ALARM_FIELDS = {
    "TAG",
    "NAME",
    "DESC",
    "HELP",
    "CATEGORY",
    "STATE",
    "TIME",
    "DATE",
    "AREA",
    "CLUSTER",
    "ALMCOMMENT",
    "EQUIPMENT",
    *{f"CUSTOM{i}" for i in range(1, 9)},
    "MILLISEC",
    "ACKDATE",
    "ACKTIME",
    "ACKMILLI",
    "USERNAME",
}


def test_every_table_of_the_reference_is_known() -> None:
    # 1150514's list of tables.
    assert set(TABLES) == {
        "Cluster",
        "Tag",
        "LocalTag",
        "Accum",
        "Trend",
        "Alarm",
        "AlarmSummary",
        "DigAlm",
        "AnaAlm",
        "AdvAlm",
        "HResAlm",
        "ArgDigAlm",
        "ArgAnaAlm",
        "TsDigAlm",
        "TsAnaAlm",
        "ArgDigAlmStateDesc",
        "Equipment",
    }


async def test_cluster_and_alarm_tables_with_their_fields() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        cluster = await c.ok("find.first", table="cluster")
        assert cluster["record"]["NAME"] == "C1" and "COMMENT" in cluster["record"]
        found = await c.ok("find.first", table="Alarm")
        assert found["count"] == 3  # every type: FAULT_ALM, LEVEL_ALM, BOTH_ALM
        assert set(found["record"]) >= ALARM_FIELDS
        assert found["record"]["CLUSTER"] == "C1"
        digital = await c.ok("find.first", table="Alarm", filter="CLUSTER=C1;TAG=FAULT*")
        assert digital["count"] == 1 and digital["record"]["CATEGORY"] == 2
        other = await c.call("find.first", table="Alarm", filter="CLUSTER=C2")
        assert other["error"]["name"] == "no_more_records"


async def test_alarm_summary_has_one_record_per_occurrence_with_ack_and_off() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        await c.ok("tag.write", tag="FAULT_ALM.Ack", value="1")
        w.set("FAULT", False)
        await w.until(lambda: not w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        found = await c.ok("find.first", table="AlarmSummary", filter="TAG=FAULT_ALM")
        record = found["record"]
        assert found["count"] == 1
        assert set(record) >= ALARM_FIELDS | {"ONTIME", "ONDATE", "OFFTIME", "OFFDATE"}
        assert record["USERNAME"] == "engineer"
        assert record["ONDATE"] == record["DATE"] == "01-01-2026"  # dd-mm-yyyy
        assert record["ACKTIME"] != "" and record["OFFTIME"] != ""


@pytest.mark.parametrize("table", EMPTY)
async def test_tables_the_topology_has_no_rows_for_hold_none(table: str) -> None:
    # Ours (docs/ctapi.md "Our decisions"): the table exists; it has no records.
    async with plantwide() as w:
        c = await w.ctapi()
        none = await c.call("find.first", table=table)
        assert none["error"]["name"] == "no_more_records", table


async def test_an_unknown_table_names_the_known_ones() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        bad = await c.call("find.first", table="Pumps")
        assert bad["error"]["name"] == "invalid_argument"
        assert "AlarmSummary" in bad["error"]["message"]
        assert "Equipment" in bad["error"]["message"]


async def test_the_older_ctapitrend_query_answers_through_find_first() -> None:
    # 1150547: CTAPITrend(sTime,sDate,Period,Length,Mode,Tag) in place of the table name.
    async with plantwide() as w:
        await w.trend_levels(10.0, 20.0, 30.0)
        c = await w.ctapi()
        found = await c.ok("find.first", table='CTAPITrend("","",1,2,1,"LEVEL_TR")')
        assert found["count"] == 2
        assert set(found["record"]) == {"DATE", "TIME", "LEVEL_TR", "VALUE"}
        assert found["record"]["DATE"] == "01-01-2026"
        bad = await c.call("find.first", table="CTAPITrend(,,1,2,9,LEVEL_TR)")
        assert bad["error"]["name"] == "invalid_argument" and "Mode is 9" in bad["error"]["message"]
        unknown = await c.call("find.first", table="CTAPITrend(,,1,2,1,NOPE)")
        assert unknown["error"]["name"] == "tag_not_found"


async def test_a_cluster_term_selects_queries_by_their_trend_or_alarm_cluster() -> None:
    # 1150515 / ctapi-behaviour.md: ctFindFirstEx's cluster restricts TRNQUERY and ALMQUERY too.
    async with plantwide() as w:
        await w.trend_levels(10.0, 20.0)
        c = await w.ctapi()
        now = int(w.clock.now())
        queries = (
            f"TRNQUERY,{now},0,1,2,LEVEL_TR,0,1",
            f"ALMQUERY,AnaAlm,LEVEL_ALM,0,0,{now},0,0",
            "CTAPITrend(,,1,2,1,LEVEL_TR)",
        )
        w.set("LEVEL", 90.0)
        await w.until(lambda: w.engine("ALARM1").alarms.status("LEVEL_ALM").on)
        for query in queries:
            mine = await c.call("find.first", table=query, filter="CLUSTER=c1")
            assert mine["ok"] and mine["count"] >= 1, query
            other = await c.call("find.first", table=query, filter="CLUSTER=C2")
            assert other["error"]["name"] == "no_more_records", query
