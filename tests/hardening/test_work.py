"""Bounded work, fairly shared (issue 18.1): an expensive statement runs off the serving loop
within its limits, pipelined ones hold up nobody else, blank input is cut off, shutdown keeps
its grace under load (docs/security.md, "Work shared"; the figures: bench/attacks.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from emulator.processes import odbc
from emulator.protocol.framing import encode
from tests.hardening.helpers import TIMEOUT, Client, connect, demo, kinds

#: Runs until the statement's time limit stops it: it counts to 10^8.
ENDLESS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM (SELECT x FROM c LIMIT 100000000)"
)


async def arrival(
    client: Client, stamps: dict[object, float], count: int, frames: list[Any] | None = None
) -> None:
    """Record when each of `count` replies of `client` arrives, by id (and the frames)."""
    for _ in range(count):
        frame = await client.frame()
        stamps[frame.get("id")] = time.monotonic()
        if frames is not None:
            frames.append(frame)


async def test_a_statement_past_its_limit_stops_and_nobody_waits_for_it(
    state_dir: Path,
) -> None:
    async with demo(state_dir) as sup:
        listeners = kinds(sup)
        sql = await connect(sup, listeners["odbc"])
        bystander = await connect(sup, listeners["ctapi"])
        started = time.monotonic()
        await sql.send({"id": "endless", "op": "sql", "query": ENDLESS})
        answered = []
        for _ in range(5):  # the loop is free: each ping is answered while the statement runs
            assert (await bystander.request("ping"))["ok"]
            answered.append(time.monotonic())
        reply = await sql.frame()
        stopped = time.monotonic()
        assert reply["error"]["name"] == "query_timeout", reply
        assert f"{odbc.MAX_SECONDS} s" in reply["error"]["message"]
        assert max(answered) < stopped
        assert stopped - started < odbc.MAX_SECONDS + TIMEOUT / 2
        assert (await sql.request("sql", query="SELECT 1"))["rows"] == [[1]]


async def test_huge_values_are_refused_not_made(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        sql = await connect(sup, kinds(sup)["odbc"])
        for query in (
            "SELECT length(printf('%.*c', 500000000, 'x'))",
            "SELECT format('%500000000c', 'x')",
            "SELECT zeroblob(2000000)",
            "SELECT length(group_concat(printf('%.1000c', 'x'))) FROM (WITH RECURSIVE c(x) AS "
            "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 2000)",
        ):
            refused = await sql.request("sql", query=query)
            assert refused["error"]["name"] == "result_too_large", (query, refused)
            assert str(odbc.MAX_VALUE) in refused["error"]["message"]
        assert (await sql.request("sql", query="SELECT printf('%5.1f', 2.25)"))["rows"] == [
            ["  2.3"]
        ]


async def test_pipelined_statements_of_one_client_hold_up_no_other(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(odbc, "MAX_SECONDS", 0.1)
    async with demo(state_dir) as sup:
        listeners = kinds(sup)
        greedy = await connect(sup, listeners["odbc"])
        bystander = await connect(sup, listeners["odbc"])
        stamps: dict[object, float] = {}
        await greedy.stream.send(
            b"".join(encode({"id": n, "op": "sql", "query": ENDLESS}) for n in range(10))
        )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(arrival, greedy, stamps, 10)
            # Another client's statement waits for at most one of the greedy one's, not ten.
            assert (await bystander.request("sql", query="SELECT 1"))["rows"] == [[1]]
            served = time.monotonic()
        assert served < stamps[9], "the bystander waited for all ten"
        assert all(stamps[n] < stamps[n + 1] for n in range(9))  # in order


async def test_shutdown_keeps_its_grace_under_pipelined_statements(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(odbc, "MAX_SECONDS", 0.5)
    grace = 1.0
    clients = []
    async with demo(state_dir, grace=grace) as sup:
        for _ in range(4):  # 4 x 10 statements: 20 s of work queued
            client = await connect(sup, kinds(sup)["odbc"])
            await client.stream.send(
                b"".join(encode({"id": n, "op": "sql", "query": ENDLESS}) for n in range(10))
            )
            clients.append(client)
        await anyio.sleep(0.1)  # the first statements are running
        started = time.monotonic()
        sup.shutdown()
    assert time.monotonic() - started < grace + odbc.MAX_SECONDS + 1.0
    for client in clients:
        await client.aclose()


async def test_blank_lines_are_cut_off(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        client = await connect(sup, kinds(sup)["ctapi"])
        await client.stream.send(b"\r\n" * 40_000)
        frame = await client.frame()
        assert frame["error"]["name"] == "no_request", frame
        assert "bytes of blank input with no request" in frame["error"]["message"]
        assert b"hello" not in await client.rest()  # and closed


async def test_a_ctapi_search_over_a_large_query_is_made_off_the_loop(state_dir: Path) -> None:
    end = 1767225600 + 86400
    query = f"TRNQUERY,{end},0,1,99999,TANK1_LEVEL,0,1"
    async with demo(state_dir) as sup:
        plain = kinds(sup)["ctapi"]
        searcher, bystander = await connect(sup, plain), await connect(sup, plain)
        for client in (searcher, bystander):
            assert (await client.request("open", user="engineer", password="control"))["ok"]
        searcher.decoder.max_frame_size = 1 << 20
        await searcher.send({"id": "find", "op": "find.first", "table": query})
        answered: list[float] = []
        stamps: dict[object, float] = {}
        frames: list[Any] = []
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(arrival, searcher, stamps, 1, frames)
            for _ in range(5):
                assert (await bystander.request("ping"))["ok"]
                answered.append(time.monotonic())
        assert max(answered) < stamps["find"], "the bystander waited for the search"
        (found,) = frames
        assert found["ok"] and found["count"] >= 99_999, found
        moved = await searcher.request("find.next", find=found["find"])
        assert moved["position"] == 2  # the search the worker made is the connection's
