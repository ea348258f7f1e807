"""The fuzzer: frames made to break the emulator, against the sans-IO codec and handlers of every
process type, and against a running plant over real sockets. `make fuzz` runs the long version:

    python -m tests.hardening.fuzz --frames 1000000        # both modes, a million frames each
    python -m tests.hardening.fuzz --duration 600 --mode live --seed 7

What counts as a failure: an `internal_error` reply (a handler bug), an exception out of the
codec, a reply that is not a whole JSON frame, a listener that stops serving. Everything else
(every documented error, a close after a broken frame) is the emulator doing its job. The report
says what was tried and what came back. Documented in docs/reliability.md ("Fuzzing").
"""

from __future__ import annotations

import argparse
import json
import random
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import ByteStream

from emulator.logs import configure
from emulator.plant.clock import VirtualClock
from emulator.ports import ProcessType
from emulator.processes.access import GUARDED, guard
from emulator.processes.base import Peer
from emulator.processes.context import Context, ProcessState
from emulator.processes.registry import factory_for
from emulator.protocol.auth import server_login
from emulator.protocol.connection import ServerConnection
from emulator.protocol.errors import BY_NAME
from emulator.protocol.framing import FrameDecoder, FrameError, encode
from emulator.runtime.limits import Limits
from emulator.runtime.listener import Listener
from emulator.runtime.logins import LoginPolicy
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo
from emulator.topology.model import Topology
from emulator.topology.plan import Endpoint, plan

START = 1_767_225_600.0
FIELDS = (
    "area", "category", "command", "comment", "count", "deadband", "end", "filter", "find",
    "handle", "item", "limit", "list", "mode", "offset", "password", "period", "poll_period_ms",
    "query", "raw", "report", "run", "server", "start", "table", "tag", "tags", "trend", "user",
    "value", "wait", "window",
)  # fmt: skip
NUMBERS = (
    0, 1, -1, 2, 3, 6, 7, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63), 2**63, 2**64, 10**30,
    -(10**30), 0.5, -0.0, 1e308, -1e308, 5e-324, 1.7976931348623157e308, 86400, 10**9,
)  # fmt: skip
STRINGS = (
    "", " ", "*", "?", "%s%n%x", "\x00", "\u202e", "\U0001d518\U0001d52b", "A" * 5000,
    "../../etc/passwd", "'; DROP TABLE tags;--", "SELECT * FROM tags", "SELECT 1; DELETE FROM tags",
    "TRNQUERY,", "TRNQUERY,PUMP1_SPEED_TR,0,10,1,0", "ALMQUERY,", "ALMQUERY,*,0,0,0",
    "PUMP1_SPEED", "CLUSTER1.PUMP1_SPEED", "TANK_LEVELS[99999999]", "PUMP1_FAULT_ALM.On",
    "X.Y.Z.W.V", "1/0", "Version(3)", 'TagWrite("PUMP1_SPEED", 1)', "X(" * 300, "Sleep(100000)",
    "engineer", "operator", "control", "view", "Tag", "Trend", "DigAlm", "AnaAlm", "AdvAlm",
    "TAG=PUMP*", "TAG=*;AREA=1", "value", "quality_general", "ALARM1", "TREND1", "HOURLY",
)  # fmt: skip
RAW = (
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello's first bytes
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\xff\xfe\xfd\n",
    b"\x00" * 64 + b"\n",
    b"[" * 3000 + b"\n",
    b'{"id":1e999,"op":"ping"}\n',
    b"\n\n\r\n",
)


@dataclass
class Report:
    """What was tried and what came back."""

    mode: str
    seed: int
    frames: int = 0
    bytes: int = 0
    connections: int = 0
    replies: Counter[str] = field(default_factory=Counter)
    closes: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, frame: dict[str, Any]) -> None:
        if "event" in frame:
            self.replies[f"event:{frame['event']}"] += 1
            return
        if frame.get("ok") is True:
            self.replies["ok"] += 1
            return
        error = frame.get("error") or {}
        name = str(error.get("name"))
        self.replies[name] += 1
        if name not in BY_NAME:
            self.fail(f"unknown error name {name!r} in {frame}")
        if name == "internal_error":
            self.fail(f"internal_error: {error.get('message')}")

    def fail(self, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(what[:500])

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seed": self.seed,
            "frames": self.frames,
            "bytes": self.bytes,
            "connections": self.connections,
            "closes": self.closes,
            "seconds": round(self.seconds, 2),
            "frames_per_second": round(self.frames / self.seconds) if self.seconds else None,
            "replies": dict(self.replies.most_common()),
            "failures": self.failures,
        }


class Frames:
    """Seeded frame maker: mostly plausible requests with absurd values, some raw garbage."""

    def __init__(self, rng: random.Random, ops: list[str], tags: list[str]) -> None:
        self.rng = rng
        #: The process's own requests; now and then another process's, or none at all.
        self.ops = ops
        self.others = ("ping", "no.such.request", "open", "tag.write", "alarm.ack", "sql")
        self.strings = (*STRINGS, *tags)

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        pick = r.random()
        if pick < 0.35:
            return r.choice(self.strings)
        if pick < 0.65:
            return r.choice(NUMBERS) if r.random() < 0.6 else r.randint(-5, 50)
        if pick < 0.72:
            return r.choice((None, True, False))
        if pick < 0.8:
            return "".join(chr(r.randint(1, 0x2FFF)) for _ in range(r.randint(0, 20)))
        if depth > 3:
            return r.random()
        if pick < 0.9:
            return [self.value(depth + 1) for _ in range(r.randint(0, 4))]
        return {r.choice(FIELDS): self.value(depth + 1) for _ in range(r.randint(0, 3))}

    def request(self, rid: int) -> dict[str, Any]:
        r = self.rng
        op = r.choice(self.ops) if r.random() < 0.95 else r.choice(self.others)
        message: dict[str, Any] = {"id": rid, "op": op}
        for _ in range(r.randint(0, 5)):
            message[r.choice(FIELDS)] = self.value()
        if r.random() < 0.03:
            message["id"] = self.value()
        if r.random() < 0.02:
            message["op"] = self.value()
        return message

    def data(self, rid: int) -> bytes:
        """One frame's bytes, sometimes broken (the connection then closes)."""
        r = self.rng
        pick = r.random()
        if pick < 0.004:
            return r.choice(RAW)
        if pick < 0.006:
            return b'{"id":1,"op":"' + b"x" * 70_000 + b'"}\n'
        if pick < 0.008:
            return b'{"a":' * 2000 + b"1" + b"}" * 2000 + b"\n"
        data = encode(self.request(rid))
        if pick < 0.014:
            at = r.randrange(len(data))
            return data[:at] + bytes([r.randrange(256)]) + data[at + 1 :]
        if pick < 0.016:
            return data[: r.randrange(1, len(data))] + b"\n"
        return data


def _ops(context: Context, endpoint: Endpoint) -> list[str]:
    """The requests a process says it serves, in its hello."""
    process = factory_for(endpoint.type)(endpoint, context)
    hello = process.connect(Peer("127.0.0.1", 1, endpoint)).hello()
    return sorted(hello.get("requests", ["ping"]))


def _tags(topology: Topology) -> list[str]:
    names = [t.name for t in topology.tags]
    names += [a.tag for a in topology.alarms] + [t.name for t in topology.trends]
    return names


# ---- sans-IO: every process type's codec and handler, no socket ------------------------------


def run_sansio(frames: int, seed: int, deadline: float | None = None) -> Report:
    """Feed fuzz frames, split at random, through a ServerConnection of each process type."""
    report = Report("sansio", seed)
    started = time.monotonic()
    topology = load_demo().model
    context = Context(topology, clock=VirtualClock(START))
    endpoints = [e for e in plan(topology) if e.computer == "SCADA-A"]
    processes = {e: factory_for(e.type)(e, context) for e in endpoints}
    rng = random.Random(seed)
    makers = {e: Frames(rng, _ops(context, e), _tags(topology)) for e in endpoints}
    now = START
    while report.frames < frames and (deadline is None or time.monotonic() < deadline):
        endpoint = rng.choice(endpoints)
        tls = "TLSv1.3" if endpoint.tls else None
        peer = Peer("127.0.0.1", 40000 + report.connections, endpoint, tls)
        handler = guard(processes[endpoint].connect(peer), peer, context)
        connection = ServerConnection(handler, peer)
        report.connections += 1
        decoder = FrameDecoder(1 << 22)
        out = [connection.hello()]
        hello = json.loads(out[0])
        login = _login(rng, endpoint.type, hello, context.server_password)
        if login is not None:
            out.append(connection.receive_data(encode(login), now))
        for number in range(rng.randint(1, 60)):
            data = makers[endpoint].data(number)
            report.frames += 1
            report.bytes += len(data)
            now += rng.choice((0.0, 0.001, 0.5, 5.0))
            while data and not connection.should_close:
                cut = rng.randint(1, len(data))
                out.append(connection.receive_data(data[:cut], now))
                data = data[cut:]
            out.append(connection.poll(now))
            wakeup = connection.next_wakeup(now)
            if wakeup is not None and not wakeup > now:
                report.fail(f"{endpoint.type}: next_wakeup {wakeup} is not after now {now}")
            if connection.should_close:
                report.closes += 1
                break
        connection.close()
        decoder.feed(b"".join(out))
        try:
            for frame in decoder.frames():
                report.record(frame)
        except FrameError as exc:
            report.fail(f"{endpoint.type}: the server sent a broken frame: {exc.detail}")
        if decoder.buffered:
            report.fail(f"{endpoint.type}: the server sent half a frame")
    report.seconds = time.monotonic() - started
    return report


def _open(user: str, password: str) -> dict[str, Any]:
    return {"id": "open", "op": "open", "user": user, "password": password}


def _login(
    rng: random.Random, kind: ProcessType, hello: dict[str, Any], password: str
) -> dict[str, Any] | None:
    """How 80 % of connections log in first: CtAPI's open (either user), a server port's auth
    (as a server, or as either user); None for the rest and for ports with no login."""
    if rng.random() >= 0.8:
        return None
    user, secret = rng.choice((("engineer", "control"), ("operator", "view")))
    if kind is ProcessType.CTAPI:
        return _open(user, secret)
    if kind not in GUARDED:
        return None
    if rng.random() < 0.5:
        return {"id": "open", **server_login(hello, password)}
    return {"id": "open", "op": "auth", "user": user, "password": secret}


# ---- live: a running plant over real sockets ----------------------------------------------------


#: For fuzzing, failed logins are not slowed down (the throttle has its own tests).
FUZZ_LIMITS = Limits(logins=LoginPolicy(free=1 << 62), request_timeout=2.0)


async def run_live(
    sup: Supervisor, frames: int, seed: int, *, workers: int = 2, deadline: float | None = None
) -> Report:
    """`workers` connections per listener send fuzz frames in pipelined batches, each batch
    closed by a ping to sync on; a closed connection is opened again. Then every listener must
    still answer and every process still run."""
    report = Report("live", seed)
    started = time.monotonic()
    listeners = list(sup.listeners)
    tags = _tags(sup.loaded.model)
    budget = _Budget(frames, deadline)
    async with anyio.create_task_group() as tg:
        for number, listener in enumerate(listeners * workers):
            rng = random.Random(seed * 1000 + number)
            maker = Frames(rng, _ops(sup.context, listener.endpoint), tags)
            tg.start_soon(_worker, sup, listener, maker, report, budget)
    for listener in listeners:
        try:
            client = await _connect(sup, listener)
            await client.send(encode({"id": "alive", "op": "ping"}))
            reply = await client.until("alive")
            if not reply.get("ok"):
                report.fail(f"{listener.endpoint.process} does not answer a ping: {reply}")
            await client.aclose()
        except Exception as exc:
            report.fail(f"{listener.endpoint.process} on {listener.port} is gone: {exc!r}")
    for proc in sup.processes.values():
        if proc.state is not ProcessState.RUNNING:
            report.fail(f"{proc.name} of {proc.computer} is {proc.state}: {proc.reason}")
    report.seconds = time.monotonic() - started
    return report


@dataclass
class _Budget:
    """Frames left to send, shared by every worker, and when to stop anyway."""

    left: int
    deadline: float | None

    def more(self) -> bool:
        return self.left > 0 and (self.deadline is None or time.monotonic() < self.deadline)


class _Client:
    def __init__(self, stream: ByteStream, report: Report) -> None:
        self.stream = stream
        self.report = report
        self.decoder = FrameDecoder(1 << 22)
        self.hello: dict[str, Any] = {}

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)

    async def until(self, rid: str) -> dict[str, Any]:
        """Record every frame up to the reply `rid`; raises EndOfStream when the server closed."""
        with anyio.fail_after(30):
            while True:
                while (frame := self.decoder.next_frame()) is not None:
                    if frame.get("id") == rid:
                        return frame
                    self.report.record(frame)
                data = await self.stream.receive()
                self.decoder.feed(data)

    async def aclose(self) -> None:
        await anyio.aclose_forcefully(self.stream)


async def _connect(sup: Supervisor, listener: Listener, report: Report | None = None) -> _Client:
    e = listener.endpoint
    with anyio.fail_after(10):
        if e.tls:
            context = ssl.create_default_context(cafile=str(sup.ca_certificate))
            stream: ByteStream = await anyio.connect_tcp(
                e.address, listener.port, tls=True, ssl_context=context, tls_hostname=e.computer
            )
        else:
            stream = await anyio.connect_tcp(e.address, listener.port)
    client = _Client(stream, report or Report("probe", 0))
    hello = client.decoder
    while (frame := hello.next_frame()) is None:
        hello.feed(await stream.receive())
    if frame.get("event") != "hello":
        client.report.fail(f"{e.process}: the first frame is not a hello: {frame}")
    client.hello = frame
    return client


_GONE = (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)


async def _worker(
    sup: Supervisor,
    listener: Listener,
    maker: Frames,
    report: Report,
    budget: _Budget,
) -> None:
    rng = maker.rng
    while budget.more():
        try:
            client = await _connect(sup, listener, report)
        except _GONE as exc:
            report.fail(f"{listener.endpoint.process} refused a connection: {exc!r}")
            return
        report.connections += 1
        try:
            password = sup.context.server_password
            login = _login(rng, listener.endpoint.type, client.hello, password)
            if login is not None:
                await client.send(encode(login))
                await client.until("open")
            batch = 0
            while budget.more():
                batch += 1
                data = b"".join(maker.data(n) for n in range(rng.randint(1, 20)))
                count = data.count(b"\n") or 1
                budget.left -= count
                report.frames += count
                report.bytes += len(data)
                await client.send(data + encode({"id": f"sync-{batch}", "op": "ping"}))
                await client.until(f"sync-{batch}")
        except _GONE:
            report.closes += 1
        except TimeoutError:
            report.fail(f"{listener.endpoint.process}: no answer within 30 s")
        finally:
            await client.aclose()


# ---- the command -------------------------------------------------------------------------------


async def _live(frames: int, seed: int, seconds: float | None) -> Report:
    deadline = None if seconds is None else time.monotonic() + seconds
    async with Supervisor(load_demo(), ephemeral=True, limits=FUZZ_LIMITS) as sup:
        return await run_live(sup, frames, seed, deadline=deadline)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.fuzz", description=__doc__)
    parser.add_argument("--frames", type=int, default=1_000_000, help="frames per mode")
    parser.add_argument("--duration", type=float, help="seconds per mode (stops at either)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--mode", choices=("sansio", "live", "both"), default="both")
    args = parser.parse_args(argv)
    configure("console", "warning")
    reports = []
    if args.mode in ("sansio", "both"):
        deadline = None if args.duration is None else time.monotonic() + args.duration
        reports.append(run_sansio(args.frames, args.seed, deadline))
        print(json.dumps(reports[-1].to_json(), indent=2), flush=True)
    if args.mode in ("live", "both"):
        reports.append(anyio.run(_live, args.frames, args.seed, args.duration))
        print(json.dumps(reports[-1].to_json(), indent=2), flush=True)
    failed = [f for r in reports for f in r.failures]
    print(f"fuzz: {sum(r.frames for r in reports)} frames, {len(failed)} failures", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
