"""An event loop in a daemon thread, for blocking callers (scripts, REPLs, the ctypes shim).

anyio's `start_blocking_portal` runs its loop in a worker thread that the interpreter joins at
exit, so a script that forgets to close its client would hang on exit. This loop runs in a
daemon thread instead and otherwise is the same BlockingPortal.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from anyio.from_thread import BlockingPortal

T = TypeVar("T")

#: How long to wait for the thread's loop to come up (it is immediate in practice).
START_TIMEOUT = 10.0


class BackgroundLoop:
    """One event loop thread; `call` runs a coroutine function in it and waits for the result."""

    def __init__(self, name: str = "ctapi-client") -> None:
        self._portal: BlockingPortal | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT):
            raise RuntimeError(f"the {name} event loop did not start")
        if self._failure is not None:
            raise RuntimeError(f"the {name} event loop failed to start") from self._failure

    def _main(self) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._portal = portal
                self._started.set()
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve)
        except BaseException as exc:
            self._failure = exc
            self._started.set()

    @property
    def portal(self) -> BlockingPortal:
        if self._portal is None or not self._thread.is_alive():
            raise RuntimeError("the background event loop is not running")
        return self._portal

    @property
    def running(self) -> bool:
        return self._portal is not None and self._thread.is_alive()

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `func()` in the loop; its result, or its exception, in the calling thread."""
        return self.portal.call(func)

    def stop(self) -> None:
        """Stop the loop (cancelling what still runs in it) and join the thread."""
        if self.running and threading.current_thread() is not self._thread:
            self.portal.call(self.portal.stop, True)
            self._thread.join(START_TIMEOUT)
