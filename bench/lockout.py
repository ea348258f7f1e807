"""Logins under a lockout attempt: how long a right password waits while someone guesses.

`python -m bench.lockout` runs the demo plant in this process (its default login throttle) and
prints one JSON object:

- `burst`: 12 wrong passwords for `engineer` from 127.0.0.1 at once (12 connections, as in
  issue 18.4), then the right password from the same host and from 127.0.0.2 on new
  connections: the seconds each took to answer;
- `rotated`: 15 connections, each from its own source address (127.0.0.11...), guessing
  `engineer` in a loop for `ROTATE_S` seconds: how many wrong answers came back per second.

It speaks only the wire protocol, so it measures any checkout: run it with PYTHONPATH pointing
at another tree for the "before" figure (docs/reliability.md, "Logins under a lockout attempt").
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketStream

from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo

GUESSES = 12
SOURCES = 15
ROTATE_S = 5.0
WRONG = "not-the-password"


async def _frame(stream: SocketStream, buffer: bytearray) -> dict[str, Any]:
    while b"\n" not in buffer:
        buffer += await stream.receive()
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    frame: dict[str, Any] = json.loads(line)
    return frame


async def _login(
    address: str, port: int, password: str, source: str, sent: anyio.Event | None = None
) -> tuple[bool, float]:
    """One connection, one `open`: (succeeded, seconds from sending it to its answer)."""
    async with await anyio.connect_tcp(address, port, local_host=source) as stream:
        buffer = bytearray()
        await _frame(stream, buffer)  # hello
        started = time.perf_counter()
        request = {"id": 1, "op": "open", "user": "engineer", "password": password}
        await stream.send(json.dumps(request).encode() + b"\n")
        if sent is not None:
            sent.set()
        reply = await _frame(stream, buffer)
        return bool(reply.get("ok")), time.perf_counter() - started


async def _burst(address: str, port: int) -> dict[str, float]:
    """The right password while 12 wrong ones of the same host wait for their answers."""
    async with anyio.create_task_group() as tg:
        sent = [anyio.Event() for _ in range(GUESSES)]
        for event in sent:
            tg.start_soon(_login, address, port, WRONG, "127.0.0.1", event)
        for event in sent:
            await event.wait()
        with anyio.fail_after(120):
            same_ok, same = await _login(address, port, "control", "127.0.0.1")
            other_ok, other = await _login(address, port, "control", "127.0.0.2")
        tg.cancel_scope.cancel()
    assert same_ok and other_ok
    return {"same_host_s": round(same, 4), "other_host_s": round(other, 4)}


async def _rotated(address: str, port: int) -> float:
    answers = 0
    deadline = time.monotonic() + ROTATE_S

    async def guesser(source: str) -> None:
        nonlocal answers
        with anyio.move_on_after(ROTATE_S):
            async with await anyio.connect_tcp(address, port, local_host=source) as stream:
                buffer = bytearray()
                await _frame(stream, buffer)
                while time.monotonic() < deadline:
                    request = {"id": 1, "op": "open", "user": "engineer", "password": WRONG}
                    await stream.send(json.dumps(request).encode() + b"\n")
                    await _frame(stream, buffer)
                    answers += 1

    async with anyio.create_task_group() as tg:
        for n in range(SOURCES):
            tg.start_soon(guesser, f"127.0.0.{11 + n}")
    return round(answers / ROTATE_S, 1)


async def _plant(run: Any) -> Any:
    """`run(address, port)` against SCADA-A's plain CtAPI port of a fresh demo plant."""
    with tempfile.TemporaryDirectory() as state:
        async with Supervisor(load_demo(), ephemeral=True, state_dir=Path(state)) as sup:
            ctapi = next(
                x
                for x in sup.listeners
                if x.endpoint.type == "ctapi"
                and not x.endpoint.tls
                and x.endpoint.computer == "SCADA-A"
            )
            return await run(ctapi.endpoint.address, ctapi.port)


async def measure() -> dict[str, Any]:
    # each on a fresh plant: the burst's failures must not slow the rotation down
    return {"burst": await _plant(_burst), "rotated_guesses_per_s": await _plant(_rotated)}


def main() -> int:
    print(json.dumps(anyio.run(measure)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
