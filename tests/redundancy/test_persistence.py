"""`scada-emu run --state-dir` killed with SIGKILL: no acknowledged alarm event is lost, at most
about a second of trend samples, and the acknowledgement holds after the restart."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import anyio

from tests.servers.helpers import TIMEOUT, Client, plant_text, scada_emu_run


async def ctapi(content: dict[str, Any]) -> Client:
    row = next(
        r for r in content["listeners"] if r["process"] == "CtAPI" and r["computer"] == "PC-A"
    )
    client = await Client.connect(row["port"], row["address"])
    await client.ok("open", user="engineer", password="control")
    return client


async def until_value(client: Client, tag: str, value: str) -> None:
    with anyio.fail_after(TIMEOUT):
        while (await client.ok("tag.read", tag=tag))["value"] != value:  # noqa: ASYNC110
            await anyio.sleep(0.02)  # a deadline poll of another process: no event to await


def newest_sample(database: Path) -> float | None:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT max(time) FROM trend_samples WHERE trend = 'LEVEL_TR'").fetchone()
    return None if row[0] is None else float(row[0])


async def test_kill_9_loses_no_acknowledged_event_and_at_most_a_second_of_samples(
    tmp_path: Path,
) -> None:
    topology, state, ready = tmp_path / "plant.toml", tmp_path / "state", tmp_path / "ready.json"
    topology.write_text(plant_text())
    history = state / "history" / "Plant_SCADA_project"
    proc, content = scada_emu_run(topology, state, ready)
    try:
        client = await ctapi(content)
        await client.ok("tag.write", tag="FAULT", value="1")
        await until_value(client, "FAULT_ALM.On", "1")
        assert (await client.ok("cicode", command='AlarmAckTag("FAULT_ALM")'))["result"] == "0"
        with anyio.fail_after(3 * TIMEOUT):
            while newest_sample(history / "TREND1.sqlite3") is None:  # noqa: ASYNC110
                await anyio.sleep(0.05)  # the file of another process: no event to await
        await client.aclose()
    finally:
        killed_at = time.time()
        proc.kill()  # SIGKILL: no shutdown, no flush
        proc.wait(TIMEOUT)
    with sqlite3.connect(history / "ALARM1.sqlite3") as db:
        kinds = [r[0] for r in db.execute("SELECT json_extract(body, '$.kind') FROM alarm_events")]
    assert kinds == ["on", "ack"]
    newest = newest_sample(history / "TREND1.sqlite3")
    assert newest is not None and newest >= killed_at - 2.5  # 1 s period + 1 s flush deadline
    proc, content = scada_emu_run(topology, state, ready)
    try:
        client = await ctapi(content)
        assert (await client.ok("tag.read", tag="FAULT_ALM.Ack"))["value"] == "1"
        await client.aclose()
    finally:
        proc.kill()
        proc.wait(TIMEOUT)
