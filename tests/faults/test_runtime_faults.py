"""Faults on real loopback connections of a running plant."""

from __future__ import annotations

import json
import time

import anyio
import pytest
from anyio.abc import SocketStream

from emulator.testing.plant import RunningPlant

#: Bound for "nothing arrives": the only waits here that expect silence.
SILENCE = 0.2


@pytest.fixture
def plant(scada_plant: RunningPlant) -> RunningPlant:
    """The plugin's plant: the demo plant on a virtual clock."""
    return scada_plant


async def line(stream: SocketStream, buffer: bytearray) -> dict[str, object]:
    while b"\n" not in buffer:
        buffer += await stream.receive()
    raw, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    message: dict[str, object] = json.loads(raw)
    return message


async def ping(stream: SocketStream, buffer: bytearray) -> dict[str, object]:
    await stream.send(b'{"id": 1, "op": "ping"}\n')
    return await line(stream, buffer)


async def test_latency_delays_every_reply(plant: RunningPlant) -> None:
    await plant.add_fault(name="slow", kind="latency", latency=150, process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        buffer = bytearray()
        await line(stream, buffer)  # hello
        started = time.monotonic()
        assert (await ping(stream, buffer))["ok"] is True
        assert time.monotonic() - started >= 0.14
    assert any(e["event"] == "fault.applied" for e in plant.events.since(0))


async def test_slicer_and_bandwidth_still_deliver_whole_frames(plant: RunningPlant) -> None:
    await plant.add_fault(name="bits", kind="slicer", average_size=3, delay=100, process="IO1")
    await plant.add_fault(name="thin", kind="bandwidth", rate=64, process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        buffer = bytearray()
        assert (await line(stream, buffer))["event"] == "hello"
        assert (await ping(stream, buffer))["id"] == 1


async def test_timeout_passes_nothing_then_closes(plant: RunningPlant) -> None:
    await plant.add_fault(name="cut", kind="timeout", timeout=50, process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        with anyio.fail_after(5), pytest.raises(anyio.EndOfStream):
            await stream.receive()


async def test_reset_peer_resets(plant: RunningPlant) -> None:
    await plant.add_fault(name="rst", kind="reset_peer", process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        with anyio.fail_after(5), pytest.raises((anyio.BrokenResourceError, anyio.EndOfStream)):
            await stream.receive()


async def test_limit_data_closes_after_n_bytes(plant: RunningPlant) -> None:
    await plant.add_fault(name="short", kind="limit_data", bytes=20, process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        received = b""
        with anyio.fail_after(5):
            try:
                while True:
                    received += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass
    assert len(received) == 20


async def test_upstream_faults_act_on_requests(plant: RunningPlant) -> None:
    await plant.add_fault(
        name="deaf", kind="timeout", timeout=100, stream="upstream", process="IO1"
    )
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        buffer = bytearray()
        assert (await line(stream, buffer))["event"] == "hello"
        await stream.send(b'{"id": 1, "op": "ping"}\n')
        with anyio.fail_after(5), pytest.raises(anyio.EndOfStream):
            await line(stream, buffer)


async def test_toxicity_zero_never_applies(plant: RunningPlant) -> None:
    await plant.add_fault(name="never", kind="timeout", toxicity=0.0, process="IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        buffer = bytearray()
        assert (await line(stream, buffer))["event"] == "hello"


async def test_hang_accepts_and_never_answers_until_start(plant: RunningPlant) -> None:
    await plant.hang("IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        await stream.send(b'{"id": 1, "op": "ping"}\n')
        with anyio.move_on_after(SILENCE) as silent:
            await stream.receive()
        assert silent.cancelled_caught
    await plant.start("IO1")
    async with await anyio.connect_tcp(*plant.endpoint("IO1")) as stream:
        buffer = bytearray()
        assert (await line(stream, buffer))["event"] == "hello"


async def test_down_refuses_connections(plant: RunningPlant) -> None:
    address = plant.endpoint("IO1")
    await plant.add_fault(name="off", kind="down", process="IO1")
    with pytest.raises(OSError):
        await anyio.connect_tcp(*address)
    await plant.clear_fault("off")
    async with await anyio.connect_tcp(*address) as stream:
        assert (await line(stream, bytearray()))["event"] == "hello"


async def test_error_reply_answers_with_the_chosen_code(plant: RunningPlant) -> None:
    await plant.add_fault(
        name="nope", kind="error_reply", error="not_connected", op="tag.read", process="CtAPI"
    )
    async with plant.client("SCADA-A") as session:
        with pytest.raises(Exception, match="not_connected") as raised:
            await session.tag_read("TANK1_LEVEL")
        assert "injected by fault 'nope'" in str(raised.value)
    metrics = plant.manager.context.metrics.render(plant.supervisor.statuses()).decode()
    assert 'error="not_connected"' in metrics
