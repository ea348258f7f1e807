"""Bad input on every listener type: a documented error and, where the protocol cannot recover,
a close; the listener and every other connection carry on (docs/security.md, "Bad input")."""

from __future__ import annotations

import ssl
from pathlib import Path

import anyio
import pytest

from emulator.protocol.framing import FrameDecoder
from tests.hardening.helpers import TIMEOUT, Client, connect, demo, kinds

KINDS = [
    "ctapi",
    "ctapi-tls",
    "alarm",
    "io",
    "reports",
    "trends",
    "system_services",
    "time_sync",
    "alarm_db",
    "odbc",
]


def client_hello() -> bytes:
    """The first flight of a real TLS client: what a TLS client sends to a plain port."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    context = ssl.create_default_context()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="SCADA-A")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


#: (what, bytes sent, error name, whether the server closes).
BAD: list[tuple[str, bytes, str, bool]] = [
    ("over the size limit", b'{"id":1,"op":"' + b"x" * 70_000 + b'"}\n', "frame_too_large", True),
    ("no newline in 64 KiB", b"[" * 66_000, "frame_too_large", True),
    ("invalid UTF-8", b'{"id":1,"op":"\xff\xfe\xfd"}\n', "bad_frame", True),
    ("invalid JSON", b'{"id":1,"op":}\n', "bad_frame", True),
    ("a JSON array", b"[1,2,3]\n", "bad_frame", True),
    ("a JSON string", b'"ping"\n', "bad_frame", True),
    ("deep nesting", b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n", "bad_frame", True),
    ("binary garbage", bytes(range(1, 10)) + b"\x00\x80\xff\n", "bad_frame", True),
    ("an HTTP request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "bad_frame", True),
    ("no id", b'{"op":"ping"}\n', "invalid_parameter", False),
    ("an id of the wrong shape", b'{"id":[1],"op":"ping"}\n', "invalid_parameter", False),
    ("an absurd integer id", b'{"id":123456789012345678901234567890,"op":"ping"}\n',
     "invalid_parameter", False),
    ("a float id", b'{"id":1.5,"op":"ping"}\n', "invalid_parameter", False),
    ("an id too long", b'{"id":"' + b"i" * 65 + b'","op":"ping"}\n', "invalid_parameter", False),
    ("a number out of range", b'{"id":1,"op":"ping","x":1e999}\n', "bad_frame", True),
    ("no op", b'{"id":1}\n', "invalid_parameter", False),
    ("an op of the wrong shape", b'{"id":1,"op":{"a":1}}\n', "invalid_parameter", False),
    ("an unknown request", b'{"id":1,"op":"no.such.request"}\n', "unknown_request", False),
]  # fmt: skip


async def outcome(client: Client) -> tuple[list[dict[str, object]], bool]:
    """The frames the server sent, and whether it then closed (else: it answers a ping)."""
    decoder = FrameDecoder(1 << 20)
    await client.send({"id": "after", "op": "ping"})
    frames: list[dict[str, object]] = []
    with anyio.fail_after(TIMEOUT):
        while True:
            try:
                data = await client.stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                return frames, True
            decoder.feed(data)
            frames += decoder.frames()
            if any(f.get("id") == "after" for f in frames):
                return frames, False


async def test_every_listener_answers_every_bad_input_and_carries_on(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        listeners = kinds(sup)
        assert sorted(listeners) == sorted(KINDS)
        bystanders = {kind: await connect(sup, listeners[kind]) for kind in KINDS}
        for kind in KINDS:
            for what, data, error, closes in BAD:
                client = await connect(sup, listeners[kind])
                await client.stream.send(data)
                frames, closed = await outcome(client)
                where = f"{what} on {kind}"
                assert frames, where
                assert frames[0]["ok"] is False, where
                assert frames[0]["error"]["name"] == error, (where, frames[0])  # type: ignore[index]
                assert closed is closes, where
                await client.aclose()
            for other, bystander in bystanders.items():
                reply = await bystander.request("ping")
                assert reply["ok"], (kind, other)
        for bystander in bystanders.values():
            await bystander.aclose()


async def test_a_tls_client_on_a_plain_port_gets_a_failed_handshake(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        for kind, listener in kinds(sup).items():
            if kind == "ctapi-tls":
                continue
            raw = await connect(sup, listener, login=False)  # the handshake comes first
            await raw.stream.send(client_hello())
            frames, closed = await outcome(raw)
            assert closed and frames[0]["error"]["name"] == "bad_frame", kind  # type: ignore[index]
            assert "TLS" in str(frames[0]["error"]["message"])  # type: ignore[index]
            await raw.aclose()
            e = listener.endpoint
            context = ssl.create_default_context(cafile=str(sup.ca_certificate))
            with pytest.raises((ssl.SSLError, anyio.BrokenResourceError, OSError)):
                with anyio.fail_after(TIMEOUT):
                    await anyio.connect_tcp(
                        e.address, listener.port, tls=True, ssl_context=context,
                        tls_hostname=e.computer,
                    )  # fmt: skip


async def test_plaintext_on_3073_gets_no_byte_and_the_port_serves_on(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        tls = kinds(sup)["ctapi-tls"]
        for data in (b'{"id":1,"op":"ping"}\n', b"\x00" * 64, b"GET / HTTP/1.0\r\n\r\n"):
            raw = await Client.connect(tls.endpoint.address, tls.port)
            await raw.stream.send(data)
            rest = await raw.rest()
            assert b"{" not in rest and b"hello" not in rest
        good = await connect(sup, tls)
        assert (await good.request("ping"))["ok"]
        await good.aclose()
