"""Issue 5's "done when", as a person sees it: `scada-emu run` serving the demo plant, its
scenario moving the tags. Its alarms go on and off by themselves, are acknowledged through
CtAPI (the Python client and the ctypes shim), and its trends answer TRNQUERY (through find, in
the client and the shim) and the trends server's own requests."""

from __future__ import annotations

import time
from ctypes import byref, c_double, c_ulong, c_void_p, create_string_buffer, sizeof
from pathlib import Path
from typing import Any

import anyio

from emulator.client import Session, connect
from emulator.compat import installed
from emulator.protocol.ctapi_flags import ListMode
from emulator.protocol.errors import NO_MORE_RECORDS
from tests.servers.helpers import TIMEOUT, Client, scada_emu_run

#: Plant seconds per real second: pump 1 trips at 5 min (1 s) and recovers at 8 min (1.6 s),
#: and again every 30 min (6 s).
SPEED = "300"


async def alarms_go_on_and_off(session: Session, references: list[str]) -> list[list[str]]:
    """The values a CT_LIST_EVENT list sees of each reference until each has gone "1" then "0"
    (whenever the test starts in the scenario's cycle)."""
    tag_list = await session.list_new(ListMode.EVENT)
    handles = [await session.list_add(tag_list, reference) for reference in references]
    seen: list[list[str]] = [[] for _ in references]
    with anyio.fail_after(3 * TIMEOUT):
        while not all("1" in values and values[-1] == "0" for values in seen):
            await session.list_read(tag_list, wait=True)  # completes on a change
            for handle, values in zip(handles, seen, strict=True):
                value = await session.list_data(handle)
                if not values or values[-1] != value:
                    values.append(value)
    await session.list_free(tag_list)
    return seen


#: ctGetProperty's result types (oledb.h DBTYPE_*), and ctFindNext's "no more" error.
DBTYPE_R8 = 5
DBTYPE_STR = 129
ERROR_NO_MORE_FILES = NO_MORE_RECORDS.code  # a refused move: Plant SCADA (issue 14)


def shim_program(ready: Path, alarm: str) -> dict[str, Any]:
    """What a program written for CtApi.dll does: acknowledge `alarm` (its .Ack before and
    after), then ask ALMQUERY for its events and TRNQUERY for ten seconds of tank 1's level."""
    with installed(ready_file=ready, encryption="unencrypted"):
        from ctypes import GetLastError, windll  # type: ignore[attr-defined]

        dll = windll.CtApi

        def read(handle: int, tag: str) -> str:
            buffer = create_string_buffer(16)
            assert dll.ctTagRead(handle, tag.encode(), byref(buffer), sizeof(buffer)), (
                GetLastError()
            )
            return str(buffer.value.decode("ascii"))

        def cicode(handle: int, command: str) -> str:
            result = create_string_buffer(32)
            status = dll.ctCicode(
                handle, command.encode(), 0, 0, byref(result), sizeof(result), None
            )
            assert status, GetLastError()
            return str(result.value.decode("ascii"))

        def find(handle: int, query: str, field: bytes, kind: int) -> list[Any]:
            record, length = c_void_p(), c_ulong()
            search = dll.ctFindFirst(handle, query.encode(), b"", byref(record), 0)
            assert search, GetLastError()
            values: list[Any] = []
            while True:
                value: Any = create_string_buffer(32) if kind == DBTYPE_STR else c_double()
                assert dll.ctGetProperty(
                    record, field, byref(value), sizeof(value), byref(length), kind
                )
                values.append(value.value.decode() if kind == DBTYPE_STR else value.value)
                if not dll.ctFindNext(search, byref(record)):
                    assert GetLastError() == ERROR_NO_MORE_FILES
                    break
            assert dll.ctFindNumRecords(search) == len(values)
            dll.ctFindClose(search)
            return values

        handle = dll.ctOpen(b"SCADA-A", b"engineer", b"control", 0)
        assert handle, GetLastError()
        before = read(handle, f"{alarm}.Ack")
        cicode(handle, f'AlarmAckTag("{alarm}")')
        after = read(handle, f"{alarm}.Ack")
        now = int(float(cicode(handle, "TimeCurrent()")))
        events = find(handle, f"ALMQUERY,DigAlm,{alarm},0,0,{now + 1},0,0", b"VALUE", DBTYPE_R8)
        levels = find(handle, f"TRNQUERY,{now},0,1,10,TANK1_LEVEL,0,1", b"VALUE", DBTYPE_R8)
        dll.ctClose(handle)
    return {"ack": (before, after), "events": events, "levels": levels}


async def trends_server(content: dict[str, Any]) -> Client:
    row = next(r for r in content["listeners"] if r["process"] == "TREND1" and not r["tls"])
    return await Client.connect(row["port"], row["address"], content["server_password"])


async def test_scada_emu_run_demo_alarms_move_are_acknowledged_and_trends_answer(
    tmp_path: Path,
) -> None:
    ready = tmp_path / "ready.json"
    proc, content = scada_emu_run(None, tmp_path / "state", ready, "--speed", SPEED)
    try:
        async with connect("SCADA-A", user="engineer", password="control", ready=ready) as ct:
            assert ct.encrypted  # "mixed": 3073 first, with the CA of the ready file
            both = ["PUMP1_FAULT_ALM.On", "PUMP1_FAIL_TO_RUN.On"]
            for seen in await alarms_go_on_and_off(ct, both):
                assert seen[-2:] == ["1", "0"]
            # OFF, not acknowledged (1068486)
            assert await ct.tag_read("PUMP1_FAULT_ALM.State") == "0"
            assert await ct.cicode('AlarmAckTag("PUMP1_FAULT_ALM")') == "0"
            assert await ct.tag_read("PUMP1_FAULT_ALM.Ack") == "1"
            shim = await anyio.to_thread.run_sync(shim_program, ready, "PUMP1_FAIL_TO_RUN")
            assert shim["ack"] == ("0", "1")
            # VALUE bits (ctapi-rs docs/AlmQuery.md): on (1 | 8), off (1), acknowledged (1 | 16)
            assert shim["events"][-3:] == [9.0, 1.0, 17.0]
            assert 10 <= len(shim["levels"]) <= 12
            assert all(0.0 <= level <= 100.0 for level in shim["levels"])

            now = int(float(await ct.cicode("TimeCurrent()")))  # the plant clock, UTC seconds
            query = f"TRNQUERY,{now},0,1,10,TANK1_LEVEL,0,1"
            records = await ct.find_all(query)
            assert 10 <= len(records) <= 12  # n samples, up to n+2 (reference section 5)
            assert all(0.0 <= float(r["VALUE"]) <= 100.0 for r in records)  # a level in %
        trends = await trends_server(content)
        raw = (await trends.ok("trend.raw", trend="TANK1_LEVEL", count=5))["samples"]
        assert len(raw) == 5
        answered = (await trends.ok("trend.query", query=query))["records"]
        assert len(answered) >= 10
        await trends.aclose()
    finally:
        started = time.monotonic()
        proc.terminate()
        proc.wait(TIMEOUT)
        assert time.monotonic() - started < TIMEOUT
