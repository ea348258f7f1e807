"""A tiny CtAPI-ish server on the framing, for testing the client's transport on loopback.

It speaks the envelope of docs/protocol.md with a handful of ops: enough to test pipelining,
pushes, lost links, TLS and the encryption matrix without the real runtime.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSListener

from emulator.client.loop import BackgroundLoop
from emulator.protocol.errors import LOGIN_FAILED, TAG_NOT_FOUND, UNKNOWN_REQUEST
from emulator.protocol.framing import FrameDecoder, FrameError, Message, encode
from emulator.protocol.messages import event, failed, ok
from emulator.runtime.certs import CertificateAuthority
from emulator.runtime.tls import server_context

COMPUTER = "SCADA-T"


@dataclass
class FakeCtApi:
    """The shared state of the fake server: tags, and gates tests open to order replies."""

    tags: dict[str, str] = field(default_factory=lambda: {"A": "1", "B": "2"})
    gates: dict[str, anyio.Event] = field(default_factory=dict)
    received: list[Message] = field(default_factory=list)
    connections: int = 0

    def gate(self, name: str) -> anyio.Event:
        return self.gates.setdefault(name, anyio.Event())

    async def handle(self, frame: Message, send: Any, close: Any) -> None:
        self.received.append(frame)
        rid, op = frame["id"], frame["op"]
        if op == "open":
            if frame.get("password") != "control":
                await send(failed(rid, LOGIN_FAILED))
                return
            await send(ok(rid, user=frame["user"], mode=frame["mode"], read_only=False))
        elif op == "close":
            await send(ok(rid))
        elif op == "tag.read":
            gate = self.gates.get(frame["tag"])
            if gate is not None:
                await gate.wait()
            value = self.tags.get(frame["tag"])
            if value is None:
                await send(failed(rid, TAG_NOT_FOUND, frame["tag"]))
            else:
                await send(ok(rid, value=value))
        elif op == "push":
            await send(event("changed", tag="A"))
            await send(ok(rid))
        elif op == "drop":
            await close()
        elif op == "bye":
            await send(event("closing", reason="shutdown"))
            await close()
        elif op == "tag.read_ex":
            await send(ok(rid, value=7, timestamp="now"))
        elif op == "hang":
            await self.gate("never").wait()
        else:
            await send(failed(rid, UNKNOWN_REQUEST, op))


@dataclass
class Listening:
    port: int
    tls: bool


async def _serve_one(
    stream: anyio.abc.ByteStream, state: FakeCtApi, tls: bool, extra_hello: list[Message]
) -> None:
    state.connections += 1
    lock = anyio.Lock()

    async def send(message: Message) -> None:
        async with lock:
            await stream.send(encode(message))

    async def close() -> None:
        await stream.aclose()
        task_group.cancel_scope.cancel()

    hello = event("hello", emulator="fake", protocol=1, computer=COMPUTER, process="CtAPI", tls=tls)
    await stream.send(b"".join(encode(m) for m in [hello, *extra_hello]))
    decoder = FrameDecoder()
    async with stream, anyio.create_task_group() as task_group:
        while True:
            try:
                data = await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                break
            decoder.feed(data)
            try:
                frames = decoder.frames()
            except FrameError as exc:
                await send(failed(None, exc.error, exc.detail))
                break
            for frame in frames:
                task_group.start_soon(state.handle, frame, send, close)
        task_group.cancel_scope.cancel()


def free_port() -> int:
    """A loopback port nothing listens on (so connecting to it is refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def fake_server(
    state: FakeCtApi,
    *,
    tls_context: ssl.SSLContext | None = None,
    extra_hello: list[Message] | None = None,
    port: int = 0,
) -> AsyncIterator[Listening]:
    """Serve `state` on 127.0.0.1 (an ephemeral port by default); TLS when a context is given."""
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener: anyio.abc.Listener[Any] = tcp
    if tls_context is not None:
        listener = TLSListener(tcp, tls_context, standard_compatible=False, handshake_timeout=5)

    async def handler(stream: anyio.abc.ByteStream) -> None:
        await _serve_one(stream, state, tls_context is not None, extra_hello or [])

    async with listener, anyio.create_task_group() as task_group:
        task_group.start_soon(listener.serve, handler)
        yield Listening(port, tls_context is not None)
        task_group.cancel_scope.cancel()


@dataclass(frozen=True)
class Pki:
    """The emulator CA (the runtime's own code) and a server context for COMPUTER."""

    ca_path: Path
    context: ssl.SSLContext


def make_pki(state_dir: Path, computer: str = COMPUTER) -> Pki:
    ca = CertificateAuthority(state_dir).ensure()
    files = ca.server_certificate(computer, ["127.0.0.1"])
    return Pki(ca.certificate_path, server_context(files))


def serving_in(
    loop: BackgroundLoop, state: FakeCtApi, port: int = 0
) -> AbstractContextManager[Listening]:
    """The fake server in a loop thread of its own, for tests of blocking clients."""
    return loop.portal.wrap_async_context_manager(fake_server(state, port=port))


def ready_file(path: Path, port: int, *, computer: str = COMPUTER) -> Path:
    """A ready file as `scada-emu run --ready-file` writes it, naming one plain CtAPI port."""
    listener = {
        "computer": computer,
        "process": "CtAPI",
        "type": "ctapi",
        "cluster": None,
        "mode": None,
        "address": "127.0.0.1",
        "port": port,
        "tls": False,
    }
    path.write_text(json.dumps({"pid": 1, "listeners": [listener], "ca_certificate": None}))
    return path
