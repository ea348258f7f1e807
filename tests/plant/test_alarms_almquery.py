"""CtAPI's ALMQUERY over the alarm event log."""

from __future__ import annotations

import pytest

from emulator.plant import almquery
from emulator.plant.alarms import AlarmServer, UnknownAlarmError
from emulator.plant.almquery import AlmQuery, AlmQueryError, AlmRecord, parse
from emulator.plant.config import Alarm, TagValue
from emulator.plant.storage import Store

T0 = 1_767_225_600


def history() -> AlarmServer:
    values: dict[str, TagValue | None] = {"F": False, "L": 50.0}
    server = AlarmServer(
        [
            Alarm(tag="F_ALM", variable="F"),
            Alarm(tag="L_ALM", type="analog", variable="L", high=80),
        ],
        [],
        values.get,
        Store.memory(),
    )
    server.evaluate(T0)
    values["F"] = True
    server.evaluate(T0 + 10.5)
    server.acknowledge("F_ALM", "op", T0 + 12)
    values["F"] = False
    server.evaluate(T0 + 20)
    return server


def test_parse() -> None:
    assert parse("ALMQUERY, digalm, F_ALM, 1767225600, 500, 1767225630, 0, 10") == AlmQuery(
        database="digital", tag="F_ALM", start=T0 + 0.5, end=T0 + 30, period=10.0
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ALMQ,DigAlm,F,1,0,2,0,0", "not an ALMQUERY string"),
        ("ALMQUERY,DigAlm,F,1,0,2,0", "takes 7 arguments, got 6"),
        ("ALMQUERY,TsDigAlm,F,1,0,2,0,0", "TsDigAlm is not emulated"),
        ("ALMQUERY,Alarms,F,1,0,2,0,0", "not one of DigAlm, AnaAlm or AdvAlm"),
        ("ALMQUERY,DigAlm,,1,0,2,0,0", "TagName is empty"),
        ("ALMQUERY,DigAlm,F,x,0,2,0,0", "Starttime is 'x'"),
        ("ALMQUERY,DigAlm,F,1,1000,2,0,0", "StarttimeMs is 1000"),
        ("ALMQUERY,DigAlm,F,1,0,2,0,-1", "Period is '-1'"),
        ("ALMQUERY,DigAlm,F,5,0,2,0,0", "swap them"),
    ],
)
def test_bad_strings_say_which_argument(text: str, message: str) -> None:
    with pytest.raises(AlmQueryError, match=message):
        parse(text)


# VALUE bits (ctapi-rs docs/AlmQuery.md): 1 good, 2 disabled, 4 multiple, 8 on, 16 acknowledged.
ON_UNACKED, ON_ACKED, OFF_ACKED = 1 | 8, 1 | 8 | 16, 1 | 16


def test_period_zero_returns_every_event_in_range_and_the_next_one() -> None:
    # Ours for Period 0 (docs/plant.md): every raw sample, with the samples either side.
    server = history()
    records = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0},0,{T0 + 15},0,0"))
    assert records == [
        AlmRecord(T0 + 10.5, ON_UNACKED, ""),
        AlmRecord(T0 + 12, ON_ACKED, ""),
        AlmRecord(T0 + 20, OFF_ACKED, ""),  # the next sample after the range
    ]
    assert records[0].fields() == {
        "DATETIME": T0 + 10,
        "MSECONDS": 500,
        "VALUE": ON_UNACKED,
        "COMMENT": "",
    }


def test_a_period_compresses_its_samples_and_skips_periods_without_any() -> None:
    # docs/AlmQuery.md: no interpolated samples; several in one period are one, flagged
    # multiple, at their mean time, with the last one's value and comment.
    server = history()
    records = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0},0,{T0 + 20},0,5"))
    assert [(r.time, r.value) for r in records] == [
        (T0 + 11.25, ON_ACKED | 4),  # on at 10.5 and acknowledged at 12, one period
        (T0 + 20, OFF_ACKED),  # the sample exactly on the end time
    ]
    middle = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0 + 11},0,{T0 + 13},0,1"))
    assert [(r.time, r.value) for r in middle] == [
        (T0 + 10.5, ON_UNACKED),  # the previous sample
        (T0 + 12, ON_ACKED),
        (T0 + 20, OFF_ACKED),  # the next sample
    ]


def test_the_record_count_stays_within_range_over_period_plus_three() -> None:
    # docs/AlmQuery.md: at most range / Period + 3 records; a long range is not refused.
    values: dict[str, TagValue | None] = {"F": False}
    server = AlarmServer([Alarm(tag="F_ALM", variable="F")], [], values.get, Store.memory())
    for step in range(40):
        values["F"] = step % 2 == 0
        server.evaluate(T0 + step)
    records = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0 + 5},0,{T0 + 35},0,10"))
    assert len(records) <= 30 / 10 + 3
    assert [r.time for r in records] == [T0 + 4, T0 + 9.5, T0 + 19.5, T0 + 29.5, T0 + 35, T0 + 36]
    assert all(r.value & 4 for r in records[1:4])  # compressed periods are multiple
    everything = almquery.run(server, parse("ALMQUERY,DigAlm,F_ALM,0,0,4000000000,0,0.001"))
    assert len(everything) == 40


def test_comment_and_disabled_bit_and_analog_state() -> None:
    # docs/AlmQuery.md: COMMENT is the user's comment; bit 1 disabled; bits 5-7 the analog
    # state (5 high).
    server = history()
    server.disable("F_ALM", "op", T0 + 30, comment="pump out for service")
    query = parse(f"ALMQUERY,DigAlm,F_ALM,{T0 + 25},0,{T0 + 35},0,0")
    previous, disabled = almquery.run(server, query)
    assert (previous.time, previous.value & 2) == (T0 + 20, 0)
    assert (disabled.value & 2, disabled.comment) == (2, "pump out for service")
    values: dict[str, TagValue | None] = {"L": 90.0}
    analog = AlarmServer(
        [Alarm(tag="L_ALM", type="analog", variable="L", high=80)], [], values.get, Store.memory()
    )
    analog.evaluate(T0)
    [high] = almquery.run(analog, parse(f"ALMQUERY,AnaAlm,L_ALM,{T0},0,{T0},0,0"))
    assert high.value == ON_UNACKED | (5 << 5)


def test_wrong_database_or_alarm_is_refused() -> None:
    server = history()
    with pytest.raises(AlmQueryError, match=r"is a digital alarm.*query DigAlm"):
        almquery.run(server, parse(f"ALMQUERY,AnaAlm,F_ALM,{T0},0,{T0},0,0"))
    with pytest.raises(UnknownAlarmError):
        almquery.run(server, parse(f"ALMQUERY,DigAlm,NOPE,{T0},0,{T0},0,0"))
