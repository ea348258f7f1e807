"""The example of docs/testing.md, verbatim: a small CtAPI client tested against the emulator.

Keep the two in step: docs/testing.md quotes this file.
"""

from __future__ import annotations

import pytest

from emulator.client import CtApiError
from emulator.testing.plant import RunningPlant


# --- the client under test: reads a tag from the first computer that answers ---------------
async def read_tag(plant: RunningPlant, computers: list[str], tag: str, within: float) -> str:
    """What a real client does with a primary and a standby computer."""
    last: Exception | None = None
    for computer in computers:
        try:
            async with plant.client(computer, timeout=within) as session:
                return await session.tag_read(tag)
        except CtApiError as exc:
            last = exc
    raise RuntimeError(f"no computer answered: {last}")


# --- its tests ------------------------------------------------------------------------------
COMPUTERS = ["SCADA-A", "SCADA-B"]


async def test_happy_path(scada_plant: RunningPlant) -> None:
    assert await read_tag(scada_plant, COMPUTERS, "TANK1_LEVEL", within=5) == "62.0"


async def test_failover_to_the_standby_computer(scada_plant: RunningPlant) -> None:
    await scada_plant.crash("CtAPI", computer="SCADA-A")
    assert await read_tag(scada_plant, COMPUTERS, "TANK1_LEVEL", within=5) == "62.0"
    crashed = scada_plant.events.since(0, "process.state")[-1]
    assert (crashed["computer"], crashed["reason"]) == ("SCADA-A", "crashed")


async def test_slow_network(scada_plant: RunningPlant) -> None:
    await scada_plant.add_fault(name="slow", kind="latency", latency=150, process="CtAPI")
    with pytest.raises(RuntimeError, match="did not answer in time"):
        await read_tag(scada_plant, COMPUTERS, "TANK1_LEVEL", within=0.05)
    assert await read_tag(scada_plant, COMPUTERS, "TANK1_LEVEL", within=5) == "62.0"


@pytest.mark.scada_scenario("encrypted-only")  # a shipped scenario, by name
async def test_an_encrypted_only_server(scada_plant: RunningPlant) -> None:
    async with scada_plant.client("SCADA-TLS", encryption="encrypted") as session:
        assert session.encrypted
    with pytest.raises(CtApiError):
        async with scada_plant.client("SCADA-TLS", encryption="unencrypted"):
            pass


def test_docs_testing_md_quotes_this_file() -> None:
    from pathlib import Path

    here = Path(__file__).read_text("utf-8")
    example = here[here.index("from __future__") : here.index("\n\ndef test_docs_testing_md")]
    docs = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
    assert example in docs.read_text("utf-8")
