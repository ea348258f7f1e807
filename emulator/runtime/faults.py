"""Carry out what a connection's faults decided (emulator.faults): sleep, write, close, reset.

The only fault code that touches a socket; the Session calls it for every write and read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from emulator.faults.registry import LinkFaults
from emulator.scenario.config import Stream


async def through(
    link: LinkFaults,
    data: bytes,
    stream: Stream,
    deliver: Callable[[bytes], Awaitable[object]],
    *,
    close: Callable[[], None],
    reset: Callable[[], None],
) -> bool:
    """Pass `data` through the link's faults to `deliver`; False once the fault ended the link.

    With no fault active anywhere (the usual case) the bytes go straight on: this runs for every
    read and write, and the link would only find that nothing applies.
    """
    if not data or not link.faults.active:
        await deliver(data)
        return True
    transmission = link.transmit(data, stream)
    for delay, piece in transmission.pieces:
        if delay > 0:
            await anyio.sleep(delay)
        await deliver(piece)
    if transmission.then == "keep":
        return True
    if transmission.close_after is not None:
        await anyio.sleep(transmission.close_after)
    (reset if transmission.then == "reset" else close)()
    return False
