"""The older `CTAPITrend(sTime,sDate,Period,Length,Mode,Tag)` query (help page 1150547;
ctapi-behaviour.md: "CTAPITrend(...) is the older table form some clients still send")."""

from __future__ import annotations

import pytest

from emulator.plant import ctapitrend, trnquery
from emulator.plant.config import TagValue
from emulator.plant.ctapitrend import CtApiTrendError, parse
from emulator.plant.trends import BAD, GOOD, TrendSample
from tests.plant.test_trends_trnquery import T0, server

SAMPLES = [TrendSample(T0 + i, 10.0 + i, GOOD) for i in range(6)]


def period_of(tag: str) -> float:
    return 1.0


def rows(text: str, now: float = T0 + 100) -> list[dict[str, TagValue]]:
    query = parse(text, now, period_of)
    history = server(SAMPLES)
    return ctapitrend.fields(query, trnquery.points(history, query.query, now))


def test_mode_1_gives_date_time_and_the_tag_from_the_start_time() -> None:
    # 1150547: Mode 1 "the Date and Time, followed by the tags".
    found = rows('CTAPITrend("00:00:01","01-01-2026",1,3,1,"LEVEL")')
    assert found == [
        {"DATE": "01-01-2026", "TIME": "00:00:01", "LEVEL": 11.0, "VALUE": 11.0},
        {"DATE": "01-01-2026", "TIME": "00:00:02", "LEVEL": 12.0, "VALUE": 12.0},
        {"DATE": "01-01-2026", "TIME": "00:00:03", "LEVEL": 13.0, "VALUE": 13.0},
    ]


def test_mode_2_gives_the_time_only_and_an_empty_time_the_latest_rows() -> None:
    # 1150547: Mode 2 "the Time only"; "Set the time to an empty string to search the latest".
    found = rows("CTAPITrend(,01/01/2026,0,2,2,LEVEL)", now=T0 + 5)
    assert found == [
        {"TIME": "00:00:04", "LEVEL": 14.0, "VALUE": 14.0},
        {"TIME": "00:00:05", "LEVEL": 15.0, "VALUE": 15.0},
    ]


@pytest.mark.parametrize("now", [T0 - 10, T0 + 2.5, T0 + 3, T0 + 100], ids=str)
def test_the_latest_rows_are_length_rows_whenever_asked(now: float) -> None:
    # 1150547: Length "the number of rows of samples"; TRNQUERY's neighbours left out (ours).
    assert len(rows("CTAPITrend(,,1,3,1,LEVEL)", now=now)) == 3


def test_mode_3_leaves_out_rows_without_a_good_value() -> None:
    # 1150547: Mode 3 "Ignore any invalid or gated values".
    samples = [*SAMPLES[:2], TrendSample(T0 + 2, None, BAD), *SAMPLES[3:]]
    query = parse("CTAPITrend(00:00:01,2026-01-01,1,3,3,LEVEL)", T0 + 100, period_of)
    history = server(samples)
    found = ctapitrend.fields(query, trnquery.points(history, query.query, T0 + 100))
    assert [row["TIME"] for row in found] == ["00:00:01", "00:00:03"]
    every = parse("CTAPITrend(00:00:01,2026-01-01,1,3,1,LEVEL)", T0 + 100, period_of)
    assert len(ctapitrend.fields(every, trnquery.points(history, every.query, T0 + 100))) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CTAPITrend(1,2,3)", "takes 6 arguments, got 3"),
        ("CTAPITrend(,,1,1,1,)", "Tag is empty"),
        ("CTAPITrend(,,x,1,1,L)", "are numbers"),
        ("CTAPITrend(,,1,1,4,L)", "Mode is 4"),
        ("CTAPITrend(,,-1,1,1,L)", "Period is '-1'"),
        ("CTAPITrend(,,1,0,1,L)", "number of samples 0"),
        ("CTAPITrend(25:00,01-01-2026,1,1,1,L)", "write HH:MM:SS and dd-mm-yyyy"),
        ("CTAPITrend 1,2", "not a CTAPITrend query"),
    ],
)
def test_bad_queries_say_which_argument(text: str, message: str) -> None:
    with pytest.raises(CtApiTrendError, match=message):
        parse(text, T0, period_of)
