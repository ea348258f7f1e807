"""One accepted connection: TLS handshake where the endpoint asks for it, then the hello, the
requests and the pushes, then a clean close.

Two tasks share the socket: one reads requests, one wakes on plant changes and on the handler's
next wakeup. Each turns its ServerConnection output into one write under one lock, so frames
never interleave and replies keep the order in which they were made.

Slow or hostile peers are bounded (docs/security.md): the first request and any frame once begun
must be whole within `request_timeout`, the login within `login_timeout` of the connect; a write
the peer does not take within `write_timeout` closes the connection (so one that sends without
reading cannot grow our buffers); a login is answered only when the runtime's LoginThrottle says
its peer host's and account's turn has come, and the connection's next request is not read
before that answer is out. Work is shared: a connection answers at most `frames_per_turn`
requests before the others get a turn, and an expensive request runs in a worker thread (one
at a time per connection) while the loop serves everyone else.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
from anyio.abc import ByteStream, SocketAttribute, SocketStream
from anyio.streams.tls import TLSAttribute, TLSStream

from emulator.faults.handler import FaultyHandler
from emulator.logs import get_logger
from emulator.processes.access import GUARDED, guard
from emulator.processes.base import Outcome, Peer, Process
from emulator.processes.context import Context
from emulator.protocol.connection import Pending, ServerConnection
from emulator.protocol.errors import (
    ENCRYPTION_REQUIRED,
    IDLE_TIMEOUT,
    LOGIN_TIMEOUT,
    REQUEST_TIMEOUT,
    TOO_MANY_CONNECTIONS,
    ErrorCode,
)
from emulator.protocol.framing import encode
from emulator.protocol.messages import failed
from emulator.runtime import faults
from emulator.runtime.limits import Limits
from emulator.runtime.logins import LoginThrottle
from emulator.runtime.sniff import Replayed, is_tls
from emulator.scenario.config import FaultSpec
from emulator.topology.plan import Endpoint

READ_SIZE = 65536
#: After the server closes on its own, how long it drains what the client still sends, so the
#: last frame is not lost to a TCP reset.
LINGER = 1.0
#: ...and at most this many bytes of it: a peer that streams on is not worth reading further.
LINGER_BYTES = 4 * READ_SIZE
#: The nice value of worker threads (expensive requests), above the loop's.
WORKER_NICE = 10
#: The shortest wait between two polls, so a handler that asks for "now" cannot spin.
MIN_WAKEUP = 0.001

_CLOSED = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    ssl.SSLError,
    OSError,
)

_log = get_logger("emulator.session")


class Session:
    """The life of one connection; the listener runs `run` in its task group."""

    def __init__(
        self,
        stream: SocketStream,
        endpoint: Endpoint,
        process: Process,
        context: Context,
        *,
        limits: Limits,
        tls: ssl.SSLContext | None = None,
        refuse: ErrorCode | None = None,
        refusal: str | None = None,
        logins: LoginThrottle | None = None,
        workers: anyio.CapacityLimiter | None = None,
        on_login: Callable[[Session], str | None] | None = None,
    ) -> None:
        self.raw = stream
        self.endpoint = endpoint
        self.process = process
        self.context = context
        self.limits = limits
        self.tls = tls
        self.refuse = refuse
        self.refusal = refusal
        self.logins = logins or LoginThrottle(limits.logins)
        self.workers = workers
        #: Called once the connection has logged in; a reason when no slot is left for it.
        self.on_login = on_login
        self.logged_in = False
        #: When it connected (time.monotonic): the login deadline counts from here.
        self.opened = time.monotonic()
        remote = stream.extra(SocketAttribute.remote_address)  # noqa: S610
        self.peer_host: str = str(remote[0]) if isinstance(remote, tuple) else remote
        self.peer_port: int = int(remote[1]) if isinstance(remote, tuple) else 0
        self.scope = anyio.CancelScope()
        self._stream: ByteStream = stream
        #: Uncontended (the usual case), taking it costs no trip through the event loop.
        self._lock = anyio.Lock(fast_acquire=True)
        self._done = anyio.Event()
        self._wake = anyio.Event()
        self._close_reason: str | None = None
        self._peer_closed = False
        self._serving = False
        self._unsubscribe: Callable[[], None] | None = None
        #: Seconds to hold the next reply: the login throttle's turn for this peer host.
        self._hold = 0.0
        self._connection: ServerConnection | None = None
        self.port: int = stream.extra(SocketAttribute.local_port)  # noqa: S610
        self._log = _log.bind(
            computer=endpoint.computer,
            process=endpoint.process,
            listener=f"{endpoint.address}:{self.port}",
            peer=f"{self.peer_host}:{self.peer_port}",
        )
        self.link = context.faults.link(endpoint, on_apply=self._fault_applied)
        #: Once the hello is due: its `recent` exchanges feed the dashboard's traffic view.
        self.handler: FaultyHandler | None = None

    def _fault_applied(self, spec: FaultSpec) -> None:
        self._log.warning("fault.applied", fault=spec.name, kind=spec.kind)
        self.context.metrics.fault_applied(self.endpoint, self.port, spec.name, spec.kind)

    def _observe(self, op: str, error: str | None, seconds: float) -> None:
        self.context.metrics.request(self.endpoint, self.port, op, error, seconds)

    def _login(self, account: str, succeeded: bool) -> None:
        """A login the handler decided: a failure's answer waits its host's and account's turn,
        and no later request of this connection is read before it is out."""
        hold = self.logins.answer(self.peer_host, account, time.monotonic(), failed=not succeeded)
        self._hold = max(self._hold, hold)
        if not succeeded and self._connection is not None:
            self._connection.pause()

    def request_close(self, reason: str) -> None:
        """Send a `closing` event and close, as soon as the current write is done."""
        if self._close_reason is None:
            self._close_reason = reason
        self._done.set()
        if not self._serving:
            self.scope.cancel()

    def abort(self) -> None:
        """Reset the connection (TCP RST), as a crashing process would."""
        raw: socket.socket = self.raw.extra(SocketAttribute.raw_socket)  # noqa: S610
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.scope.cancel()

    async def run(self) -> None:
        try:
            with self.scope:
                await self._run()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(self._stream)

    async def _run(self) -> None:
        tls_version = None
        if self.tls is not None:
            stream = await self._handshake(self.tls, sniff=self.endpoint.type in GUARDED)
            if stream is None:
                return
            self._stream = stream
            tls_version = stream.extra(TLSAttribute.tls_version)  # noqa: S610
        if self.refuse is not None:
            self._log.warning("connection.refused", error=self.refuse.name)
            limit = self.limits.connections_for(self.endpoint.type)
            detail = self.refusal or (
                f"{self.endpoint.process} of {self.endpoint.computer} serves {limit} at most"
            )
            await self._send(encode(failed(None, self.refuse, detail)))
            await self._linger()
            return
        peer = Peer(self.peer_host, self.peer_port, self.endpoint, tls_version, self._login)
        try:
            handler = guard(self.process.connect(peer), peer, self.context)
        except Exception as exc:
            self._log.exception("handler.failed", during="connect", error=repr(exc))
            return
        handler = self.handler = FaultyHandler(handler, self.link, self._observe)
        connection = ServerConnection(handler, peer, max_frame_size=self.limits.max_frame_size)
        self._connection = connection
        self._log.info("connection.open", tls=tls_version)
        self.context.metrics.connection_opened(self.endpoint, self.port)
        try:
            if await self._send(connection.hello()) and not connection.should_close:
                await self._serve(connection)
            if connection.should_close and not self._peer_closed and self._close_reason is None:
                await self._linger()
        finally:
            connection.close()
            self.context.metrics.connection_closed(self.endpoint, self.port)
            ended = "peer" if self._peer_closed else "server"
            self._log.info("connection.close", reason=self._close_reason or ended)

    async def _handshake(self, context: ssl.SSLContext, *, sniff: bool) -> TLSStream | None:
        """The TLS stream, or None. With `sniff` (a server port of an encrypted-only computer),
        a client that begins in plaintext gets an `encryption_required` frame (CtAPI's 3073
        gives it no byte, as Plant SCADA's "Communication unsuccessful")."""
        transport: ByteStream = self.raw
        try:
            with anyio.fail_after(self.limits.handshake_timeout):
                if sniff:
                    first = await self._receive_now()
                    if not is_tls(first):
                        await self._refuse_plaintext(first)
                        return None
                    transport = Replayed(self.raw, first)
                return await TLSStream.wrap(
                    transport, server_side=True, ssl_context=context, standard_compatible=False
                )
        except TimeoutError:
            self._log.info("connection.tls_timeout", timeout=self.limits.handshake_timeout)
        except Exception as exc:
            self._log.info("connection.tls_failed", reason=_reason(exc))
        return None

    async def _refuse_plaintext(self, first: bytes) -> None:
        if not first:
            return  # gone before a byte: nothing to tell
        self._log.info("connection.plaintext_refused")
        detail = (
            f"{self.endpoint.computer} is encrypted-only: connect with TLS (the emulator CA, "
            f"server name {self.endpoint.computer})"
        )
        await self._send(encode(failed(None, ENCRYPTION_REQUIRED, detail)))
        await self._linger()

    async def _serve(self, connection: ServerConnection) -> None:
        self._serving = True
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._read, connection)
                tasks.start_soon(self._push, connection)
                await self._done.wait()
                if self._close_reason is not None:
                    async with self._lock:
                        await self._send(connection.closing(self._close_reason))
                tasks.cancel_scope.cancel()
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()

    def _follow_changes(self) -> None:
        """Wake on plant changes from the first request on: before it a connection has nothing
        to push, so a thousand half-open clients cost no wakeup per plant change."""
        if self._unsubscribe is None:
            self._unsubscribe = self.context.changes.subscribe(self._on_change)

    def _on_change(self) -> None:
        self._wake.set()

    async def _read(self, connection: ServerConnection) -> None:
        idle = math.inf if self.limits.idle_timeout is None else self.limits.idle_timeout
        patience = self.limits.request_timeout
        login = self.limits.login_timeout
        login_due = math.inf if login is None else self.opened + login
        #: When the awaited frame began (the connection's open, for the first request); None:
        #: between frames, where only the idle timeout applies.
        begun: float | None = time.monotonic()
        frames = connection.frames
        while not connection.should_close:
            now = time.monotonic()
            due = math.inf if begun is None or patience is None else begun + patience
            waits = {
                "request": due - now,
                "idle": idle,
                "login": math.inf if self.logged_in else login_due - now,
            }
            which = min(waits, key=waits.__getitem__)
            data = None if waits[which] <= 0 else await self._receive(waits[which])
            if data is None:
                await self._timed_out(which)
                break
            received: list[bytes] = []
            if not await faults.through(
                self.link,
                data,
                "upstream",
                _append(received),
                close=self.scope.cancel,
                reset=self.abort,
            ):
                break
            for piece in received:
                connection.feed(piece)
            if not await self._answer(connection):
                break
            if connection.frames != frames:
                frames = connection.frames
                begun = time.monotonic() if connection.buffered else None
            elif begun is None and connection.buffered:
                begun = time.monotonic()
        self._done.set()

    async def _answer(self, connection: ServerConnection) -> bool:
        """Answer what is buffered, a turn at a time, letting the others run in between;
        False when the connection must end."""
        while True:
            async with self._lock:
                items = connection.turn(self.context.clock.now(), self.limits.frames_per_turn)
                if connection.frames:  # before any await: no change slips in unseen
                    self._follow_changes()
                # A turn's replies go out in one write (a write per reply cost a pipelining
                # client three times the CPU per request); a job's reply joins them in order.
                batch: list[bytes] = []
                for item in items:
                    if isinstance(item, bytes):
                        batch.append(item)
                        continue
                    # the replies before a job need not wait for it
                    if batch and not await self._send(b"".join(batch)):
                        return False
                    batch = [await self._offload(connection, item)]
                if self._hold > 0:  # a failed login's answer, the turn's last: held
                    hold, self._hold = self._hold, 0.0
                    self._log.warning("connection.login_delayed", delay=hold)
                    await anyio.sleep(hold)
                out = b"".join(batch)
                if out and not await self._send(out):
                    return False
                if connection.paused:  # a failed login's answer is out: read on
                    connection.resume()
                if not self.logged_in and connection.logged_in and not await self._promote():
                    return False
            if not connection.more:
                return True
            await anyio.lowlevel.checkpoint()

    async def _offload(self, connection: ServerConnection, pending: Pending) -> bytes:
        """Run an expensive request in a worker thread: the loop serves the others meanwhile."""
        outcome = await anyio.to_thread.run_sync(
            _below_the_loop, pending.run, limiter=self.workers, abandon_on_cancel=True
        )
        return connection.finish(pending, outcome, self.context.clock.now())

    async def _promote(self) -> bool:
        """The connection logged in: take a logged-in slot, or say why there is none and end."""
        self.logged_in = True
        refused = None if self.on_login is None else self.on_login(self)
        if refused is None:
            return True
        self._log.warning("connection.refused", error=TOO_MANY_CONNECTIONS.name, when="login")
        await self._send(encode(failed(None, TOO_MANY_CONNECTIONS, refused)))
        return False

    async def _receive(self, wait: float) -> bytes | None:
        """The next chunk (b"" once the peer closed), or None when `wait` seconds pass first."""
        if wait == math.inf:  # no timeout applies: spare the per-read cancel scope
            return await self._receive_now()
        with anyio.move_on_after(wait):
            return await self._receive_now()
        return None

    async def _receive_now(self) -> bytes:
        try:
            data = await self._stream.receive(READ_SIZE)
        except _CLOSED:
            data = b""
        self._peer_closed = not data
        return data

    async def _timed_out(self, which: str) -> None:
        """Tell the peer which timeout ended it: the login deadline, idle time between
        requests, or a request too slow."""
        if which == "login":
            timeout = self.limits.login_timeout or 0.0
            error, event = LOGIN_TIMEOUT, "connection.login_timeout"
            detail = f"log in within {timeout} s of connecting"
        elif which == "idle":
            timeout = self.limits.idle_timeout or 0.0
            error, detail, event = IDLE_TIMEOUT, f"{timeout} s", "connection.idle_timeout"
        else:
            timeout = self.limits.request_timeout or 0.0
            error, event = REQUEST_TIMEOUT, "connection.request_timeout"
            detail = f"send a whole request (JSON and newline) within {timeout} s"
        async with self._lock:
            await self._send(encode(failed(None, error, detail)))
        self._log.info(event, timeout=timeout)

    async def _push(self, connection: ServerConnection) -> None:
        while not connection.should_close:
            now = self.context.clock.now()
            wakeup = connection.next_wakeup(now)
            delay = math.inf if wakeup is None else max(wakeup - now, MIN_WAKEUP)
            with anyio.move_on_after(delay):
                await self._wake.wait()
            self._wake = anyio.Event()
            async with self._lock:
                out = connection.poll(self.context.clock.now())
                if out and not await self._send(out):
                    break
        self._done.set()

    async def _send(self, data: bytes) -> bool:
        """Write `data`; False when the peer is gone."""
        try:
            return await faults.through(
                self.link,
                data,
                "downstream",
                self._write,
                close=self.scope.cancel,
                reset=self.abort,
            )
        except _CLOSED as exc:
            self._log.debug("connection.write_failed", reason=_reason(exc))
            self._done.set()
            return False

    async def _write(self, data: bytes) -> None:
        """One write, which the peer must take within `write_timeout` (its reading is our bound)."""
        timeout = self.limits.write_timeout
        with anyio.move_on_after(math.inf if timeout is None else timeout) as timer:
            await self._stream.send(data)
        if timer.cancelled_caught:
            self._log.warning("connection.write_timeout", timeout=timeout, unsent=len(data))
            raise anyio.BrokenResourceError("the peer took nothing within the write timeout")

    async def _linger(self) -> None:
        """Half-close, then drain the peer for a moment, so our last frame reaches it."""
        try:
            await self.raw.send_eof()
        except _CLOSED:
            return
        drained = 0
        with anyio.move_on_after(LINGER):
            try:
                while drained < LINGER_BYTES and (data := await self._stream.receive(READ_SIZE)):
                    drained += len(data)
            except _CLOSED:
                pass


def _below_the_loop(run: Callable[[], Outcome]) -> Outcome:
    """In a worker thread: run below the serving loop's CPU priority (Linux has a nice value
    per thread), so expensive work takes what the loop leaves."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
    return run()


def _append(pieces: list[bytes]) -> Callable[[bytes], Awaitable[None]]:
    async def append(piece: bytes) -> None:
        pieces.append(piece)

    return append


def _reason(exc: BaseException) -> str:
    cause: Any = exc.__cause__ or exc.__context__ or exc
    if isinstance(cause, ssl.SSLError) and cause.reason:
        return str(cause.reason)
    return type(cause).__name__ if not str(cause) else f"{type(cause).__name__}: {cause}"
