"""A look at a connection's first bytes before TLS: a server port of an encrypted-only computer
tells a plaintext client what is wrong instead of failing a handshake it never began."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anyio.abc import ByteStream

from emulator.protocol.framing import TLS_HANDSHAKE


def is_tls(first: bytes) -> bool:
    """Whether a connection that began with `first` starts a TLS handshake (a record of type
    handshake); b"" (nothing yet) is not."""
    return bool(first) and first[0] == TLS_HANDSHAKE


class Replayed(ByteStream):
    """`stream`, with `head` (bytes already read from it) received again first."""

    def __init__(self, stream: ByteStream, head: bytes) -> None:
        self.stream = stream
        self.head = head

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.head:
            data, self.head = self.head[:max_bytes], self.head[max_bytes:]
            return data
        return await self.stream.receive(max_bytes)

    async def send(self, item: bytes) -> None:
        await self.stream.send(item)

    async def send_eof(self) -> None:
        await self.stream.send_eof()

    async def aclose(self) -> None:
        await self.stream.aclose()

    @property
    def extra_attributes(self) -> Mapping[Any, Callable[[], Any]]:
        return self.stream.extra_attributes
