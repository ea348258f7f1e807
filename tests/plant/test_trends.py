"""The trends server's plant logic: sampling, history queries, gap fill."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.config import TagValue, Trend
from emulator.plant.storage import FLUSH_INTERVAL, Store
from emulator.plant.trends import (
    BAD,
    GATED,
    GOOD,
    NOT_AVAILABLE,
    HistoryQueryError,
    TrendSample,
    TrendServer,
    UnknownTrendError,
)

T0 = 1_767_225_600.0


def no_values(name: str) -> TagValue | None:
    return None


def test_periodic_trend_samples_on_its_grid_once_per_period() -> None:
    values: dict[str, TagValue | None] = {"LEVEL": 50.0}
    trends = TrendServer(
        [Trend(name="L", tag="LEVEL", sample_period=5)], values.get, Store.memory()
    )
    assert trends.next_due(T0 + 2) == T0 + 2  # nothing taken yet: now
    assert trends.sample(T0 + 2) == [("L", TrendSample(T0, 50.0))]
    assert trends.sample(T0 + 4.9) == []
    assert trends.next_due(T0 + 4.9) == T0 + 5
    values["LEVEL"] = 51
    assert trends.sample(T0 + 5) == [("L", TrendSample(T0 + 5, 51.0))]
    values["LEVEL"] = None
    assert trends.sample(T0 + 17) == [("L", TrendSample(T0 + 15, None, BAD))]
    assert [s.time for s in trends.raw("l")] == [T0, T0 + 5, T0 + 15]


def test_trigger_gates_a_periodic_trend() -> None:
    values: dict[str, TagValue | None] = {"FLOW": 10.0, "RUN": False}
    trends = TrendServer(
        [Trend(name="F", tag="FLOW", sample_period=1, trigger="RUN")], values.get, Store.memory()
    )
    assert trends.sample(T0) == [("F", TrendSample(T0, None, GATED))]
    values["RUN"] = True
    assert trends.sample(T0 + 1) == [("F", TrendSample(T0 + 1, 10.0, GOOD))]
    values["RUN"] = None
    assert trends.sample(T0 + 2) == [("F", TrendSample(T0 + 2, None, NOT_AVAILABLE))]


def test_event_trend_samples_on_trigger_edges() -> None:
    values: dict[str, TagValue | None] = {"COUNT": 7, "DONE": True}
    trends = TrendServer(
        [Trend(name="B", tag="COUNT", type="event", trigger="DONE")], values.get, Store.memory()
    )
    assert trends.next_due(T0) is None
    assert trends.sample(T0) == []  # true at start: no edge
    values["DONE"] = False
    assert trends.sample(T0 + 1) == []
    values["DONE"] = True
    assert trends.sample(T0 + 2.5) == [("B", TrendSample(T0 + 2.5, 7.0))]
    assert trends.sample(T0 + 3) == []


def test_samples_flush_within_a_second_through_sample() -> None:
    store = Store.memory()
    trends = TrendServer([Trend(name="L", tag="X", sample_period=10)], {"X": 1}.get, store)
    trends.sample(T0)
    assert store.flush_deadline() == T0 + FLUSH_INTERVAL
    assert trends.next_due(T0) == T0 + FLUSH_INTERVAL
    trends.sample(T0 + FLUSH_INTERVAL)
    assert store.flush_deadline() is None


def test_raw_and_averaged_history() -> None:
    store = Store.memory()
    store.add_samples("L", [TrendSample(T0 + i, float(i)) for i in range(10)], T0)
    store.add_samples("L", [TrendSample(T0 + 10, None, BAD)], T0)
    trends = TrendServer([Trend(name="L", tag="X")], no_values, store)
    assert [s.value for s in trends.raw("L", T0 + 2, T0 + 4)] == [2.0, 3.0, 4.0]
    assert [s.value for s in trends.raw("L", end=T0 + 4, count=2)] == [3.0, 4.0]
    averaged = trends.averaged("L", end=T0 + 10, period=5, count=3)
    assert averaged == [
        TrendSample(T0, 0.0),  # (T0 - 5, T0]
        TrendSample(T0 + 5, 3.0),  # 1..5
        TrendSample(T0 + 10, 7.5),  # 6..9 (10 is bad)
    ]
    assert trends.averaged("L", end=T0 + 100, period=5, count=1) == [
        TrendSample(T0 + 100, None, BAD)
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, "count 0 is out of range"),
        ({"start": T0 + 5, "end": T0}, "swap them"),
    ],
)
def test_bad_raw_queries_say_what_to_do(kwargs: dict[str, float], message: str) -> None:
    trends = TrendServer([Trend(name="L", tag="X")], no_values, Store.memory())
    with pytest.raises(HistoryQueryError, match=message):
        trends.raw("L", **kwargs)  # type: ignore[arg-type]


def test_bad_averaged_queries_and_unknown_trends() -> None:
    trends = TrendServer([Trend(name="L", tag="X")], no_values, Store.memory())
    with pytest.raises(HistoryQueryError, match="period"):
        trends.averaged("L", end=T0, period=0, count=3)
    with pytest.raises(HistoryQueryError, match="number of samples"):
        trends.averaged("L", end=T0, period=1, count=-1)
    with pytest.raises(UnknownTrendError, match="'NOPE'"):
        trends.raw("NOPE")


def test_a_returning_server_fills_its_gap_from_the_peer() -> None:
    values: dict[str, TagValue | None] = {"X": 1.0}
    config = [Trend(name="L", tag="X", sample_period=1)]
    peer = TrendServer(config, values.get, Store.memory())
    back = TrendServer(config, values.get, Store.memory())
    for i in range(3):
        peer.sample(T0 + i)
        back.sample(T0 + i)
    for i in range(3, 8):  # `back` is down
        values["X"] = float(i)
        peer.sample(T0 + i)
    points = back.resume_points()
    assert points == {"L": T0 + 2}
    missing = peer.samples_since(points)
    assert [s.time for s in missing["L"]] == [T0 + i for i in range(3, 8)]
    assert back.fill_gap(missing) == 5
    assert back.raw("L") == peer.raw("L")
    assert back.fill_gap(peer.samples_since({"L": None, "unknown": None})) == 0


def test_history_survives_a_restart(tmp_path: Path) -> None:
    config = [Trend(name="L", tag="X", sample_period=1)]
    values: dict[str, TagValue | None] = {"X": 3.0}
    store = Store.open(tmp_path, "TREND1")
    first = TrendServer(config, values.get, store)
    for i in range(3):
        first.sample(T0 + i)
    store.close()
    again = TrendServer(config, values.get, Store.open(tmp_path, "TREND1"))
    assert again.resume_points() == {"L": T0 + 2}
    assert [s.time for s in again.raw("L")] == [T0, T0 + 1, T0 + 2]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=7.5), min_size=1, max_size=40),
    st.lists(st.sampled_from([0.5, 1.0, 2.5, 5.0, 0.1]), min_size=1, max_size=4),
)
def test_time_only_trends_sample_the_same_when_scans_skip_them(
    steps: list[float], periods: list[float]
) -> None:
    """A server whose trends only time makes sample looks at none of them before the next
    slot; its samples are those of a server that looks at every trend at every scan."""
    trends = [Trend(name=f"T{i}", tag="LEVEL", sample_period=p) for i, p in enumerate(periods)]
    reads: list[int] = [0, 0]

    def reader(which: int) -> Callable[[str], TagValue | None]:
        def read(name: str) -> TagValue | None:
            reads[which] += 1
            return 1.0 if name == "LEVEL" else True

        return read

    timed = TrendServer(trends, reader(0), Store.memory())
    # A triggered trend (always on) makes the other server look at every trend every time.
    gated = Trend(name="G", tag="LEVEL", sample_period=1000.0, trigger="RUN")
    full = TrendServer([*trends, gated], reader(1), Store.memory())
    last: dict[str, float] = {}
    now = T0
    for step in steps:
        now += step
        taken = timed.sample(now)
        assert taken == [s for s in full.sample(now) if s[0] != "G"]
        last.update((name, sample.time) for name, sample in taken)
        nearest = min(last[t.name] + t.sample_period for t in trends)
        due = timed.next_due(now)
        assert due is not None and due <= nearest  # never later than its next slot
    assert reads[0] <= reads[1]


def test_scans_between_slots_look_at_no_trend(monkeypatch: pytest.MonkeyPatch) -> None:
    trends = TrendServer(
        [Trend(name="L", tag="LEVEL", sample_period=5)], {"level": 1.0}.get, Store.memory()
    )
    looked: list[str] = []
    take = TrendServer._take

    def counting(self: TrendServer, sampler: Any, now: float) -> TrendSample | None:
        looked.append(sampler.config.name)
        return take(self, sampler, now)

    monkeypatch.setattr(TrendServer, "_take", counting)
    start = 1_767_225_600.0  # a slot of a 5 s period
    assert len(trends.sample(start)) == 1
    for i in range(1, 100):
        assert trends.sample(start + i * 0.049) == []
    assert looked == ["L"]
    assert trends.next_due(start + 1) == start + 5
    assert [name for name, _ in trends.sample(start + 5)] == ["L"]
