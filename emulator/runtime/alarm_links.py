"""The sockets of emulator.processes.alarm_peers: one link per alarm server of another process
that shares a cluster with this process's alarm servers.

Each link dials the peer's port (2080), logs in with the server password, asks `alarm.sync`,
feeds the reply and every `alarm.synced` push to the peers, and is pinged when idle. A link
that fails or drops is reported lost (a standby following it becomes main) and dialled again
with backoff.
"""

from __future__ import annotations

import anyio
from anyio.abc import TaskGroup

from emulator.client.connection import Connection
from emulator.client.errors import CtApiError
from emulator.processes.alarm_peers import SYNCED, AlarmPeers
from emulator.processes.base import Message
from emulator.processes.context import Context
from emulator.runtime.server_links import ServerLink
from emulator.topology.plan import Endpoint


async def run_alarm_links(peers: AlarmPeers, context: Context) -> None:
    """Every link of the peers, until cancelled."""
    links = {
        name: _AlarmLink(peers, link.server, context.server_password)
        for name, link in peers.links.items()
    }
    peers.resync = lambda server: links[server.casefold()].poke()
    async with anyio.create_task_group() as tg:
        for link in links.values():
            tg.start_soon(link.run)


class _AlarmLink(ServerLink):
    sync_op, event = "alarm.sync", "alarm_link"

    def __init__(self, peers: AlarmPeers, server: Endpoint, password: str) -> None:
        super().__init__(
            "alarm server",
            server.process,
            computer=server.computer,
            address=server.address,
            port=server.port,
            tls=server.tls,
            password=password,
        )
        self.peers = peers
        self.server = server
        self._resync = anyio.Event()

    def poke(self) -> None:
        """Ask `alarm.sync` again on the link that is up (a local server was made anew)."""
        self._resync.set()

    def lost(self, why: str) -> None:
        self.peers.lost(self.server.process, why)

    async def serve(self, connection: Connection, reply: Message, tg: TaskGroup) -> None:
        self._resync = anyio.Event()
        self._synced(reply)
        tg.start_soon(self._pushes, connection)
        tg.start_soon(self._again, connection)

    def _synced(self, reply: Message) -> None:
        self.peers.synced(self.server.process, reply.get("role"), reply.get("snapshot"))
        self.log.info("alarm_link.synced", role=reply.get("role"))

    async def _again(self, connection: Connection) -> None:
        while connection.is_open:
            await self._resync.wait()
            self._resync = anyio.Event()
            try:
                self._synced(await connection.request(self.sync_op))
            except CtApiError:
                await connection.aclose()  # refused or gone: the redial syncs from the start

    async def _pushes(self, connection: Connection) -> None:
        async for push in connection.pushes:
            if push.get("event") != SYNCED:
                continue
            seq = self.peers.pushed(self.server.process, push)
            if seq is not None:
                try:
                    await connection.request("alarm.applied", seq=seq)
                except CtApiError:
                    await connection.aclose()  # unconfirmed: the link is not to be trusted
