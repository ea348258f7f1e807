"""Serve the control API: uvicorn inside the runtime's event loop, on a socket bound here so the
real port is known at once (port 0 under `--ephemeral`)."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from collections.abc import Iterator

import anyio
import uvicorn
from anyio.abc import TaskStatus
from starlette.types import ASGIApp

from emulator.control.manager import ControlError
from emulator.logs import get_logger

#: Seconds open HTTP connections get when the runtime stops.
GRACE = 1.0
#: Connections the kernel queues for the control API before uvicorn accepts them.
BACKLOG = 128

_log = get_logger("emulator.control")


def is_local(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """A control API reachable from other machines must ask every request for a token."""
    if not is_local(host) and not token:
        raise ControlError(
            f"the control API on {host!r} would be reachable from other machines: "
            "give --control-token (or [control] token), or bind it to 127.0.0.1"
        )


def bind(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """The control API's socket; without `listen` bound only (`scada-emu run` binds it with the
    plant's listeners, before anything serves, and `serve` listens)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        hint = (
            "another program (or another emulator) listens there: "
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        raise ControlError(
            f"cannot bind the control API to {host}:{port}: {exc.strerror or exc} ({hint}"
            "choose another address with --control HOST:PORT, e.g. --control 127.0.0.1:0 for "
            "any free port, or [control] port in the topology; or run with --no-control)"
        ) from None
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The runtime handles signals itself."""
        yield


async def serve(
    app: ASGIApp,
    sock: socket.socket,
    token: str | None = None,
    *,
    task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` on a socket from `bind` until cancelled; `task_status.started(url)` at once
    (the socket already listens). The socket is closed on the way out."""
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(GRACE),
    )
    server = _Server(config)
    url = url_of(sock)
    sock.listen(BACKLOG)  # again is harmless; a socket bound by bind(listen=False) starts here

    async def run() -> None:
        with anyio.CancelScope(shield=True):
            await server.serve(sockets=[sock])

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            _log.info("control.listening", url=url, token=bool(token))
            task_status.started(url)
            try:
                await anyio.sleep_forever()
            finally:
                server.should_exit = True
    finally:
        sock.close()
