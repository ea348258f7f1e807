"""CtAPI's ALMQUERY: the query string, and the records it returns from the alarm event log.

`ALMQUERY,Database,TagName,Starttime,StarttimeMs,Endtime,EndtimeMs,Period` (reference section
5). The reference gives the arguments only; what the records hold is ours to decide and is
documented in docs/plant.md ("Alarms"): with Period 0 one record per logged event of the alarm
in [start, end]; with Period > 0 one record every Period seconds from start to end holding the
alarm's state at that moment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from emulator.plant.alarms import ALARM_TABLES, AlarmEvent, AlarmServer
from emulator.plant.config import AlarmType

#: The Database argument for each alarm type the emulator has (CtAPI's find tables).
DATABASES = ALARM_TABLES
_BY_KEY = {name.casefold(): kind for name, kind in DATABASES.items()}
#: Types Plant SCADA has that the emulator does not (the query is refused, saying so).
NOT_EMULATED = ("HResAlm", "ArgDigAlm", "TsDigAlm", "TsAnaAlm")
#: A query never returns more records than this.
MAX_RECORDS = 100_000

_ARGUMENTS = (
    "Database",
    "TagName",
    "Starttime",
    "StarttimeMs",
    "Endtime",
    "EndtimeMs",
    "Period",
)
_SYNTAX = "ALMQUERY," + ",".join(_ARGUMENTS)


class AlmQueryError(ValueError):
    """The query string is malformed; the message names the argument and what to write."""


class AlmQuery(msgspec.Struct, frozen=True, kw_only=True):
    database: AlarmType
    tag: str
    start: float
    end: float
    period: float


class AlmRecord(msgspec.Struct, frozen=True):
    time: float
    #: 1 while the alarm is on after this moment, else 0.
    value: int
    #: The event: "on", "off", "ack", "disable", "enable" (Period 0), or its state (Period > 0).
    comment: str

    def fields(self) -> dict[str, int | str]:
        """The record as ctGetProperty reads it."""
        seconds = math.floor(self.time)
        return {
            "DATETIME": seconds,
            "MSECONDS": min(round((self.time - seconds) * 1000), 999),
            "VALUE": self.value,
            "COMMENT": self.comment,
        }


def parse(text: str) -> AlmQuery:
    parts = [p.strip() for p in text.split(",")]
    if not parts or parts[0].upper() != "ALMQUERY":
        raise AlmQueryError(f"not an ALMQUERY string: {text[:40]!r}; write {_SYNTAX}")
    if len(parts) - 1 != len(_ARGUMENTS):
        raise AlmQueryError(
            f"ALMQUERY takes {len(_ARGUMENTS)} arguments, got {len(parts) - 1}; write {_SYNTAX}"
        )
    values = dict(zip(_ARGUMENTS, parts[1:], strict=True))
    database = _BY_KEY.get(values["Database"].casefold())
    if database is None:
        emulated = "DigAlm, AnaAlm or AdvAlm"
        if values["Database"].casefold() in {n.casefold() for n in NOT_EMULATED}:
            raise AlmQueryError(
                f"ALMQUERY database {values['Database']} is not emulated; use {emulated}"
            )
        raise AlmQueryError(f"ALMQUERY database {values['Database']!r} is not one of {emulated}")
    if not values["TagName"]:
        raise AlmQueryError("ALMQUERY argument TagName is empty; name an alarm tag")

    def integer(name: str) -> int:
        try:
            return int(values[name])
        except ValueError:
            raise AlmQueryError(
                f"ALMQUERY argument {name} is {values[name]!r}, not an integer; write {_SYNTAX}"
            ) from None

    for name in ("StarttimeMs", "EndtimeMs"):
        if not 0 <= integer(name) <= 999:
            raise AlmQueryError(f"ALMQUERY argument {name} is {values[name]}; it must be 0-999")
    try:
        period = float(values["Period"])
    except ValueError:
        period = math.nan
    if not (math.isfinite(period) and period >= 0):
        raise AlmQueryError(
            f"ALMQUERY argument Period is {values['Period']!r}; write seconds, 0 for every event"
        )
    start = integer("Starttime") + integer("StarttimeMs") / 1000
    end = integer("Endtime") + integer("EndtimeMs") / 1000
    if start > end:
        raise AlmQueryError(f"ALMQUERY Starttime {start} is after Endtime {end}; swap them")
    if period > 0 and (end - start) / period + 1 > MAX_RECORDS:
        raise AlmQueryError(
            f"ALMQUERY would return more than {MAX_RECORDS} records; use a longer Period"
        )
    return AlmQuery(database=database, tag=values["TagName"], start=start, end=end, period=period)


def run(server: AlarmServer, query: AlmQuery) -> list[AlmRecord]:
    """Answer `query` from an alarm server's log (UnknownAlarmError when it has no such alarm)."""
    return answer(query, fetch(server, query))


def fetch(server: AlarmServer, query: AlmQuery) -> list[AlarmEvent]:
    """The events of the log that `answer` needs for `query`."""
    config = server.config(query.tag)
    if config.type != query.database:
        raise AlmQueryError(
            f"alarm {config.tag!r} is a {config.type} alarm, not in database "
            f"{_database_name(query.database)}; query {_database_name(config.type)}"
        )
    start = query.start if query.period == 0 else None
    return server.events(start, query.end, config.tag)


def answer(query: AlmQuery, events: Sequence[AlarmEvent]) -> list[AlmRecord]:
    """The records of `query` from its events (pure: any thread)."""
    if query.period == 0:
        return [AlmRecord(e.time, int(e.status.on), e.kind) for e in events[:MAX_RECORDS]]
    return _sampled(events, query)


def _sampled(history: Sequence[AlarmEvent], query: AlmQuery) -> list[AlmRecord]:
    records = []
    index, state, on = 0, "OFF acknowledged", 0
    count = math.floor((query.end - query.start) / query.period + 1e-9) + 1
    for step in range(count):
        t = query.start + step * query.period
        while index < len(history) and history[index].time <= t:
            state, on = history[index].state, int(history[index].status.on)
            index += 1
        records.append(AlmRecord(t, on, state))
    return records


def _database_name(alarm_type: AlarmType) -> str:
    return next(name for name, kind in DATABASES.items() if kind == alarm_type)
