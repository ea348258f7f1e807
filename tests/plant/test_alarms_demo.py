"""The demo plant's alarms, trends and reports against the real Plant and Cicode."""

from __future__ import annotations

from emulator.plant import trnquery
from emulator.plant.alarms import QUERY_ACTIVE, AlarmServer
from emulator.plant.readers import cicode_expressions, plant_values
from emulator.plant.reports import ReportServer
from emulator.plant.state import QUAL_BAD, QUAL_GOOD, Plant
from emulator.plant.storage import Store
from emulator.plant.trends import BAD, TrendServer
from emulator.protocol.errors import ProtocolError
from emulator.topology.load import load_demo

T0 = 1_767_225_600.0


def test_demo_alarms_follow_the_tags() -> None:
    model = load_demo().model
    plant = Plant(model, now=T0)
    alarms = AlarmServer(
        model.alarms,
        model.alarm_categories,
        plant_values(plant),
        Store.memory(),
        expressions=cicode_expressions(plant),
        server="ALARM1",
    )
    assert alarms.evaluate(T0) == []  # the demo starts healthy
    plant.set_value("TANK1_LEVEL", 92.0, T0 + 1)
    plant.set_value("PUMP1_FAULT", True, T0 + 1)
    plant.set_value("BLEND_RATIO", 0.30, T0 + 1)
    events = {(e.tag, e.condition) for e in alarms.evaluate(T0 + 1)}
    assert events == {
        ("TANK1_LEVEL_ALM", "HIGH"),
        ("TANK1_OVERFILL", ""),  # Cicode: TANK1_LEVEL >= TANK1_HIGH_SP AND VALVE_IN_OPEN
        ("PUMP1_FAULT_ALM", ""),
        ("BLEND_RATIO_DEV", "DEVIATION"),
    }
    assert alarms.alarm_property("TANK1_OVERFILL", "Priority") == 1
    plant.set_value("VALVE_IN_OPEN", False, T0 + 2)
    assert [e.tag for e in alarms.evaluate(T0 + 2)] == ["TANK1_OVERFILL"]
    plant.set_quality("PUMP1_FAULT", QUAL_BAD, T0 + 3)
    alarms.evaluate(T0 + 3)
    assert alarms.alarm_property("PUMP1_FAULT_ALM", "ComBreak") is True
    plant.set_quality("PUMP1_FAULT", QUAL_GOOD, T0 + 4)
    alarms.evaluate(T0 + 4)
    assert alarms.alarm_property("PUMP1_FAULT_ALM", "ComBreak") is False
    assert len(alarms.query(QUERY_ACTIVE)) == 4


def test_demo_trends_and_reports_read_the_plant() -> None:
    model = load_demo().model
    plant = Plant(model, now=T0)
    trends = TrendServer(model.trends, plant_values(plant), Store.memory(), server="TREND1")
    for second in range(5):
        plant.set_value("TANK1_LEVEL", 60.0 + second, T0 + second)
        trends.sample(T0 + second)
    records = trnquery.run(
        trends, trnquery.parse(f"TRNQUERY,{int(T0) + 4},0,1,5,TANK1_LEVEL,0,1"), T0 + 5
    )
    assert [r.value for r in records] == [60.0, 61.0, 62.0, 63.0, 64.0]
    gated = trends.raw("PUMP1_CURRENT")
    assert all(s.value == 42.5 for s in gated)  # PUMP1_RUN is true
    plant.set_quality("LINE_PRESSURE", QUAL_BAD, T0 + 5)
    trends.sample(T0 + 5)
    assert trends.raw("LINE_PRESSURE", count=1)[0].quality == BAD

    reports = ReportServer(model.reports, plant_values(plant), start=T0)
    run = reports.run("SHIFT", T0, user="engineer")
    assert "Batches completed: 1287" in run.output
    assert "Tank 1 level: 64.0 %" in run.output
    assert "Line pressure: #COM bar" in run.output  # bad quality since T0 + 5
    assert run.problems == ["{LINE_PRESSURE}: the tag has no value"]
    plant.set_value("PUMP2_RUN", False, T0 + 1)
    reports.step(T0 + 1)
    plant.set_value("PUMP2_RUN", True, T0 + 2)
    (started,) = reports.step(T0 + 2)
    assert started.report == "PUMP2_START"


def test_an_advanced_alarm_expression_compares_and_never_writes() -> None:
    """`TAG = 1` in an alarm expression is a comparison, not a ctCicode assignment."""
    model = load_demo().model
    plant = Plant(model, now=T0)
    evaluate = cicode_expressions(plant)
    assert plant.value("PUMP1_FAULT") is False
    assert evaluate("PUMP1_FAULT = 1", T0) in (0, False)
    assert plant.value("PUMP1_FAULT") is False
    plant.set_value("PUMP1_FAULT", True, T0 + 1)
    assert evaluate("PUMP1_FAULT = 1", T0 + 1) in (1, True)
    for _ in range(2):  # parsed once, answered the same every scan
        assert evaluate("PUMP1_FAULT = (", T0 + 2) is None
        assert evaluate("NO_SUCH_TAG = 1", T0 + 2) is None


def test_the_engines_reader_reads_as_the_plant_does_each_time() -> None:
    """Held after its first read, a bare tag name still reads as `value(name)`: the override
    mode followed, bad quality as None; other references as the plant resolves them."""
    plant = Plant(load_demo().model, now=T0)
    read = plant_values(plant)
    names = ["TANK1_LEVEL", "tank1_level", "TANK1_LEVEL.Field", "PUMP1_RUN", "NO_SUCH_TAG"]

    def same() -> None:
        for name in names:
            try:
                bad = plant.tag(name).current_quality().general == QUAL_BAD
                expected = None if bad else plant.value(name)
            except ProtocolError:
                expected = None
            assert read(name) == expected, name

    for _ in range(2):
        same()
    plant.write("TANK1_LEVEL.Override", "7", T0)
    plant.write("TANK1_LEVEL.OverrideMode", "1", T0)
    same()
    plant.set_quality("PUMP1_RUN", QUAL_BAD, T0 + 1)
    same()
    assert read("PUMP1_RUN") is None
