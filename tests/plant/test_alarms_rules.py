"""Compile rules of the alarm, alarm category, trend and report tables."""

from __future__ import annotations

import pytest

from emulator.topology.compile import compile_topology
from emulator.topology.load import demo_text, load_text


def problems_of(extra: str) -> list[str]:
    loaded = load_text(demo_text() + extra, "plant.toml")
    return [p.format() for p in compile_topology(loaded)]


def test_the_demo_alarms_trends_and_reports_compile_clean() -> None:
    assert problems_of("") == []


def alarm(body: str) -> str:
    return f'\n[[alarms]]\ntag = "X_ALM"\n{body}\n'


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            alarm('variable = "PUMP1_FALT"'),
            "[alarms 'X_ALM'] variable: variable names tag 'PUMP1_FALT', which is not defined "
            "(hint: did you mean 'PUMP1_FAULT'?) [alarm-tag-unknown]",
        ),
        (alarm('variable = "NOT PUMP1_FAULT"\nvariable_b = "NOPE"'), "variable_b names tag 'NOPE'"),
        (
            alarm('variable = "CLUSTER1.PUMP1_FAULT"\ncluster = "CLUSTR1"'),
            "did you mean 'CLUSTER1'",
        ),
        (alarm(""), "digital alarm has no variable"),
        (alarm('type = "advanced"'), "advanced alarm has no expression"),
        (alarm('type = "advanced"\nexpression = "A AND"'), "expression is not Cicode"),
        (alarm('type = "analog"\nvariable = "TANK1_LEVEL"'), "analog alarm has no limit"),
        (
            alarm('variable = "PUMP1_FAULT"\nhigh = 3.0'),
            "[alarms 'X_ALM'] high: high does not apply to a digital alarm and is ignored",
        ),
        (
            alarm('type = "analog"\nvariable = "TANK1_LEVEL"\nhigh = 50\nlow = 60'),
            "low 60.0 is above high 50.0 (hint: limits go low_low <= low <= high <= high_high) "
            "[alarm-limits-order]",
        ),
        (alarm('type = "analog"\nvariable = "TANK1_LEVEL"\nhigh = 5\ndeadband = -1'), "negative"),
        (alarm('type = "analog"\nvariable = "TANK1_LEVEL"\nrate = 0'), "rate 0.0 must be above 0"),
        (alarm('type = "analog"\nvariable = "TANK1_LEVEL"\ndeviation = 1'), "deviation needs a"),
        (
            alarm('type = "analog"\nvariable = "TANK1_LEVEL"\nhigh = 1\nsetpoint = 3'),
            "no deviation: it is never used",
        ),
        (
            alarm(
                'type = "analog"\nvariable = "TANK1_LEVEL"\n'
                "setpoint = 3\ndeviation = 1\ndeadband = 1"
            ),
            "never clears",
        ),
        (alarm('type = "analog"\nvariable = "PUMP1_RUN"\nhigh = 1'), "is a digital tag"),
        (alarm('variable = "PRODUCT_CODE"'), "is a string tag"),
        (alarm('variable = "PUMP1_FAULT"\ncategory = 20000'), "outside 0..16375"),
        (alarm('variable = "PUMP1_FAULT"\ncategory = 9'), "category 9 is not under"),
        (alarm('variable = "PUMP1_FAULT"\npriority = 300'), "priority 300 is outside 0..255"),
        (alarm('variable = "PUMP1_FAULT"\narea = 256'), "area 256 is outside"),
        (
            alarm('variable = "PUMP1_FAULT"\ncustom = ["1","2","3","4","5","6","7","8","9"]'),
            "Custom8",
        ),
        (
            '\n[[alarms]]\ntag = "pump1_fault_alm"\nvariable = "PUMP1_FAULT"\n',
            "tag 'pump1_fault_alm' is already used by an earlier record (line",
        ),
        ("\n[[alarm_categories]]\nnumber = 1\n", "[category-duplicate]"),
        ("\n[[alarm_categories]]\nnumber = 17000\npriority = -1\n", "[alarm-priority]"),
    ],
)
def test_alarm_rules_say_what_where_and_what_to_do(extra: str, expected: str) -> None:
    assert any(expected in p for p in problems_of(extra)), problems_of(extra)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[[trends]]\nname = "T"\ntag = "TANK1_LEVL"', "did you mean 'TANK1_LEVEL'"),
        ('[[trends]]\nname = "T"\ntag = "PRODUCT_CODE"', "[trend-tag-type]"),
        ('[[trends]]\nname = "T"\ntag = "FLOW_IN"\nsample_period = 0', "[trend-period]"),
        ('[[trends]]\nname = "T"\ntag = "FLOW_IN"\ntype = "event"', "needs a trigger"),
        ('[[trends]]\nname = "T"\ntag = "FLOW_IN"\ntrigger = "NOPE"', "[trend-trigger]"),
        ('[[trends]]\nname = "T"\ntag = "FLOW_IN"\ntrigger = "PRODUCT_CODE"', "string tag"),
        ('[[trends]]\nname = "tank1_level"\ntag = "FLOW_IN"', "[trend-duplicate]"),
        ('[[trends]]\nname = "T"\ntag = "FLOW_IN"\ncluster = "C9"', "[trend-cluster]"),
        ('[[reports]]\nname = "R"\ntime = "24:00:00"', "not a time of day"),
        ('[[reports]]\nname = "R"\nperiod = -5', "[report-period]"),
        ('[[reports]]\nname = "R"\ntrigger = "NOPE"', "[report-trigger]"),
        ('[[reports]]\nname = "R"\ntemplate = "{BATCH_COUNT"', "the template is malformed"),
        ('[[reports]]\nname = "R"\ntemplate = "{BATCH_CONT}"', "did you mean 'BATCH_COUNT'"),
        ('[[reports]]\nname = "shift"', "[report-duplicate]"),
    ],
)
def test_trend_and_report_rules(extra: str, expected: str) -> None:
    assert any(expected in p for p in problems_of("\n" + extra + "\n")), problems_of(
        "\n" + extra + "\n"
    )
