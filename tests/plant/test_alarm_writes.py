"""Alarm properties as the runtime shows them: numeric `.State`, writable properties.

Source: Plant SCADA help "Supported Alarm Properties" (1068486) and ctapi-behaviour.md
("Alarm properties"); the mask values and what a write outside the help does are ours
(docs/ctapi.md "Our decisions").
"""

from __future__ import annotations

import pytest

from emulator.plant import alarm_states
from emulator.plant.alarms import (
    AlarmStateError,
    ReadOnlyAlarmPropertyError,
    UnknownAlarmPropertyError,
)
from emulator.plant.config import Alarm
from emulator.plant.storage import Store
from tests.plant.test_alarms import T0, Tags, server

LEVEL = Alarm(tag="LVL", type="analog", variable="LEVEL", high=80.0, high_high=95.0, low=10.0)
SPEED = Alarm(tag="DEV", type="analog", variable="SPEED", setpoint=100.0, deviation=5.0)
FAULT = Alarm(tag="F1", variable="FAULT", category=2)


def test_state_is_the_enumeration_with_the_acknowledged_and_disabled_masks() -> None:
    # 1068486: .State is a state enumeration (0 OFF, 1 ON) combined with action bit masks.
    tags = Tags(fault=False)
    alarms = server([FAULT], tags)
    alarms.evaluate(T0)
    assert alarms.alarm_property("F1", "State") == alarm_states.OFF == 0
    tags.set("FAULT", True)
    alarms.evaluate(T0 + 1)
    assert alarms.alarm_property("F1", "State") == 1
    alarms.acknowledge("F1", "op", T0 + 2)
    assert alarms.alarm_property("F1", "State") == 1 | alarm_states.ACKNOWLEDGED
    alarms.disable("F1", "op", T0 + 3)
    assert alarms.alarm_property("F1", "State") == alarm_states.DISABLED


@pytest.mark.parametrize(("level", "state"), [(50.0, 0), (85.0, 5), (99.0, 7), (5.0, 4)], ids=str)
def test_an_analog_alarm_that_is_on_says_which_limit(level: float, state: int) -> None:
    # The analog states of ctapi-rs docs/AlmQuery.md: 4 low, 5 high, 7 high high.
    tags = Tags(level=level)
    alarms = server([LEVEL], tags)
    alarms.evaluate(T0)
    assert alarms.alarm_property("LVL", "State") == state


@pytest.mark.parametrize(("speed", "state"), [(110.0, 1), (90.0, 2)], ids=["high", "low"])
def test_a_deviation_alarm_says_above_or_below_its_setpoint(speed: float, state: int) -> None:
    # ctapi-rs docs/AlmQuery.md: 1 deviation high, 2 deviation low.
    alarms = server([SPEED], Tags(speed=speed))
    alarms.evaluate(T0)
    assert alarms.alarm_property("DEV", "State") == state


def test_writing_ack_acknowledges_with_the_user_in_the_log() -> None:
    # 1068486 / ctapi-behaviour.md: ".Ack ... writable, and writing .Ack acknowledges".
    store = Store.memory()
    tags = Tags(fault=True)
    alarms = server([FAULT], tags, store)
    alarms.evaluate(T0)
    events = alarms.write_property("F1", "Ack", "1", "engineer", T0 + 1)
    assert [(e.kind, e.user) for e in events] == [("ack", "engineer")]
    assert store.alarm_events()[-1].user == "engineer"
    assert alarms.alarm_property("F1", "Ack") is True
    assert alarms.write_property("F1", ".ack", "1", "engineer", T0 + 2) == []  # nothing to ack
    with pytest.raises(AlarmStateError, match="cannot be taken back"):
        alarms.write_property("F1", "Ack", "0", "engineer", T0 + 3)


def test_writing_disabled_disables_and_enables() -> None:
    # 1068486: .Disabled is writable.
    alarms = server([FAULT], Tags(fault=True))
    alarms.evaluate(T0)
    [disabled] = alarms.write_property("F1", "Disabled", "1", "op", T0 + 1)
    assert (disabled.kind, disabled.user) == ("disable", "op")
    assert alarms.alarm_property("F1", "Disabled") is True
    [enabled] = alarms.write_property("F1", "Disabled", "0", "op", T0 + 2)
    assert enabled.kind == "enable"
    with pytest.raises(AlarmStateError, match="write 1 or 0"):
        alarms.write_property("F1", "Disabled", "maybe", "op", T0 + 3)


def test_category_and_custom_fields_are_writable() -> None:
    # 1068486: .Category (integer) and .Custom1-.Custom8 (strings of 64 bytes) are writable.
    alarms = server([FAULT], Tags(fault=False))
    assert alarms.write_property("F1", "Category", "1", "op", T0) == []
    assert alarms.alarm_property("F1", "Category") == 1
    assert alarms.alarm_property("F1", "Priority") == 1  # the new category's priority
    alarms.write_property("F1", "Custom3", "  shift B  ", "op", T0)
    assert alarms.alarm_property("F1", "Custom3") == "shift B"
    assert alarms.alarm_property("F1", "Custom1") == ""
    with pytest.raises(AlarmStateError, match="at most 64"):
        alarms.write_property("F1", "Custom1", "x" * 65, "op", T0)
    with pytest.raises(AlarmStateError, match="whole number"):
        alarms.write_property("F1", "Category", "1.5", "op", T0)
    with pytest.raises(AlarmStateError, match="0 or more"):
        alarms.write_property("F1", "Category", "-1", "op", T0)


def test_a_written_threshold_takes_effect_at_the_next_scan() -> None:
    # 1068486: the thresholds of an analog alarm are writable.
    tags = Tags(level=85.0)
    alarms = server([LEVEL], tags)
    alarms.evaluate(T0)
    assert alarms.alarm_property("LVL", "On") is True
    alarms.write_property("LVL", "High", "90", "op", T0 + 1)
    assert alarms.alarm_property("LVL", "High") == 90.0
    [off] = alarms.evaluate(T0 + 2)
    assert off.kind == "off"
    alarms.write_property("LVL", "LowLow", "-5.5", "op", T0 + 3)
    assert alarms.alarm_property("LVL", "LowLow") == -5.5
    with pytest.raises(AlarmStateError, match="only analog alarms have thresholds"):
        server([FAULT], Tags()).write_property("F1", "High", "1", "op", T0)
    with pytest.raises(AlarmStateError, match="write a number"):
        alarms.write_property("LVL", "High", "lots", "op", T0)


def test_other_properties_are_read_only_and_unknown_ones_are_named() -> None:
    # Ours: a write to a property 1068486 does not make writable is tag_read_only.
    alarms = server([FAULT], Tags(fault=False))
    with pytest.raises(ReadOnlyAlarmPropertyError, match=r"F1\.On is read-only"):
        alarms.write_property("F1", "On", "1", "op", T0)
    with pytest.raises(UnknownAlarmPropertyError, match="no property 'Colour'"):
        alarms.write_property("F1", "Colour", "1", "op", T0)
