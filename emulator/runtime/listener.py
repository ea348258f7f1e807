"""One listener per endpoint: accepts connections and runs a Session for each.

An accept loop that fails (an unexpected exception) is logged, marks its process failed, and is
bound again on the same port with backoff; the other listeners never notice. Running out of file
descriptors is not a failure: the socket stays open, and accepting waits with the same backoff.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import anyio
from anyio.abc import SocketListener, SocketStream, TaskGroup, TaskStatus

from emulator.logs import get_logger
from emulator.protocol.errors import TOO_MANY_CONNECTIONS
from emulator.runtime.bind import BACKLOG, BindError, bind_socket, bound_port
from emulator.runtime.limits import Limits
from emulator.runtime.session import Session
from emulator.topology.plan import Endpoint

if TYPE_CHECKING:
    from emulator.processes.base import Process
    from emulator.processes.context import Context
    from emulator.runtime.logins import LoginThrottle

_log = get_logger("emulator.listener")

#: accept() errors that mean "out of descriptors or memory for now", not a broken socket.
EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between attempts to bind a failed listener again: doubling up to `maximum`."""

    initial: float = 0.1
    maximum: float = 5.0

    def delay(self, failures: int) -> float:
        return float(min(self.initial * 2 ** max(failures - 1, 0), self.maximum))


class Owner(Protocol):
    """What a listener needs of the process it serves (emulator.runtime.process's
    ProcessRuntime): its sessions and their slots, its handler maker, its runtime and where to
    say that a listener failed or recovered. A protocol, so the listener stays below it."""

    process: Process | None
    context: Context
    logins: LoginThrottle
    workers: anyio.CapacityLimiter | None
    sessions: set[Session]
    prelogin: dict[Session, None]
    logged_in: set[Session]

    def forget(self, session: Session) -> None: ...

    def listener_failed(self, listener: Listener) -> None: ...

    def listener_recovered(self, listener: Listener) -> None: ...


class Listener:
    def __init__(
        self,
        endpoint: Endpoint,
        sock: socket.socket,
        owner: Owner,
        *,
        limits: Limits,
        tls: ssl.SSLContext | None,
        backoff: Backoff,
    ) -> None:
        self.endpoint = endpoint
        self.port = bound_port(sock)
        self.owner = owner
        self.limits = limits
        self.tls = tls
        self.backoff = backoff
        self.failures = 0
        self.failed: str | None = None
        #: accept() calls in a row that found no file descriptor (or memory) free.
        self.exhausted = 0
        self.finished = anyio.Event()
        self._sock: socket.socket | None = sock
        self._listener: SocketListener | None = None
        self._accept_scope = anyio.CancelScope()
        self._log = _log.bind(
            computer=endpoint.computer,
            process=endpoint.process,
            address=endpoint.address,
            port=self.port,
            tls=endpoint.tls,
        )

    def discard(self) -> None:
        """Close the socket of a listener that never served (a start that failed)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def stop_accepting(self) -> None:
        self._accept_scope.cancel()

    async def serve(self, *, task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        """Listen, report the real port, accept until stopped; returns when every session ended."""
        try:
            await self._listen()  # before the task group: a failure is the OSError itself
            async with anyio.create_task_group() as sessions:
                task_status.started(self.port)
                with self._accept_scope:
                    await self._accept_loop(sessions)
        finally:
            self.discard()
            if self._listener is not None:
                with anyio.CancelScope(shield=True):
                    await self._listener.aclose()
            self.finished.set()

    async def _listen(self) -> None:
        sock = self._sock if self._sock is not None else bind_socket(self.endpoint, self.port)
        self._sock = None
        try:
            sock.listen(BACKLOG)
            self._listener = await SocketListener.from_socket(sock)
        except BaseException:
            sock.close()
            raise
        self._log.info("listener.listening")

    async def _accept_loop(self, sessions: TaskGroup) -> None:
        while True:
            assert self._listener is not None
            try:
                stream = await self._accept(self._listener)
            except OSError as exc:
                if exc.errno in EXHAUSTED:
                    await self._wait_for_files(exc)
                else:
                    await self._recover(exc)
                continue
            except Exception as exc:
                await self._recover(exc)
                continue
            self.failures = 0
            if self.exhausted:
                self._log.info("listener.accepting_again", waited=self.exhausted)
                self.exhausted = 0
            try:
                session = self._session(stream)
            except Exception as exc:
                self._log.warning("connection.dropped", reason=repr(exc))
                await anyio.aclose_forcefully(stream)
                continue
            self.owner.sessions.add(session)
            sessions.start_soon(self._run, session)

    async def _accept(self, listener: SocketListener) -> SocketStream:
        return await listener.accept()

    def _session(self, stream: SocketStream) -> Session:
        process = self.owner.process
        if process is None:
            raise RuntimeError("the process is not running")
        refusal = self._refusal()
        session = Session(
            stream,
            self.endpoint,
            process,
            self.owner.context,
            limits=self.limits,
            tls=self.tls,
            refuse=TOO_MANY_CONNECTIONS if refusal else None,
            refusal=refusal,
            logins=self.owner.logins,
            workers=self.owner.workers,
            on_login=self._logged_in,
        )
        if refusal is None:
            self.owner.prelogin[session] = None
        return session

    def _refusal(self) -> str | None:
        """Why a new connection gets no slot, or None. Those not logged in have slots of their
        own: when these are full, the oldest that has had `evict_after` seconds to log in is
        closed to make room (docs/security.md, "Slots")."""
        owner, kind = self.owner, self.endpoint.type
        limit, waiting = self.limits.connections_for(kind), self.limits.prelogin_for(kind)
        who = f"{self.endpoint.process} of {self.endpoint.computer}"
        if len(owner.logged_in) >= limit:
            return f"{who} serves {limit} at most, all logged in"
        if len(owner.prelogin) < waiting:
            return None
        oldest = next(iter(owner.prelogin))
        if time.monotonic() - oldest.opened < self.limits.evict_after:
            return (
                f"{who} serves {limit} at most and {waiting} connections are logging in: try "
                f"again in {self.limits.evict_after} s"
            )
        del owner.prelogin[oldest]
        oldest.request_close(
            f"not logged in after {self.limits.evict_after} s while new clients wait: "
            "closed to make room (too_many_connections)"
        )
        return None

    def _logged_in(self, session: Session) -> str | None:
        """Move a session to the logged-in slots; the reason when none is left."""
        owner, limit = self.owner, self.limits.connections_for(self.endpoint.type)
        owner.prelogin.pop(session, None)
        if len(owner.logged_in) >= limit:
            return f"{self.endpoint.process} of {self.endpoint.computer} serves {limit} at most"
        owner.logged_in.add(session)
        return None

    async def _run(self, session: Session) -> None:
        """One connection's failure is logged and ends that connection only."""
        try:
            await session.run()
        except Exception as exc:
            self._log.exception("connection.failed", peer=session.peer_host, error=repr(exc))
        finally:
            self.owner.forget(session)

    async def _wait_for_files(self, exc: OSError) -> None:
        """Keep the socket (pending clients stay queued), log, wait with backoff: never spin."""
        self.exhausted += 1
        delay = self.backoff.delay(self.exhausted)
        self._log.warning(
            "listener.out_of_files",
            error=exc.strerror or repr(exc),
            attempts=self.exhausted,
            delay=delay,
            connections=len(self.owner.sessions),
            hint="raise the open-file limit (ulimit -n) or close idle clients",
        )
        await anyio.sleep(delay)

    async def _recover(self, exc: Exception) -> None:
        """Close the failed socket and bind it again, with backoff, until it listens."""
        self.failures += 1
        self.failed = repr(exc)
        self._log.error("listener.failed", error=repr(exc), failures=self.failures)
        self.owner.listener_failed(self)
        if self._listener is not None:
            await anyio.aclose_forcefully(self._listener)
            self._listener = None
        while True:
            delay = self.backoff.delay(self.failures)
            self._log.info("listener.restarting", delay=delay)
            await anyio.sleep(delay)
            try:
                await self._listen()
                break
            except (BindError, OSError) as bind_exc:
                self.failures += 1
                self._log.warning("listener.rebind_failed", error=str(bind_exc))
        self.failed = None
        self.owner.listener_recovered(self)
