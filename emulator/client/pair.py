"""`PairClient`: a client of a cluster's redundant alarm, trends or reports servers that follows
failover by the rules of reference section 3, and measures how long each failover took.

Alarm clients connect to the best priority first and move only to a better priority or when
they lose their server; trends and reports clients try the primary first and stay on the
standby once there unless the primary has the better priority (emulator.processes.redundancy).
When the link to its server drops, the client connects to the other at once, without waiting
for a request; `failovers` holds each failover's time (link lost → the other server's first
answer to a request of its kind, milliseconds), which the benchmark reports as
`failover.reconnect_ms`. That request is `alarm.role` for an alarm pair (answered by a server
that serves as main or as a synchronised standby, so a failover is not counted done on a mere
ping) and `ping` for trends and reports servers (which serve every request once running). A
server counts as available when it answers it: the client re-applies the rule on each
(re)connect and does not probe the other server while it is connected **(ours)**.

    async with PairClient(servers_from_ready("ready.json", "alarm")) as pair:
        alarms = await pair.request("alarm.list")
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

import anyio
import anyio.abc

from emulator.client.connection import Connection, dial
from emulator.client.encryption import Attempt, tls_context
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.locate import read_ready_file
from emulator.logs import get_logger
from emulator.processes.redundancy import Candidate, choose, choose_alarm
from emulator.protocol.auth import server_login
from emulator.protocol.errors import BAD_REQUEST, CONNECTION_LOST, NOT_CONNECTED, TIMEOUT
from emulator.protocol.framing import Message

_log = get_logger("emulator.client.pair")

Kind = Literal["alarm", "trends", "reports"]
#: Seconds between two rounds of connection attempts while no server answers.
RETRY = 0.05
#: The request that proves a server of the pair serves: the first answer a failover waits for.
PROBE: dict[str, str] = {"alarm": "alarm.role", "trends": "ping", "reports": "ping"}


@dataclass(frozen=True, slots=True)
class Server:
    """One server of the pair: where it listens, whether it is the primary, its priority, and
    how to log in there (docs/protocol.md "Server authentication"): the server password, or a
    user of `[[users]]`; over TLS (verified against `ca` and the computer name) when `tls`."""

    name: str
    address: str
    port: int
    primary: bool = True
    priority: int = 1
    password: str | None = field(default=None, repr=False)
    user: str | None = None
    tls: bool = False
    computer: str | None = None
    ca: str | None = None

    def login(self, hello: Message) -> dict[str, str]:
        """The `auth` request this server's hello asks for ({} when it asks for none)."""
        if hello.get("auth") != "required":
            return {}
        if self.password is None:
            raise CtApiError.of(
                NOT_CONNECTED,
                f"the server {self.name} needs a login: give the Server the server password "
                "(servers_from_ready reads it from the ready file) or a user and password",
            )
        if self.user is not None:
            return {"op": "auth", "user": self.user, "password": self.password}
        return server_login(hello, self.password)


def servers_from_ready(
    ready: str | os.PathLike[str],
    kind: Kind,
    cluster: str | None = None,
    priorities: dict[str, int] | None = None,
) -> list[Server]:
    """The listeners of `kind` in a ready file (of `cluster`, else of the first cluster), with
    the server password and the CA the ready file names."""
    content = read_ready_file(ready)
    rows = [
        r for r in content.listeners if r.type == kind and (cluster is None or r.cluster == cluster)
    ]
    if not rows:
        raise CtApiError.of(BAD_REQUEST, f"the ready file lists no {kind} server")
    first = rows[0].cluster
    return [
        Server(
            r.process,
            r.address,
            r.port,
            primary=r.mode != "standby",
            priority=(priorities or {}).get(r.process, 1),
            password=content.server_password,
            tls=r.tls,
            computer=r.computer,
            ca=content.ca_certificate,
        )
        for r in rows
        if r.cluster == first
    ]


class PairClient:
    """Requests to whichever server of the pair the rule picks; follows failover by itself."""

    def __init__(
        self, servers: Sequence[Server], *, kind: Kind = "alarm", timeout: float = 5.0
    ) -> None:
        if not servers:
            raise CtApiError.of(BAD_REQUEST, "a PairClient needs at least one server")
        self.servers = list(servers)
        self.kind = kind
        self.timeout = timeout
        #: The server in use (its name), None while none answers.
        self.current: str | None = None
        #: Milliseconds each failover took: link lost -> the other server's first answer.
        self.failovers: list[float] = []
        self._connection: Connection | None = None
        self._down: set[str] = set()
        self._up = anyio.Event()
        self._closing = False
        self._group: anyio.abc.TaskGroup | None = None

    @property
    def last_failover_ms(self) -> float | None:
        return self.failovers[-1] if self.failovers else None

    async def __aenter__(self) -> Self:
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        try:
            await self._connect(lost_at=None)
        except BaseException:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        if self._connection is not None:
            await self._connection.aclose()
        assert self._group is not None
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(None, None, None)

    async def request(self, op: str, **fields: Any) -> Message:
        """One request on the current server; on a lost link, again on the one failed over to."""
        try:
            with anyio.fail_after(self.timeout):
                return await self._request(op, fields)
        except TimeoutError:
            raise CtApiConnectionError.of(
                TIMEOUT, f"no {self.kind} server answered {op!r} within {self.timeout:g} s"
            ) from None

    async def _request(self, op: str, fields: dict[str, Any]) -> Message:
        while True:
            await self._up.wait()
            connection = self._connection
            assert connection is not None
            if connection.is_open:
                try:
                    return await connection.request(op, **fields)
                except CtApiConnectionError as exc:
                    if exc.name not in (NOT_CONNECTED.name, CONNECTION_LOST.name):
                        raise
            await anyio.sleep(RETRY)  # the watcher is failing over meanwhile

    # ---- connecting ---------------------------------------------------------------------------

    def _order(self) -> list[Server]:
        """The servers to try, best first, by the rule of this kind of client."""
        candidates = [
            Candidate(s.name, s.primary, s.priority, s.name not in self._down) for s in self.servers
        ]
        rule = choose_alarm if self.kind == "alarm" else choose
        picked = rule(self.current, candidates)
        if picked is None:  # every server failed last time: try them all again
            self._down.clear()
            picked = rule(
                None, [Candidate(c.name, c.primary, c.priority, True) for c in candidates]
            )
        return sorted(self.servers, key=lambda s: (s.name != picked, s.priority, not s.primary))

    async def _connect(self, lost_at: float | None) -> None:
        with anyio.move_on_after(self.timeout):
            while not self._closing:
                for server in self._order():
                    connection = await self._dial(server)
                    if connection is None:
                        self._down.add(server.name)
                        continue
                    await self._adopt(server, connection, lost_at)
                    return
                await anyio.sleep(RETRY)
        raise CtApiConnectionError.of(
            TIMEOUT, f"no {self.kind} server answered within {self.timeout:g} s"
        )

    async def _dial(self, server: Server) -> Connection | None:
        assert self._group is not None
        try:
            stream, protocol = await dial(
                server.address,
                Attempt(server.port, tls=server.tls),
                encryption="encrypted" if server.tls else "unencrypted",
                context=tls_context(server.ca) if server.tls else None,
                server_name=server.computer,
                time_limit=self.timeout,
            )
        except CtApiConnectionError as exc:
            _log.info("pair.dial_failed", server=server.name, reason=exc.message)
            return None
        connection = Connection(
            stream, protocol, where=f"{self.kind} server {server.name}", timeout=self.timeout
        )
        await self._group.start(connection.run)
        try:  # a refused login is the caller's to fix: it is raised, not retried
            hello = protocol.hello.fields if protocol.hello is not None else {}
            login = server.login(hello)
            if login:
                await connection.request(**login)
        except CtApiConnectionError:
            await connection.aclose()
            return None
        except CtApiError:
            await connection.aclose()
            raise
        try:
            await connection.request(PROBE[self.kind])
        except CtApiError:
            await connection.aclose()
            return None
        return connection

    async def _adopt(self, server: Server, connection: Connection, lost_at: float | None) -> None:
        was, self.current = self.current, server.name
        self._down.discard(server.name)
        self._connection = connection
        if lost_at is not None:
            took = round((time.perf_counter() - lost_at) * 1000, 3)
            self.failovers.append(took)
            _log.info("pair.failover", kind=self.kind, was=was, now=server.name, ms=took)
        self._up.set()
        assert self._group is not None
        self._group.start_soon(self._watch, connection)

    async def _watch(self, connection: Connection) -> None:
        """When the link drops, fail over at once (not at the next request)."""
        await connection.wait_closed()
        if self._closing:
            return
        lost_at = time.perf_counter()
        self._up = anyio.Event()
        if self.current is not None:
            self._down.add(self.current)
        while not self._closing:  # service resumes by itself when a server returns
            try:
                await self._connect(lost_at)
                return
            except CtApiConnectionError as exc:
                _log.warning("pair.no_server", kind=self.kind, reason=exc.message)
                self.current = None
