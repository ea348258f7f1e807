"""The alarm server's plant logic: on/off, acknowledge, disable, queries, properties, restore."""

from __future__ import annotations

import pytest
import structlog.testing

from emulator.plant.alarms import (
    ALL_AREAS,
    QUERY_ACKNOWLEDGED_ON,
    QUERY_ACTIVE,
    QUERY_CONFIGURED,
    QUERY_DISABLED,
    QUERY_UNACKNOWLEDGED,
    AlarmServer,
    UnknownAlarmError,
    UnknownAlarmPropertyError,
)
from emulator.plant.coerce import as_number, as_truth
from emulator.plant.config import Alarm, AlarmCategory, TagValue
from emulator.plant.storage import Store

T0 = 1_767_225_600.0


class Tags(dict[str, TagValue | None]):
    def read(self, name: str) -> TagValue | None:
        return self.get(name.casefold())

    def set(self, name: str, value: TagValue | None) -> None:
        self[name.casefold()] = value


CATEGORIES = [
    AlarmCategory(number=1, name="Critical", priority=1),
    AlarmCategory(number=2, priority=5),
]


def server(
    alarms: list[Alarm], tags: Tags, store: Store | None = None, **kw: object
) -> AlarmServer:
    return AlarmServer(alarms, CATEGORIES, tags.read, store or Store.memory(), **kw)  # type: ignore[arg-type]


def test_digital_alarm_goes_on_is_acknowledged_and_clears() -> None:
    tags = Tags(fault=False)
    alarms = server([Alarm(tag="F1", variable="FAULT", category=1, area=3)], tags)
    assert alarms.evaluate(T0) == []
    tags.set("FAULT", True)
    (on,) = alarms.evaluate(T0 + 1.25)
    assert (on.kind, on.state, on.priority, on.area) == ("on", "ON unacknowledged", 1, 3)
    assert alarms.evaluate(T0 + 2) == []
    (ack,) = alarms.acknowledge("f1", "engineer", T0 + 3)
    assert (ack.kind, ack.user, ack.state) == ("ack", "engineer", "ON acknowledged")
    assert alarms.acknowledge("F1", "engineer", T0 + 4) == []
    tags.set("FAULT", False)
    (off,) = alarms.evaluate(T0 + 5)
    assert (off.kind, off.state) == ("off", "OFF acknowledged")
    assert alarms.query(QUERY_ACTIVE) == []
    assert [e.kind for e in alarms.events()] == ["on", "ack", "off"]


def test_off_unacknowledged_stays_active_until_acknowledged() -> None:
    tags = Tags(fault=True)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags)
    alarms.evaluate(T0)
    tags.set("FAULT", False)
    (off,) = alarms.evaluate(T0 + 1)
    assert off.state == "OFF unacknowledged"
    assert [a.tag for a, _ in alarms.query(QUERY_UNACKNOWLEDGED)] == ["F1"]
    alarms.acknowledge("F1", "op", T0 + 2)
    assert alarms.query(QUERY_ACTIVE) == []


def test_digital_with_var_b_and_not_prefix() -> None:
    tags = Tags(a=True, b=True, c=True)
    alarms = server(
        [Alarm(tag="AB", variable="A", variable_b="B"), Alarm(tag="NC", variable="NOT C")], tags
    )
    assert alarms.evaluate(T0) == []
    tags.set("B", False)
    tags.set("C", False)
    assert sorted(e.tag for e in alarms.evaluate(T0 + 1)) == ["AB", "NC"]


def test_com_break_keeps_state_and_raises_no_event() -> None:
    tags = Tags(fault=True)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags)
    alarms.evaluate(T0)
    tags.set("FAULT", None)
    assert alarms.evaluate(T0 + 1) == []
    assert alarms.alarm_property("F1", "ComBreak") is True
    assert alarms.alarm_property("F1", ".On") is True
    tags.set("FAULT", True)
    alarms.evaluate(T0 + 2)
    assert alarms.alarm_property("F1", "ComBreak") is False


def test_analog_levels_escalate_and_clear_with_deadband() -> None:
    tags = Tags(level=50.0)
    alarm = Alarm(
        tag="LVL",
        type="analog",
        variable="LEVEL",
        high=80,
        high_high=90,
        low=20,
        low_low=10,
        deadband=2,
    )
    alarms = server([alarm], tags)
    assert alarms.evaluate(T0) == []
    tags.set("LEVEL", 85.0)
    assert [(e.kind, e.condition) for e in alarms.evaluate(T0 + 1)] == [("on", "HIGH")]
    tags.set("LEVEL", 95.0)
    assert [(e.kind, e.condition) for e in alarms.evaluate(T0 + 2)] == [("on", "HIGHHIGH")]
    tags.set("LEVEL", 89.0)  # inside the high-high deadband
    assert alarms.evaluate(T0 + 3) == []
    tags.set("LEVEL", 87.0)  # below 90 - 2: back to HIGH, a new occurrence
    assert [(e.kind, e.condition) for e in alarms.evaluate(T0 + 4)] == [("on", "HIGH")]
    tags.set("LEVEL", 79.0)
    assert alarms.evaluate(T0 + 5) == []
    tags.set("LEVEL", 77.5)
    assert [e.kind for e in alarms.evaluate(T0 + 6)] == ["off"]
    tags.set("LEVEL", 5.0)
    assert [e.condition for e in alarms.evaluate(T0 + 7)] == ["LOWLOW"]


def test_analog_deviation_from_a_setpoint_tag_and_rate() -> None:
    tags = Tags(ratio=0.25, sp=0.25, flow=10.0)
    alarms = server(
        [
            Alarm(tag="DEV", type="analog", variable="RATIO", setpoint="SP", deviation=0.05),
            Alarm(tag="ROC", type="analog", variable="FLOW", rate=5.0),
        ],
        tags,
    )
    assert alarms.evaluate(T0) == []
    tags.set("RATIO", 0.31)
    tags.set("FLOW", 30.0)  # 20 units in 2 s: 10/s > 5/s
    assert {(e.tag, e.condition) for e in alarms.evaluate(T0 + 2)} == {
        ("DEV", "DEVIATION"),
        ("ROC", "RATE"),
    }
    tags.set("SP", 0.30)
    assert {e.tag for e in alarms.evaluate(T0 + 12)} == {"DEV", "ROC"}  # both off


def test_advanced_alarm_uses_the_expression_evaluator() -> None:
    tags = Tags()
    seen: list[str] = []

    def evaluate(expression: str, now: float) -> TagValue | None:
        seen.append(expression)
        return 1 if tags.read("X") else 0

    alarms = server(
        [Alarm(tag="ADV", type="advanced", expression="X > 5")], tags, expressions=evaluate
    )
    assert alarms.evaluate(T0) == []
    tags.set("X", True)
    assert [e.kind for e in alarms.evaluate(T0 + 1)] == ["on"]
    assert seen == ["X > 5", "X > 5"]
    without = server([Alarm(tag="ADV", type="advanced", expression="X > 5")], tags)
    assert without.evaluate(T0) == []
    assert without.alarm_property("ADV", "ComBreak") is True


def test_acknowledge_by_category_and_area_and_disable_enable() -> None:
    tags = Tags(a=True, b=True, c=True)
    alarms = server(
        [
            Alarm(tag="A", variable="A", category=1, area=1),
            Alarm(tag="B", variable="B", category=2, area=1),
            Alarm(tag="C", variable="C", category=2, area=2),
        ],
        tags,
    )
    alarms.evaluate(T0)
    assert [e.tag for e in alarms.acknowledge_category(2, "op", T0 + 1)] == ["B", "C"]
    assert [a.tag for a, _ in alarms.query(QUERY_UNACKNOWLEDGED)] == ["A"]
    assert [a.tag for a, _ in alarms.query(QUERY_ACKNOWLEDGED_ON, area=2)] == ["C"]
    assert [e.tag for e in alarms.acknowledge_area(1, "op", T0 + 2)] == ["A"]
    (disabled,) = alarms.disable("A", "eng", T0 + 3, "maintenance")
    assert (disabled.kind, disabled.state, disabled.comment) == (
        "disable",
        "DISABLED",
        "maintenance",
    )
    assert alarms.disable("A", "eng", T0 + 3) == []
    assert alarms.evaluate(T0 + 4) == []
    assert [a.tag for a, _ in alarms.query(QUERY_DISABLED)] == ["A"]
    assert {a.tag for a, _ in alarms.query(QUERY_ACTIVE, area=ALL_AREAS)} == {"B", "C"}
    assert len(alarms.query(QUERY_CONFIGURED)) == 3
    (enabled,) = alarms.enable("A", "eng", T0 + 5)
    assert enabled.kind == "enable"
    assert [e.kind for e in alarms.evaluate(T0 + 6)] == ["on"]
    assert alarms.enable("A", "eng", T0 + 7) == []


def test_alarm_properties() -> None:
    tags = Tags(fault=False)
    alarm = Alarm(
        tag="F1",
        name="Pump fault",
        description="Pump 1 tripped",
        help="Check the breaker",
        variable="FAULT",
        category=2,
        custom=["c1", "c2"],
    )
    alarms = server([alarm], tags)
    tags.set("FAULT", True)
    alarms.evaluate(T0 + 0.123)
    assert alarms.alarm_property("F1", "On") is True
    assert alarms.alarm_property("F1", "Ack") is False
    assert alarms.alarm_property("F1", "Disabled") is False
    assert alarms.alarm_property("F1", "Category") == 2
    assert alarms.alarm_property("F1", "Priority") == 5  # from the category
    assert alarms.alarm_property("F1", "Name") == "Pump fault"
    assert alarms.alarm_property("F1", "Desc") == "Pump 1 tripped"
    assert alarms.alarm_property("F1", "Help") == "Check the breaker"
    assert alarms.alarm_property("F1", "OnTime") == int(T0)
    assert alarms.alarm_property("F1", "Millisec") == 123
    assert alarms.alarm_property("F1", "Custom2") == "c2"
    assert alarms.alarm_property("F1", "Custom8") == ""
    assert alarms.alarm_property("F1", "State") == 1  # ON, not acknowledged (1068486)
    with pytest.raises(UnknownAlarmPropertyError, match="no property 'Colour'"):
        alarms.alarm_property("F1", "Colour")
    with pytest.raises(UnknownAlarmError, match="NOPE"):
        alarms.alarm_property("NOPE", "On")
    with pytest.raises(UnknownAlarmError):
        alarms.acknowledge("NOPE", "op", T0)


def test_bad_query_type_says_which_exist() -> None:
    alarms = server([], Tags())
    with pytest.raises(ValueError, match="0 \\(active\\)"):
        alarms.query(7)


def test_non_numeric_analog_value_is_a_com_break() -> None:
    tags = Tags(level="n/a")
    alarms = server([Alarm(tag="L", type="analog", variable="LEVEL", high=1)], tags)
    assert alarms.evaluate(T0) == []
    assert alarms.alarm_property("L", "ComBreak") is True


def test_statuses_and_log_survive_a_restart(tmp_path: object) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path))
    tags = Tags(level=95.0)
    config = [Alarm(tag="LVL", type="analog", variable="LEVEL", high=80, deadband=5)]
    store = Store.open(directory, "ALARM1")
    first = server(config, tags, store)
    first.evaluate(T0)
    first.acknowledge("LVL", "engineer", T0 + 1)
    store.close()

    store = Store.open(directory, "ALARM1")
    second = server(config, tags, store)
    assert second.status("LVL").state == "ON acknowledged"
    tags.set("LEVEL", 78.0)  # inside the deadband: the restored HIGH holds
    assert second.evaluate(T0 + 2) == []
    assert [e.kind for e in second.events()] == ["on", "ack"]
    assert second.events()[1].user == "engineer"
    store.close()


def test_standby_is_synchronised_from_the_main() -> None:
    tags = Tags(a=True, b=False)
    config = [Alarm(tag="A", variable="A"), Alarm(tag="B", variable="B")]
    main = server(config, tags)
    standby = server(config, tags)
    main.evaluate(T0)
    main.acknowledge("A", "op", T0 + 1)
    assert standby.restore(main.snapshot()) == 2
    assert standby.status("A").state == "ON acknowledged"
    assert standby.restore(main.snapshot()) == 0  # idempotent
    tags.set("B", True)
    live = main.evaluate(T0 + 2)
    assert standby.apply(live) == live
    assert standby.status("B").state == "ON unacknowledged"
    assert [e.uid for e in standby.events()] == [e.uid for e in main.events()]
    assert standby.evaluate(T0 + 3) == []  # the mirrored state matches the tags


def test_find_fields_as_ctapi_alarm_tables() -> None:
    tags = Tags(level=50.0, fault=False)
    alarms = server(
        [
            Alarm(tag="L", type="analog", variable="LEVEL", high=80, deadband=1, area=2),
            Alarm(tag="F", name="Fault", description="d", help="h", variable="FAULT", category=2),
        ],
        tags,
    )
    alarms.evaluate(T0)
    tags.set("LEVEL", 81.5)
    alarms.evaluate(T0 + 3661.5)
    assert alarms.table("l") == "AnaAlm"
    assert alarms.table("F") == "DigAlm"
    # 1150514 / ctapi-behaviour.md: the alarm fields, dates in the project's dd-mm-yyyy.
    assert alarms.find_fields("L") == {
        "TAG": "L",
        "NAME": "",
        "DESC": "",
        "HELP": "",
        "CATEGORY": 0,
        "PRIORITY": 0,
        "STATE": "ON unacknowledged",
        "TIME": "01:01:01",
        "DATE": "01-01-2026",
        "MILLISEC": 500,
        "AREA": 2,
        "CLUSTER": "",
        "ALMCOMMENT": "",
        "EQUIPMENT": "",
        **{f"CUSTOM{i}": "" for i in range(1, 9)},
        "ACKDATE": "",
        "ACKTIME": "",
        "ACKMILLI": "",
        "USERNAME": "",
        "VALUE": 81.5,
        "HIGH": 80.0,
        "LOW": "",
        "HIGHHIGH": "",
        "LOWLOW": "",
        "DEADBAND": 1.0,
        "RATE": "",
        "DEVIATION": "",
    }
    alarms.acknowledge("L", "op", T0 + 3700.25)
    acked = alarms.find_fields("L")
    assert (acked["ACKDATE"], acked["ACKTIME"], acked["ACKMILLI"], acked["USERNAME"]) == (
        "01-01-2026",
        "01:01:40",
        250,
        "op",
    )
    fault = alarms.find_fields("F")
    assert (fault["NAME"], fault["STATE"], fault["TIME"], fault["DATE"]) == (
        "Fault",
        "OFF acknowledged",
        "",
        "",
    )
    assert "VALUE" not in fault


@pytest.mark.parametrize(
    ("value", "truth", "number"),
    [
        (True, True, 1.0),
        (0, False, 0.0),
        (2.5, True, 2.5),
        ("1", True, 1.0),
        (" On ", True, None),
        ("off", False, None),
        ("", False, None),
        ("n/a", None, None),
        (float("nan"), None, None),
        (None, None, None),
    ],
)
def test_how_engines_read_values(
    value: TagValue | None, truth: bool | None, number: float | None
) -> None:
    assert as_truth(value) is truth
    assert as_number(value) == number


def test_each_alarm_event_is_logged_under_the_alarm_prefix() -> None:
    tags = Tags(fault=False)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags, server="ALARM1")
    tags.set("FAULT", True)
    with structlog.testing.capture_logs() as logs:
        alarms.evaluate(T0)
    assert [(e["event"], e["tag"], e["kind"], e["server"]) for e in logs] == [
        ("alarm.event", "F1", "on", "ALARM1")
    ]
