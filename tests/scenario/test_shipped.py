"""The scenarios shipped in scenarios/: they compile clean, and they do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing.plant import start_in_background
from emulator.topology.compile import compile_topology
from emulator.topology.load import load_path

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_compiles_clean(path: Path) -> None:
    assert [p.format() for p in compile_topology(load_path(path))] == []


def test_the_large_plant_is_what_its_script_writes() -> None:
    script = SCENARIOS / "make_large_plant.py"
    written = subprocess.run(
        [sys.executable, str(script)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert written == (SCENARIOS / "large-plant.toml").read_text("utf-8")


async def test_failover_fails_over_in_health_and_the_log() -> None:
    plant, stop = await start_in_background(SCENARIOS / "failover.toml", clock="virtual")
    try:
        assert plant.healthy()
        await plant.advance(30)
        _, health = plant.manager.health()
        states = {p["process"]: (p["state"], p["healthy"]) for p in health["processes"]}
        assert states["ALARM_P"] == ("failed", False)
        assert states["ALARM_S"] == ("running", True)
        assert not plant.healthy()
        await plant.advance(60)
        assert plant.healthy()
        await plant.advance(30)
        assert str(plant.supervisor.process("IO_P").state) == "failed"
        assert not plant.healthy()
        await plant.advance(90)
        assert [p.name for p in plant.manager.faults.active.values()] == ["hang SCADA-P/TREND_P"]
        await plant.advance(30)
        assert plant.healthy()
        crashed = [
            e["process"]
            for e in plant.events.since(0, "process.state")
            if e.get("reason") == "crashed"
        ]
        assert crashed == ["ALARM_P", "IO_P"]
    finally:
        await stop()


async def test_encrypted_only_refuses_an_unencrypted_client() -> None:
    plant, stop = await start_in_background(SCENARIOS / "encrypted-only.toml", clock="virtual")
    try:
        async with plant.client("SCADA-TLS", encryption="encrypted") as session:
            assert session.encrypted
            assert float(await session.tag_read("LEVEL")) == 50.0
        with pytest.raises(Exception, match=r"(?i)encrypt"):
            async with plant.client("SCADA-TLS", encryption="unencrypted"):
                pass
    finally:
        await stop()
