"""Answers at the documented limits (issue 18.3): a result larger than a frame comes in pages,
each within the frame limit, never `internal_error`; every documented limit of every request
is accepted at its bound and refused one past it (docs/protocol.md, "Pages")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.plant.trends import MAX_POINTS
from emulator.processes import odbc
from emulator.processes.alarm import MAX_EVENTS
from emulator.processes.io import MAX_TAGS
from emulator.processes.reports import MAX_RUNS
from emulator.protocol.framing import MAX_FRAME_SIZE, FrameDecoder, encode
from emulator.runtime.supervisor import Supervisor
from tests.hardening.helpers import Client, connect, demo, kinds

#: Events the log gets before the queries: past the ~120 that fitted a frame before.
EVENTS = 1000
END = 1767225600 + 86400


async def client_of(sup: Supervisor, kind: str) -> Client:
    """A client whose decoder fails on any frame over the limit."""
    client = await connect(sup, kinds(sup)[kind])
    client.decoder = FrameDecoder(MAX_FRAME_SIZE)
    return client


async def answer(client: Client, op: str, **fields: Any) -> dict[str, Any]:
    """The reply to one request, past any push (time.subscribe's)."""
    await client.send({"id": "q", "op": op, **fields})
    while (frame := await client.frame()).get("id") != "q":
        assert "event" in frame, frame
    return frame


async def every_page(client: Client, op: str, key: str, **fields: Any) -> tuple[list[Any], int]:
    """The items of `key` over every page of one answer, and how many pages it took."""
    reply = await answer(client, op, **fields)
    assert reply["ok"], (op, reply)
    items, pages = list(reply[key]), 1
    while "more" in reply:
        reply = await answer(client, "more", cursor=reply["more"])
        assert reply["ok"], reply
        items += reply[key]
        pages += 1
    return items, pages


async def logged_events(sup: Supervisor) -> None:
    alarm = await client_of(sup, "alarm")
    frames = [
        {"id": n, "op": f"alarm.{'disable' if n % 2 == 0 else 'enable'}", "tag": "PUMP1_FAULT_ALM"}
        for n in range(EVENTS)
    ]
    await alarm.stream.send(b"".join(encode(f) for f in frames))
    for _ in frames:
        assert (await alarm.frame())["ok"]
    await alarm.aclose()


async def test_large_answers_come_in_pages_within_the_frame_limit(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        await logged_events(sup)
        await large_answers(sup)


async def large_answers(plant: Supervisor) -> None:
    log = plant.process("ALARM1", "SCADA-A").process.alarms.events(limit=1000)  # type: ignore[union-attr]
    assert len(log) >= EVENTS
    alarm, db, sql = [await client_of(plant, k) for k in ("alarm", "alarm_db", "odbc")]
    events, pages = await every_page(alarm, "alarm.events", "events")
    assert pages > 1 and [e["uid"] for e in events] == [e.uid for e in log]
    events, pages = await every_page(db, "db.events", "events")
    assert pages > 1 and [e["uid"] for e in events] == [e.uid for e in log]
    # ODBC's table holds the whole log (the 1,000 events above and the demo's own); the demo
    # runs on the real clock, so its scenario may log another event meanwhile
    whole = plant.process("ALARM1", "SCADA-A").process.alarms.events()  # type: ignore[union-attr]
    rows, pages = await every_page(sql, "sql", "rows", query="SELECT * FROM alarm_events")
    assert pages > 1 and len(whole) <= len(rows) <= len(whole) + 10
    assert [tuple(r[:3]) for r in rows[: len(whole)]] == [  # time, tag, kind
        (e.time, e.tag, e.kind) for e in whole
    ]
    trends = await client_of(plant, "trends")
    samples, pages = await every_page(
        trends, "trend.averaged", "samples", trend="TANK1_LEVEL", end=END, period=1,
        count=MAX_POINTS,
    )  # fmt: skip
    assert pages > 1 and len(samples) == MAX_POINTS
    assert samples == sorted(samples, key=lambda s: s[0])
    query = f"TRNQUERY,{END},0,1,{MAX_POINTS},TANK1_LEVEL,0,1"
    records, pages = await every_page(trends, "trend.query", "records", query=query)
    assert pages > 1 and len(records) >= MAX_POINTS  # (TRNQUERY may give one record more)
    io = await client_of(plant, "io")
    owned = [t["name"] for t in (await answer(io, "io.tags"))["tags"]]
    references = [owned[n % len(owned)] for n in range(MAX_TAGS)]
    values, pages = await every_page(io, "io.read", "values", tags=references)
    assert pages > 1 and [v["tag"] for v in values] == references
    # An unknown or finished cursor says what to do.
    gone = await answer(io, "more", cursor="c999")
    assert gone["error"]["name"] == "unknown_cursor" and "run the request again" in str(gone)


#: (listener kind, request, its bound, one past it): every documented limit (docs/protocol.md).
#: ALMQUERY has none of its own: periods without an event give no record (the AlmQuery page),
#: so a long range answers what happened in it, at most 100,000 records.
LIMITS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("alarm", {"op": "alarm.events", "limit": MAX_EVENTS}, {"limit": MAX_EVENTS + 1}),
    ("alarm", {"op": "alarm.summary", "limit": MAX_EVENTS}, {"limit": MAX_EVENTS + 1}),
    ("alarm_db", {"op": "db.events", "limit": MAX_EVENTS}, {"limit": MAX_EVENTS + 1}),
    ("reports", {"op": "report.runs", "limit": MAX_RUNS}, {"limit": MAX_RUNS + 1}),
    ("io", {"op": "io.read", "tags": ["PUMP1_SPEED"] * MAX_TAGS},
     {"tags": ["PUMP1_SPEED"] * (MAX_TAGS + 1)}),
    ("trends", {"op": "trend.raw", "trend": "TANK1_LEVEL", "count": MAX_POINTS},
     {"count": MAX_POINTS + 1}),
    ("trends",
     {"op": "trend.averaged", "trend": "TANK1_LEVEL", "end": END, "period": 1,
      "count": MAX_POINTS},
     {"count": MAX_POINTS + 1}),
    ("trends", {"op": "trend.query", "query": f"TRNQUERY,{END},0,1,{MAX_POINTS},TANK1_LEVEL,0,1"},
     {"query": f"TRNQUERY,{END},0,1,{MAX_POINTS + 1},TANK1_LEVEL,0,1"}),
    ("time_sync", {"op": "time.subscribe", "period": 0.1}, {"period": 0.05}),
    ("time_sync", {"op": "time.subscribe", "period": 864000}, {"period": 864001}),
    ("odbc", {"op": "sql", "query": "SELECT 1" + " " * (odbc.MAX_SQL - 8)},
     {"query": "SELECT 1" + " " * (odbc.MAX_SQL - 7)}),
]  # fmt: skip
REFUSED = {"invalid_parameter", "invalid_argument", "out_of_range"}


async def test_every_documented_limit_is_served_at_its_bound_and_refused_past_it(
    state_dir: Path,
) -> None:
    async with demo(state_dir) as sup:
        await logged_events(sup)
        for kind, bound, past in LIMITS:
            client = await client_of(sup, kind)
            op, fields = bound["op"], {k: v for k, v in bound.items() if k != "op"}
            reply = await answer(client, op, **fields)
            assert reply["ok"], (op, reply)
            while "more" in reply:  # whatever its size, every page fits a frame
                reply = await answer(client, "more", cursor=reply["more"])
                assert reply["ok"], (op, reply)
            refused = await answer(client, op, **{**fields, **past})
            assert refused.get("error", {}).get("name") in REFUSED, (op, past, refused)
            await client.aclose()


async def test_the_row_limit_of_a_statement_truncates_it(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        await row_limit(sup)


async def row_limit(plant: Supervisor) -> None:
    sql = await client_of(plant, "odbc")
    query = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        f"SELECT x FROM c LIMIT {odbc.MAX_ROWS + 1}"
    )
    first = await answer(sql, "sql", query=query)
    assert first["truncated"] is True
    rows, _ = await every_page(sql, "sql", "rows", query=query)
    assert len(rows) == odbc.MAX_ROWS
    reply = await answer(sql, "sql", query=query.replace(str(odbc.MAX_ROWS + 1), "5"))
    assert reply["truncated"] is False and len(reply["rows"]) == 5
