"""The I/O, time synchronization, system services, alarm database and ODBC processes."""

from __future__ import annotations

import pytest

from emulator.plant.state import QUAL_BAD
from emulator.ports import ProcessType
from emulator.processes.alarm_db import AlarmDatabaseProcess
from emulator.processes.base import Peer
from emulator.processes.context import Context
from emulator.processes.io import owned_tags
from emulator.protocol.errors import NOT_LOCAL, ProtocolError
from emulator.topology.load import load_text
from emulator.topology.plan import plan
from tests.servers.helpers import START, plantwide


async def test_io_server_reads_writes_and_pushes_changes_beyond_the_deadband() -> None:
    async with plantwide() as w:
        io = await w.client("IO1")
        names = {t["name"] for t in (await io.ok("io.tags"))["tags"]}
        assert names == {"LEVEL", "FAULT", "SPEED"}
        assert (await io.ok("io.read", tags=["LEVEL"]))["values"][0]["value"] == "50.0"
        first = await io.ok("io.subscribe", tags=["LEVEL", "SPEED"], deadband=5)
        assert [v["value"] for v in first["values"]] == ["50.0", "10"]
        w.set("LEVEL", 53.0)  # inside the deadband: no push
        w.set("LEVEL", 56.0)
        push = await io.push("io.change")
        assert (push["tag"], push["value"]) == ("LEVEL", "56.0")
        await io.ok("io.write", tag="SPEED", value="20")
        assert (await io.push("io.change"))["value"] == "20"
        w.plant.set_quality("LEVEL", QUAL_BAD, w.clock.now())
        assert (await io.push("io.change"))["quality"] == QUAL_BAD
        assert io.pushes == []
        bad = await io.call("io.read", tags=[])
        assert bad["error"]["name"] == "invalid_parameter"
        assert (await io.call("io.write", tag="NOPE", value="1"))["error"][
            "name"
        ] == "tag_not_found"


async def test_time_sync_answers_with_the_scenario_offset_and_pushes_periodically() -> None:
    async with plantwide() as w:
        t = await w.client("TimeSync", "PC-B")
        assert (await t.ok("time.get"))["utc"] == START
        w.sup.context.time_offsets["PC-B"] = 30.0
        reply = await t.ok("time.get")
        assert (reply["utc"], reply["offset"], reply["iso"]) == (
            START + 30,
            30.0,
            "2026-01-01T00:00:30.000Z",
        )
        await t.ok("time.subscribe", period=10)
        assert (await t.push("time"))["utc"] == START + 30
        w.advance(10.0)
        assert (await t.push("time"))["utc"] == START + 40
        assert (await t.call("time.subscribe", period=0))["error"]["name"] == "invalid_parameter"


async def test_system_services_lists_this_computers_processes_roles_and_connections() -> None:
    async with plantwide() as w:
        await w.client("ALARM1")
        s = await w.client("SystemServices", "PC-A")
        reply = await s.ok("system.processes")
        rows = {r["process"]: r for r in reply["processes"]}
        assert reply["computer"] == "PC-A" and "ALARM2" not in rows
        assert rows["ALARM1"]["role"] == "main" and rows["ALARM1"]["connections"] == 1
        assert rows["TREND1"]["role"] == "active" and rows["IO1"]["role"] is None
        assert rows["SystemServices"]["state"] == "running"
        w.advance(5.0)
        later = {r["process"]: r for r in (await s.ok("system.processes"))["processes"]}
        assert later["ALARM1"]["uptime"] == pytest.approx(5.0)
        await w.sup.stop("ALARM1")
        stopped = {r["process"]: r for r in (await s.ok("system.processes"))["processes"]}
        assert (stopped["ALARM1"]["state"], stopped["ALARM1"]["uptime"]) == ("stopped", 0.0)


async def test_alarm_database_serves_its_computer_only() -> None:
    async with plantwide() as w:
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        db = await w.client("AlarmDatabase", "PC-A")
        assert (await db.ok("db.servers"))["servers"] == ["ALARM1"]
        events = (await db.ok("db.events", tag="FAULT_ALM"))["events"]
        assert [e["kind"] for e in events] == ["on"]
        query = f"ALMQUERY,DigAlm,FAULT_ALM,{int(START) - 10},0,{int(START) + 10},0,0"
        records = (await db.ok("db.query", query=query))["records"]
        assert [(r["VALUE"], r["COMMENT"]) for r in records] == [(1 | 8, "")]  # AlmQuery.md bits
        remote = w.engine("AlarmDatabase", "PC-A").connect(
            Peer("10.0.0.9", 5000, w.sup.process("AlarmDatabase", "PC-A").endpoints[0])
        )
        assert isinstance(w.engine("AlarmDatabase", "PC-A"), AlarmDatabaseProcess)
        with pytest.raises(ProtocolError, match="loopback") as refused:
            remote.handle({"id": 1, "op": "db.servers"}, START)
        assert refused.value.error is NOT_LOCAL


async def test_odbc_runs_selects_over_tags_and_alarms_and_refuses_writes() -> None:
    async with plantwide() as w:
        w.set("FAULT", True)
        await w.until(lambda: w.engine("ALARM1").alarms.status("FAULT_ALM").on)
        o = await w.client("ODBC")
        tags = await o.ok("sql", query="SELECT name, value FROM tags WHERE name = 'LEVEL'")
        assert (tags["columns"], tags["rows"]) == (["name", "value"], [["LEVEL", "50.0"]])
        alarms = await o.ok("sql", query='SELECT tag, state FROM alarms WHERE "on" = 1')
        assert alarms["rows"] == [["FAULT_ALM", "ON unacknowledged"]]
        events = await o.ok("sql", query="SELECT count(*) FROM alarm_events")
        assert events["rows"] == [[1]]
        for statement in ("DELETE FROM tags", "INSERT INTO tags (name) VALUES ('x')"):
            refused = await o.call("sql", query=statement)
            assert refused["error"]["name"] == "sql_read_only", statement
        wrong = await o.call("sql", query="SELECT nope FROM tags")
        assert wrong["error"]["name"] == "sql_error" and "nope" in wrong["error"]["message"]
        assert (await o.call("sql", query="SELECT 1; SELECT 2"))["error"]["name"] == "sql_error"


TWO_CLUSTERS = """
[[computers]]
name = "PC"
[[network_addresses]]
name = "NET"
computer = "PC"
address = "127.0.0.1"
[[clusters]]
name = "C1"
[[clusters]]
name = "C2"
[[server_processes]]
name = "IO_A"
type = "io"
cluster = "C1"
network_address = "NET"
[[server_processes]]
name = "IO_B"
type = "io"
cluster = "C1"
network_address = "NET"
[[server_processes]]
name = "IO_C"
type = "io"
cluster = "C2"
network_address = "NET"
[[tags]]
name = "T"
cluster = "C1"
io_server = "IO_B"
[[tags]]
name = "T"
cluster = "c2"
[[tags]]
name = "U"
cluster = "C1"
"""


def _owners(text: str) -> dict[str, list[str]]:
    loaded = load_text(text, "<io>")
    context = Context(loaded.model)
    owners: dict[str, list[str]] = {}
    for endpoint in plan(loaded.model):
        if endpoint.type is ProcessType.IO:
            states = owned_tags(context, endpoint, context.plant).values()
            owners[endpoint.process] = sorted(f"{s.spec.cluster}.{s.spec.name}" for s in states)
    return owners


def test_io_servers_own_their_tags_by_cluster_and_io_server() -> None:
    assert _owners(TWO_CLUSTERS) == {"IO_A": ["C1.U"], "IO_B": ["C1.T"], "IO_C": ["C2.T"]}


def test_a_standby_io_server_serves_its_clusters_primaries_tags() -> None:
    standby = '[[server_processes]]\nname = "IO_S"\ntype = "io"\ncluster = "C1"\n'
    standby += 'network_address = "NET"\nmode = "standby"\nport = 2090\n'
    owners = _owners(TWO_CLUSTERS + standby)
    assert owners == {
        "IO_A": ["C1.U"],
        "IO_B": ["C1.T"],
        "IO_C": ["C2.T"],
        "IO_S": ["C1.T", "C1.U"],  # backs up both primaries of C1, none of C2
    }


def test_the_demo_standby_io_server_serves_every_tag_of_its_primary() -> None:
    from emulator.topology.load import demo_text

    owners = _owners(demo_text())
    assert owners["IO1"] and owners["IO2"] == owners["IO1"]
