"""CtAPI's ALMQUERY: the query string, and the records it returns from the alarm event log.

`ALMQUERY,Database,TagName,Starttime,StarttimeMs,Endtime,EndtimeMs,Period` (reference section
5; ctapi-rs docs/AlmQuery.md, the help's "AlmQuery" page). Each record is one alarm sample (a
logged event): DATETIME, MSECONDS, VALUE (the bit field of emulator.plant.alarm_states: good,
disabled, multiple, on, acknowledged, state) and COMMENT (the user's comment of the event).
With Period > 0 the samples of one period are compressed into one (flagged multiple, the mean
time, the last sample's value and comment), periods without samples give none, and the samples
just before and after the range come too: at most range / Period + 3 records, however long the
range. Period 0 (ours) returns every sample in the range, with the same two neighbours.
Documented in docs/plant.md ("Alarms").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import msgspec

from emulator.plant import alarm_states
from emulator.plant.alarms import ALARM_TABLES, AlarmEvent, AlarmServer
from emulator.plant.config import Alarm, AlarmType

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
    #: The VALUE bit field (emulator.plant.alarm_states.query_value).
    value: int
    #: The user's comment of the (last) event.
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
    return AlmQuery(database=database, tag=values["TagName"], start=start, end=end, period=period)


def run(server: AlarmServer, query: AlmQuery) -> list[AlmRecord]:
    """Answer `query` from an alarm server's log (UnknownAlarmError when it has no such alarm)."""
    return answer(query, fetch(server, query))


class Fetched(NamedTuple):
    """What `answer` needs of an alarm's log: the last event before the range, the events in
    it, the first after it (read where the log lives, on the serving loop)."""

    config: Alarm
    before: AlarmEvent | None
    inside: list[AlarmEvent]
    after: AlarmEvent | None


def fetch(server: AlarmServer, query: AlmQuery) -> Fetched:
    """The events of the log that `answer` needs for `query`."""
    config = server.config(query.tag)
    if config.type != query.database:
        raise AlmQueryError(
            f"alarm {config.tag!r} is a {config.type} alarm, not in database "
            f"{_database_name(query.database)}; query {_database_name(config.type)}"
        )
    before = [e for e in server.events(None, query.start, config.tag) if e.time < query.start]
    inside = server.events(query.start, query.end, config.tag)
    after = [
        e for e in server.events(query.end, None, config.tag, 2 + len(inside)) if e.time > query.end
    ]
    return Fetched(
        config, before[-1] if before else None, list(inside), after[0] if after else None
    )


def answer(query: AlmQuery, fetched: Fetched) -> list[AlmRecord]:
    """The records of `query`: the samples in its range, one per period when it has one, and
    the sample just before and just after it (pure: any thread)."""
    inside = fetched.inside
    groups = [[e] for e in inside] if query.period == 0 else _periods(inside, query)
    if fetched.before is not None:
        groups.insert(0, [fetched.before])
    if fetched.after is not None:
        groups.append([fetched.after])
    return [_record(fetched.config, group) for group in groups[:MAX_RECORDS]]


def _periods(events: Sequence[AlarmEvent], query: AlmQuery) -> list[list[AlarmEvent]]:
    """The events of each period from Starttime that has any (one for Endtime itself)."""
    groups: dict[int, list[AlarmEvent]] = {}
    for event in events:
        groups.setdefault(math.floor((event.time - query.start) / query.period), []).append(event)
    return list(groups.values())


def _record(config: Alarm, group: Sequence[AlarmEvent]) -> AlmRecord:
    last = group[-1].status
    # The state bits mean something for analog alarms only ("ignore" for the rest).
    analog = config.type == "analog"
    code = alarm_states.state_code(last.on, last.condition, last.value, config.setpoint)
    code = code if analog else 0
    value = alarm_states.query_value(
        code, on=last.on, acknowledged=last.acked, disabled=last.disabled, multiple=len(group) > 1
    )
    time = sum(e.time for e in group) / len(group)
    return AlmRecord(time, value, group[-1].comment)


def _database_name(alarm_type: AlarmType) -> str:
    return next(name for name, kind in DATABASES.items() if kind == alarm_type)
