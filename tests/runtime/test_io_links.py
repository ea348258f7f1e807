"""The sockets of the I/O routes (emulator/runtime/io_links.py) against a fake I/O server on
loopback: a peer that answers `io.sync` and then goes silent is noticed by the heartbeat, and
its tags go bad (#COM) instead of holding its last values for ever."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest

from emulator.plant.state import QUAL_BAD, QUAL_GOOD
from emulator.processes.context import Context
from emulator.processes.io_routes import IoRoutes
from emulator.protocol.framing import FrameDecoder, encode
from emulator.protocol.messages import event, ok
from emulator.runtime import io_links
from emulator.topology.load import load_text
from emulator.topology.plan import plan
from tests.servers.helpers import TIMEOUT
from tests.servers.test_io_routes import PLANT


@asynccontextmanager
async def silent_after_sync() -> AsyncIterator[tuple[int, list[str]]]:
    """A fake I/O server on an ephemeral port: hello, an `io.sync` answer, then nothing."""
    seen: list[str] = []

    async def serve(stream: anyio.abc.ByteStream) -> None:
        await stream.send(encode(event("hello", process="IO1", protocol=1)))
        decoder = FrameDecoder()
        async for data in stream:
            decoder.feed(data)
            while (frame := decoder.next_frame()) is not None:
                seen.append(frame["op"])
                if frame["op"] == "io.sync":
                    record = {"tag": "SP", "values": [7], "quality": QUAL_GOOD}
                    await stream.send(encode(ok(frame["id"], tags=[record])))

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        yield listener.extra(anyio.abc.SocketAttribute.local_port), seen
        tg.cancel_scope.cancel()


async def _until(context: Context, check: Callable[[], bool], what: str) -> None:
    """Wait, on the plant's changes, until `check` holds (TimeoutError naming `what`)."""
    with anyio.fail_after(TIMEOUT):
        while not check():
            changed = anyio.Event()
            unsubscribe = context.changes.subscribe(changed.set)
            try:
                await changed.wait()
            finally:
                unsubscribe()
    assert check(), what


async def test_a_peer_that_goes_silent_is_noticed_and_its_tags_go_bad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(io_links, "TIMEOUT", 0.3)
    monkeypatch.setattr(io_links, "HEARTBEAT", 0.05)
    topology = load_text(PLANT, "p.toml").model
    context = Context(topology)
    async with silent_after_sync() as (port, seen):
        endpoints = [
            dataclasses.replace(e, address="127.0.0.1", port=port) if e.process == "IO1" else e
            for e in plan(topology)
        ]
        routes = IoRoutes(
            topology,
            endpoints,
            "C",
            context.plant,
            running=lambda key: key[1] == "IO3",
            notify=context.changes.notify,
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(io_links.run_io_links, routes, context)
            await _until(
                context, lambda: context.plant.read("SP").value == "7", "synced from the fake"
            )
            assert context.plant.read("SP").quality.general == QUAL_GOOD
            await _until(
                context,
                lambda: context.plant.read("SP").quality.general == QUAL_BAD,
                "the silent peer is noticed",
            )
            assert "ping" in seen
            tg.cancel_scope.cancel()
