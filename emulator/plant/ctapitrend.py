"""CtAPI's older trend query, `CTAPITrend(sTime,sDate,Period,Length,Mode,Tag)` given to
ctFindFirst in place of a table (help page 1150547; ctapi-behaviour.md "TRNQUERY").

Answered as the TRNQUERY it stands for (emulator.plant.trnquery, one value per period): Length
rows Period seconds apart from sTime on sDate (sTime empty: the latest Length rows, ending now);
Period 0 is the trend's own sample period. Mode 1 gives DATE and TIME, mode 2 TIME only, mode
3 is mode 1 without the rows that have no good value; the value is under the trend's name (as
"followed by the tags") and under VALUE. sDate is dd-mm-yyyy, dd/mm/yyyy or yyyy-mm-dd; times
are UTC; arguments may be quoted. The neighbours TRNQUERY adds before and after the range are
left out: the old query returns its table only (ours). Documented in docs/plant.md ("Trends").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from emulator.plant.alarm_records import date_text, time_text
from emulator.plant.config import TagValue
from emulator.plant.trends import HistoryQueryError
from emulator.plant.trnquery import TrnQuery, TrnRecord

_CALL = re.compile(r"^\s*CTAPITrend\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_SYNTAX = "CTAPITrend(sTime,sDate,Period,Length,Mode,Tag)"
_DATES = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")
_TIMES = ("%H:%M:%S", "%H:%M")
MODES = (1, 2, 3)


class CtApiTrendError(HistoryQueryError):
    """The query string is malformed; the message names the argument and what to write."""


class CtApiTrend(msgspec.Struct, frozen=True, kw_only=True):
    query: TrnQuery
    mode: int
    #: The trend's name as the caller wrote it: the field its values come under.
    field: str


def is_ctapitrend(text: str) -> bool:
    return text.lstrip()[:11].casefold() == "ctapitrend("


def parse(text: str, now: float, sample_period: Callable[[str], float]) -> CtApiTrend:
    """The query; `sample_period(tag)` gives a trend's own period (for Period 0)."""
    match = _CALL.match(text)
    if match is None:
        raise CtApiTrendError(f"not a CTAPITrend query: {text[:40]!r}; write {_SYNTAX}")
    args = [a.strip().strip('"').strip() for a in match.group(1).split(",")]
    if len(args) != 6:
        raise CtApiTrendError(f"CTAPITrend takes 6 arguments, got {len(args)}; write {_SYNTAX}")
    start_time, start_date, period_text, length_text, mode_text, tag = args
    if not tag:
        raise CtApiTrendError("CTAPITrend argument Tag is empty; name a trend tag")
    try:
        period, length, mode = float(period_text), int(length_text), int(mode_text)
    except ValueError:
        raise CtApiTrendError(
            f"CTAPITrend Period, Length and Mode are numbers, not {args[2:5]}; write {_SYNTAX}"
        ) from None
    if mode not in MODES:
        raise CtApiTrendError(f"CTAPITrend Mode is {mode}; use 1 (date and time), 2, or 3")
    if not math.isfinite(period) or period < 0:
        raise CtApiTrendError(
            f"CTAPITrend Period is {period_text!r}; write seconds, 0: the trend's"
        )
    period = period or sample_period(tag)
    if start_time:
        start = _moment(start_date, start_time)
        end = start + period * (length - 1)
    else:
        end = now
    query = TrnQuery(end=end, period=period, count=length, tag=tag)
    try:
        query.grid  # noqa: B018 (validates period and count with a clear message)
    except HistoryQueryError as exc:
        raise CtApiTrendError(f"CTAPITrend: {exc}") from None
    return CtApiTrend(query=query, mode=mode, field=tag)


def _moment(date: str, time: str) -> float:
    for date_format in _DATES:
        for time_format in _TIMES:
            try:
                moment = datetime.strptime(f"{date} {time}", f"{date_format} {time_format}")
            except ValueError:
                continue
            return moment.replace(tzinfo=UTC).timestamp()
    raise CtApiTrendError(
        f"CTAPITrend sTime {time!r} / sDate {date!r}: write HH:MM:SS and dd-mm-yyyy (UTC)"
    )


def fields(trend: CtApiTrend, records: list[TrnRecord]) -> list[dict[str, TagValue]]:
    """The rows of `records` (trnquery.points: the grid, not TRNQUERY's neighbours), as
    ctGetProperty reads them."""
    rows: list[dict[str, TagValue]] = []
    for record in records:
        if trend.mode == 3 and (record.quality >> 4) & 0xF != 1:
            continue
        row: dict[str, TagValue] = {}
        if trend.mode != 2:
            row["DATE"] = date_text(record.time)
        row["TIME"] = time_text(record.time)
        row[trend.field.upper()] = record.value
        row["VALUE"] = record.value
        rows.append(row)
    return rows


__all__ = ["CtApiTrend", "CtApiTrendError", "fields", "is_ctapitrend", "parse"]
