"""A server with almost no file descriptors to spare (test_overload): `python -m
tests.hardening.few_files SPARE` serves one CtAPI listener, prints `[address, port]` once ready,
lowers RLIMIT_NOFILE to SPARE above what it has open, and serves until SIGTERM (exit 0)."""

from __future__ import annotations

import json
import os
import resource
import signal
import sys

import anyio

from emulator.logs import configure
from emulator.runtime.listener import Backoff
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_text

ADDRESS = "127.0.81.9"
TOPOLOGY = f"""
[[computers]]
name = "FEW"
ctapi = "unencrypted"
[[network_addresses]]
name = "FEW_NET"
computer = "FEW"
address = "{ADDRESS}"
"""


async def main(spare: int) -> None:
    configure("json", "info")
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:

        async def on_sigterm() -> None:
            async for _ in signals:
                return

        loaded = load_text(TOPOLOGY, "<few files>")
        backoff = Backoff(initial=0.05, maximum=0.2)
        sup = Supervisor(loaded, ephemeral=True, backoff=backoff, shutdown_trigger=on_sigterm)
        async with anyio.create_task_group() as tg:
            await tg.start(sup.run)
            ctapi = next(item for item in sup.listeners if item.endpoint.process == "CtAPI")
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            in_use = len(os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + spare, hard))
            print(json.dumps([ADDRESS, ctapi.port]), flush=True)


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]))
