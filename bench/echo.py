"""The echo limit: the smallest Python server on the emulator's event loop.

It answers every request line with one fixed reply line of the same length, doing nothing else:
what asyncio, the socket calls and finding each frame cost (`--mode count` skips even the
per-frame step, which measures the generator's own ceiling). The emulator does the same plus
decoding, the CtAPI handler and encoding, so emulator rps / echo rps is the share of the time the
emulator spends on transport. Run: `python -m bench.echo --port-file F [--cpu N] [--reply-size B]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import cast

from bench import frames, loop, procs


class EchoLimit(asyncio.Protocol):
    """Finds each request line and answers it with the fixed reply; one write per read."""

    __slots__ = ("buffer", "reply", "transport")

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        replies = []
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            replies.append(self.reply)
            start = end + 1
        self.buffer = buffer[start:]
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))


class SocketLimit(EchoLimit):
    """No per-frame step at all: one C-level newline count per read. The generator's ceiling."""

    def data_received(self, data: bytes) -> None:
        # A request line never holds a raw newline, so counting them counts finished frames
        # even when a frame straddles two reads.
        n = data.count(b"\n")
        if n and self.transport is not None:
            self.transport.write(self.reply * n)


PROTOCOLS: dict[str, type[EchoLimit]] = {"frames": EchoLimit, "count": SocketLimit}


async def serve(
    host: str, port: int, protocol: type[EchoLimit], reply: bytes, port_file: str | None
) -> None:
    server = await asyncio.get_running_loop().create_server(
        lambda: protocol(reply), host, port, backlog=4096
    )
    bound = server.sockets[0].getsockname()[1]
    if port_file:
        write_port_file(port_file, bound)
    async with server:
        await server.serve_forever()


def write_port_file(path: str, port: int) -> None:
    """Atomically, so the harness never reads half a number."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--cpu", type=int, help="pin the server to this CPU")
    parser.add_argument(
        "--reply-size",
        type=int,
        default=len(frames.tag_reads(count=1).first),
        help="bytes per reply line (default: the size of a tag-read request line)",
    )
    parser.add_argument(
        "--mode",
        choices=sorted(PROTOCOLS),
        default="frames",
        help="frames: find and answer each line (the echo limit); "
        "count: only count newlines (the generator's ceiling)",
    )
    args = parser.parse_args(argv)
    procs.pin(args.cpu)
    procs.raise_nofile(65536)
    reply = frames.echo_reply(b"x" * args.reply_size)
    with contextlib.suppress(KeyboardInterrupt):
        loop.run(serve(args.host, args.port, PROTOCOLS[args.mode], reply, args.port_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
