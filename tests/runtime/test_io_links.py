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
from structlog.testing import capture_logs

from emulator.plant.state import QUAL_BAD, QUAL_GOOD
from emulator.processes.context import Context
from emulator.processes.io_routes import IoRoutes
from emulator.protocol.auth import proof
from emulator.protocol.errors import LOGIN_FAILED
from emulator.protocol.framing import FrameDecoder, encode
from emulator.protocol.messages import event, failed, ok
from emulator.runtime import io_links, server_links
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_text
from emulator.topology.plan import plan
from tests.servers.helpers import TIMEOUT
from tests.servers.test_io_routes import PLANT


class Seen(list[str]):
    """The ops a fake server received, and a wait for one more."""

    def __init__(self) -> None:
        super().__init__()
        self.more = anyio.Event()

    def add(self, op: str) -> None:
        self.append(op)
        self.more.set()
        self.more = anyio.Event()


@asynccontextmanager
async def fake_io1(password: str | None = None) -> AsyncIterator[tuple[int, Seen]]:
    """A fake I/O server on an ephemeral port: hello (asking for a login when it has a
    `password`), then an answer to `auth` and `io.sync` and to nothing else."""
    seen = Seen()

    async def serve(stream: anyio.abc.ByteStream) -> None:
        login = {} if password is None else {"auth": "required", "challenge": "c0ffee"}
        await stream.send(encode(event("hello", process="IO1", protocol=1, **login)))
        decoder = FrameDecoder()
        async for data in stream:
            decoder.feed(data)
            while (frame := decoder.next_frame()) is not None:
                seen.add(frame["op"])
                if frame["op"] == "auth":
                    good = password is not None and frame.get("proof") == proof(password, "c0ffee")
                    reply = ok(frame["id"]) if good else failed(frame["id"], LOGIN_FAILED)
                    await stream.send(encode(reply))
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


def _routes(context: Context, port: int) -> IoRoutes:
    """The routes of computer C, IO1 at the fake's port."""
    topology = context.topology
    endpoints = [
        dataclasses.replace(e, address="127.0.0.1", port=port) if e.process == "IO1" else e
        for e in plan(topology)
    ]
    return IoRoutes(
        topology,
        endpoints,
        "C",
        context.plant,
        running=lambda key: key[1] == "IO3",
        notify=context.changes.notify,
    )


async def test_a_peer_that_goes_silent_is_noticed_and_its_tags_go_bad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_links, "TIMEOUT", 0.3)
    monkeypatch.setattr(server_links, "HEARTBEAT", 0.05)
    context = Context(load_text(PLANT, "p.toml").model)
    async with fake_io1() as (port, seen), anyio.create_task_group() as tg:
        tg.start_soon(io_links.run_io_links, _routes(context, port), context)
        await _until(context, lambda: context.plant.read("SP").value == "7", "synced from the fake")
        assert context.plant.read("SP").quality.general == QUAL_GOOD
        await _until(
            context,
            lambda: context.plant.read("SP").quality.general == QUAL_BAD,
            "the silent peer is noticed",
        )
        assert "ping" in seen
        tg.cancel_scope.cancel()


async def test_the_link_logs_in_with_the_server_password() -> None:
    text = PLANT.replace("[[computers]]", '[project]\nserver_password = "s3"\n[[computers]]', 1)
    context = Context(load_text(text, "p.toml").model)
    async with fake_io1("s3") as (port, seen), anyio.create_task_group() as tg:
        tg.start_soon(io_links.run_io_links, _routes(context, port), context)
        await _until(context, lambda: context.plant.read("SP").value == "7", "logged in")
        assert seen[:2] == ["auth", "io.sync"]
        tg.cancel_scope.cancel()


async def test_a_refused_login_is_logged_once_and_the_tags_stay_bad() -> None:
    context = Context(load_text(PLANT, "p.toml").model)  # a random password of its own
    with capture_logs() as logs:
        async with fake_io1("another") as (port, seen), anyio.create_task_group() as tg:
            tg.start_soon(io_links.run_io_links, _routes(context, port), context)
            with anyio.fail_after(TIMEOUT):
                while seen.count("auth") < 3:  # two redials after the first refusal
                    await seen.more.wait()
            tg.cancel_scope.cancel()
    refused = [e for e in logs if e["event"] == "io_link.login_refused"]
    assert len(refused) == 1 and refused[0]["server"] == "IO1"
    assert "io.sync" not in seen
    assert context.plant.read("SP").quality.general == QUAL_BAD


def test_a_computer_run_without_a_server_password_says_what_to_do() -> None:
    with capture_logs() as logs:
        Supervisor(load_text(PLANT, "p.toml"), computer="C")
    (warning,) = [e for e in logs if e["event"] == "supervisor.no_server_password"]
    assert "[project] server_password" in warning["hint"]
