"""The event log needs no set-up from whoever builds the Supervisor: the RuntimeManager installs
its tap, and the supervisor's process loggers (bound before that) still feed it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import structlog

from emulator.control.events import tap
from emulator.control.manager import RuntimeManager
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo


@pytest.fixture
def fresh_structlog() -> Iterator[None]:
    """structlog as an application leaves it: configured, without the tap."""
    saved = structlog.get_config()
    structlog.configure(processors=[p for p in saved["processors"] if p is not tap])
    try:
        yield
    finally:
        structlog.configure(**saved)


@pytest.mark.usefixtures("fresh_structlog")
async def test_a_supervisor_made_before_its_manager_logs_into_the_event_log(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor(load_demo(), ephemeral=True, state_dir=tmp_path, grace=0.1)
    manager = RuntimeManager(supervisor)
    assert tap in structlog.get_config()["processors"]
    with manager.logging():
        async with supervisor:
            await manager.crash("IO2")
            with anyio.fail_after(5):
                event = await manager.events.wait_for(
                    "process.state", process="IO2", state="failed"
                )
    assert event["reason"] == "crashed"
