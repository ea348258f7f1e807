"""One test per redundancy rule of reference section 3."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.control.manager import ControlError, RuntimeManager
from emulator.processes.alarm import AlarmProcess
from emulator.processes.redundancy import Candidate, choose
from emulator.protocol.errors import ERROR_USER_DEFINED_BASE, SERVER_UNAVAILABLE
from tests.servers.helpers import Plantwide, plantwide


def role(w: Plantwide, name: str) -> str:
    engine: AlarmProcess = w.engine(name)
    return engine.role


def uids(w: Plantwide, name: str) -> list[str]:
    return [e.uid for e in w.engine(name).alarms.events()]


async def fault_on(w: Plantwide, on: bool = True) -> None:
    w.set("FAULT", on)
    await w.until(
        lambda: any(
            w.engine(n).alarms.status("FAULT_ALM").on is on
            for n in ("ALARM1", "ALARM2")
            if w.engine(n).role == "main"
        )
    )


async def test_the_main_is_the_first_started_when_priorities_are_equal() -> None:
    async with plantwide() as w:
        c = await w.client("ALARM2")
        assert (await c.ok("alarm.role"))["main"] == "ALARM1"
        assert (role(w, "ALARM1"), role(w, "ALARM2")) == ("main", "standby")
        await w.sup.stop("ALARM1")
        await w.sup.stop("ALARM2")
        await w.sup.start("ALARM2")
        await w.until(lambda: role(w, "ALARM2") == "main")
        await w.sup.start("ALARM1")
        assert role(w, "ALARM1") == "standby"


async def test_the_main_is_the_best_priority_when_servers_start_together() -> None:
    async with plantwide(p1=5, p2=2) as w:
        await w.until(lambda: w.sup.context is not None and role(w, "ALARM2") == "main")
        assert role(w, "ALARM1") == "standby"
        assert w.engine("ALARM1").synchronised


async def test_only_the_main_writes_the_log_and_the_standby_mirrors_it() -> None:
    async with plantwide() as w:
        await fault_on(w)
        c = await w.client("ALARM2")  # an ack sent to the standby is done by the main
        await c.ok("alarm.ack", tag="FAULT_ALM", user="op")
        await fault_on(w, False)
        main, standby = uids(w, "ALARM1"), uids(w, "ALARM2")
        assert len(main) == 3 and standby == main
        kinds = [e.kind for e in w.engine("ALARM2").alarms.events()]
        assert kinds == ["on", "ack", "off"]  # one 'on', not one per server


async def test_the_standby_takes_over_when_the_main_crashes() -> None:
    async with plantwide() as w:
        c = await w.ctapi("PC-B")
        await w.sup.crash("ALARM1")
        await fault_on(w)
        assert role(w, "ALARM2") == "main"
        assert (await c.ok("tag.read", tag="FAULT_ALM.On"))["value"] == "1"
        assert [e.kind for e in w.engine("ALARM2").alarms.events()] == ["on"]


async def test_a_returning_server_becomes_standby_and_gets_the_log_and_acks() -> None:
    async with plantwide() as w:
        await fault_on(w)
        await w.sup.crash("ALARM1")
        a2 = await w.client("ALARM2")
        await a2.ok("alarm.ack", tag="FAULT_ALM", user="op")
        await w.sup.start("ALARM1")  # a fresh process with an empty (in-memory) log
        assert role(w, "ALARM1") == "standby" and role(w, "ALARM2") == "main"
        assert uids(w, "ALARM1") == uids(w, "ALARM2")
        assert w.engine("ALARM1").alarms.status("FAULT_ALM").acked
        a1 = await w.client("ALARM1")
        assert (await a1.ok("alarm.get", tag="FAULT_ALM"))["alarm"]["state"] == "ON acknowledged"


async def test_a_returning_trends_server_fills_its_gap_from_its_peer() -> None:
    async with plantwide() as w:
        w.advance(1.0)
        await w.until(lambda: bool(w.engine("TREND2").trends.raw("LEVEL_TR")))
        await w.sup.crash("TREND2")
        for value in (60.0, 61.0, 62.0):
            w.set("LEVEL", value)
            w.advance(1.0)
            await w.until(lambda: w.engine("TREND1").trends.next_due(w.clock.now()) > w.clock.now())
        await w.sup.start("TREND2")
        assert w.engine("TREND2").gap_filled >= 3
        values = [s.value for s in w.engine("TREND2").trends.raw("LEVEL_TR")]
        assert values[-3:] == [60.0, 61.0, 62.0]


async def test_ctapi_says_com_while_no_alarm_server_runs_and_resumes_by_itself() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        await w.sup.crash("ALARM1")
        await w.sup.crash("ALARM2")
        down = await c.call("find.first", table="DigAlm")
        assert down["error"]["name"] == "server_unavailable"
        assert "cluster C1" in down["error"]["message"]
        assert (await c.call("tag.read", tag="FAULT_ALM.On"))["error"]["name"] == (
            "server_unavailable"
        )
        await w.sup.start("ALARM2")
        assert (await c.ok("find.first", table="DigAlm"))["record"]["TAG"] == "FAULT_ALM"


async def test_ctapi_says_com_while_no_trends_or_reports_server_runs_and_resumes() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        query = f"TRNQUERY,{int(w.clock.now())},0,1,2,LEVEL_TR,0,1"
        for name in ("TREND1", "TREND2", "REPORT1", "REPORT2"):
            await w.sup.crash(name)
        for op, fields in (
            ("find.first", {"table": query}),
            ("find.first", {"table": "Trend"}),
        ):
            down = await c.call(op, **fields)
            assert down["error"]["name"] == "server_unavailable", (op, fields)
        # Cicode as clients call it (issue 14.3): a failing function returns its error code
        # number as its result (without ERROR_USER_DEFINED_BASE) and ctCicode itself succeeds
        down = await c.ok("cicode", command='Report("HOURLY")')
        assert down["result"] == str(SERVER_UNAVAILABLE.code - ERROR_USER_DEFINED_BASE)
        await w.sup.start("TREND2")  # the standby alone: served by it
        await w.sup.start("REPORT2")
        assert (await c.ok("find.first", table=query))["count"] >= 2
        assert (await c.ok("cicode", command='Report("HOURLY")'))["result"] == "0"
        assert [r.reason for r in w.engine("REPORT2").reports.runs()] == ["demand"]


async def test_clients_of_trends_follow_failover_within_a_bounded_time() -> None:
    async with plantwide() as w:
        c = await w.ctapi()
        systems = await w.client("SystemServices", "PC-B")
        await w.sup.crash("TREND1")
        started = time.perf_counter()
        found = await c.ok("find.first", table="Trend")
        failover = time.perf_counter() - started
        assert found["count"] == 2 and failover < 5.0  # generous: milliseconds on loopback
        rows = {r["process"]: r for r in (await systems.ok("system.processes"))["processes"]}
        assert rows["TREND2"]["role"] == "active"
        await w.sup.start("TREND1")  # equal priorities: the client stays on the standby
        rows = {r["process"]: r for r in (await systems.ok("system.processes"))["processes"]}
        assert rows["TREND2"]["role"] == "active"


async def test_report_runs_are_mirrored_so_a_standby_taking_over_does_not_run_them_again() -> None:
    async with plantwide() as w:
        primary, standby = w.engine("REPORT1"), w.engine("REPORT2")
        w.advance(3600.0)
        await w.until(lambda: bool(primary.reports.runs()))
        assert [(r.number, r.reason) for r in standby.reports.runs()] == [(1, "schedule")]
        await w.sup.crash("REPORT1")
        assert standby.active
        standby.scan(w.clock.now())  # the plant scan on takeover, within the same hour
        assert len(standby.reports.runs()) == 1  # the slot the primary ran is not run again
        w.advance(3600.0)
        await w.until(lambda: len(standby.reports.runs()) == 2)
        assert [(r.number, r.reason) for r in standby.reports.runs()] == [
            (1, "schedule"),
            (2, "schedule"),
        ]
        await w.sup.start("REPORT1")  # returns with no runs of its own: copies its peer's
        returned = w.engine("REPORT1")
        assert [r.number for r in returned.reports.runs()] == [1, 2]
        assert standby.active and not returned.active  # equal priorities: clients stay
        r1 = await w.client("REPORT1")
        run = (await r1.ok("report.run", report="HOURLY"))["run"]  # on demand, either server
        assert run["number"] == 3 and standby.reports.get_run(3) is not None


async def test_the_control_api_acts_on_the_alarm_main_as_ctapi_does() -> None:
    async with plantwide(p1=5, p2=2) as w:  # the standby has the better priority: it is main
        await w.until(lambda: role(w, "ALARM2") == "main")
        manager = RuntimeManager(w.sup)
        assert manager._alarm_main("FAULT_ALM") is w.engine("ALARM2").alarms
        await fault_on(w)
        assert manager.acknowledge("FAULT_ALM")["state"] == "ON acknowledged"
        assert [e.kind for e in w.engine("ALARM2").alarms.events()] == ["on", "ack"]
        with pytest.raises(ControlError) as unknown:
            manager.acknowledge("NOPE")
        assert unknown.value.status == 404
        await w.sup.crash("ALARM1")
        await w.sup.crash("ALARM2")
        with pytest.raises(ControlError) as gone:
            manager.alarms()
        assert gone.value.status == 409


def test_the_client_rule_primary_first_then_sticky_unless_the_primary_is_preferred() -> None:
    def pair(p_run: bool, s_run: bool, p_pri: int = 1, s_pri: int = 1) -> list[Candidate]:
        return [Candidate("P", True, p_pri, p_run), Candidate("S", False, s_pri, s_run)]

    assert choose(None, pair(True, True)) == "P"
    assert choose(None, pair(False, True)) == "S"
    assert choose("S", pair(True, True)) == "S"  # stays on the standby
    assert choose("S", pair(True, True, p_pri=1, s_pri=2)) == "P"  # unless P has priority
    assert choose("S", pair(True, False)) == "P"  # the standby failed: back to the primary
    assert choose("P", pair(False, False)) is None


@given(
    current=st.sampled_from([None, "P", "S"]),
    runs=st.tuples(st.booleans(), st.booleans()),
    priorities=st.tuples(st.integers(1, 5), st.integers(1, 5)),
)
def test_the_client_rule_always_picks_a_running_server(
    current: str | None, runs: tuple[bool, bool], priorities: tuple[int, int]
) -> None:
    servers = [
        Candidate("P", True, priorities[0], runs[0]),
        Candidate("S", False, priorities[1], runs[1]),
    ]
    chosen = choose(current, servers)
    running = {s.name for s in servers if s.running}
    assert (chosen is None) == (not running)
    assert chosen is None or chosen in running
    if current in running and (current == "P" or priorities[0] >= priorities[1]):
        assert chosen == current


async def test_an_event_logged_on_the_standby_engine_directly_reaches_the_main() -> None:
    async with plantwide() as w:
        await fault_on(w)
        standby = w.engine("ALARM2").alarms
        standby.acknowledge("FAULT_ALM", "control", w.clock.now())  # as the control API may
        assert w.engine("ALARM1").alarms.status("FAULT_ALM").acked
        assert uids(w, "ALARM1") == uids(w, "ALARM2")
