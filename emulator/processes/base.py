"""The contract between the runtime (sockets) and a process handler (no sockets).

A handler is one connection's state machine for one process type. The runtime decodes frames and
calls `handle`; it calls `poll` whenever the plant signals a change or `next_wakeup` falls due,
and writes whatever comes back. Handlers never block, never read a clock of their own and never
touch a socket: `now` is always passed in (UTC seconds since 1970, from the plant clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from emulator.topology.plan import Endpoint

Message = dict[str, Any]

#: Told of every login a handler decides: (account, succeeded). The runtime throttles on it.
LoginObserver = Callable[[str, bool], None]


def _no_throttle(account: str, succeeded: bool) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Peer:
    """Who is connected, and how: what a handler may know about its connection."""

    host: str
    port: int
    endpoint: Endpoint
    tls_version: str | None = None
    #: The runtime's login throttle for this connection (emulator.runtime.logins).
    logins: LoginObserver = _no_throttle

    def login(self, account: str, succeeded: bool) -> None:
        """Report a login this connection's handler decided (CtAPI open, Cicode Login, auth)."""
        self.logins(account, succeeded)


class Handler(Protocol):
    def hello(self) -> Message:
        """Fields the process adds to the hello frame sent on connect."""
        ...

    def handle(self, request: Message, now: float) -> list[Message]:
        """Replies (and any pushes) for one decoded request frame."""
        ...

    def poll(self, now: float) -> list[Message]:
        """Pushes due now (subscriptions, list events); [] when none."""
        ...

    def next_wakeup(self, now: float) -> float | None:
        """When `poll` should be called next even if nothing changes; None: only on change."""
        ...

    def close(self) -> None:
        """The connection is gone: release what it held (subscriptions, pending reads)."""
        ...


class Process(Protocol):
    """A running server process: shared state behind all its connections' handlers."""

    def connect(self, peer: Peer) -> Handler: ...
