"""The scenarios shipped in scenarios/: they compile clean, and they do what they say."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from emulator.processes.trends import TrendsProcess
from emulator.testing.plant import start_in_background
from emulator.topology.compile import compile_topology
from emulator.topology.load import load_path, load_text

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


SHIPPED = [p for p in sorted(SCENARIOS.glob("*.toml")) if p.name != "large-plant.toml"]


def large_plant_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_large_plant", SCENARIOS / "make_large_plant.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_compiles_clean(path: Path) -> None:
    assert [p.format() for p in compile_topology(load_path(path))] == []


def test_the_large_plant_is_what_its_script_writes_and_its_shape_compiles() -> None:
    script = large_plant_script()
    assert script.render() == (SCENARIOS / "large-plant.toml").read_text("utf-8")
    small = load_text(script.render(clusters=2, tags_per_cluster=60), "large-plant (small)")
    assert [p.format() for p in compile_topology(small)] == []


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


async def test_a_large_plant_raises_its_alarms_and_samples_its_trends_on_time() -> None:
    """5,000 generated tags, 500 alarms, 100 trends: the first alarm goes on at the first tick
    its sine crosses the limit and not before, though nothing reads its tag between scans."""
    script = large_plant_script()
    loaded = load_text(script.render(clusters=2, tags_per_cluster=2500), "large (5k)")
    running, stop = await start_in_background(loaded, grace=0.1)
    try:
        alarm = loaded.model.alarms[0]  # on U01_FT000, a sine of period 5 m
        assert alarm.high is not None
        plant = running.supervisor.context.plant
        trend = next(t for t in loaded.model.trends if t.tag == alarm.variable)
        raised = None
        for tick in range(1, 40):  # the sine passes its high limit about 75 s in
            await running.advance(5)
            value = plant.value(alarm.variable or "")
            on = running.alarm(alarm.tag)["on"]
            assert isinstance(value, float)
            if raised is None:
                assert on is (value > alarm.high), f"tick {tick}: {value} vs {alarm.high}"
                raised = tick if on else None
        assert raised is not None
        trends = running.supervisor.process("UNIT01_TR1").process
        assert isinstance(trends, TrendsProcess)
        samples = trends.trends.raw(trend.name)
        assert len(samples) >= 39  # one per 5 s slot since the start
        assert all(s.value is not None for s in samples)
    finally:
        await stop()
