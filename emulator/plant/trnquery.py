"""CtAPI's TRNQUERY: the query string, and the records it returns over a trend's history.

`TRNQUERY,Endtime,EndtimeMs,Period,NumSamples,Tagname,Displaymode,Datamode[,InstantTrend
[,SamplePeriod]]` (reference section 5; Plant SCADA help "TrnQuery", "Display Mode",
"Returned Data"). The grid is NumSamples times Period apart ending at Endtime; each point
condenses the samples of the period it closes, and the raw samples just before and after the
range come too (so up to NumSamples + 2 records). Documented in docs/plant.md ("Trends").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from emulator.plant.trends import (
    GOOD,
    NOT_AVAILABLE,
    Grid,
    HistoryQueryError,
    TrendSample,
    TrendServer,
)

# Display mode bits ("Display Mode" page).
NEWEST_FIRST = 2
#: Older help pages give 1 for newest-first; both are accepted.
NEWEST_FIRST_LEGACY = 1
CONDENSE_MASK = 12
CONDENSE_MEAN, CONDENSE_MIN, CONDENSE_MAX, CONDENSE_NEWEST = 0, 4, 8, 12
STRETCH_RATIO = 128
STRETCH_RAW = 256
LAST_VALID_VALUE = 2_097_152
RAW_DATA = 4_194_304
ACTUAL_TIMESTAMP = 33_554_432

# Quality word of a returned record ("Returned Data" page).
TYPE_NONE, TYPE_INTERPOLATED, TYPE_SINGLE_RAW, TYPE_MULTIPLE_RAW = 0, 1, 2, 3
VALUE_GOOD = 1
PARTIAL = 1 << 12


class TrnQueryError(HistoryQueryError):
    """The query string is malformed; the message names the argument and what to write."""


class TrnQuery(msgspec.Struct, frozen=True, kw_only=True):
    end: float
    period: float
    count: int
    tag: str
    display_mode: int = 0
    data_mode: int = 0
    instant: int = 0
    sample_period: float = 0.0

    @property
    def grid(self) -> Grid:
        return Grid.of(self.end, self.period, self.count)


class TrnRecord(msgspec.Struct, frozen=True):
    time: float
    value: float
    quality: int

    def fields(self, data_mode: int = 1) -> dict[str, int | float]:
        """The record as ctGetProperty reads it: DATETIME, MSECONDS, VALUE (and QUALITY)."""
        seconds = math.floor(self.time)
        millis = min(round((self.time - seconds) * 1000), 999)
        fields: dict[str, int | float] = {
            "DATETIME": seconds,
            "MSECONDS": millis,
            "VALUE": self.value,
        }
        if data_mode == 1:
            fields["QUALITY"] = self.quality
        return fields


_ARGUMENTS = (
    "Endtime",
    "EndtimeMs",
    "Period",
    "NumSamples",
    "Tagname",
    "Displaymode",
    "Datamode",
    "InstantTrend",
    "SamplePeriod",
)
_REQUIRED = 7
_SYNTAX = "TRNQUERY," + ",".join(_ARGUMENTS)


def parse(text: str) -> TrnQuery:
    """A TRNQUERY string as ctFindFirst gets it in place of a table name."""
    parts = [p.strip() for p in text.split(",")]
    if not parts or parts[0].upper() != "TRNQUERY":
        raise TrnQueryError(f"not a TRNQUERY string: {text[:40]!r}; write {_SYNTAX}")
    args = parts[1:]
    if not _REQUIRED <= len(args) <= len(_ARGUMENTS):
        raise TrnQueryError(
            f"TRNQUERY takes {_REQUIRED} to {len(_ARGUMENTS)} arguments, got {len(args)}; "
            f"write {_SYNTAX}"
        )
    values = dict(zip(_ARGUMENTS, args, strict=False))

    def integer(name: str, default: int = 0) -> int:
        raw = values.get(name, "")
        if raw == "" and name not in _ARGUMENTS[:_REQUIRED]:
            return default
        try:
            return int(raw)
        except ValueError:
            raise TrnQueryError(
                f"TRNQUERY argument {name} is {raw!r}, not an integer; write {_SYNTAX}"
            ) from None

    def real(name: str, default: float = 0.0) -> float:
        raw = values.get(name, "")
        if raw == "" and name not in _ARGUMENTS[:_REQUIRED]:
            return default
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise TrnQueryError(
                f"TRNQUERY argument {name} is {raw!r}, not a number ('.' as decimal separator)"
            )
        return number

    millis = integer("EndtimeMs")
    if not 0 <= millis <= 999:
        raise TrnQueryError(f"TRNQUERY argument EndtimeMs is {millis}; it must be 0-999")
    tag = values["Tagname"]
    if not tag:
        raise TrnQueryError("TRNQUERY argument Tagname is empty; name a trend tag")
    query = TrnQuery(
        end=integer("Endtime") + millis / 1000,
        period=real("Period"),
        count=integer("NumSamples"),
        tag=tag,
        display_mode=integer("Displaymode"),
        data_mode=integer("Datamode"),
        instant=integer("InstantTrend"),
        sample_period=real("SamplePeriod"),
    )
    try:
        query.grid  # noqa: B018 (validates period and count with a clear message)
    except HistoryQueryError as exc:
        raise TrnQueryError(f"TRNQUERY: {exc}") from None
    if query.data_mode not in (0, 1):
        raise TrnQueryError(f"TRNQUERY Datamode is {query.data_mode}; use 0 or 1 (with quality)")
    if query.instant:
        raise TrnQueryError(
            "instant trends (InstantTrend=1) are not emulated; query a configured trend"
        )
    if query.display_mode & RAW_DATA and query.data_mode != 1:
        raise TrnQueryError("the raw data display mode needs Datamode 1")
    if query.display_mode & RAW_DATA and query.display_mode & (NEWEST_FIRST | 1):
        raise TrnQueryError("newest-first ordering is not supported with the raw data option")
    return query


def run(server: TrendServer, query: TrnQuery, now: float) -> list[TrnRecord]:
    """Answer `query` from a trends server's history (UnknownTrend if it has no such trend)."""
    return records(query, *fetch(server, query), now)


def points(server: TrendServer, query: TrnQuery, now: float) -> list[TrnRecord]:
    """The records of `query` without the neighbours before and after its range (CTAPITrend)."""
    window, before, after = fetch(server, query)
    out = records(query, window, before, after, now)
    first, last = int(before is not None), len(out) - int(after is not None)
    if query.display_mode & (NEWEST_FIRST | NEWEST_FIRST_LEGACY):
        first, last = len(out) - last, len(out) - first
    return out[first:last]


def fetch(
    server: TrendServer, query: TrnQuery
) -> tuple[list[TrendSample], TrendSample | None, TrendSample | None]:
    """The samples `records` needs: the window, the one before it and the one after it."""
    grid = query.grid
    if query.display_mode & RAW_DATA:
        window = server.raw(query.tag, grid.start, grid.end)
        before = server.latest_at(query.tag, math.nextafter(grid.start, -math.inf))
    else:
        low = grid.start - grid.period
        window = server.raw(query.tag, low, grid.end)
        before = server.latest_at(query.tag, low)
    return list(window), before, server.earliest_after(query.tag, grid.end)


def _quality(kind: int, good: bool, last: int, partial: bool = False) -> int:
    return kind | (VALUE_GOOD if good else 0) << 4 | last << 8 | (PARTIAL if partial else 0)


def _raw(sample: TrendSample, last_valid: float | None, mode: int) -> TrnRecord:
    good = sample.quality == GOOD and sample.value is not None
    value = sample.value if good and sample.value is not None else _fallback(last_valid, mode)
    return TrnRecord(sample.time, value, _quality(TYPE_SINGLE_RAW, good, sample.quality))


def _fallback(last_valid: float | None, mode: int) -> float:
    return last_valid if mode & LAST_VALID_VALUE and last_valid is not None else 0.0


def _good(sample: TrendSample | None) -> bool:
    return sample is not None and sample.quality == GOOD and sample.value is not None


def records(
    query: TrnQuery,
    window: Sequence[TrendSample],
    before: TrendSample | None,
    after: TrendSample | None,
    now: float,
) -> list[TrnRecord]:
    """The records of `query`; `window`: the samples with start - period <= time <= end
    (sorted), `before`/`after`: the newest sample at or before start - period (raw mode: before
    start) and the oldest after end."""
    mode = query.display_mode
    grid = query.grid
    last_valid = before.value if _good(before) and before is not None else None
    out: list[TrnRecord] = []
    if before is not None:
        out.append(_raw(before, last_valid, mode))
    if mode & RAW_DATA:
        for sample in window:
            if grid.start <= sample.time <= grid.end:
                out.append(_raw(sample, last_valid, mode))
                if _good(sample):
                    last_valid = sample.value
    else:
        out += _condensed(query, grid, window=window, before=before, after=after, now=now)
    if after is not None:
        good = [r.value for r in out if (r.quality >> 4) & 0xF == VALUE_GOOD]
        out.append(_raw(after, good[-1] if good else None, mode))
    if mode & (NEWEST_FIRST | NEWEST_FIRST_LEGACY):
        out.reverse()
    return out


def _condensed(
    query: TrnQuery,
    grid: Grid,
    *,
    window: Sequence[TrendSample],
    before: TrendSample | None,
    after: TrendSample | None,
    now: float,
) -> list[TrnRecord]:
    mode = query.display_mode
    condense = mode & CONDENSE_MASK
    buckets = grid.buckets(window)
    carry: tuple[float, float] | None = None
    if _good(before) and before is not None and before.value is not None:
        carry = (before.time, before.value)
    last_valid = carry[1] if carry else None
    out: list[TrnRecord] = []
    for index, (t, bucket) in enumerate(zip(grid.times, buckets, strict=True)):
        partial = t > now
        good = [s for s in bucket if _good(s)]
        if good:
            chosen = _condense(good, condense)
            value = chosen.value if chosen.value is not None else 0.0
            stamp = sum(s.time for s in good) / len(good)
            if mode & ACTUAL_TIMESTAMP and condense != CONDENSE_MEAN:
                stamp = chosen.time
            kind = TYPE_SINGLE_RAW if len(bucket) == 1 else TYPE_MULTIPLE_RAW
            out.append(TrnRecord(stamp, value, _quality(kind, True, bucket[-1].quality, partial)))
            newest = good[-1]
            carry = (newest.time, newest.value if newest.value is not None else 0.0)
            last_valid = carry[1]
        elif bucket:
            kind = TYPE_SINGLE_RAW if len(bucket) == 1 else TYPE_MULTIPLE_RAW
            value = _fallback(last_valid, mode)
            out.append(TrnRecord(t, value, _quality(kind, False, bucket[-1].quality, partial)))
            carry = None
        elif carry is None or mode & STRETCH_RAW:
            value = _fallback(last_valid, mode)
            out.append(TrnRecord(t, value, _quality(TYPE_NONE, False, NOT_AVAILABLE, partial)))
        else:
            value = carry[1]
            if mode & STRETCH_RATIO:
                target = _next_good(buckets[index + 1 :], after)
                if target is not None and target.value is not None and target.time > carry[0]:
                    share = (t - carry[0]) / (target.time - carry[0])
                    value = carry[1] + (target.value - carry[1]) * share
            out.append(TrnRecord(t, value, _quality(TYPE_INTERPOLATED, True, GOOD, partial)))
    return out


def _condense(good: Sequence[TrendSample], condense: int) -> TrendSample:
    values = [s.value if s.value is not None else 0.0 for s in good]
    if condense == CONDENSE_MIN:
        return good[values.index(min(values))]
    if condense == CONDENSE_MAX:
        return good[values.index(max(values))]
    if condense == CONDENSE_NEWEST:
        return good[-1]
    mean = sum(values) / len(values)
    return TrendSample(sum(s.time for s in good) / len(good), mean, GOOD)


def _next_good(
    later: Sequence[Sequence[TrendSample]], after: TrendSample | None
) -> TrendSample | None:
    for bucket in later:
        if bucket:
            first = bucket[0]
            return first if _good(first) else None
    return after if _good(after) else None
