"""The dashboard's live channel: server-sent events, a snapshot first and then changes.

A frame goes out when the plant's change feed fires (a tag moved, an alarm was acknowledged)
or, for what the feed does not cover (process states, connections, the event log), at most
POLL seconds later; never more often than every MIN_INTERVAL. The stream ends when the runtime
shuts down, or when the browser goes (Starlette cancels it). Documented in docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio

from emulator.control.manager import RuntimeManager
from emulator.dashboard.views import Watch, encode

#: Seconds between looks at what the change feed does not report.
POLL = 0.5
#: Least seconds between two frames: a plant changing every millisecond is drawn 5 times a second.
MIN_INTERVAL = 0.2
#: Seconds of silence after which a comment line keeps proxies from closing the stream.
KEEPALIVE = 15.0
#: Milliseconds the browser waits before it reconnects a dropped stream.
RETRY_MS = 1000


def message(kind: str, data: object) -> bytes:
    """One server-sent event; JSON never holds a raw newline, so one data line is enough."""
    return b"event: " + kind.encode() + b"\ndata: " + encode(data) + b"\n\n"


class _Wakeup:
    """Set by the change feed; the loop waits on it with a timeout."""

    def __init__(self) -> None:
        self.event = anyio.Event()

    def __call__(self) -> None:
        self.event.set()

    async def wait(self, seconds: float) -> None:
        with anyio.move_on_after(seconds):
            await self.event.wait()
        self.event = anyio.Event()


async def frames(
    manager: RuntimeManager, closing: Callable[[], bool] | None = None
) -> AsyncIterator[bytes]:
    """The event stream of one viewer, until `closing()` (default: the runtime shuts down)."""
    done = closing if closing is not None else (lambda: manager.supervisor.shutting_down)
    watch = Watch(manager)
    wakeup = _Wakeup()
    unsubscribe = manager.context.changes.subscribe(wakeup)
    try:
        yield f"retry: {RETRY_MS}\n\n".encode() + message("snapshot", watch.snapshot())
        quiet = 0.0
        while not done():
            await wakeup.wait(POLL)
            frame = watch.update()
            if frame:
                quiet = 0.0
                yield message("update", frame)
            else:
                quiet += POLL
                if quiet >= KEEPALIVE:
                    quiet = 0.0
                    yield b": keep-alive\n\n"
            await anyio.sleep(MIN_INTERVAL)
    finally:
        unsubscribe()
