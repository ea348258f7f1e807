"""The load generator: raw asyncio protocols, precomputed frames, replies counted not parsed.

One process, pinned to its own CPU, drives one target in one of four modes:

- closed: N connections each keep `depth` requests in flight; each reply frame that completes
  sends the next request at once (throughput).
- open: requests leave at a fixed rate whatever the replies do; each reply's latency is measured
  from the moment its request was written (latency percentiles).
- hold: open N sessions (hello + login), report, hold them idle until told to release.
- half_open: open N connections that start a frame and never finish it (slowloris).

Per received chunk the work is one `bytes.count` (NDJSON) or one division (Modbus/TCP's fixed
reply size) and one `write` of a ready-made slice, so the generator costs far less per request
than any server it measures. Run as `python -m bench.loadgen '<Load as JSON>'`; it prints one
JSON Result line (hold and half_open first print a `{"event": "holding"}` line and wait for a line
on stdin before they let go).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import ssl
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import msgspec

from bench import frames, loop, procs
from bench.spec import Load, Result, Target, decode_load, encode

_NOT_OK = b'"ok":false'


class Tally:
    """Counters every connection of one run adds to."""

    __slots__ = (
        "completed",
        "drained",
        "errors",
        "first_error",
        "latencies_ns",
        "lost",
        "recording",
        "sent",
    )

    def __init__(self) -> None:
        self.completed = 0
        #: Open loop: set once every request sent is answered, after `sent` is known.
        self.sent: int | None = None
        self.drained = asyncio.Event()
        self.errors = 0
        self.lost = 0
        self.first_error: str | None = None
        self.recording = False
        self.latencies_ns: list[int] = []

    def error(self, detail: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = detail


def _error_text(line: bytes) -> str:
    """An error reply as 'name: message', or the line itself when it is not one."""
    try:
        error = msgspec.json.decode(line).get("error")
        return f"{error['name']}: {error['message']}"
    except (msgspec.DecodeError, AttributeError, KeyError, TypeError):
        return repr(line[:300])


class Client(asyncio.Protocol):
    """One connection: greeting and login first, then counting replies.

    `ready` resolves once the session may send requests; replies before then are checked one by
    one, replies after it are only counted.
    """

    def __init__(self, target: Target, tally: Tally, ring: frames.FrameRing) -> None:
        self.target = target
        self.tally = tally
        self.ring = ring
        self.position = 0
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.running = False
        self.open = False
        self._lines = target.kind != "modbus"
        self._pending = 0  # bytes of an unfinished fixed-size reply
        self._greeting_left = target.greeting_lines
        self._handshake = (
            [frames.ctapi_open(target.user, target.password)] if target.kind == "ctapi" else []
        )
        self._handshake_left = len(self._handshake)
        self._buffer = bytearray()

    # -- connection set-up ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.open = True
        if self._greeting_left == 0:
            self._after_greeting()

    def _after_greeting(self) -> None:
        if self._handshake_left:
            assert self.transport is not None
            self.transport.write(b"".join(self._handshake))
        else:
            self._set_ready()

    def _set_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def _fail(self, detail: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(detail))
        if self.transport is not None:
            self.transport.close()

    def _setup_received(self, data: bytes) -> None:
        self._buffer += data
        while self._greeting_left or self._handshake_left:
            end = self._buffer.find(b"\n")
            if end < 0:
                return
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._greeting_left:
                if b'"event"' not in line:
                    self._fail(f"refused before the hello: {_error_text(line)}")
                    return
                self._greeting_left -= 1
                if not self._greeting_left:
                    self._after_greeting()
                continue
            self._handshake_left -= 1
            try:
                reply = msgspec.json.decode(line)
            except msgspec.DecodeError:
                reply = None
            if not isinstance(reply, dict) or reply.get("ok") is not True:
                self._fail(f"login refused: {_error_text(line)}")
                return
        if self._buffer:
            self._fail(f"unexpected bytes after the login: {bytes(self._buffer[:300])!r}")
            return
        self._set_ready()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.ready.done():
            self.ready.set_exception(
                ConnectionError(f"closed before the session was ready: {exc or 'EOF'}")
            )
        elif self.running:
            self.tally.lost += 1

    def eof_received(self) -> bool | None:
        return None

    # -- counting -------------------------------------------------------------------------------

    def count(self, data: bytes) -> int:
        """Whole reply frames in `data`; errors go to the tally."""
        if self._lines:
            n = data.count(b"\n")
            if _NOT_OK in data:
                self.tally.error(data[:300].decode("utf-8", "replace"))
            return n
        if self._pending == 0 and len(data) >= 9 and data[7] & frames.MODBUS_EXCEPTION_BIT:
            self.tally.error(f"Modbus exception reply {data[:9].hex()}")
        total = self._pending + len(data)
        n, self._pending = divmod(total, frames.MODBUS_REPLY_SIZE)
        return n

    def send(self, k: int) -> None:
        view, self.position = self.ring.take(self.position, k)
        assert self.transport is not None
        self.transport.write(view)

    def data_received(self, data: bytes) -> None:
        if not self.running:
            if not self.ready.done():
                self._setup_received(data)
            return
        n = self.count(data)
        if n:
            self.replied(n)

    def replied(self, n: int) -> None:
        """`n` more whole replies arrived while running."""
        self.tally.completed += n


class ClosedLoopClient(Client):
    """Sends one request for each reply, keeping `depth` in flight."""

    def replied(self, n: int) -> None:
        self.tally.completed += n
        self.send(n)


class OpenLoopClient(Client):
    """Sends when told; each reply pops the send time of the oldest request in flight."""

    def __init__(self, target: Target, tally: Tally, ring: frames.FrameRing) -> None:
        super().__init__(target, tally, ring)
        self.sent_at: deque[int] = deque()

    def send_one(self) -> None:
        self.sent_at.append(time.perf_counter_ns())
        self.send(1)

    def replied(self, n: int) -> None:
        now = time.perf_counter_ns()
        tally = self.tally
        tally.completed += n
        sent_at = self.sent_at
        if tally.recording:
            record = tally.latencies_ns.append
            for _ in range(min(n, len(sent_at))):
                record(now - sent_at.popleft())
        else:
            for _ in range(min(n, len(sent_at))):
                sent_at.popleft()
        if tally.sent is not None and tally.completed >= tally.sent:
            tally.drained.set()


class HalfOpenClient(Client):
    """Starts a request frame and never finishes it; reads and ignores what comes back."""

    PREFIX = b'{"id":1,"op":"tag.read",'

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.open = True
        self.transport.write(self.PREFIX)
        self._set_ready()

    def drip(self) -> None:
        if self.open and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b" ")

    def data_received(self, data: bytes) -> None:
        return None


# -- running --------------------------------------------------------------------------------------


def ring_for(target: Target) -> frames.FrameRing:
    if target.kind == "modbus":
        return frames.modbus_reads()
    return frames.tag_reads(target.tag)


def tls_context(target: Target) -> ssl.SSLContext | None:
    if target.ca_file is None:
        return None
    context = ssl.create_default_context(cafile=target.ca_file)
    context.check_hostname = target.server_hostname is not None
    return context


C = TypeVar("C", bound=Client)
T = TypeVar("T")


async def connect_many(
    target: Target,
    make: Callable[[Target], C],
    count: int,
    concurrency: int,
    *,
    deadline_s: float = 30.0,
    keep_going: bool = False,
) -> tuple[list[C], list[str]]:
    """Open `count` ready sessions to `target`, at most `concurrency` connecting at once.

    With `keep_going`, failures are collected instead of raised (hold: how many fit).
    """
    running = asyncio.get_running_loop()
    context = tls_context(target)
    gate = asyncio.Semaphore(concurrency)
    clients: list[C] = []
    failures: list[str] = []

    async def one() -> None:
        async with gate:
            try:
                async with asyncio.timeout(deadline_s):
                    _, client = await running.create_connection(
                        lambda: make(target),
                        target.host,
                        target.port,
                        ssl=context,
                        server_hostname=target.server_hostname if context else None,
                    )
                    await client.ready
            except (OSError, TimeoutError, ssl.SSLError) as exc:
                if not keep_going:
                    raise
                failures.append(f"{type(exc).__name__}: {exc}")
                return
            clients.append(client)

    await asyncio.gather(*(one() for _ in range(count)))
    return clients, failures


class Window:
    """CPU use of the generator and of the server over the measured window."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.start = time.perf_counter()
        self.own = time.process_time()
        self.server = procs.cpu_seconds(server_pid) if server_pid else 0.0
        self.machine = procs.busy_cpu_seconds()

    def close(self, result: Result) -> None:
        elapsed = time.perf_counter() - self.start
        result.elapsed_s = round(elapsed, 4)
        own = (time.process_time() - self.own) / elapsed
        result.generator_cpu = round(own, 3)
        machine = (procs.busy_cpu_seconds() - self.machine) / elapsed
        server = 0.0
        if self.server_pid:
            server = (procs.cpu_seconds(self.server_pid) - self.server) / elapsed
            result.server_cpu = round(server, 3)
        result.other_cpu = round(max(0.0, machine - own - server), 3)


def _close_all(clients: Sequence[Client]) -> None:
    for client in clients:
        if client.transport is not None:
            client.transport.close()


async def _sessions(
    load: Load, kind: type[C], *, keep_going: bool = False
) -> tuple[Tally, list[C], list[str]]:
    """The load's connections as clients of `kind`, sharing one tally and one frame ring."""
    tally, ring = Tally(), ring_for(load.target)
    clients, failures = await connect_many(
        load.target,
        lambda target: kind(target, tally, ring),
        load.connections,
        load.connect_concurrency,
        keep_going=keep_going,
    )
    return tally, clients, failures


async def closed_loop(load: Load) -> Result:
    tally, clients, _ = await _sessions(load, ClosedLoopClient)
    for i, client in enumerate(clients):
        client.position = (i * 97) % client.ring.count
        client.running = True
        client.send(load.depth)
    await asyncio.sleep(load.warmup_s)
    done0, window = tally.completed, Window(load.server_pid)
    await asyncio.sleep(load.duration_s)
    done1 = tally.completed
    result = Result(mode="closed", connections=len(clients))
    window.close(result)
    _close_all(clients)
    result.completed = done1 - done0
    result.rps = round(result.completed / result.elapsed_s, 1)
    result.errors, result.first_error, result.lost = tally.errors, tally.first_error, tally.lost
    return result


def percentile(ordered: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return round(ordered[rank] / 1e6, 4)


async def open_loop(load: Load) -> Result:
    tally, clients, _ = await _sessions(load, OpenLoopClient)
    for client in clients:
        client.running = True
    running = asyncio.get_running_loop()
    rate = load.rate
    start = running.time()
    recording_from = start + load.warmup_s
    end = recording_from + load.duration_s
    sent = 0
    turn = 0
    window: Window | None = None
    done0 = 0
    while True:
        now = running.time()
        if now >= end:
            break
        if window is None and now >= recording_from:
            window, done0, tally.recording = Window(load.server_pid), tally.completed, True
        due = int((now - start) * rate) + 1 - sent
        for _ in range(due):
            clients[turn].send_one()
            turn = turn + 1 if turn + 1 < len(clients) else 0
        sent += due
        await asyncio.sleep(max(0.0, start + sent / rate - running.time()))
    # Let the last requests come back (bounded), so the tail is not cut off.
    tally.sent = sent
    if tally.completed < sent:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await tally.drained.wait()
    tally.recording = False
    result = Result(mode="open", connections=len(clients))
    if window is not None:
        window.close(result)
    _close_all(clients)
    ordered = sorted(tally.latencies_ns)
    result.completed = tally.completed - done0
    result.rate = round(result.completed / result.elapsed_s, 1) if result.elapsed_s else 0.0
    result.p50_ms = percentile(ordered, 0.50)
    result.p90_ms = percentile(ordered, 0.90)
    result.p99_ms = percentile(ordered, 0.99)
    result.p999_ms = percentile(ordered, 0.999)
    result.max_ms = round(ordered[-1] / 1e6, 4) if ordered else None
    result.errors, result.first_error, result.lost = tally.errors, tally.first_error, tally.lost
    unanswered = sum(len(c.sent_at) for c in clients)
    if unanswered:
        tally.error(f"{unanswered} requests unanswered at the end")
        result.errors += unanswered
    return result


async def _wait_for_release() -> None:
    """Block until the orchestrator writes a line on stdin (or closes it)."""
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


def _announce(**fields: object) -> None:
    sys.stdout.write(encode({"event": "holding", **fields}).decode() + "\n")
    sys.stdout.flush()


#: With drip_spread, each drip period is cut in this many slices, each dripping its share.
SPREAD_SLICES = 100


def share(clients: list[T], tick: int, slices: int) -> list[T]:
    """The clients whose turn is slice `tick`: over `slices` ticks, each client exactly once."""
    return clients[tick % slices :: slices]


async def _held(load: Load, kind: type[C], keep_alive: Callable[[list[C]], None]) -> Result:
    """Open the connections, announce them, call `keep_alive` every drip_s until released."""
    started = time.perf_counter()
    _, clients, failures = await _sessions(load, kind, keep_going=True)
    connect_s = round(time.perf_counter() - started, 3)
    _announce(held=len(clients), failed=len(failures), connect_s=connect_s)
    release = asyncio.ensure_future(_wait_for_release())
    slices = SPREAD_SLICES if load.drip_spread else 1
    tick = 0
    while not release.done():
        keep_alive(share(clients, tick, slices))
        tick += 1
        await asyncio.wait([release], timeout=load.drip_s / slices)
    result = Result(mode=load.mode, connections=len(clients), connect_s=connect_s)
    result.still_open = sum(c.open for c in clients)
    result.errors = len(failures)
    result.first_error = failures[0] if failures else None
    _close_all(clients)
    return result


async def hold(load: Load) -> Result:
    return await _held(load, ClosedLoopClient, _idle)


async def half_open(load: Load) -> Result:
    return await _held(load, HalfOpenClient, _drip)


def _idle(clients: list[ClosedLoopClient]) -> None:
    return None


def _drip(clients: list[HalfOpenClient]) -> None:
    for client in clients:
        client.drip()


MODES = {"closed": closed_loop, "open": open_loop, "hold": hold, "half_open": half_open}


async def run(load: Load) -> Result:
    return await MODES[load.mode](load)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m bench.loadgen '<Load as JSON>'\n")
        return 2
    try:
        load = decode_load(args[0])
    except msgspec.DecodeError as exc:
        sys.stderr.write(f"bench.loadgen: bad load description: {exc}\n")
        return 2
    procs.pin(load.cpu)
    procs.prioritise(load.niceness)
    procs.raise_nofile(load.connections + 256)
    try:
        result = loop.run(run(load))
    except (OSError, ssl.SSLError) as exc:
        sys.stderr.write(f"bench.loadgen: {exc}\n")
        return 1
    sys.stdout.write(encode(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
