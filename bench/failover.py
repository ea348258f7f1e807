"""Failover: how long a client is without an answer when the primary crashes.

A client holds a connection to the primary alarm server of a cluster. The harness asks the
control API to crash that process (POST /processes/NAME/crash: every connection reset) and
the client follows the failover at once: on losing the primary it connects to the standby of the
same cluster, reads its hello and sends a ping. Measured from the crash request to the
standby's answer; then the primary is started again for the next repetition.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec

from bench.servers import BenchError

PING = b'{"id":1,"op":"ping"}\n'
DEADLINE_S = 10.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    process: str
    computer: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Failover:
    #: Crash request sent -> first answer from the standby.
    reconnect_ms: float
    #: Crash request sent -> the primary's connection seen gone.
    detect_ms: float


def redundant_pair(ready: dict[str, Any], process_type: str = "alarm") -> tuple[Endpoint, Endpoint]:
    """The primary and standby of the first cluster that has both, from the ready file."""
    rows = [r for r in ready["listeners"] if r["type"] == process_type and not r["tls"]]
    for primary in (r for r in rows if r["mode"] == "primary"):
        for standby in (r for r in rows if r["mode"] == "standby"):
            if standby["cluster"] == primary["cluster"]:
                return _endpoint(primary), _endpoint(standby)
    raise BenchError(f"no cluster has both a primary and a standby {process_type} server")


def _endpoint(row: dict[str, Any]) -> Endpoint:
    return Endpoint(row["process"], row["computer"], row["address"], int(row["port"]))


async def _session(at: Endpoint) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect, read the hello, get a ping answered: a working session."""
    reader, writer = await asyncio.open_connection(at.host, at.port)
    hello = msgspec.json.decode(await reader.readline())
    if hello.get("event") != "hello":
        raise BenchError(f"{at.process} did not say hello: {hello}")
    writer.write(PING)
    reply = msgspec.json.decode(await reader.readline())
    if reply.get("ok") is not True:
        raise BenchError(f"{at.process} did not answer a ping: {reply}")
    return reader, writer


async def control(url: str, method: str, path: str) -> int:
    """One control-API request (HTTP/1.1, no body); the status code."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode("ascii")
    )
    status = await reader.readline()
    await reader.read()
    writer.close()
    try:
        return int(status.split()[1])
    except (IndexError, ValueError):
        raise BenchError(f"the control API answered {status!r}") from None


async def _lost(reader: asyncio.StreamReader) -> None:
    """Return once the connection is gone (EOF or reset); bytes before that are ignored."""
    try:
        while await reader.read(4096):
            pass
    except ConnectionError:
        return


async def once(control_url: str, primary: Endpoint, standby: Endpoint) -> Failover:
    async with asyncio.timeout(DEADLINE_S):
        reader, writer = await _session(primary)
        started = time.perf_counter()
        where = f"/processes/{primary.process}/{{}}?computer={primary.computer}"
        crash = asyncio.create_task(control(control_url, "POST", where.format("crash")))
        await _lost(reader)
        detected = time.perf_counter()
        writer.close()
        _, standby_writer = await _session(standby)
        answered = time.perf_counter()
        standby_writer.close()
        status = await crash
        if status != 200:
            raise BenchError(f"crashing {primary.process} answered HTTP {status}")
        status = await control(control_url, "POST", where.format("start"))
        if status != 200:
            raise BenchError(f"starting {primary.process} again answered HTTP {status}")
    return Failover(
        reconnect_ms=round((answered - started) * 1000, 3),
        detect_ms=round((detected - started) * 1000, 3),
    )


async def measure(ready: dict[str, Any], repetitions: int) -> list[Failover]:
    control_url = ready.get("control")
    if not control_url:
        raise BenchError("the emulator runs no control API, so nothing can crash a process")
    primary, standby = redundant_pair(ready)
    results = []
    for _ in range(repetitions):
        try:
            results.append(await once(control_url, primary, standby))
        except TimeoutError:
            raise BenchError(f"no failover from {primary.process} within {DEADLINE_S} s") from None
    return results
