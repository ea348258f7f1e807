"""Small topologies on their own 127.x addresses, and a line-oriented test client."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ByteStream

from emulator.protocol.framing import FrameDecoder, encode
from emulator.runtime.listener import Listener
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import LoadedTopology, load_text

#: Every wait in these tests is bounded by this.
TIMEOUT = 5.0


def computers_toml(*computers: tuple[str, str, str], odbc: bool = False) -> str:
    """[[computers]] and [[network_addresses]] for (name, address, ctapi mode) triples."""
    parts = []
    for name, address, ctapi in computers:
        parts.append(
            f'[[computers]]\nname = "{name}"\nctapi = "{ctapi}"\nodbc = {str(odbc).lower()}\n'
            f'[[network_addresses]]\nname = "{name}_NET"\ncomputer = "{name}"\n'
            f'address = "{address}"\n'
        )
    return "\n".join(parts)


def with_alarm(name: str, computer: str, port: int | None = None) -> str:
    port_line = f"port = {port}\n" if port is not None else ""
    return (
        f'[[clusters]]\nname = "C_{name}"\n'
        f'[[server_processes]]\nname = "{name}"\ntype = "alarm"\ncluster = "C_{name}"\n'
        f'network_address = "{computer}_NET"\n{port_line}'
    )


def topology(text: str) -> LoadedTopology:
    return load_text(text, "<test topology>")


def listener(
    sup: Supervisor, process: str, *, tls: bool = False, computer: str | None = None
) -> Listener:
    for item in sup.listeners:
        e = item.endpoint
        if e.process == process and e.tls == tls and computer in (None, e.computer):
            return item
    raise LookupError(process)


def fail_next_accept(item: Listener) -> None:
    """The listener's next accept raises once, as a broken socket would; later ones accept."""
    real_accept = item._accept
    calls = 0

    async def failing_accept(raw: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("injected accept failure")
        return await real_accept(raw)  # type: ignore[arg-type]

    item._accept = failing_accept  # type: ignore[method-assign, assignment]


class Client:
    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream
        self.decoder = FrameDecoder(1 << 20)

    @classmethod
    async def connect(
        cls,
        address: str,
        port: int,
        *,
        ca: Path | None = None,
        hostname: str | None = None,
        local_host: str | None = None,
    ) -> Client:
        with anyio.fail_after(TIMEOUT):
            if ca is None:
                return cls(await anyio.connect_tcp(address, port, local_host=local_host))
            context = ssl.create_default_context(cafile=str(ca))
            stream = await anyio.connect_tcp(
                address,
                port,
                tls=True,
                ssl_context=context,
                tls_hostname=hostname,
                local_host=local_host,
            )
            return cls(stream)

    async def frame(self) -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT):
            while (frame := self.decoder.next_frame()) is None:
                self.decoder.feed(await self.stream.receive())
            return frame

    async def send(self, message: dict[str, Any]) -> None:
        await self.stream.send(encode(message))

    async def request(self, op: str, **fields: Any) -> dict[str, Any]:
        await self.send({"id": 1, "op": op, **fields})
        return await self.frame()

    async def rest(self) -> bytes:
        """Everything until the server closes (EOF or reset)."""
        data = b""
        with anyio.fail_after(TIMEOUT):
            while True:
                try:
                    data += await self.stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                    return data

    async def aclose(self) -> None:
        await anyio.aclose_forcefully(self.stream)
