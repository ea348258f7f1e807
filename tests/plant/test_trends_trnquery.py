"""CtAPI's TRNQUERY over a trend's history: parsing, condensing, stretching, record count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant import trnquery
from emulator.plant.config import TagValue, Trend
from emulator.plant.storage import Store
from emulator.plant.trends import BAD, GATED, TrendSample, TrendServer
from emulator.plant.trnquery import TrnQuery, TrnQueryError, TrnRecord, parse

T0 = 1_767_225_600


def no_values(name: str) -> TagValue | None:
    return None


def server(samples: list[TrendSample]) -> TrendServer:
    store = Store.memory()
    store.add_samples("LEVEL", samples, T0)
    return TrendServer([Trend(name="LEVEL", tag="X")], no_values, store)


def value_type(record: TrnRecord) -> int:
    return record.quality & 0xF


def good(record: TrnRecord) -> bool:
    return (record.quality >> 4) & 0xF == 1


def test_parse_the_documented_string() -> None:
    query = parse("TRNQUERY, 1767225600, 250, 10.5, 6, LEVEL, 2, 1, 0, 0")
    assert query == TrnQuery(
        end=T0 + 0.25, period=10.5, count=6, tag="LEVEL", display_mode=2, data_mode=1
    )
    assert parse("trnquery,1767225600,0,1,1,LEVEL,0,0").count == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TRENDQUERY,1,0,1,1,L,0,0", "not a TRNQUERY string"),
        ("TRNQUERY,1,0,1,1,L", "takes 7 to 9 arguments, got 5"),
        ("TRNQUERY,x,0,1,1,L,0,0", "Endtime is 'x', not an integer"),
        ("TRNQUERY,1,1000,1,1,L,0,0", "EndtimeMs is 1000"),
        ("TRNQUERY,1,0,1,5,1,L,0,0", "Displaymode is .L., not an integer"),
        ("TRNQUERY,1,0,1;5,1,L,0,0", "Period is '1;5', not a number"),
        ("TRNQUERY,1,0,0,1,L,0,0", "period 0.0 must be"),
        ("TRNQUERY,1,0,1,0,L,0,0", "number of samples 0"),
        ("TRNQUERY,1,0,1,1,,0,0", "Tagname is empty"),
        ("TRNQUERY,1,0,1,1,L,0,2", "Datamode is 2"),
        ("TRNQUERY,1,0,1,1,L,0,0,1,5", "instant trends"),
        ("TRNQUERY,1,0,1,1,L,4194304,0", "needs Datamode 1"),
        ("TRNQUERY,1,0,1,1,L,4194306,1", "newest-first"),
        ("TRNQUERY,1,0,inf,1,L,0,0", "not a number"),
    ],
)
def test_bad_strings_say_which_argument(text: str, message: str) -> None:
    with pytest.raises(TrnQueryError, match=message):
        parse(text)


def test_mean_of_each_period_with_neighbours_and_fields() -> None:
    samples = [TrendSample(T0 + i, float(i)) for i in range(0, 12)]
    history = server(samples)
    query = parse(f"TRNQUERY,{T0 + 9},0,3,3,LEVEL,0,1")  # grid T0+3, T0+6, T0+9
    records = trnquery.run(history, query, now=T0 + 100)
    assert len(records) == 5
    before, *points, after = records
    assert before == TrnRecord(T0 + 0, 0.0, 2 | 1 << 4 | 1 << 8)
    assert after == TrnRecord(T0 + 10, 10.0, 2 | 1 << 4 | 1 << 8)
    assert [p.value for p in points] == [2.0, 5.0, 8.0]  # means of (t-3, t]
    assert [p.time for p in points] == [T0 + 2, T0 + 5, T0 + 8]  # mean timestamps
    assert all(value_type(p) == 3 and good(p) for p in points)
    assert points[0].fields(1) == {
        "DATETIME": T0 + 2,
        "MSECONDS": 0,
        "VALUE": 2.0,
        "QUALITY": 0x113,
    }
    assert "QUALITY" not in points[0].fields(0)


@pytest.mark.parametrize(
    ("mode", "values", "times"),
    [
        (4, [1.0, 4.0, 7.0], [T0 + 2, T0 + 5, T0 + 8]),  # min, mean timestamp
        (8 | 33_554_432, [3.0, 6.0, 9.0], [T0 + 3, T0 + 6, T0 + 9]),  # max, actual timestamp
        (12 | 33_554_432, [3.0, 6.0, 9.0], [T0 + 3, T0 + 6, T0 + 9]),  # newest
    ],
)
def test_condense_methods(mode: int, values: list[float], times: list[float]) -> None:
    history = server([TrendSample(T0 + i, float(i)) for i in range(1, 10)])
    records = trnquery.run(history, parse(f"TRNQUERY,{T0 + 9},0,3,3,LEVEL,{mode},1"), T0 + 100)
    points = records  # no sample at or before T0, none after T0 + 9: no neighbours
    assert [p.value for p in points] == values
    assert [p.time for p in points] == times


def test_stretch_step_ratio_and_raw_over_a_gap() -> None:
    history = server([TrendSample(T0, 10.0), TrendSample(T0 + 4, 50.0)])

    def points(mode: int) -> list[TrnRecord]:
        return trnquery.run(history, parse(f"TRNQUERY,{T0 + 4},0,1,5,LEVEL,{mode},1"), T0 + 9)

    step = points(0)
    assert [p.value for p in step] == [10.0, 10.0, 10.0, 10.0, 50.0]
    assert [value_type(p) for p in step] == [2, 1, 1, 1, 2]
    ratio = points(128)
    assert [p.value for p in ratio] == [10.0, 20.0, 30.0, 40.0, 50.0]
    raw = points(256)
    assert [value_type(p) for p in raw] == [2, 0, 0, 0, 2]
    assert [p.value for p in points(256 | 2_097_152)] == [10.0, 10.0, 10.0, 10.0, 50.0]
    newest_first = points(2)
    assert [p.time for p in newest_first] == sorted((p.time for p in step), reverse=True)


def test_gated_and_bad_periods_and_partial_flag() -> None:
    history = server(
        [TrendSample(T0, 1.0), TrendSample(T0 + 1, None, GATED), TrendSample(T0 + 2, None, BAD)]
    )
    records = trnquery.run(history, parse(f"TRNQUERY,{T0 + 3},0,1,4,LEVEL,0,1"), now=T0 + 2.5)
    first, gated, bad, empty = records
    assert good(first)
    assert (good(gated), (gated.quality >> 8) & 0xF) == (False, GATED)
    assert (good(bad), (bad.quality >> 8) & 0xF) == (False, BAD)
    assert value_type(empty) == 0  # nothing good to stretch after a gap
    assert empty.quality & 0x1000  # the period closing at T0 + 3 is not over at T0 + 2.5
    assert not first.quality & 0x1000


def test_raw_data_mode_returns_every_sample_in_range() -> None:
    history = server([TrendSample(T0 + i / 2, float(i)) for i in range(10)])
    query = parse(f"TRNQUERY,{T0 + 3},0,1,3,LEVEL,4194304,1")  # range T0+1 .. T0+3
    records = trnquery.run(history, query, T0 + 10)
    assert [r.time for r in records] == [T0 + 0.5 + i / 2 for i in range(7)]
    assert all(value_type(r) == 2 for r in records)


@settings(max_examples=80, deadline=None)
@given(
    times=st.lists(st.integers(0, 200), max_size=40, unique=True),
    end=st.integers(0, 200),
    period=st.sampled_from([0.5, 1.0, 2.5, 7.0]),
    count=st.integers(1, 40),
    mode=st.sampled_from([0, 2, 4, 8, 12, 128, 256, 2_097_152]),
)
def test_record_count_is_n_plus_the_neighbours(
    times: list[int], end: int, period: float, count: int, mode: int
) -> None:
    samples = [TrendSample(T0 + t, float(t)) for t in sorted(times)]
    history = server(samples)
    query = parse(f"TRNQUERY,{T0 + end},0,{period},{count},LEVEL,{mode},1")
    records = trnquery.run(history, query, T0 + 1000)
    start = T0 + end - period * (count - 1)
    has_before = any(s.time <= start - period for s in samples)
    has_after = any(s.time > T0 + end for s in samples)
    assert len(records) == count + has_before + has_after
    ordered = [r.time for r in records]
    assert ordered == sorted(ordered, reverse=bool(mode & 2))


def test_a_bad_neighbour_shows_the_last_valid_value_when_asked() -> None:
    history = server([TrendSample(T0, 7.0), TrendSample(T0 + 5, None, BAD)])
    plain = trnquery.run(history, parse(f"TRNQUERY,{T0 + 1},0,1,2,LEVEL,0,1"), T0 + 9)
    assert [(r.time, r.value) for r in plain] == [(T0, 7.0), (T0 + 1, 7.0), (T0 + 5, 0.0)]
    held = trnquery.run(history, parse(f"TRNQUERY,{T0 + 1},0,1,2,LEVEL,2097152,1"), T0 + 9)
    assert held[-1].value == 7.0
    assert not good(held[-1])
