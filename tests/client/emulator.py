"""The real emulator (the runtime's Supervisor, as a library, on ephemeral ports) for end-to-end
tests of the client and the shim, with the ready file `scada-emu run --ready-file` writes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from emulator.cli._run import listener_rows
from emulator.client.loop import BackgroundLoop
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import LoadedTopology, load_demo, load_text

#: A computer whose CtAPI is encrypted only (mixed mode off): 3073 and no 2073.
ENCRYPTED_ONLY = """
[[computers]]
name = "SECURE-PC"
ctapi = "encrypted"

[[network_addresses]]
name = "SECURE"
computer = "SECURE-PC"
address = "127.0.11.1"

[[clusters]]
name = "C1"

[[server_processes]]
name = "IO1"
type = "io"
cluster = "C1"
network_address = "SECURE"

[[users]]
name = "engineer"
password = "control"

[[tags]]
name = "X"
type = "int"
initial = 5
"""


@dataclass(frozen=True)
class Running:
    supervisor: Supervisor
    ready: Path


@asynccontextmanager
async def running(state_dir: Path, loaded: LoadedTopology | None = None) -> AsyncIterator[Running]:
    """The emulator serving `loaded` (the demo plant by default) and its ready file."""
    async with Supervisor(loaded or load_demo(), ephemeral=True, state_dir=state_dir) as sup:
        ready = state_dir / "ready.json"
        ca = str(sup.ca_certificate) if sup.ca_certificate else None
        ready.write_text(
            json.dumps({"pid": 0, "listeners": listener_rows(sup), "ca_certificate": ca})
        )
        yield Running(sup, ready)


def running_in(
    loop: BackgroundLoop, state_dir: Path, loaded: LoadedTopology | None = None
) -> AbstractContextManager[Running]:
    """The emulator in a loop thread of its own, for blocking clients such as the shim."""
    return loop.portal.wrap_async_context_manager(running(state_dir, loaded))


def demo_thread(state_dir: Path, loaded: LoadedTopology | None = None) -> Iterator[Running]:
    """The demo plant (or `loaded`) in a loop thread of its own, for a fixture to yield from."""
    loop = BackgroundLoop("emulator")
    try:
        with running_in(loop, state_dir, loaded) as emulator:
            yield emulator
    finally:
        loop.stop()


def encrypted_only() -> LoadedTopology:
    return load_text(ENCRYPTED_ONLY, "<encrypted-only>")
