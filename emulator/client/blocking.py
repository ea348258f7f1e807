"""`CtApiClient`: the async client behind blocking calls, with CT_OPEN_RECONNECT semantics.

For scripts, REPLs and the ctypes shim. The session lives in a background event loop; one
keeper task owns it (opens it, waits for the link to go, and with `reconnect=True` opens it
again with a growing delay). With reconnect, the client exists even when the first connect
fails, every call fails with `not_connected` (233) while the link is down, and the client
reconnects by itself (reference section 5). Tag lists belong to a link: after a reconnect the
old list handles are invalid and must be made again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio

from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.loop import BackgroundLoop
from emulator.client.session import (
    Found,
    Options,
    Record,
    Session,
    TagValue,
    Value,
    connect,
)
from emulator.logs import get_logger
from emulator.protocol.errors import NOT_CONNECTED, TIMEOUT

T = TypeVar("T")

_log = get_logger("emulator.client")

#: Delays between reconnect attempts: the first, and the most it grows to (doubling).
RETRY_FIRST = 0.2
RETRY_MAX = 5.0


class CtApiClient:
    """A blocking CtAPI session. Keyword arguments are those of `emulator.client.connect`."""

    def __init__(
        self,
        host: str | None,
        *,
        reconnect: bool = False,
        loop: BackgroundLoop | None = None,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
        **connect_args: Any,
    ) -> None:
        self.options: Options = connect(host, **connect_args).options
        self.reconnect = reconnect
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._own_loop = loop is None
        self._loop = loop or BackgroundLoop()
        self._session: Session | None = None
        self._last_error: CtApiError | None = None
        self._closing: anyio.Event | None = None
        self._keeper_done: anyio.Event | None = None
        #: Set while a session is open; replaced when it goes (made in the loop).
        self._up: anyio.Event | None = None
        self._first_error: CtApiError | None = None
        try:
            self._loop.call(self._prepare)
            self._loop.portal.start_task_soon(self._keep)
            first = self._loop.call(self._first_outcome)
        except BaseException:
            self._stop_loop()
            raise
        if first is not None:
            self._stop_loop()
            raise first

    # --- the keeper, in the loop --------------------------------------------------------------

    async def _prepare(self) -> None:
        """Make the loop's events (anyio events belong to the loop that made them)."""
        self._closing = anyio.Event()
        self._keeper_done = anyio.Event()
        self._up = anyio.Event()
        self._first_attempt = anyio.Event()

    async def _first_outcome(self) -> CtApiError | None:
        """The error that ended the keeper before a first session, else None."""
        await self._first_attempt.wait()
        return self._first_error

    def _settle(self, error: CtApiError | None) -> None:
        if not self._first_attempt.is_set():
            self._first_error = error
            self._first_attempt.set()

    async def _keep(self) -> None:
        assert self._closing is not None and self._keeper_done is not None
        assert self._up is not None
        delay = self.retry_first
        try:
            while not self._closing.is_set():
                try:
                    async with Session(self.options) as session:
                        self._session, self._last_error = session, None
                        self._up.set()
                        delay = self.retry_first
                        self._settle(None)
                        await session.wait_closed()
                        self._up = anyio.Event()
                        self._last_error = session.error
                except CtApiConnectionError as exc:
                    self._last_error = exc
                    if not self.reconnect:
                        self._settle(exc)
                        return
                    self._settle(None)  # with reconnect, the handle exists while the link is down
                    _log.info("ctapi.client.retry", in_s=delay, reason=exc.message)
                except CtApiError as exc:
                    # The server refused the open itself (e.g. login_failed): retrying cannot help.
                    self._last_error = exc
                    self._settle(exc)
                    return
                finally:
                    self._session = None
                if not self.reconnect:
                    return
                with anyio.move_on_after(delay):
                    await self._closing.wait()
                delay = min(delay * 2, self.retry_max)
        finally:
            self._keeper_done.set()

    async def _close(self) -> None:
        assert self._closing is not None and self._keeper_done is not None
        self._closing.set()
        if self._session is not None:
            await self._session.disconnect()
        with anyio.move_on_after(self.options.timeout + 1):
            await self._keeper_done.wait()

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """ctClose: log out and close; stops reconnecting. Safe to call twice."""
        if self._loop.running and self._closing is not None:
            self._loop.call(self._close)
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._own_loop:
            self._loop.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """True while a session is open."""
        return self._loop.running and self._loop.call(self._is_connected)

    async def _is_connected(self) -> bool:
        return self._session is not None and self._session.is_open

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until a session is open (after a reconnect); CtApiConnectionError on timeout."""

        async def wait() -> None:
            with anyio.move_on_after(timeout):
                assert self._up is not None
                await self._up.wait()
                return
            raise CtApiConnectionError.of(TIMEOUT, f"not reconnected within {timeout:g} s")

        self._loop.call(wait)

    @property
    def last_error(self) -> CtApiError | None:
        """Why the link is down (None while it is up)."""
        if not self._loop.running:
            return self._last_error
        return self._loop.call(self._why_down)

    async def _why_down(self) -> CtApiError | None:
        session = self._session
        if session is not None and session.error is not None:
            return session.error  # gone, and the keeper has not noticed yet
        return self._last_error

    async def _on_session(self, call: Callable[[Session], Awaitable[T]]) -> T:
        session = self._session
        if session is None or not session.is_open:
            down = await self._why_down()
            why = down.message if down else "the client is closed"
            raise CtApiConnectionError.of(NOT_CONNECTED, why)
        return await call(session)

    def _call(self, call: Callable[[Session], Awaitable[T]]) -> T:
        if not self._loop.running:
            raise CtApiConnectionError.of(NOT_CONNECTED, "the client is closed")
        return self._loop.call(lambda: self._on_session(call))

    def submit(self, call: Callable[[Session], Awaitable[T]]) -> Future[T]:
        """Start `call(session)` without waiting (CtAPI's overlapped I/O); its Future."""
        if not self._loop.running:
            raise CtApiConnectionError.of(NOT_CONNECTED, "the client is closed")
        return self._loop.portal.start_task_soon(self._on_session, call)

    # --- CtAPI --------------------------------------------------------------------------------

    @property
    def hello(self) -> dict[str, Any]:
        return self._call(_hello)

    def tag_read(self, tag: str) -> str:
        return self._call(lambda s: s.tag_read(tag))

    def tag_read_ex(self, tag: str) -> TagValue:
        return self._call(lambda s: s.tag_read_ex(tag))

    def tag_write(self, tag: str, value: Value) -> None:
        self._call(lambda s: s.tag_write(tag, value))

    def cicode(self, command: str, *, window: int = 0, mode: int = 0) -> str:
        return self._call(lambda s: s.cicode(command, window=window, mode=mode))

    def list_new(self, mode: int = 0) -> int:
        return self._call(lambda s: s.list_new(mode))

    def list_add(self, list_handle: int, tag: str) -> int:
        return self._call(lambda s: s.list_add(list_handle, tag))

    def list_add_ex(
        self,
        list_handle: int,
        tag: str,
        *,
        raw: bool = False,
        poll_period_ms: int = 500,
        deadband: float = 0.0,
    ) -> int:
        return self._call(
            lambda s: s.list_add_ex(
                list_handle, tag, raw=raw, poll_period_ms=poll_period_ms, deadband=deadband
            )
        )

    def list_read(self, list_handle: int, *, wait: bool = False) -> dict[int, CtApiError]:
        return self._call(lambda s: s.list_read(list_handle, wait=wait))

    def list_data(self, handle: int, *, raw: bool | None = None, item: str = "value") -> str:
        return self._call(lambda s: s.list_data(handle, raw=raw, item=item))

    def list_write(self, handle: int, value: Value) -> None:
        self._call(lambda s: s.list_write(handle, value))

    def list_event(self, list_handle: int, mode: int = 0) -> int | None:
        return self._call(lambda s: s.list_event(list_handle, mode))

    def list_delete(self, handle: int) -> None:
        self._call(lambda s: s.list_delete(handle))

    def list_free(self, list_handle: int) -> None:
        self._call(lambda s: s.list_free(list_handle))

    def find_first(self, table: str, filter: str = "") -> Found:
        return self._call(lambda s: s.find_first(table, filter))

    def find_next(self, find: int) -> Found:
        return self._call(lambda s: s.find_next(find))

    def find_prev(self, find: int) -> Found:
        return self._call(lambda s: s.find_prev(find))

    def find_scroll(self, find: int, mode: int, offset: int = 0) -> Found:
        return self._call(lambda s: s.find_scroll(find, mode, offset))

    def find_count(self, find: int) -> int:
        return self._call(lambda s: s.find_count(find))

    def find_close(self, find: int) -> None:
        self._call(lambda s: s.find_close(find))

    def find_all(self, table: str, filter: str = "") -> list[Record]:
        return self._call(lambda s: s.find_all(table, filter))


async def _hello(session: Session) -> dict[str, Any]:
    return dict(session.hello)
