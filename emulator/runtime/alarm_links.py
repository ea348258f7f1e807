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
from emulator.processes.alarm_peers import SYNCED, AlarmPeers
from emulator.processes.base import Message
from emulator.processes.context import Context
from emulator.runtime.server_links import ServerLink
from emulator.topology.plan import Endpoint


async def run_alarm_links(peers: AlarmPeers, context: Context) -> None:
    """Every link of the peers, until cancelled."""
    async with anyio.create_task_group() as tg:
        for link in peers.links.values():
            tg.start_soon(_AlarmLink(peers, link.server, context.server_password).run)


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

    def lost(self, why: str) -> None:
        self.peers.lost(self.server.process, why)

    async def serve(self, connection: Connection, reply: Message, tg: TaskGroup) -> None:
        self.peers.synced(self.server.process, reply.get("role"), reply.get("snapshot"))
        self.log.info("alarm_link.synced", role=reply.get("role"))
        tg.start_soon(self._pushes, connection)

    async def _pushes(self, connection: Connection) -> None:
        async for push in connection.pushes:
            if push.get("event") == SYNCED:
                self.peers.pushed(self.server.process, push)
