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
        ("ALMQUERY,DigAlm,F,0,0,1000000,0,1", "more than 100000 records"),
    ],
)
def test_bad_strings_say_which_argument(text: str, message: str) -> None:
    with pytest.raises(AlmQueryError, match=message):
        parse(text)


def test_period_zero_returns_every_event_in_range() -> None:
    server = history()
    records = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0},0,{T0 + 15},0,0"))
    assert records == [AlmRecord(T0 + 10.5, 1, "on"), AlmRecord(T0 + 12, 1, "ack")]
    assert records[0].fields() == {
        "DATETIME": T0 + 10,
        "MSECONDS": 500,
        "VALUE": 1,
        "COMMENT": "on",
    }


def test_a_period_samples_the_state() -> None:
    server = history()
    records = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0},0,{T0 + 20},0,5"))
    assert [(r.time, r.value, r.comment) for r in records] == [
        (T0, 0, "OFF acknowledged"),  # never on yet
        (T0 + 5, 0, "OFF acknowledged"),
        (T0 + 10, 0, "OFF acknowledged"),
        (T0 + 15, 1, "ON acknowledged"),  # on at 10.5, acknowledged at 12
        (T0 + 20, 0, "OFF acknowledged"),  # off at 20
    ]
    middle = almquery.run(server, parse(f"ALMQUERY,DigAlm,F_ALM,{T0 + 11},0,{T0 + 13},0,1"))
    assert [(r.value, r.comment) for r in middle] == [
        (1, "ON unacknowledged"),
        (1, "ON acknowledged"),
        (1, "ON acknowledged"),
    ]


def test_wrong_database_or_alarm_is_refused() -> None:
    server = history()
    with pytest.raises(AlmQueryError, match=r"is a digital alarm.*query DigAlm"):
        almquery.run(server, parse(f"ALMQUERY,AnaAlm,F_ALM,{T0},0,{T0},0,0"))
    with pytest.raises(UnknownAlarmError):
        almquery.run(server, parse(f"ALMQUERY,DigAlm,NOPE,{T0},0,{T0},0,0"))
