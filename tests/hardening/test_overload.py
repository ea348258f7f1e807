"""Overload and slow clients: connection limits, half-open clients, clients that never read, no
file descriptors left, a handler that raises, a listener that fails (docs/security.md,
"Overload"; the figures are in docs/reliability.md)."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
from anyio.abc import ByteStream

from emulator.control.manager import RuntimeManager
from emulator.ports import ProcessType
from emulator.processes.base import Handler, Message, Peer
from emulator.processes.context import Context, ProcessState
from emulator.processes.registry import factory_for
from emulator.protocol.framing import encode
from emulator.runtime.limits import Limits
from emulator.runtime.listener import Backoff
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo
from emulator.topology.plan import Endpoint
from tests.hardening.helpers import TIMEOUT, Client, connect, demo, kinds, logged, poll_until
from tests.runtime.helpers import fail_next_accept

OPEN = {"op": "open", "user": "engineer", "password": "control"}


async def latencies(client: Client, count: int) -> list[float]:
    """Seconds per tag.read, one after the other, on an open CtAPI session."""
    spent = []
    for number in range(count):
        started = time.perf_counter()
        await client.send({"id": number, "op": "tag.read", "tag": "PUMP1_SPEED"})
        reply = await client.frame()
        spent.append(time.perf_counter() - started)
        assert reply["ok"], reply
    return spent


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


async def test_connections_beyond_the_limit_get_an_error_frame_then_close(
    state_dir: Path,
) -> None:
    limits = Limits(max_connections={ProcessType.CTAPI: 3, ProcessType.ALARM: 2})
    async with demo(state_dir, limits=limits) as sup:
        listeners = kinds(sup)
        for kind, limit in (("ctapi", 3), ("alarm", 2)):
            # CtAPI's limit counts both of its ports, as [CtAPI]MaxConnections does.
            held = [
                await connect(sup, listeners["ctapi-tls" if kind == "ctapi" and i else kind])
                for i in range(limit)
            ]
            for extra in (listeners[kind], listeners["ctapi-tls"] if kind == "ctapi" else None):
                if extra is None:
                    continue
                refused = await connect(sup, extra, hello=False)
                frame = await refused.frame()
                assert frame["error"]["name"] == "too_many_connections"
                assert f"serves {limit} at most" in frame["error"]["message"]
                assert b"hello" not in await refused.rest()
                await refused.aclose()
            for client in held:
                assert (await client.request("ping"))["ok"]
            await held.pop().aclose()
            await poll_until(
                lambda kind=kind, limit=limit: (
                    len(  # type: ignore[misc]
                        sup.process(listeners[kind].endpoint.process, "SCADA-A").sessions
                    )
                    < limit
                ),
                "a slot is free again",
            )
            held.append(await connect(sup, listeners[kind]))
            for client in held:
                await client.aclose()


async def test_half_open_clients_are_dropped_so_they_cannot_starve_the_limit(
    state_dir: Path,
) -> None:
    limits = Limits(
        max_connections={ProcessType.CTAPI: 10}, request_timeout=0.4, handshake_timeout=0.4
    )
    async with demo(state_dir, limits=limits) as sup:
        plain, tls = kinds(sup)["ctapi"], kinds(sup)["ctapi-tls"]
        silent = [await connect(sup, plain) for _ in range(4)]
        begun = [await connect(sup, plain) for _ in range(4)]
        for number, client in enumerate(begun):
            await client.stream.send(b'{"id":%d,"op":"pi' % number)
        no_handshake = [await anyio.connect_tcp(tls.endpoint.address, tls.port) for _ in range(2)]
        started = time.monotonic()
        with logged() as events:
            refused = await connect(sup, plain, hello=False)
            assert (await refused.frame())["error"]["name"] == "too_many_connections"
            await refused.aclose()
            for client in [*silent, *begun]:
                frame = await client.frame()
                assert frame["error"]["name"] == "request_timeout", frame
                assert "within 0.4 s" in frame["error"]["message"]
                await client.rest()
            for stream in no_handshake:
                with anyio.fail_after(TIMEOUT):
                    assert await _eof(stream)
            good = await connect(sup, plain)
            assert (await good.request(**OPEN))["ok"]
        assert time.monotonic() - started < TIMEOUT
        names = [e["event"] for e in events]
        assert names.count("connection.request_timeout") == 8
        await good.aclose()


async def _eof(stream: ByteStream) -> bool:
    try:
        while await stream.receive():
            pass
    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
        return True
    return True


async def test_a_hundred_half_open_clients_do_not_slow_a_good_one_down(state_dir: Path) -> None:
    """Scaled down from 1,000 (bench: slowloris): served within a deadline, p99 within a wide
    ratio of its unloaded value plus a floor, so a loaded 2-core box cannot make it flaky."""
    limits = Limits(max_connections={ProcessType.CTAPI: 400})
    async with demo(state_dir, limits=limits) as sup:
        plain, tls = kinds(sup)["ctapi"], kinds(sup)["ctapi-tls"]
        good = await connect(sup, plain)
        assert (await good.request(**OPEN))["ok"]
        await latencies(good, 20)
        unloaded = p99(await latencies(good, 200))
        half_open: list[ByteStream] = []
        for number in range(100):
            if number % 3 == 0:
                half_open.append(await anyio.connect_tcp(tls.endpoint.address, tls.port))
                continue
            client = await connect(sup, plain)
            if number % 3 == 1:
                await client.stream.send(b'{"id":1,"op":"tag.re')
            half_open.append(client.stream)
        ctapi = sup.process("CtAPI", "SCADA-A")
        assert len(ctapi.sessions) == 101
        with anyio.fail_after(TIMEOUT):
            loaded = p99(await latencies(good, 200))
        assert loaded <= 5 * unloaded + 0.05, (unloaded, loaded)
        for stream in half_open:
            await anyio.aclose_forcefully(stream)
        await good.aclose()


async def test_a_client_that_sends_without_reading_is_closed_not_buffered(
    state_dir: Path,
) -> None:
    limits = Limits(write_timeout=0.3)
    async with demo(state_dir, limits=limits) as sup:
        plain = kinds(sup)["ctapi"]
        bystander = await connect(sup, plain)
        greedy = await connect(sup, plain)
        # Each 22-byte request earns a reply about 30 times its size (unknown_request names
        # every request): the server's writes stop long before the client's.
        chunk = b"".join(encode({"id": n, "op": "no.such"}) for n in range(3000))
        sent = 0
        with logged() as events, anyio.fail_after(TIMEOUT):
            try:
                while True:
                    await greedy.stream.send(chunk)
                    sent += len(chunk)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass
            await poll_until(
                lambda: any(e["event"] == "connection.write_timeout" for e in events),
                "the greedy client is cut",
            )
        assert sent < 64 * 2**20  # what kernel buffers hold, then the server cut it
        assert (await bystander.request("ping"))["ok"]
        await poll_until(lambda: len(sup.process("CtAPI", "SCADA-A").sessions) == 1, "one left")
        await greedy.aclose()
        await bystander.aclose()


class Exploding:
    """The real I/O process, whose handlers raise on the request `boom`: a bug, in one place."""

    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.inner = factory_for(ProcessType.IO)(endpoint, context)

    def connect(self, peer: Peer) -> Handler:
        inner = self.inner.connect(peer)
        explode = self._explode

        class Handle:
            hello, poll, next_wakeup, close = (
                inner.hello,
                inner.poll,
                inner.next_wakeup,
                inner.close,
            )

            def handle(self, request: Message, now: float) -> list[Message]:
                if request.get("op") == "boom":
                    explode()
                return inner.handle(request, now)

        return Handle()

    @staticmethod
    def _explode() -> None:
        raise ZeroDivisionError("injected")


async def test_a_handler_exception_ends_that_connection_only(state_dir: Path) -> None:
    async with demo(state_dir, factories={ProcessType.IO: Exploding}) as sup:
        io = kinds(sup)["io"]
        bystander = await connect(sup, io)
        victim = await connect(sup, io)
        with logged() as events:
            reply = await victim.request("boom")
            assert reply["error"]["name"] == "internal_error"
            assert reply["error"]["message"].endswith("ZeroDivisionError")
            await victim.rest()
            await victim.aclose()
        failed = [e for e in events if e["event"] == "handler.failed"]
        assert failed and failed[0]["during"] == "boom" and failed[0]["action"] == "close"
        assert (await bystander.request("ping"))["ok"]
        assert (await (await connect(sup, io)).request("ping"))["ok"]
        assert sup.process(io.endpoint.process).state is ProcessState.RUNNING
        await bystander.aclose()


async def test_a_failed_listener_is_restarted_and_health_says_so(state_dir: Path) -> None:
    sup = Supervisor(load_demo(), ephemeral=True, state_dir=state_dir, backoff=Backoff(initial=0.3))
    manager = RuntimeManager(sup)
    async with sup:
        alarm = kinds(sup)["alarm"]
        fail_next_accept(alarm)
        proc = sup.process(alarm.endpoint.process)
        doomed = await anyio.connect_tcp(alarm.endpoint.address, alarm.port)
        with anyio.fail_after(TIMEOUT):
            await proc.wait_for(ProcessState.FAILED)
            healthy, body = manager.health()
            assert not healthy
            row = next(p for p in body["processes"] if p["process"] == proc.name)
            assert row["state"] == "failed" and "injected accept failure" in row["reason"]
            await proc.wait_for(ProcessState.RUNNING)
        assert manager.health()[0]
        await doomed.aclose()
        assert (await (await connect(sup, alarm)).request("ping"))["ok"]


def test_out_of_file_descriptors_the_accept_loop_backs_off_and_logs(tmp_path: Path) -> None:
    """A subprocess serves with RLIMIT_NOFILE a few above what it has open: the clients beyond
    wait in the backlog, the accept loop logs and backs off (no spin, no exit), then serves
    again once descriptors are free, and exits 0 on SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hardening.few_files", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT * 2)
        assert ready, "the server did not start"
        address, port = json.loads(proc.stdout.readline())
        clients = [socket.create_connection((address, port), timeout=TIMEOUT) for _ in range(8)]
        greeted = sum(_greeted(client) for client in clients)
        assert 0 < greeted < len(clients), greeted  # the rest wait in the backlog
        seen = _read_log_until(proc, "listener.out_of_files", 3)
        for client in clients:
            client.close()
        late = _wait_for_hello(address, port)
        assert late
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=TIMEOUT)
        err = seen + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "listener.out_of_files" in names, names
    assert names.count("listener.out_of_files") < 50  # backoff, not a spin
    assert "listener.accepting_again" in names
    assert "Traceback" not in err and "listener.failed" not in names


def _read_log_until(proc: subprocess.Popen[str], event: str, count: int) -> str:
    """The subprocess's stderr up to the `count`-th log line of `event` (bounded wait)."""
    assert proc.stderr is not None
    seen, found = "", 0
    deadline = time.monotonic() + TIMEOUT
    while found < count and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stderr.readline()
        seen += line
        found += f'"event": "{event}"' in line
    assert found == count, seen
    return seen


def _greeted(client: socket.socket) -> bool:
    client.settimeout(0.3)
    try:
        return b"hello" in client.recv(4096)
    except TimeoutError:
        return False


def _wait_for_hello(address: str, port: int) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with socket.create_connection((address, port), timeout=TIMEOUT) as client:
            client.settimeout(TIMEOUT)
            if b"hello" in client.recv(4096):
                return True
    return False
