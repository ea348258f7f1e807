"""The demo plant with every listener type, one listener of each kind, and a raw test client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
from structlog.testing import capture_logs

from emulator.protocol.auth import server_login
from emulator.runtime.listener import Listener
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo
from tests.runtime.helpers import TIMEOUT, Client

#: Seconds between two looks of poll_until.
POLL = 0.01

__all__ = ["TIMEOUT", "Client", "connect", "demo", "kinds", "logged", "poll_until"]


@asynccontextmanager
async def demo(state_dir: Path, **options: Any) -> AsyncIterator[Supervisor]:
    """The demo plant on ephemeral ports: every listener type, CtAPI mixed on SCADA-A."""
    async with Supervisor(load_demo(), ephemeral=True, state_dir=state_dir, **options) as sup:
        yield sup


def kinds(sup: Supervisor, computer: str = "SCADA-A") -> dict[str, Listener]:
    """One listener of each kind on `computer`: its type, and `ctapi-tls` for 3073."""
    found: dict[str, Listener] = {}
    for item in sup.listeners:
        e = item.endpoint
        if e.computer == computer:
            found.setdefault(f"{e.type}-tls" if e.tls else str(e.type), item)
    return found


async def connect(
    sup: Supervisor,
    listener: Listener,
    *,
    hello: bool = True,
    local_host: str | None = None,
    login: bool = True,
) -> Client:
    """A client of `listener` (TLS with the emulator CA where it is TLS), past the hello frame
    and, with `login`, logged in as a server where the port asks for it."""
    e = listener.endpoint
    ca = sup.ca_certificate if e.tls else None
    client = await Client.connect(
        e.address, listener.port, ca=ca, hostname=e.computer, local_host=local_host
    )
    if hello:
        frame = await client.frame()
        assert frame.get("event") == "hello", frame
        fields = server_login(frame, sup.context.server_password) if login else {}
        if fields:
            reply = await client.request(**fields)
            assert reply["ok"], reply
    return client


async def poll_until(check: Callable[[], bool], what: str, within: float = TIMEOUT) -> None:
    """Wait for a state the runtime reaches on its own with no event to wait on: poll, bounded."""
    for _ in range(int(within / POLL)):
        if check():
            return
        await anyio.sleep(POLL)
    raise AssertionError(f"not within {within} s: {what}")


@contextmanager
def logged() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog event emitted inside the block, as dicts."""
    with capture_logs() as events:
        yield events
