"""The sockets of emulator.processes.io_routes: one link per I/O server of another process.

Each link dials the server's port (2082), logs in with the server password, asks `io.sync`,
feeds the reply and every `io.synced` push to the routes, and sends the writes queued for that
server as `io.write`, one at a time in order. A link that fails or drops is reported lost (its
tags move to the next server of their order) and dialled again with backoff. An idle link is
pinged, so a peer that goes silent is noticed too.
"""

from __future__ import annotations

from typing import Any

import anyio

from emulator.client.connection import Connection, dial
from emulator.client.encryption import Attempt
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.logs import get_logger
from emulator.processes.context import Context, ProcessState
from emulator.processes.io_routes import IoRoutes, IoServer
from emulator.processes.io_sync import SYNCED
from emulator.processes.io_tickets import Ticket
from emulator.protocol.auth import server_login
from emulator.protocol.errors import BY_NAME, INTERNAL_ERROR, SERVER_UNAVAILABLE
from emulator.topology.plan import Endpoint

_log = get_logger("emulator.io_links")

#: Seconds to the first redial after a link fails, doubling up to RETRY_MAX.
RETRY_FIRST = 0.05
RETRY_MAX = 1.0
#: Seconds a dial, the hello and each request may take before the link counts as gone.
TIMEOUT = 2.0
#: Seconds between two pings of an idle link: a peer that went silent (its host gone without a
#: reset) is noticed within HEARTBEAT + TIMEOUT.
HEARTBEAT = 0.5


def io_routes_for(
    context: Context, everywhere: list[Endpoint], here: list[Endpoint]
) -> IoRoutes | None:
    """The routes of a runtime of one computer; None when it runs no CtAPI or every I/O server
    of the topology runs here."""
    if not here:
        return None
    computer = here[0].computer
    if not any(e.type == "io" and e.computer != computer for e in everywhere):
        return None
    return IoRoutes(
        context.topology,
        everywhere,
        computer,
        context.plant,
        running=lambda key: context.process_state(key) is ProcessState.RUNNING,
        notify=context.changes.notify,
    )


async def run_io_links(routes: IoRoutes, context: Context) -> None:
    """Every link of the routes, until cancelled."""
    links = {name: _IoLink(routes, link.server, context) for name, link in routes.links.items()}
    routes.wake = lambda server: links[server.casefold()].poke()
    routes.start(context.clock.now())
    async with anyio.create_task_group() as tg:
        for link in links.values():
            tg.start_soon(link.run)


class _IoLink:
    def __init__(self, routes: IoRoutes, server: IoServer, context: Context) -> None:
        self.routes = routes
        self.server = server
        self.clock = context.clock
        #: What the link proves on the server port (docs/protocol.md "Server authentication"):
        #: the processes of one system share `[project] server_password`.
        self.password = context.server_password
        self._refused = False
        self._wake = anyio.Event()
        self._log = _log.bind(server=server.name, address=f"{server.address}:{server.port}")

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                why, synced = await self._session()
            except Exception as exc:  # a bug here must cost this link a redial, not the runtime
                self._log.exception("io_link.failed")
                why, synced = f"the link failed: {exc!r}", False
            self.routes.lost(self.server.name, why, self.clock.now())
            delay = RETRY_FIRST if synced else min(delay * 2, RETRY_MAX)
            await anyio.sleep(delay)  # a redial's backoff, not a test's wait

    async def _session(self) -> tuple[str, bool]:
        """One link from dial to loss: why it ended, and whether it got as far as synced."""
        where = f"I/O server {self.server.name} at {self.server.address}:{self.server.port}"
        if self.server.tls:  # each process's own CA: nothing to verify the peer against yet
            if not self._refused:
                self._log.warning("io_link.tls_unsupported", computer=self.server.computer)
            self._refused = True
            return f"{where} is encrypted-only: links over TLS are not supported yet", False
        try:
            stream, protocol = await dial(
                self.server.address,
                Attempt(self.server.port, tls=False),
                encryption="unencrypted",
                context=None,
                server_name=None,
                time_limit=TIMEOUT,
            )
        except CtApiConnectionError as exc:
            return f"{where}: {exc.message}", False
        connection = Connection(stream, protocol, where=where, timeout=TIMEOUT)
        synced = False
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(connection.run)
                try:
                    login = server_login(connection.hello, self.password)
                    if login:
                        await connection.request(**login)
                except CtApiError as exc:
                    await connection.aclose()  # the reader ends by itself: nothing to cancel
                    if not self._refused:  # once: every redial would say the same
                        self._log.warning("io_link.login_refused", error=exc.message)
                    self._refused = True
                    return f"{where} refused the server login: {exc.message}", False
                try:
                    reply = await connection.request("io.sync")
                except CtApiError as exc:
                    await connection.aclose()  # the reader ends by itself: nothing to cancel
                    return f"{where} refused io.sync: {exc.message}", False
                tags = reply.get("tags")
                self.routes.synced(
                    self.server.name, tags if isinstance(tags, list) else [], self.clock.now()
                )
                synced = True
                self._log.info("io_link.synced", tags=len(tags) if isinstance(tags, list) else 0)
                tg.start_soon(self._pushes, connection)
                tg.start_soon(self._writes, connection)
                tg.start_soon(self._heartbeat, connection)
                await connection.wait_closed()
                tg.cancel_scope.cancel()
        finally:
            await connection.aclose()
        error = connection.error
        return (error.message if error is not None else f"{where}: closed"), synced

    async def _heartbeat(self, connection: Connection) -> None:
        """A ping every HEARTBEAT seconds; no answer within TIMEOUT ends the link."""
        while connection.is_open:
            await anyio.sleep(HEARTBEAT)  # the heartbeat's period, not a wait for an event
            try:
                await connection.request("ping")
            except CtApiConnectionError:
                await connection.aclose()

    async def _pushes(self, connection: Connection) -> None:
        async for push in connection.pushes:
            if push.get("event") == SYNCED:
                self.routes.update(self.server.name, push, self.clock.now())

    async def _writes(self, connection: Connection) -> None:
        pending: list[Ticket] = []
        try:
            while connection.is_open:
                await self._wake.wait()
                self._wake = anyio.Event()
                pending = self.routes.take(self.server.name)
                while pending:
                    await self._write(connection, pending[0])
                    pending.pop(0)
        finally:
            for ticket in pending:  # cancelled with the link: the writes did not happen here
                self.routes.finish(
                    ticket,
                    (
                        SERVER_UNAVAILABLE,
                        f"the link to {self.server.name} was lost before the write was sent",
                    ),
                )

    async def _write(self, connection: Connection, ticket: Ticket) -> None:
        extra: dict[str, Any] = {} if ticket.user is None else {"user": ticket.user}
        if ticket.replica:
            extra["replica"] = True
        try:
            reply = await connection.request(
                "io.write", tag=ticket.tag, value=ticket.value, **extra
            )
        except CtApiConnectionError as exc:
            self.routes.finish(ticket, (SERVER_UNAVAILABLE, exc.message))
            await connection.aclose()  # a write with no answer: the link is not to be trusted
            return
        except CtApiError as exc:
            if ticket.replica:
                self._log.warning("io_link.replica_refused", tag=ticket.tag, error=exc.message)
            self.routes.finish(ticket, (BY_NAME.get(exc.name, INTERNAL_ERROR), exc.message))
            return
        state = reply.get("state")
        if isinstance(state, dict):
            self.routes.update(self.server.name, state, self.clock.now())
        self.routes.finish(ticket, None)
