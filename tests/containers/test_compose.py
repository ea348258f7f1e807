"""Issue 15.5: the demo plant as one container per computer on a bridge network (compose.yaml),
read from the host over the containers' own addresses. Run by `make containers`, which builds
the image first; elsewhere it skips and says why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.client import connect

ROOT = Path(__file__).resolve().parents[2]
PODMAN = ROOT / "containers" / "podman.sh"
COMPOSE = ROOT / "containers" / "compose.yaml"
IMAGE = "localhost/plant-scada-emulator:latest"
COMPUTERS = {"scada-a": "198.18.10.11", "scada-b": "198.18.10.12"}
READY = "/run/scada-emu/ready.json"
#: Seconds for both containers to be ready (a cold container starts Python and the plant).
READY_WITHIN = 60.0


def _skip_reason() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman runc debootstrap)"
    if os.environ.get("SCADA_EMU_CONTAINERS") != "1":
        return "container tests run with `make containers` (it builds the image first)"
    if shutil.which("podman-compose") is None:
        return "podman-compose is not installed (`make containers` installs it in the venv)"
    return None


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PODMAN), *args], check=check, capture_output=True, text=True, timeout=120
    )


def _compose(*args: str) -> None:
    env = {**os.environ, "CONTAINERS_CONF": str(ROOT / "containers" / "containers.conf")}
    command = ["podman-compose", "--podman-path", str(PODMAN), "-f", str(COMPOSE), *args]
    subprocess.run(command, check=True, capture_output=True, timeout=180, env=env)


@pytest.fixture
def plant() -> Iterator[None]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    assert _podman("image", "exists", IMAGE, check=False).returncode == 0, (
        f"{IMAGE} is missing: `make containers` builds it"
    )
    _compose("up", "-d")
    try:
        deadline = time.monotonic() + READY_WITHIN
        pending = set(COMPUTERS)
        while pending:
            for service in sorted(pending):
                found = _podman("exec", f"scada-demo_{service}_1", "cat", READY, check=False)
                if found.returncode == 0 and json.loads(found.stdout)["listeners"]:
                    pending.discard(service)
            assert time.monotonic() < deadline, f"not ready: {sorted(pending)}"
            time.sleep(0.2)  # files inside containers: no event to await
        yield
    finally:
        _compose("down", "-t", "2")


async def test_each_computer_serves_ctapi_on_its_own_address(plant: None) -> None:
    for address in COMPUTERS.values():
        async with connect(
            address, user="engineer", password="control", encryption="unencrypted"
        ) as session:
            level = float(await session.tag_read("TANK1_LEVEL"))
            assert 0.0 <= level <= 100.0


async def test_tls_verifies_with_the_containers_ca(plant: None, tmp_path: Path) -> None:
    ready = json.loads(_podman("exec", "scada-demo_scada-a_1", "cat", READY).stdout)
    ca = tmp_path / "ca.pem"
    ca.write_text(_podman("exec", "scada-demo_scada-a_1", "cat", ready["ca_certificate"]).stdout)
    async with connect(
        COMPUTERS["scada-a"],
        user="engineer",
        password="control",
        encryption="encrypted",
        ca=ca,
        server_name="SCADA-A",
    ) as session:
        assert await session.tag_read("TANK1_LEVEL")
