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
from anyio.abc import TaskGroup

from emulator.client.connection import Connection
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.processes.base import Message
from emulator.processes.context import Context, ProcessState
from emulator.processes.io_routes import IoRoutes, IoServer
from emulator.processes.io_sync import SYNCED
from emulator.processes.io_tickets import Ticket
from emulator.protocol.errors import BY_NAME, INTERNAL_ERROR, SERVER_UNAVAILABLE
from emulator.runtime.server_links import ServerLink
from emulator.topology.plan import Endpoint


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


class _IoLink(ServerLink):
    sync_op, event = "io.sync", "io_link"

    def __init__(self, routes: IoRoutes, server: IoServer, context: Context) -> None:
        super().__init__(
            "I/O server",
            server.name,
            computer=server.computer,
            address=server.address,
            port=server.port,
            tls=server.tls,
            password=context.server_password,
        )
        self.routes = routes
        self.server = server
        self.clock = context.clock
        self._wake = anyio.Event()

    def poke(self) -> None:
        self._wake.set()

    def lost(self, why: str) -> None:
        self.routes.lost(self.server.name, why, self.clock.now())

    async def serve(self, connection: Connection, reply: Message, tg: TaskGroup) -> None:
        tags = reply.get("tags")
        records = tags if isinstance(tags, list) else []
        self.routes.synced(self.server.name, records, self.clock.now())
        self.log.info("io_link.synced", tags=len(records))
        tg.start_soon(self._pushes, connection)
        tg.start_soon(self._writes, connection)

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
                self.log.warning("io_link.replica_refused", tag=ticket.tag, error=exc.message)
            self.routes.finish(ticket, (BY_NAME.get(exc.name, INTERNAL_ERROR), exc.message))
            return
        state = reply.get("state")
        if isinstance(state, dict):
            self.routes.update(self.server.name, state, self.clock.now())
        self.routes.finish(ticket, None)
