from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.scenario.config import TimelineEvent
from emulator.scenario.timeline import MAX_OCCURRENCES, Timeline

START = 1000.0


def event(at: float | str, **fields: object) -> TimelineEvent:
    return TimelineEvent(at=at, action=fields.pop("action", "stop"), **fields)  # type: ignore[arg-type]


def test_events_fire_once_in_time_then_file_order() -> None:
    timeline = Timeline(
        [event("1m", process="B"), event(30, process="A"), event(60, process="C")], START
    )
    assert timeline.due(START + 29) == []
    assert [o.event.process for o in timeline.due(START + 30)] == ["A"]
    assert [o.event.process for o in timeline.due(START + 100)] == ["B", "C"]
    assert timeline.due(START + 1000) == []
    assert timeline.next_due() is None


def test_repeating_events_fire_every_period() -> None:
    timeline = Timeline([event(10, every="20s", action="crash", process="IO1")], START)
    times = [o.time - START for o in timeline.due(START + 75)]
    assert times == [10, 30, 50, 70]
    assert timeline.next_due() == START + 90


def test_a_clock_jump_skips_repeats_beyond_the_bound() -> None:
    timeline = Timeline([event(0, every=1)], START)
    assert len(timeline.due(START + MAX_OCCURRENCES * 3)) == MAX_OCCURRENCES
    assert timeline.next_due() == START + MAX_OCCURRENCES * 3 + 1


def test_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="every"):
        Timeline([event(0, every=0)], START)


@given(
    st.lists(st.tuples(st.floats(0, 100), st.one_of(st.none(), st.floats(1, 50))), max_size=8),
    st.lists(st.floats(0, 200), min_size=1, max_size=10),
)
def test_polling_pattern_does_not_change_what_fires(
    specs: list[tuple[float, float | None]], polls: list[float]
) -> None:
    events = [event(at, every=every) for at, every in specs]
    stepped, whole = Timeline(events, START), Timeline(events, START)
    end = START + max(polls)
    seen = []
    for poll in sorted(polls):
        seen += stepped.due(START + poll)
    assert sorted((o.time, o.index) for o in seen) == [(o.time, o.index) for o in whole.due(end)]
