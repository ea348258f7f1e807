"""Bind every endpoint of a plan before any serves: all or nothing.

Sockets are bound without listening, so nothing accepts a connection until the whole plan
holds its ports; a failure closes every socket already bound and names the culprit.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence

from emulator.ports import ProcessType
from emulator.topology.plan import Endpoint, is_loopback

#: Pending connections the kernel queues per listener before accept: the system's maximum, so
#: a burst of a thousand connects (a client farm, a flood) waits in the queue instead of
#: timing out into SYN retries (the kernel still caps it at net.core.somaxconn).
BACKLOG = socket.SOMAXCONN

_HINTS = {
    errno.EADDRINUSE: (
        "another program (or another emulator) already listens there; find it with "
        "`ss -ltnp 'sport = :{port}'`, stop it, or run with --ephemeral"
    ),
    errno.EADDRNOTAVAIL: (
        "the address is on no interface of this host; on Linux all of 127.0.0.0/8 is "
        "loopback, on macOS add an alias first: `sudo ifconfig lo0 alias {address} up`"
    ),
    errno.EACCES: "ports below 1024 need privileges (CAP_NET_BIND_SERVICE)",
}


class BindError(Exception):
    """One endpoint could not be bound; nothing of the plan is left bound."""

    def __init__(self, endpoint: Endpoint, port: int, reason: str, hint: str | None) -> None:
        self.endpoint = endpoint
        self.port = port
        self.reason = reason
        self.hint = hint
        text = (
            f"cannot bind {endpoint.process} of {endpoint.computer} "
            f"({endpoint.type}) on {endpoint.address}:{port}: {reason}"
        )
        super().__init__(f"{text} ({hint})" if hint else text)


def assert_local(endpoint: Endpoint) -> None:
    """The alarm database port is never bound to a non-loopback address (reference §1)."""
    if endpoint.type is ProcessType.ALARM_DB and not is_loopback(endpoint.address):
        raise BindError(
            endpoint,
            endpoint.port,
            "the alarm database listens on loopback only",
            "this is an emulator bug in the plan; please report it",
        )


def bind_socket(endpoint: Endpoint, port: int) -> socket.socket:
    """A bound, not yet listening TCP socket for one endpoint; BindError when it cannot be."""
    assert_local(endpoint)
    family = socket.AF_INET6 if ":" in endpoint.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((endpoint.address, port))
    except OSError as exc:
        sock.close()
        hint = _HINTS.get(exc.errno or 0)
        raise BindError(
            endpoint,
            port,
            exc.strerror or str(exc),
            hint.format(port=port, address=endpoint.address) if hint else None,
        ) from exc
    sock.setblocking(False)
    return sock


def bind_all(endpoints: Sequence[Endpoint], ports: Sequence[int]) -> list[socket.socket]:
    """Bind `endpoints[i]` on `ports[i]`; on the first failure close all and raise BindError."""
    bound: list[socket.socket] = []
    try:
        for endpoint, port in zip(endpoints, ports, strict=True):
            bound.append(bind_socket(endpoint, port))
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


def bound_port(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port
