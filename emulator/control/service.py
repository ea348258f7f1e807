"""The scenario and the control API beside a running supervisor: what `scada-emu run` and the
pytest plugin start once every listener is bound."""

from __future__ import annotations

import socket

import anyio
import msgspec
from anyio.abc import TaskStatus

from emulator.control import server
from emulator.control.api import build_app
from emulator.control.manager import ControlError, RuntimeManager
from emulator.scenario.config import ControlSettings


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT`, `PORT` or `[IPv6]:PORT` as (host, port); host defaults to loopback."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host, port_text = "", text.strip()
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ControlError(
            f"{text!r} is not HOST:PORT: write e.g. 127.0.0.1:8787, :8787 or 0.0.0.0:8787"
        )
    return host, port


def control_settings(
    configured: ControlSettings,
    *,
    address: str | None = None,
    token: str | None = None,
    disabled: bool = False,
    ephemeral: bool = False,
) -> ControlSettings | None:
    """The [control] table with the command-line options applied; None: no control API."""
    if disabled or (not configured.enabled and address is None):
        return None
    settings = configured
    if address is not None:
        host, port = parse_address(address)
        settings = msgspec.structs.replace(settings, host=host, port=port, enabled=True)
    elif ephemeral:
        settings = msgspec.structs.replace(settings, port=0)
    if token is not None:
        settings = msgspec.structs.replace(settings, token=token)
    server.check_bind(settings.host, settings.token)
    return settings


async def run_beside(
    manager: RuntimeManager,
    settings: ControlSettings | None,
    *,
    sock: socket.socket | None = None,
    task_status: TaskStatus[str | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Drive the scenario and serve the control API until cancelled; started(url or None).

    `sock`: the control API's socket, bound already (`server.bind(..., listen=False)`, as
    `scada-emu run` does with the listeners); else it is bound here. Raises ControlError
    (before starting anything) when the control API cannot bind."""
    if settings is not None and sock is None:
        server.check_bind(settings.host, settings.token)
        sock = server.bind(settings.host, settings.port)
    async with anyio.create_task_group() as tg:
        url = None
        if settings is not None and sock is not None:
            app = build_app(manager, settings.token)
            url = await tg.start(server.serve, app, sock, settings.token)
        manager.control_url = url
        await manager.apply_initial_faults()
        tg.start_soon(manager.drive)
        task_status.started(url)
