"""The reports server's plant logic: schedule, trigger, on demand, templates."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.config import Report, TagValue
from emulator.plant.reports import (
    DAY,
    NO_VALUE,
    ReportConfigError,
    ReportServer,
    Schedule,
    UnknownReportError,
    parse_time_of_day,
    template_fields,
)

MIDNIGHT = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def no_values(name: str) -> TagValue | None:
    return None


def test_shift_report_runs_at_time_plus_k_periods() -> None:
    values: dict[str, TagValue | None] = {"BATCH_COUNT": 1287, "LEVEL": 62.04}
    shift = Report(
        name="Shift",
        time="06:00:00",
        period=8 * 3600,
        template="Batches {BATCH_COUNT}, level {LEVEL:.1f} %",
    )
    reports = ReportServer([shift], values.get, start=MIDNIGHT)
    assert reports.next_run("shift", MIDNIGHT) == MIDNIGHT + 6 * 3600
    assert reports.next_wakeup(MIDNIGHT) == MIDNIGHT + 6 * 3600
    assert reports.step(MIDNIGHT + 5 * 3600) == []
    assert reports.due(MIDNIGHT + 6 * 3600) == ["Shift"]
    (run,) = reports.step(MIDNIGHT + 6 * 3600 + 0.5)
    assert (run.reason, run.scheduled, run.number) == ("schedule", MIDNIGHT + 6 * 3600, 1)
    assert run.output == "Batches 1287, level 62.0 %"
    assert reports.step(MIDNIGHT + 7 * 3600) == []
    # Missed several grid times at once: one run, for the newest.
    (late,) = reports.step(MIDNIGHT + 29 * 3600)
    assert late.scheduled == MIDNIGHT + 22 * 3600
    assert [r.number for r in reports.runs("SHIFT")] == [1, 2]


def test_default_schedule_is_daily_at_midnight() -> None:
    reports = ReportServer([Report(name="Daily", template="x")], no_values, start=MIDNIGHT + 1)
    assert reports.next_run("Daily", MIDNIGHT + 1) == MIDNIGHT + DAY
    assert [r.scheduled for r in reports.step(MIDNIGHT + DAY)] == [MIDNIGHT + DAY]


def test_trigger_runs_on_false_to_true_edges_only() -> None:
    values: dict[str, TagValue | None] = {"GO": True}
    reports = ReportServer([Report(name="Batch", trigger="GO", template="done")], values.get)
    assert reports.next_run("Batch", MIDNIGHT) is None
    assert reports.next_wakeup(MIDNIGHT) is None
    assert reports.step(MIDNIGHT) == []  # already true at start: no edge
    values["GO"] = False
    assert reports.step(MIDNIGHT + 1) == []
    values["GO"] = True
    assert reports.due(MIDNIGHT + 2) == ["Batch"]
    assert [r.reason for r in reports.step(MIDNIGHT + 2)] == ["trigger"]
    assert reports.step(MIDNIGHT + 3) == []
    values["GO"] = None  # a comms break is not an edge
    reports.step(MIDNIGHT + 4)
    values["GO"] = True
    assert reports.step(MIDNIGHT + 5) == []


def test_on_demand_run_and_missing_values() -> None:
    reports = ReportServer(
        [Report(name="R", trigger="T", template="{{literal}} {A} {B:.2f} {C:d}")],
        {"A": "x", "C": "text"}.get,
    )
    run = reports.run("r", MIDNIGHT, user="engineer")
    assert (run.reason, run.user) == ("demand", "engineer")
    assert run.output == f"{{literal}} x {NO_VALUE} #ERR"
    assert len(run.problems) == 2
    assert reports.get_run(run.number) == run
    assert reports.get_run(99) is None
    with pytest.raises(UnknownReportError, match="'nope'"):
        reports.run("nope", MIDNIGHT)


def test_runs_are_bounded() -> None:
    reports = ReportServer([Report(name="R", trigger="T")], no_values, keep=3)
    for i in range(5):
        reports.run("R", MIDNIGHT + i)
    assert [r.number for r in reports.runs()] == [3, 4, 5]
    assert [r.number for r in reports.runs(limit=1)] == [5]


@pytest.mark.parametrize(
    ("text", "message"),
    [("25:00:00", "not a time of day"), ("noon", "not HH:MM:SS"), ("6:61", "not a time of day")],
)
def test_bad_times_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ReportConfigError, match=message):
        parse_time_of_day(text)


@pytest.mark.parametrize("template", ["{", "{A!r}", "{}", "{A"])
def test_bad_templates_say_what_to_write(template: str) -> None:
    with pytest.raises(ReportConfigError, match="write"):
        template_fields(template)


def test_bad_period_is_refused() -> None:
    with pytest.raises(ReportConfigError, match="above 0"):
        Schedule.of(Report(name="R", period=0))


@settings(max_examples=100, deadline=None)
@given(
    time=st.integers(0, int(DAY) - 1),
    period=st.integers(1, 3 * int(DAY)),
    start=st.floats(0, 1e6),
    steps=st.lists(st.floats(0, 5e4), min_size=1, max_size=30),
)
def test_a_schedule_hits_time_plus_k_periods(
    time: int, period: int, start: float, steps: list[float]
) -> None:
    text = f"{time // 3600:02d}:{time // 60 % 60:02d}:{time % 60:02d}"
    report = Report(name="R", time=text, period=float(period))
    reports = ReportServer([report], no_values, start=MIDNIGHT + start)
    now = MIDNIGHT + start
    scheduled: list[float] = []
    for step in steps:
        now += step
        for run in reports.step(now):
            assert run.scheduled is not None
            scheduled.append(run.scheduled)
            k = (run.scheduled - time) / period
            assert abs(k - round(k)) < 1e-6  # on the grid
            assert run.scheduled <= now < run.scheduled + period  # the newest grid time
    assert scheduled == sorted(set(scheduled))
    assert all(s > MIDNIGHT + start for s in scheduled)
    # Every step that crossed a grid time ran once, so no more than one run per step.
    assert len(scheduled) <= len(steps)


@settings(max_examples=60, deadline=None)
@given(
    time=st.integers(0, int(DAY) - 1),
    period=st.integers(1, 3 * int(DAY)),
    start=st.floats(0, 1e6),
    count=st.integers(1, 20),
)
def test_stepping_on_each_grid_time_runs_each_exactly_once(
    time: int, period: int, start: float, count: int
) -> None:
    text = f"{time // 3600:02d}:{time // 60 % 60:02d}:{time % 60:02d}"
    reports = ReportServer(
        [Report(name="R", time=text, period=float(period))], no_values, start=MIDNIGHT + start
    )
    now = MIDNIGHT + start
    for _ in range(count):
        due = reports.next_wakeup(now)
        assert due is not None and due > now
        (run,) = reports.step(due)
        assert run.scheduled == due
        now = due
