"""What every server-to-server link does on the wire (emulator.runtime.io_links and
alarm_links): dial a server port unencrypted, log in with the server password, ping when idle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import anyio
from anyio.abc import TaskGroup

from emulator.client.connection import Connection, dial
from emulator.client.encryption import Attempt
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.logs import get_logger
from emulator.processes.base import Message
from emulator.protocol.auth import server_login

_log = get_logger("emulator.server_links")

#: Seconds a dial, the hello and each request may take before the link counts as gone.
TIMEOUT = 2.0
#: Seconds between two pings of an idle link: a peer that went silent (its host gone without a
#: reset) is noticed within HEARTBEAT + TIMEOUT.
HEARTBEAT = 0.5


async def dial_server(address: str, port: int, where: str) -> Connection | str:
    """A connection to a server port (run it in a task group), or why there is none."""
    try:
        stream, protocol = await dial(
            address,
            Attempt(port, tls=False),
            encryption="unencrypted",
            context=None,
            server_name=None,
            time_limit=TIMEOUT,
        )
    except CtApiConnectionError as exc:
        return f"{where}: {exc.message}"
    return Connection(stream, protocol, where=where, timeout=TIMEOUT)


async def log_in(connection: Connection, password: str) -> str | None:
    """Prove the server password (docs/protocol.md "Server authentication"); the refusal's
    message when refused (the connection is then closed)."""
    try:
        login = server_login(connection.hello, password)
        if login:
            await connection.request(**login)
    except CtApiError as exc:
        await connection.aclose()  # the reader ends by itself: nothing to cancel
        return exc.message
    return None


async def heartbeat(connection: Connection) -> None:
    """A ping every HEARTBEAT seconds; no answer within TIMEOUT ends the link."""
    while connection.is_open:
        await anyio.sleep(HEARTBEAT)  # the heartbeat's period, not a wait for an event
        try:
            await connection.request("ping")
        except CtApiConnectionError:
            await connection.aclose()


#: Seconds to the first redial after a link fails, doubling up to RETRY_MAX.
RETRY_FIRST = 0.05
RETRY_MAX = 1.0


class ServerLink(ABC):
    """One link to a server port of another process: dialled again with backoff whenever it
    fails or drops; each session dials, logs in, asks `sync_op`, then `serve`s the reply."""

    #: The request whose answer makes the link synced; `event` prefixes the link's log lines.
    sync_op: str
    event: str

    def __init__(
        self,
        title: str,
        name: str,
        *,
        computer: str,
        address: str,
        port: int,
        tls: bool,
        password: str,
    ) -> None:
        self.where = f"{title} {name} at {address}:{port}"
        self.computer, self.address, self.port, self.tls = computer, address, port, tls
        #: What the link proves on the server port (docs/protocol.md "Server authentication"):
        #: the processes of one system share `[project] server_password`.
        self.password = password
        self._refused = False
        self.log = _log.bind(server=name, address=f"{address}:{port}")

    @abstractmethod
    def lost(self, why: str) -> None:
        """The link is down (or never came up): why."""

    @abstractmethod
    async def serve(self, connection: Connection, reply: Message, tg: TaskGroup) -> None:
        """The link is synced: take the reply, start what runs while it is up in `tg`."""

    async def run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                why, synced = await self._session()
            except Exception as exc:  # a bug here must cost this link a redial, not the runtime
                self.log.exception(f"{self.event}.failed")
                why, synced = f"the link failed: {exc!r}", False
            self.lost(why)
            delay = RETRY_FIRST if synced else min(delay * 2, RETRY_MAX)
            await anyio.sleep(delay)  # a redial's backoff, not a test's wait

    def _once(self, name: str, **fields: object) -> None:
        """A warning every redial would repeat, logged once."""
        if not self._refused:
            self.log.warning(f"{self.event}.{name}", **fields)
        self._refused = True

    async def _session(self) -> tuple[str, bool]:
        """One link from dial to loss: why it ended, and whether it got as far as synced."""
        where = self.where
        if self.tls:  # each process's own CA: nothing to verify the peer against yet
            self._once("tls_unsupported", computer=self.computer)
            return f"{where} is encrypted-only: links over TLS are not supported yet", False
        connection = await dial_server(self.address, self.port, where)
        if isinstance(connection, str):
            return connection, False
        synced = False
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(connection.run)
                refused = await log_in(connection, self.password)
                if refused is not None:
                    self._once("login_refused", error=refused)
                    return f"{where} refused the server login: {refused}", False
                try:
                    reply = await connection.request(self.sync_op)
                except CtApiError as exc:
                    await connection.aclose()  # the reader ends by itself: nothing to cancel
                    return f"{where} refused {self.sync_op}: {exc.message}", False
                await self.serve(connection, reply, tg)
                synced = True
                tg.start_soon(heartbeat, connection)
                await connection.wait_closed()
                tg.cancel_scope.cancel()
        finally:
            await connection.aclose()
        error = connection.error
        return (error.message if error is not None else f"{where}: closed"), synced
