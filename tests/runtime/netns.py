"""Network namespaces for tests that run one `scada-emu run --computer` per host (issue 15):
each host its own namespace, its LAN address in the benchmarking range (RFC 2544, 198.18.0.0/15),
which exists only inside them. Skipped, saying why, where namespaces cannot be made."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.servers.helpers import TIMEOUT


def skip_reason() -> str | None:
    if sys.platform != "linux" or shutil.which("ip") is None:
        return "network namespaces need Linux and iproute2's `ip`"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CI runs as root)"
    return None


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=TIMEOUT)


@contextmanager
def namespaces(hosts: dict[str, str], *, joined: bool) -> Iterator[dict[str, str]]:
    """One namespace per computer (its name by computer), each with the computer's address:
    on its loopback interface alone, or (`joined`, two hosts) on a veth pair between them."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    names = {computer: f"emu{os.getpid()}{index}" for index, computer in enumerate(hosts)}
    try:
        for ns in names.values():
            ip("netns", "add", ns)
            ip("-n", ns, "link", "set", "lo", "up")
        if joined:
            (first, a), (second, b) = names.items()
            veth = f"ve{os.getpid()}"
            ip("link", "add", f"{veth}a", "netns", a, "type", "veth", "peer", f"{veth}b")
            ip("link", "set", f"{veth}b", "netns", b)
            for computer, ns, dev in ((first, a, f"{veth}a"), (second, b, f"{veth}b")):
                ip("-n", ns, "addr", "add", f"{hosts[computer]}/24", "dev", dev)
                ip("-n", ns, "link", "set", dev, "up")
        else:
            for computer, ns in names.items():
                ip("-n", ns, "addr", "add", f"{hosts[computer]}/32", "dev", "lo")
        yield names
    finally:
        for ns in names.values():  # deleting a namespace deletes its end of the veth pair
            subprocess.run(
                ["ip", "netns", "del", ns], check=False, capture_output=True, timeout=TIMEOUT
            )
