"""A small redundant plant on its own 127.x addresses, and a test client that keeps pushes."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import ByteStream

from emulator.plant.clock import VirtualClock
from emulator.plant.state import Plant
from emulator.processes.context import Context
from emulator.protocol.auth import server_login
from emulator.protocol.framing import FrameDecoder, encode
from emulator.runtime.limits import Limits
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import LoadedTopology, load_text

#: Every wait in these tests is bounded by this.
TIMEOUT = 5.0
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z

PLANT = """
[[computers]]
name = "PC-A"
ctapi = "unencrypted"
odbc = true
[[network_addresses]]
name = "NET_A"
computer = "PC-A"
address = "{a}"
[[computers]]
name = "PC-B"
ctapi = "unencrypted"
[[network_addresses]]
name = "NET_B"
computer = "PC-B"
address = "{b}"
[[clusters]]
name = "C1"
[[server_processes]]
name = "ALARM1"
type = "alarm"
network_address = "NET_A"
priority = {p1}
[[server_processes]]
name = "ALARM2"
type = "alarm"
network_address = "NET_B"
mode = "standby"
priority = {p2}
[[server_processes]]
name = "TREND1"
type = "trends"
network_address = "NET_A"
[[server_processes]]
name = "TREND2"
type = "trends"
network_address = "NET_B"
mode = "standby"
[[server_processes]]
name = "REPORT1"
type = "reports"
network_address = "NET_A"
[[server_processes]]
name = "REPORT2"
type = "reports"
network_address = "NET_B"
mode = "standby"
[[server_processes]]
name = "IO1"
type = "io"
network_address = "NET_A"
[[users]]
name = "engineer"
password = "control"
[[tags]]
name = "LEVEL"
format = "###.#"
eng_zero = 0
eng_full = 100
initial = 50.0
[[tags]]
name = "FAULT"
type = "digital"
initial = false
[[tags]]
name = "SPEED"
type = "int"
initial = 10
[[alarm_categories]]
number = 2
name = "Process"
priority = 3
[[alarms]]
tag = "FAULT_ALM"
name = "Fault"
description = "The motor tripped"
variable = "FAULT"
category = 2
area = 1
[[alarms]]
tag = "LEVEL_ALM"
name = "Level"
type = "analog"
variable = "LEVEL"
high = 80.0
low = 20.0
deadband = 1.0
category = 2
area = 2
[[alarms]]
tag = "BOTH_ALM"
type = "advanced"
expression = "LEVEL > 90 AND FAULT"
area = 2
[[trends]]
name = "LEVEL_TR"
tag = "LEVEL"
sample_period = 1.0
[[trends]]
name = "SPEED_TR"
tag = "SPEED"
sample_period = 2.0
[[reports]]
name = "HOURLY"
period = 3600.0
template = "Level {{LEVEL:.1f}} fault {{FAULT}}"
"""

_addresses = itertools.count(1)


def plant_text(p1: int = 1, p2: int = 1) -> str:
    n = next(_addresses) % 250 + 1
    return PLANT.format(a=f"127.0.{30 + n % 20}.{n}", b=f"127.0.{60 + n % 20}.{n}", p1=p1, p2=p2)


class Client:
    """One connection: requests with their own ids; pushes kept in `pushes`."""

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.decoder = FrameDecoder(1 << 22)
        self.pushes: list[dict[str, Any]] = []
        self.hello: dict[str, Any] = {}
        self._ids = itertools.count(1)

    @classmethod
    async def connect(cls, port: int, address: str, password: str | None = None) -> Client:
        """Past the hello; logged in as a server with `password` where the port asks for it."""
        with anyio.fail_after(TIMEOUT):
            client = cls(await anyio.connect_tcp(address, port))
        client.hello = await client.frame()
        login = server_login(client.hello, password) if password is not None else {}
        if login:
            await client.ok(**login)
        return client

    async def frame(self) -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT):
            while (frame := self.decoder.next_frame()) is None:
                self.decoder.feed(await self.stream.receive())
            return frame

    async def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """The reply (ok or not) to one request."""
        rid = next(self._ids)
        await self.stream.send(encode({"id": rid, "op": op, **fields}))
        while True:
            frame = await self.frame()
            if frame.get("id") == rid:
                return frame
            self.pushes.append(frame)

    async def ok(self, op: str, **fields: Any) -> dict[str, Any]:
        reply = await self.call(op, **fields)
        assert reply["ok"], reply
        return reply

    async def push(self, name: str) -> dict[str, Any]:
        """The next push named `name`."""
        while True:
            for frame in self.pushes:
                if frame.get("event") == name:
                    self.pushes.remove(frame)
                    return frame
            self.pushes.append(await self.frame())

    async def aclose(self) -> None:
        await anyio.aclose_forcefully(self.stream)


class Plantwide:
    """A running plant: the supervisor, its virtual clock, the plant, and connections."""

    def __init__(self, supervisor: Supervisor, clock: VirtualClock) -> None:
        self.sup = supervisor
        self.clock = clock
        self.plant: Plant = supervisor.context.plant
        self.clients: list[Client] = []

    def port(self, process: str, computer: str | None = None) -> tuple[str, int]:
        for listener in self.sup.listeners:
            e = listener.endpoint
            if e.process == process and not e.tls and computer in (None, e.computer):
                return e.address, listener.port
        raise LookupError(process)

    async def client(self, process: str, computer: str | None = None) -> Client:
        address, port = self.port(process, computer)
        client = await Client.connect(port, address, self.sup.context.server_password)
        self.clients.append(client)
        return client

    async def ctapi(self, computer: str = "PC-A") -> Client:
        client = await self.client("CtAPI", computer)
        await client.ok("open", user="engineer", password="control")
        return client

    def set(self, tag: str, value: Any) -> None:
        self.plant.set_value(tag, value, self.clock.now())

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.sup.context.changes.notify()

    def engine(self, process: str, computer: str | None = None) -> Any:
        return self.sup.process(process, computer).process

    async def trend_levels(self, *values: float) -> None:
        """Set LEVEL to each value, a second apart, each sampled by TREND1's LEVEL_TR."""
        trends = self.engine("TREND1").trends
        for value in values:
            self.set("LEVEL", value)
            self.advance(1.0)
            await self.until(lambda: trends.next_due(self.clock.now()) > self.clock.now())

    async def until(self, check: Callable[[], bool], what: str = "condition") -> None:
        """Poll `check` with a deadline (the scan runs in the same loop)."""
        with anyio.fail_after(TIMEOUT):
            while not check():  # noqa: ASYNC110 (a deadline poll: the scan sets no event)
                await anyio.sleep(0.005)


@asynccontextmanager
async def plantwide(
    topology: str | LoadedTopology | None = None,
    *,
    state_dir: Path | None = None,
    p1: int = 1,
    p2: int = 1,
    limits: Limits | None = None,
) -> AsyncIterator[Plantwide]:
    """The plant of `plant_text` (or `topology`) on a virtual clock, on ephemeral ports."""
    if isinstance(topology, LoadedTopology):
        loaded = topology
    else:
        loaded = load_text(topology or plant_text(p1, p2), "<servers test>")
    clock = VirtualClock(START)
    context = Context(loaded.model, clock=clock, state_dir=state_dir)
    async with Supervisor(
        loaded, ephemeral=True, state_dir=state_dir, context=context, grace=0.5, limits=limits
    ) as sup:
        world = Plantwide(sup, clock)
        try:
            yield world
        finally:
            for client in world.clients:
                await client.aclose()


def scada_emu_run(
    topology: Path | None, state: Path, ready: Path, *options: str
) -> tuple[subprocess.Popen[bytes], Any]:
    """`scada-emu run` (the demo plant when `topology` is None) as a process of its own, on
    ephemeral ports with no control API; once its ready file is written: (process, content)."""
    ready.unlink(missing_ok=True)
    files = [] if topology is None else [str(topology)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "run",
            *files,
            "--ephemeral",
            "--no-control",
            "--ready-file",
            str(ready),
            "--state-dir",
            str(state),
            "--log-format",
            "json",
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 3 * TIMEOUT
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("scada-emu run did not get ready")
        time.sleep(0.02)  # a file another process writes: no event to await
    return proc, json.loads(ready.read_text())
