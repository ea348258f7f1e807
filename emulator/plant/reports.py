"""The reports server's plant logic: when each report runs, and what it writes.

Sans-IO: `due(now)` names the reports whose time has come, `step(now)` runs them, `run` runs one
on demand; `next_wakeup(now)` says when to call `step` again. A scheduled report runs at
Time + k*Period (reference section 6), a triggered one on each FALSE->TRUE edge of its trigger
tag. The output is the report's template filled with tag values. Documented in docs/plant.md
("Reports").
"""

from __future__ import annotations

import math
import re
import string
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import msgspec

from emulator.logs import get_logger
from emulator.plant.coerce import as_truth
from emulator.plant.config import Report, TagValue

log = get_logger(__name__)

ValueReader = Callable[[str], TagValue | None]
#: Told of every run this server makes (the reports process mirrors it to its peer).
RunHook = Callable[["ReportRun"], None]
Reason = Literal["schedule", "trigger", "demand"]

DAY = 86_400.0
#: Runs kept per reports server (the oldest are forgotten first).
KEEP_RUNS = 1000
#: What a field shows when its tag has no value (Plant SCADA shows #COM on a comms break).
NO_VALUE = "#COM"
#: What a field shows when its value does not fit its format.
BAD_FORMAT = "#ERR"

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ReportRun(msgspec.Struct, frozen=True, kw_only=True):
    """One run of a report: when, why, by whom, and what it wrote."""

    number: int
    report: str
    time: float
    reason: Reason
    #: The grid time Time + k*Period a scheduled run stands for.
    scheduled: float | None = None
    user: str = ""
    output: str
    #: Fields that could not be filled, each as "{field}: why".
    problems: list[str] = msgspec.field(default_factory=list)


class UnknownReportError(LookupError):
    """A request named a report this server does not have; the message says which."""


class ReportConfigError(ValueError):
    """A report's time, period or template is malformed (the compile rules report it first)."""


def parse_time_of_day(text: str) -> float:
    """ "HH:MM:SS" (or "HH:MM") as seconds after midnight."""
    match = _TIME.match(text.strip())
    if not match:
        raise ReportConfigError(f'time {text!r} is not HH:MM:SS; write e.g. "06:00:00"')
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ReportConfigError(f"time {text!r} is not a time of day (00:00:00 to 23:59:59)")
    return float(hours * 3600 + minutes * 60 + seconds)


def template_fields(template: str) -> list[tuple[str, str]]:
    """The (tag, format spec) of every "{Tag}" / "{Tag:spec}" field of a template."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ReportConfigError(
            f"the template is malformed ({exc}); write {{TAG}} or {{TAG:.2f}}, and {{{{ for a "
            "literal brace"
        ) from None
    fields = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.strip() or conversion:
            raise ReportConfigError(
                f"template field {{{name}{'!' + conversion if conversion else ''}}} is not a tag "
                "name; write {TAG} or {TAG:.2f}"
            )
        fields.append((name.strip(), spec or ""))
    return fields


@dataclass(frozen=True, slots=True)
class Schedule:
    """The grid Time + k*Period (k any integer), anchored at Time on 1970-01-01 UTC."""

    anchor: float
    period: float

    @classmethod
    def of(cls, report: Report) -> Schedule | None:
        """The report's schedule, or None when it runs only on its trigger."""
        if report.period is None and report.trigger is not None:
            return None
        period = DAY if report.period is None else report.period
        if not (math.isfinite(period) and period > 0):
            raise ReportConfigError(f"period {period} must be a number of seconds above 0")
        return cls(parse_time_of_day(report.time), period)

    def latest(self, now: float) -> float:
        """The newest grid time at or before `now`."""
        return self.anchor + math.floor((now - self.anchor) / self.period) * self.period

    def following(self, time: float) -> float:
        """The first grid time strictly after `time`."""
        after = self.latest(time) + self.period
        return after if after > time else after + self.period


@dataclass(slots=True)
class _Scheduled:
    config: Report
    schedule: Schedule | None
    fields: list[tuple[str, str]]
    last_slot: float | None = None
    trigger_was: bool | None = None


class ReportServer:
    """The reports of one cluster on one reports server process, and their runs."""

    def __init__(
        self,
        reports: Iterable[Report],
        values: ValueReader,
        *,
        start: float | None = None,
        server: str = "",
        keep: int = KEEP_RUNS,
        on_run: RunHook | None = None,
    ) -> None:
        """`start`: when the server started; grid times at or before it do not run."""
        self._values = values
        self._server = server
        self._on_run = on_run
        self._runs: deque[ReportRun] = deque(maxlen=max(keep, 1))
        self._number = 0
        self._reports: dict[str, _Scheduled] = {}
        for report in reports:
            entry = _Scheduled(report, Schedule.of(report), template_fields(report.template))
            if entry.schedule is not None and start is not None:
                entry.last_slot = entry.schedule.latest(start)
            self._reports[report.name.casefold()] = entry

    @property
    def names(self) -> list[str]:
        return [e.config.name for e in self._reports.values()]

    def config(self, name: str) -> Report:
        return self._entry(name).config

    def next_run(self, name: str, now: float) -> float | None:
        """When the report next runs on its schedule; None when it has none."""
        schedule = self._entry(name).schedule
        return None if schedule is None else schedule.following(now)

    def next_wakeup(self, now: float) -> float | None:
        """When `step` has scheduled work next; None: only on a tag change (triggers)."""
        times = [e.schedule.following(now) for e in self._reports.values() if e.schedule]
        return min(times, default=None)

    def due(self, now: float) -> list[str]:
        """The reports a `step(now)` would run (no state changes)."""
        return [e.config.name for e in self._reports.values() if self._reasons(e, now, peek=True)]

    def step(self, now: float) -> list[ReportRun]:
        """Run every report whose grid time has passed or whose trigger rose since the last step."""
        runs = []
        for entry in self._reports.values():
            for reason, scheduled in self._reasons(entry, now, peek=False):
                runs.append(self._run(entry, now, reason, scheduled))
        return runs

    def run(self, name: str, now: float, user: str = "") -> ReportRun:
        """Run a report on demand."""
        return self._run(self._entry(name), now, "demand", None, user)

    def runs(self, name: str | None = None, limit: int | None = None) -> list[ReportRun]:
        """Past runs, oldest first (of one report when `name` is given; the newest `limit`)."""
        report = None if name is None else self._entry(name).config.name
        found = [r for r in self._runs if report is None or r.report == report]
        return found if limit is None else found[max(len(found) - limit, 0) :]

    def get_run(self, number: int) -> ReportRun | None:
        return next((r for r in self._runs if r.number == number), None)

    def adopt(self, run: ReportRun) -> bool:
        """Take a run the peer of a redundant pair made: listed here under its number, and its
        grid time (or trigger edge) counted as done, so a takeover does not run it again.
        False when this server already has it."""
        if self.get_run(run.number) is not None:
            return False
        self._runs.append(run)
        self._number = max(self._number, run.number)
        entry = self._reports.get(run.report.casefold())
        if entry is not None:
            if run.scheduled is not None and (
                entry.last_slot is None or run.scheduled > entry.last_slot
            ):
                entry.last_slot = run.scheduled
            if run.reason == "trigger":
                entry.trigger_was = True
        return True

    def _reasons(
        self, entry: _Scheduled, now: float, *, peek: bool
    ) -> list[tuple[Reason, float | None]]:
        reasons: list[tuple[Reason, float | None]] = []
        if entry.schedule is not None:
            latest = entry.schedule.latest(now)
            if entry.last_slot is None:
                if not peek:
                    entry.last_slot = latest
            elif latest > entry.last_slot:
                reasons.append(("schedule", latest))
                if not peek:
                    entry.last_slot = latest
        if entry.config.trigger is not None:
            trigger = as_truth(self._values(entry.config.trigger))
            if trigger is True and entry.trigger_was is False:
                reasons.append(("trigger", None))
            if not peek:
                entry.trigger_was = trigger
        return reasons

    def _run(
        self,
        entry: _Scheduled,
        now: float,
        reason: Reason,
        scheduled: float | None,
        user: str = "",
    ) -> ReportRun:
        output, problems = self._fill(entry)
        self._number += 1
        run = ReportRun(
            number=self._number,
            report=entry.config.name,
            time=now,
            reason=reason,
            scheduled=scheduled,
            user=user,
            output=output,
            problems=problems,
        )
        self._runs.append(run)
        if self._on_run is not None:
            self._on_run(run)
        log.info(
            "report.ran",
            server=self._server,
            report=run.report,
            reason=reason,
            number=run.number,
            problems=len(problems),
        )
        return run

    def _fill(self, entry: _Scheduled) -> tuple[str, list[str]]:
        problems: list[str] = []
        texts: dict[str, str] = {}
        for name, spec in entry.fields:
            key = f"{name}:{spec}"
            if key in texts:
                continue
            value = self._values(name)
            if value is None:
                texts[key] = NO_VALUE
                problems.append(f"{{{name}}}: the tag has no value")
                continue
            try:
                texts[key] = format(value, spec)
            except (ValueError, TypeError) as exc:
                texts[key] = BAD_FORMAT
                problems.append(f"{{{name}:{spec}}}: {exc}")
        pieces = []
        for literal, field, fmt, _ in string.Formatter().parse(entry.config.template):
            pieces.append(literal)
            if field is not None:
                pieces.append(texts[f"{field.strip()}:{fmt or ''}"])
        return "".join(pieces), problems

    def _entry(self, name: str) -> _Scheduled:
        entry = self._reports.get(name.casefold())
        if entry is None:
            raise UnknownReportError(
                f"no report {name!r} on this reports server; check [[reports]] name"
            )
        return entry
