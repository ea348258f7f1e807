"""One open link to a CtAPI port: dial, read the hello, then pipeline requests.

A reader task owns the receiving side: it hands each reply to the task waiting for its id and
puts server pushes on a bounded queue, so any number of tasks may have requests in flight.
When the link breaks every waiter fails with `connection_lost` and later calls with
`not_connected`; nothing hangs.
"""

from __future__ import annotations

import math
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSStream

from emulator.client.encryption import Attempt, refused_port
from emulator.client.errors import CtApiCertificateError, CtApiConnectionError, CtApiError
from emulator.client.protocol import ClientProtocol, Fatal, Hello, Push, Reply
from emulator.logs import get_logger
from emulator.protocol.errors import (
    COMPUTER_NOT_FOUND,
    CONNECTION_LOST,
    CONNECTION_REFUSED,
    NOT_CONNECTED,
    TIMEOUT,
    TLS_FAILED,
    ErrorCode,
)
from emulator.protocol.framing import Message

_log = get_logger("emulator.client")

#: Pushes kept for a caller that does not read them; older ones are dropped beyond this.
PUSH_BUFFER = 1024

_RECEIVE_ERRORS = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    ssl.SSLError,
    OSError,
)


def _lost(error: ErrorCode, detail: str) -> CtApiConnectionError:
    return CtApiConnectionError(error.code, error.name, f"{error.message}: {detail}")


async def dial(
    address: str,
    attempt: Attempt,
    *,
    encryption: str,
    context: ssl.SSLContext | None,
    server_name: str | None,
    time_limit: float,
) -> tuple[anyio.abc.ByteStream, ClientProtocol]:
    """A connected stream (TLS when the attempt says so), its hello already read."""
    where = attempt.describe(address)
    try:
        with anyio.fail_after(time_limit):
            tcp = await anyio.connect_tcp(address, attempt.port)
    except TimeoutError:
        raise _lost(TIMEOUT, f"no answer from the {where} within {time_limit:g} s") from None
    except socket.gaierror as exc:
        raise _lost(
            COMPUTER_NOT_FOUND,
            f"cannot resolve {address!r} ({exc.strerror}); pass ready= (the ready file) or "
            "topology= so computer names map to their addresses, or give an IP",
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise _lost(
            CONNECTION_REFUSED, refused_port(attempt, address, encryption, reason)
        ) from None
    # TCP keepalive, so a dead peer is noticed even when no request is in flight.
    raw = tcp.extra(anyio.abc.SocketAttribute.raw_socket)  # noqa: S610 (not Django)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream: anyio.abc.ByteStream = tcp
    try:
        if attempt.tls:
            assert context is not None, "a TLS attempt needs a TLS context"
            stream = await _tls(tcp, context, server_name, where, time_limit)
        protocol = ClientProtocol()
        await _hello(stream, protocol, where, attempt, time_limit)
    except BaseException:
        await anyio.aclose_forcefully(stream)
        raise
    return stream, protocol


async def _tls(
    tcp: anyio.abc.ByteStream,
    context: ssl.SSLContext,
    server_name: str | None,
    where: str,
    time_limit: float,
) -> anyio.abc.ByteStream:
    try:
        with anyio.fail_after(time_limit):
            return await TLSStream.wrap(
                tcp, hostname=server_name, ssl_context=context, standard_compatible=False
            )
    except TimeoutError:
        raise _lost(
            TLS_FAILED, f"no TLS handshake from the {where} within {time_limit:g} s"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise CtApiCertificateError(
            TLS_FAILED.code,
            TLS_FAILED.name,
            f"{TLS_FAILED.message}: the client refused the certificate of the {where}: "
            f"{exc.verify_message} (server name {server_name!r}); pass the emulator CA as "
            "ca= (the ready file's ca_certificate) and the computer name as the server name",
        ) from None
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        detail = (
            "the server answered in plain text: the port is not encrypted"
            if reason == "WRONG_VERSION_NUMBER"
            else f"the server refused the TLS handshake ({reason})"
        )
        raise _lost(TLS_FAILED, f"{where}: {detail}") from None
    except _RECEIVE_ERRORS as exc:
        raise _lost(
            TLS_FAILED, f"the server closed the {where} during the TLS handshake ({exc!r})"
        ) from None


async def _hello(
    stream: anyio.abc.ByteStream,
    protocol: ClientProtocol,
    where: str,
    attempt: Attempt,
    time_limit: float,
) -> None:
    """Read up to the server's hello; what follows it stays in `protocol` for the reader.

    A plain client on a TLS port never gets one.
    """
    hint = "" if attempt.tls else " (is it an encrypted port? a TLS listener waits for TLS)"
    try:
        with anyio.fail_after(time_limit):
            while True:
                protocol.feed(await stream.receive())
                while (event := protocol.next_event()) is not None:
                    if isinstance(event, Hello):
                        return
                    if isinstance(event, Fatal):
                        raise event.error
    except TimeoutError:
        raise _lost(TIMEOUT, f"no hello from the {where} within {time_limit:g} s{hint}") from None
    except _RECEIVE_ERRORS as exc:
        raise _lost(
            CONNECTION_LOST, f"the {where} closed before its hello ({type(exc).__name__})"
        ) from None


@dataclass(slots=True)
class _Waiter:
    done: anyio.Event = field(default_factory=anyio.Event)
    reply: Reply | None = None
    error: CtApiError | None = None


class Connection:
    """A dialled link after its hello: requests, replies and pushes."""

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        protocol: ClientProtocol,
        *,
        where: str,
        timeout: float | None,
    ) -> None:
        assert protocol.hello is not None, "dial() reads the hello first"
        self.hello = protocol.hello.fields
        self.where = where
        self.timeout = timeout
        self._stream = stream
        self._protocol = protocol
        self._waiters: dict[int, _Waiter] = {}
        self._send_lock = anyio.Lock()
        self._broken: CtApiConnectionError | None = None
        self._closed = anyio.Event()
        self._push_send, self.pushes = anyio.create_memory_object_stream[Message](PUSH_BUFFER)
        self._dropped = 0
        #: The reason of the server's `closing` push, once it announced it is closing.
        self._closing: str | None = None
        self._log = _log.bind(server=where, computer=self.hello.get("computer"))

    @property
    def is_open(self) -> bool:
        return self._broken is None

    @property
    def error(self) -> CtApiConnectionError | None:
        """Why the link is gone (None while it is open)."""
        return self._broken

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """The reader: runs until the link breaks or `aclose`; never raises but cancellation."""
        task_status.started()
        reason = "closed by the client"
        try:
            fatal = self._dispatch(b"")  # what came with the hello
            while fatal is None:
                try:
                    data = await self._stream.receive()
                except _RECEIVE_ERRORS as exc:
                    said = f": {self._closing}" if self._closing else ""
                    reason = f"the server closed the connection{said} ({type(exc).__name__})"
                    break
                fatal = self._dispatch(data)
            else:
                reason = f"the server refused the connection: {fatal.message}"
        except Exception as exc:  # a bug here must not leave waiters hanging
            reason = f"the client failed: {exc!r}"
            self._log.exception("ctapi.client.reader_failed")
        finally:
            self._break(_lost(CONNECTION_LOST, f"{self.where}: {reason}"))
            await anyio.aclose_forcefully(self._stream)
            self._push_send.close()
            self._closed.set()

    def _dispatch(self, data: bytes) -> CtApiError | None:
        for event in self._protocol.receive(data):
            if isinstance(event, Reply):
                waiter = self._waiters.get(event.id)
                if waiter is not None:
                    waiter.reply = event
                    waiter.done.set()
            elif isinstance(event, Push):
                if event.message.get("event") == "closing":
                    self._closing = str(event.message.get("reason", "closing"))
                try:
                    self._push_send.send_nowait(event.message)
                except anyio.WouldBlock:
                    self._dropped += 1
                    if self._dropped == 1 or self._dropped % PUSH_BUFFER == 0:
                        self._log.warning("ctapi.client.pushes_dropped", dropped=self._dropped)
            elif isinstance(event, Fatal):
                return event.error
        return None

    def _break(self, error: CtApiConnectionError, *, by_client: bool = False) -> None:
        if self._broken is None:
            self._broken = error
            if by_client:
                self._log.info("ctapi.client.closed")
            else:
                self._log.warning("ctapi.client.disconnected", reason=error.message)
        for waiter in self._waiters.values():
            if not waiter.done.is_set():
                waiter.error = error
                waiter.done.set()

    async def request(self, op: str, **fields: Any) -> Message:
        """Send one request and wait for its reply, every page of it (docs/protocol.md,
        "Pages"); CtApiError when the server refuses it."""
        reply = await self._request(op, fields)
        while isinstance(cursor := reply.pop("more", None), str):
            page = await self._request("more", {"cursor": cursor})
            for key, value in page.items():
                if isinstance(value, list) and isinstance(reply.get(key), list):
                    reply[key] = reply[key] + value
            reply["more"] = page.get("more")
        return reply

    async def _request(self, op: str, fields: dict[str, Any]) -> Message:
        if self._broken is not None:
            raise CtApiConnectionError(
                NOT_CONNECTED.code,
                NOT_CONNECTED.name,
                f"{NOT_CONNECTED.message}: {self._broken.message}",
            )
        rid, frame = self._protocol.request(op, fields)
        waiter = _Waiter()
        self._waiters[rid] = waiter
        try:
            try:
                async with self._send_lock:
                    await self._stream.send(frame)
            except _RECEIVE_ERRORS as exc:
                self._break(_lost(CONNECTION_LOST, f"{self.where}: sending failed ({exc!r})"))
            with anyio.fail_after(math.inf if self.timeout is None else self.timeout):
                await waiter.done.wait()
        except TimeoutError:
            raise _lost(
                TIMEOUT, f"no reply to {op!r} from the {self.where} within {self.timeout:g} s"
            ) from None
        finally:
            del self._waiters[rid]
            self._protocol.forget(rid)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.reply is not None
        if waiter.reply.error is not None:
            raise waiter.reply.error
        return waiter.reply.message

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def aclose(self) -> None:
        """Close the link; the reader ends and pending requests fail with connection_lost."""
        self._break(_lost(CONNECTION_LOST, f"{self.where}: closed by the client"), by_client=True)
        await anyio.aclose_forcefully(self._stream)
        with anyio.move_on_after(5):
            await self._closed.wait()
