"""The alarm engine under the Cicode alarm functions clients call (issue 14 item 3).

Sources: AlarmDisableTag(Tag, Cluster, EndTime, Comment) 1033461, AlarmEnableTag(Tag, Cluster,
bAcknowledge) 1033471, AlarmClearTag (ours: docs/ctapi.md), via ctapi-behaviour.md.
"""

from __future__ import annotations

import pytest

from emulator.plant.alarms import AlarmStateError
from emulator.plant.config import Alarm
from tests.plant.test_alarms import T0, Tags, server


def test_disable_until_an_end_time_then_the_scan_enables_again() -> None:
    tags = Tags(fault=True)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags)
    alarms.evaluate(T0)
    (disabled,) = alarms.disable("F1", "engineer", T0 + 1, "maintenance", until=T0 + 60)
    assert (disabled.kind, disabled.comment, disabled.user) == (
        "disable",
        "maintenance",
        "engineer",
    )
    assert alarms.status("F1").disabled_until == T0 + 60
    assert alarms.evaluate(T0 + 59) == []
    assert alarms.status("F1").disabled
    enabled, on = alarms.evaluate(T0 + 60)
    assert (enabled.kind, enabled.comment, on.kind) == ("enable", "disable time ended", "on")
    assert not alarms.status("F1").disabled and alarms.status("F1").disabled_until is None


def test_enable_with_acknowledge_acknowledges_an_alarm_that_is_on() -> None:
    tags = Tags(fault=True)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags)
    alarms.disable("F1", "engineer", T0)
    kinds = [e.kind for e in alarms.enable("F1", "operator", T0 + 1, acknowledge=True)]
    assert kinds == ["enable", "on", "ack"]
    status = alarms.status("F1")
    assert (status.on, status.acked, status.ack_user) == (True, True, "operator")
    # without acknowledge the alarm comes back unacknowledged at the next scan
    alarms.disable("F1", "engineer", T0 + 2)
    assert [e.kind for e in alarms.enable("F1", "operator", T0 + 3)] == ["enable"]
    assert [e.kind for e in alarms.evaluate(T0 + 4)] == ["on"]
    assert not alarms.status("F1").acked


def test_clear_takes_an_alarm_that_is_off_off_the_active_list() -> None:
    tags = Tags(fault=True)
    alarms = server([Alarm(tag="F1", variable="FAULT")], tags)
    alarms.evaluate(T0)
    with pytest.raises(AlarmStateError, match="still on"):
        alarms.clear("F1", "engineer", T0 + 1)
    tags.set("FAULT", False)
    alarms.evaluate(T0 + 2)
    assert alarms.status("F1").active  # off, unacknowledged
    (cleared,) = alarms.clear("F1", "engineer", T0 + 3)
    assert (cleared.kind, cleared.user) == ("ack", "engineer")
    assert not alarms.status("F1").active
    assert alarms.clear("F1", "engineer", T0 + 4) == []
