"""The trends server's plant logic: sample trends, keep their history, answer history queries.

Sans-IO: `sample(now)` reads tag values through a callable and returns the samples it took;
`next_due(now)` says when to call it again. Periodic trends sample on a grid aligned to their
period (one point per sample, timestamped on the grid); a trigger tag gates them (a gated sample
is recorded as such). Event trends take one sample on each FALSE->TRUE edge of their trigger.
Semantics: reference sections 3, 5 and 6; documented in docs/plant.md ("Trends").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from emulator.logs import get_logger
from emulator.plant.coerce import as_number, as_truth
from emulator.plant.config import TagValue, Trend
from emulator.plant.storage_error import StorageError

log = get_logger(__name__)

ValueReader = Callable[[str], TagValue | None]

#: A sample's quality, as TRNQUERY's "last value quality" field codes it (reference section 5).
BAD = 0
GOOD = 1
NOT_AVAILABLE = 2
GATED = 3

#: A history query never returns more points than this (a client asking for more gets an error).
MAX_POINTS = 100_000
#: Grid arithmetic tolerance, in periods: a sample on a grid time belongs to the period it closes.
_EPSILON = 1e-9


class TrendSample(msgspec.Struct, frozen=True, array_like=True):
    """One point of a trend: its time (UTC seconds), value (None when bad or gated), quality."""

    time: float
    value: float | None
    quality: int = GOOD


class TrendHistory(Protocol):
    """Where samples go; emulator.plant.storage.Store is one (SQLite, or in memory)."""

    def add_samples(self, trend: str, samples: Iterable[TrendSample], now: float) -> None: ...

    def flush_due(self, now: float) -> bool: ...

    def flush_deadline(self) -> float | None: ...

    def samples(
        self,
        trend: str,
        start: float | None = None,
        end: float | None = None,
        limit: int | None = None,
    ) -> list[TrendSample]: ...

    def latest_at(self, trend: str, time: float) -> TrendSample | None: ...

    def earliest_after(self, trend: str, time: float) -> TrendSample | None: ...

    def fill_samples(self, trend: str, samples: Iterable[TrendSample]) -> int: ...


class UnknownTrendError(LookupError):
    """A query named a trend this server does not have; the message says which."""


class HistoryQueryError(ValueError):
    """A history query's arguments make no sense; the message says which and what to do."""


@dataclass(slots=True)
class _Sampler:
    config: Trend
    last_slot: float | None = None
    trigger_was: bool | None = None


def slot(now: float, period: float) -> float:
    """The newest grid time of a periodic trend at `now`: the largest k*period <= now."""
    return math.floor(now / period) * period


class TrendServer:
    """The trends of one cluster on one trends server process, with their history."""

    def __init__(
        self,
        trends: Iterable[Trend],
        values: ValueReader,
        history: TrendHistory,
        *,
        server: str = "",
    ) -> None:
        self._values = values
        self._history = history
        self._server = server
        self._trends = {t.name.casefold(): _Sampler(t) for t in trends}
        #: Only time makes these trends sample (each periodic, none with a trigger): then no
        #: scan before the earliest next slot takes a sample, and `sample` looks at none of them
        #: (a large plant's trend servers went through every trend at every scan).
        self._timed = all(
            s.config.type == "periodic" and not s.config.trigger for s in self._trends.values()
        )
        #: With `_timed`: the earliest next slot after the last full look; None: look.
        self._next_slot: float | None = None

    @property
    def names(self) -> list[str]:
        return [s.config.name for s in self._trends.values()]

    def config(self, name: str) -> Trend:
        return self._sampler(name).config

    # ---- sampling ----------------------------------------------------------------------------

    def next_due(self, now: float) -> float | None:
        """When `sample` has work next (a periodic slot, a history flush); None: only on change."""
        times = (
            [self._next_slot]
            if self._next_slot is not None
            else [
                (s.last_slot + s.config.sample_period) if s.last_slot is not None else now
                for s in self._trends.values()
                if s.config.type == "periodic" and s.config.sample_period > 0
            ]
        )
        deadline = self._history.flush_deadline()
        if deadline is not None:
            times.append(deadline)
        return min(times, default=None)

    def sample(self, now: float) -> list[tuple[str, TrendSample]]:
        """Take the samples due at `now` (and event-trend edges); they go to the history."""
        taken: list[tuple[str, TrendSample]] = []
        upcoming = self._next_slot
        # Within a microsecond of the slot the full look decides (floating point of slot()).
        if upcoming is None or now >= upcoming - 1e-6:
            for sampler in self._trends.values():
                sample = self._take(sampler, now)
                if sample is not None:
                    taken.append((sampler.config.name, sample))
                    self._history.add_samples(sampler.config.name, [sample], now)
            self._next_slot = self._earliest_slot() if self._timed else None
        try:
            self._history.flush_due(now)
        except StorageError as exc:  # the samples stay buffered; the next call tries again
            log.error("trends.history_failed", server=self._server, error=str(exc))
        return taken

    def _earliest_slot(self) -> float | None:
        slots = [
            s.last_slot + s.config.sample_period
            for s in self._trends.values()
            if s.last_slot is not None and s.config.sample_period > 0
        ]
        waiting = any(
            s.last_slot is None and s.config.sample_period > 0 for s in self._trends.values()
        )
        return None if waiting or not slots else min(slots)

    def _take(self, sampler: _Sampler, now: float) -> TrendSample | None:
        trend = sampler.config
        trigger = as_truth(self._values(trend.trigger)) if trend.trigger else None
        edge = trigger is True and sampler.trigger_was is False
        sampler.trigger_was = trigger
        if trend.type == "event":
            return self._reading(trend, now) if edge else None
        if trend.sample_period <= 0:
            return None
        at = slot(now, trend.sample_period)
        if sampler.last_slot is not None and at <= sampler.last_slot:
            return None
        sampler.last_slot = at
        if trend.trigger and trigger is not True:
            return TrendSample(at, None, GATED if trigger is False else NOT_AVAILABLE)
        return self._reading(trend, at)

    def _reading(self, trend: Trend, at: float) -> TrendSample:
        value = as_number(self._values(trend.tag))
        return TrendSample(at, value, BAD if value is None else GOOD)

    # ---- history -----------------------------------------------------------------------------

    def raw(
        self,
        name: str,
        start: float | None = None,
        end: float | None = None,
        count: int | None = None,
    ) -> list[TrendSample]:
        """Samples with start <= time <= end, oldest first; with `count`, the newest that many."""
        trend = self._sampler(name).config.name
        if count is not None and not 0 < count <= MAX_POINTS:
            raise HistoryQueryError(f"count {count} is out of range; ask for 1..{MAX_POINTS}")
        if start is not None and end is not None and start > end:
            raise HistoryQueryError(f"start {start} is after end {end}; swap them")
        return self._history.samples(trend, start, end, count)

    def averaged(self, name: str, end: float, period: float, count: int) -> list[TrendSample]:
        """`count` points `period` apart ending at `end`, each the mean of the samples of the
        period it closes ((t - period, t]); a point with no good sample is BAD with no value."""
        return average(*self.averaging(name, end, period, count))

    def averaging(
        self, name: str, end: float, period: float, count: int
    ) -> tuple[Grid, list[TrendSample]]:
        """What `averaged` reads from the history; `average` does the rest, in any thread."""
        trend = self._sampler(name).config.name
        grid = Grid.of(end, period, count)
        return grid, self._history.samples(trend, grid.start - grid.period, grid.end)

    def latest_at(self, name: str, time: float) -> TrendSample | None:
        """The newest sample at or before `time`."""
        return self._history.latest_at(self._sampler(name).config.name, time)

    def earliest_after(self, name: str, time: float) -> TrendSample | None:
        """The oldest sample strictly after `time`."""
        return self._history.earliest_after(self._sampler(name).config.name, time)

    # ---- redundancy --------------------------------------------------------------------------

    def resume_points(self) -> dict[str, float | None]:
        """Per trend, the time of its newest sample: what a returning server asks its peer for."""
        points: dict[str, float | None] = {}
        for sampler in self._trends.values():
            newest = self._history.samples(sampler.config.name, limit=1)
            points[sampler.config.name] = newest[0].time if newest else None
        return points

    def samples_since(
        self, points: dict[str, float | None], until: float | None = None
    ) -> dict[str, list[TrendSample]]:
        """The peer's side of a gap fill: per trend, its samples after the given time."""
        missing: dict[str, list[TrendSample]] = {}
        for name, after in points.items():
            sampler = self._trends.get(name.casefold())
            if sampler is None:
                continue
            samples = self._history.samples(sampler.config.name, after, until)
            missing[sampler.config.name] = [s for s in samples if after is None or s.time > after]
        return missing

    def fill_gap(self, missing: Mapping[str, Sequence[TrendSample]]) -> int:
        """Copy what the peer sampled while this server was down; returns the samples added."""
        added = 0
        for name, samples in missing.items():
            sampler = self._trends.get(name.casefold())
            if sampler is not None:
                added += self._history.fill_samples(sampler.config.name, samples)
        log.info("trends.gap_filled", server=self._server, samples_added=added)
        return added

    def _sampler(self, name: str) -> _Sampler:
        sampler = self._trends.get(name.casefold())
        if sampler is None:
            raise UnknownTrendError(
                f"no trend {name!r} on this trends server; check [[trends]] name"
            )
        return sampler


def average(grid: Grid, samples: list[TrendSample]) -> list[TrendSample]:
    """The mean of the good samples of each period of `grid` (pure: any thread)."""
    points = []
    for t, bucket in zip(grid.times, grid.buckets(samples), strict=True):
        good = [s.value for s in bucket if s.quality == GOOD and s.value is not None]
        if good:
            points.append(TrendSample(t, sum(good) / len(good), GOOD))
        else:
            points.append(TrendSample(t, None, BAD))
    return points


@dataclass(frozen=True, slots=True)
class Grid:
    """`count` times `period` apart ending at `end`: start = end - period * (count - 1)."""

    end: float
    period: float
    count: int

    @classmethod
    def of(cls, end: float, period: float, count: int) -> Grid:
        if not (math.isfinite(period) and period > 0):
            raise HistoryQueryError(f"period {period} must be a number of seconds above 0")
        if not 0 < count <= MAX_POINTS:
            raise HistoryQueryError(f"number of samples {count} is out of range; 1..{MAX_POINTS}")
        if not math.isfinite(end):
            raise HistoryQueryError(f"end time {end} is not a time")
        return cls(end, period, count)

    @property
    def start(self) -> float:
        return self.end - self.period * (self.count - 1)

    @property
    def times(self) -> list[float]:
        return [self.start + i * self.period for i in range(self.count)]

    def buckets(self, samples: Sequence[TrendSample]) -> list[list[TrendSample]]:
        """The samples of each grid time t: those with t - period < time <= t (sorted input)."""
        out: list[list[TrendSample]] = [[] for _ in range(self.count)]
        start = self.start
        for sample in samples:
            index = math.ceil((sample.time - start) / self.period - _EPSILON)
            if 0 <= index < self.count:
                out[index].append(sample)
        return out
