"""The alarm server's plant logic: alarms go on and off as tags move, get acknowledged and disabled.

Sans-IO: `evaluate(now)` reads tag values through a callable and returns the events it caused;
acknowledge/disable/enable take the user and `now` and return theirs. Every event is written to
the alarm log (emulator.plant.storage) before the call returns, so an acknowledgement reported
done survives a crash. Semantics: reference sections 3 and 6; documented in docs/plant.md
("Alarms").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec

from emulator.logs import get_logger
from emulator.plant import alarm_states, alarm_writes
from emulator.plant.alarm_limits import AnalogLimits
from emulator.plant.alarm_records import ANALOG_FIELDS, alarm_record
from emulator.plant.coerce import as_number, as_truth
from emulator.plant.config import Alarm, AlarmCategory, AlarmType, TagValue
from emulator.plant.storage_error import StorageError

log = get_logger(__name__)

#: Reads the engineering value of a tag; None when it has no good value (unknown, bad quality).
ValueReader = Callable[[str], TagValue | None]
#: Evaluates an advanced alarm's Cicode expression at `now`; None when it cannot be evaluated.
ExpressionEvaluator = Callable[[str, float], TagValue | None]
#: A tag reference's change count (the plant's TagState.version); None when it has none.
StampReader = Callable[[str], int | None]
#: Told of the events this engine logs, once they are committed (the alarm process mirrors them).
EventHook = Callable[[list["AlarmEvent"]], None]

EventKind = Literal["on", "off", "ack", "disable", "enable"]

#: The alarm query types of reference section 6 (AlarmGetFieldRec / the alarm list).
QUERY_ACTIVE = 0
QUERY_UNACKNOWLEDGED = 1
QUERY_ACKNOWLEDGED_ON = 2
QUERY_DISABLED = 3
QUERY_CONFIGURED = 4
ALL_AREAS = -1

#: CtAPI's find tables (and ALMQUERY's databases) by alarm type (reference section 5).
ALARM_TABLES: dict[str, AlarmType] = {"DigAlm": "digital", "AnaAlm": "analog", "AdvAlm": "advanced"}


class AlarmStatus(msgspec.Struct, kw_only=True):
    """The live state of one alarm: what `.On`, `.Ack`, `.Disabled`, `.OnTime` read."""

    tag: str
    on: bool = False
    #: True while there is nothing to acknowledge (an alarm that never went on is "acknowledged").
    acked: bool = True
    disabled: bool = False
    on_time: float | None = None
    off_time: float | None = None
    ack_time: float | None = None
    ack_user: str = ""
    #: Analog: which limit is exceeded (HIGHHIGH, HIGH, LOW, LOWLOW, DEVIATION, RATE); else "".
    condition: str = ""
    value: TagValue | None = None
    com_break: bool = False
    #: AlarmDisableTag's end time (seconds since 1970): the scan enables the alarm again then.
    disabled_until: float | None = None

    @property
    def state(self) -> str:
        """Plant SCADA's words for the alarm's state (the `.State` property)."""
        if self.disabled:
            return "DISABLED"
        on = "ON" if self.on else "OFF"
        return f"{on} {'acknowledged' if self.acked else 'unacknowledged'}"

    @property
    def active(self) -> bool:
        """In the active alarm list: on, or off but not yet acknowledged."""
        return not self.disabled and (self.on or not self.acked)


class AlarmEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the alarm event log, with the alarm's status right after it."""

    uid: str
    time: float
    tag: str
    kind: EventKind
    user: str = ""
    value: TagValue | None = None
    condition: str = ""
    category: int = 0
    priority: int = 0
    area: int = 0
    cluster: str | None = None
    comment: str = ""
    status: AlarmStatus

    @property
    def state(self) -> str:
        return self.status.state


class AlarmSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What a main alarm server hands a returning standby: the log and every alarm's status."""

    events: list[AlarmEvent]
    statuses: list[AlarmStatus]


class AlarmLog(Protocol):
    """Where events go; emulator.plant.storage.Store is one (SQLite, or in memory)."""

    def record_alarm_events(self, events: Sequence[AlarmEvent]) -> None:
        """Write the events and their statuses durably (committed) before returning;
        StorageError when that cannot be done."""
        ...

    def alarm_statuses(self) -> dict[str, AlarmStatus]:
        """The last recorded status of every alarm, by tag."""
        ...

    def alarm_events(
        self,
        start: float | None = None,
        end: float | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> list[AlarmEvent]: ...

    def merge_alarm_events(self, events: Sequence[AlarmEvent]) -> int:
        """Add the events not yet logged (by uid); returns how many were new."""
        ...

    def replace_alarm_statuses(self, statuses: Sequence[AlarmStatus]) -> None: ...


class AlarmError(LookupError):
    """A request named an alarm or property that does not exist; the message says which."""


class UnknownAlarmError(AlarmError):
    pass


class UnknownAlarmPropertyError(AlarmError):
    pass


class AlarmStateError(AlarmError):
    """The alarm is not in a state that allows the action (clearing an alarm that is on)."""


class ReadOnlyAlarmPropertyError(AlarmError):
    """A write to a property the runtime only reads (`.On`, `.OnTime`, ...)."""


@dataclass(slots=True)
class _Configured:
    config: Alarm
    priority: int
    limits: AnalogLimits | None
    status: AlarmStatus
    #: The tags it reads (variable, variable_b, a setpoint tag); empty: it is always evaluated.
    inputs: tuple[str, ...] = ()
    #: Its inputs' stamps and a copy of its status after its last evaluation: while both are
    #: the same, evaluating it again finds nothing (None: evaluate it at the next scan).
    seen: tuple[tuple[int | None, ...], AlarmStatus] | None = None


def _key(name: str) -> str:
    return name.casefold()


class AlarmServer:
    """The alarms of one cluster on one alarm server process, with their status and log."""

    def __init__(
        self,
        alarms: Iterable[Alarm],
        categories: Iterable[AlarmCategory],
        values: ValueReader,
        log: AlarmLog,
        *,
        expressions: ExpressionEvaluator | None = None,
        server: str = "",
        on_record: EventHook | None = None,
        stamps: StampReader | None = None,
    ) -> None:
        self._values = values
        self._stamps = stamps
        self._expressions = expressions
        self._history = log
        self._on_record = on_record
        self._server = server
        self._categories = {c.number: c for c in categories}
        restored = {_key(tag): s for tag, s in log.alarm_statuses().items()}
        self._alarms: dict[str, _Configured] = {}
        for alarm in alarms:
            category = self._categories.get(alarm.category)
            priority = (
                alarm.priority
                if alarm.priority is not None
                else (category.priority if category else 0)
            )
            limits = AnalogLimits.of(alarm) if alarm.type == "analog" else None
            status = restored.get(_key(alarm.tag)) or AlarmStatus(tag=alarm.tag)
            status.tag = alarm.tag
            if limits is not None and status.on:
                limits.resume(status.condition)
            self._alarms[_key(alarm.tag)] = _Configured(
                alarm, priority, limits, status, _inputs(alarm) if stamps is not None else ()
            )

    def forget(self) -> None:
        """Every alarm back to a fresh status (off, enabled, never acknowledged), as after a
        cleared history; the next `evaluate` raises those whose condition holds anew."""
        for entry in self._alarms.values():
            entry.status = AlarmStatus(tag=entry.config.tag)
            entry.seen = None
            if entry.limits is not None:
                entry.limits.reset()

    # ---- evaluation ------------------------------------------------------------------------

    def evaluate(self, now: float, *, tags_changed: bool = True) -> list[AlarmEvent]:
        """Compare every enabled alarm with its tags; the on/off events this caused, logged.

        When the log cannot be written the scan is undone and logged, and [] returned: the
        next scan finds the same changes and tries again. `tags_changed=False`: the caller
        knows no tag changed since the last call, so an alarm that reads tags alone and whose
        status is as its last evaluation left it is not even looked at.
        """
        events: list[AlarmEvent] = []
        before: dict[str, AlarmStatus] = {}
        for entry in self._alarms.values():
            seen = entry.seen
            if (
                not tags_changed
                and seen is not None
                and entry.status.disabled_until is None
                and seen[1] == entry.status
            ):
                continue  # no tag of the plant changed: its stamps are those it saw
            stamps = self._unchanged(entry)
            if stamps is None:
                continue
            before[_key(entry.config.tag)] = msgspec.structs.replace(entry.status)
            self._evaluate(entry, now, events)
            if entry.inputs:
                entry.seen = (stamps, msgspec.structs.replace(entry.status))
        try:
            return self._commit(events, before)
        except StorageError:
            for entry in self._alarms.values():
                entry.seen = None
            return []

    def _unchanged(self, entry: _Configured) -> tuple[int | None, ...] | None:
        """None when evaluating `entry` again cannot change anything: its input tags and its
        status are as at its last evaluation, and nothing in it depends on time (a rate limit,
        a disable time, an expression); else its inputs' stamps now. An idle large plant's
        alarm servers evaluated all their alarms twice a second."""
        if not entry.inputs or self._stamps is None:
            return ()
        stamps = tuple(self._stamps(name) for name in entry.inputs)
        seen = entry.seen
        if (
            seen is not None
            and seen[0] == stamps
            and seen[1] == entry.status
            and entry.status.disabled_until is None
            and None not in stamps
        ):
            return None
        return stamps

    def _evaluate(self, entry: _Configured, now: float, events: list[AlarmEvent]) -> None:
        """Compare one alarm with its tags; its events go to `events`."""
        status = entry.status
        until = status.disabled_until
        if status.disabled and until is not None and now >= until:
            status.disabled, status.disabled_until = False, None
            events.append(self._event(entry, "enable", now, comment="disable time ended"))
        if status.disabled:
            return
        reading = self._read(entry, now)
        if reading is None:
            status.com_break = True
            return
        status.com_break = False
        condition, value = reading
        events += self._transition(entry, condition, value, now)
        status.value = value

    def _read(self, entry: _Configured, now: float) -> tuple[str | None, TagValue] | None:
        """(the condition now on: "" for digital and advanced, a Condition for analog; None when
        off) with the value read, or None on a com break."""
        alarm = entry.config
        if alarm.type == "analog":
            assert entry.limits is not None
            raw = self._values(alarm.variable or "")
            number = as_number(raw)
            if raw is None or number is None:
                return None
            setpoint: float | None = None
            if isinstance(alarm.setpoint, str):
                setpoint = as_number(self._values(alarm.setpoint))
                if setpoint is None:
                    return None
            elif alarm.setpoint is not None:
                setpoint = alarm.setpoint
            return entry.limits.update(number, setpoint, now), number
        if alarm.type == "advanced":
            if self._expressions is None or alarm.expression is None:
                return None
            result = self._expressions(alarm.expression, now)
            truth = None if result is None else as_truth(result)
            if result is None or truth is None:
                return None
            return ("" if truth else None), result
        a = self._digital(alarm.variable)
        if a is None:
            return None
        b = self._digital(alarm.variable_b) if alarm.variable_b else False
        if b is None:
            return None
        value = self._values(_strip_not(alarm.variable or ""))
        return ("" if a and not b else None), (value if value is not None else a)

    def _digital(self, name: str | None) -> bool | None:
        if not name:
            return None
        negate = name[:4].casefold() == "not "
        raw = self._values(_strip_not(name))
        truth = None if raw is None else as_truth(raw)
        if truth is None:
            return None
        return truth != negate

    def _transition(
        self, entry: _Configured, condition: str | None, value: TagValue, now: float
    ) -> list[AlarmEvent]:
        status = entry.status
        label = None if condition is None else str(condition)
        if label is not None and (not status.on or label != status.condition):
            status.on, status.acked = True, False
            status.on_time, status.off_time = now, None
            status.ack_time, status.ack_user = None, ""
            status.condition, status.value = label, value
            return [self._event(entry, "on", now, value=value)]
        if label is None and status.on:
            status.on, status.off_time, status.value = False, now, value
            return [self._event(entry, "off", now, value=value)]
        return []

    # ---- operator actions ------------------------------------------------------------------

    def acknowledge(self, tag: str, user: str, now: float) -> list[AlarmEvent]:
        """Acknowledge one alarm; [] when there was nothing to acknowledge.

        Returns once the acknowledgement is committed to the log; StorageError (and nothing
        acknowledged) when it cannot be.
        """
        return self._ack([self._entry(tag)], user, now)

    def acknowledge_category(self, category: int, user: str, now: float) -> list[AlarmEvent]:
        entries = [e for e in self._alarms.values() if e.config.category == category]
        return self._ack(entries, user, now)

    def acknowledge_area(self, area: int, user: str, now: float) -> list[AlarmEvent]:
        """Acknowledge every alarm of an area (ALL_AREAS: every alarm)."""
        entries = [e for e in self._alarms.values() if area in (ALL_AREAS, e.config.area)]
        return self._ack(entries, user, now)

    def _ack(self, entries: Sequence[_Configured], user: str, now: float) -> list[AlarmEvent]:
        before = _backup(entries)
        events = []
        for entry in entries:
            status = entry.status
            if status.disabled or status.acked:
                continue
            status.acked, status.ack_time, status.ack_user = True, now, user
            events.append(self._event(entry, "ack", now, user=user, value=status.value))
        return self._commit(events, before)

    def disable(
        self, tag: str, user: str, now: float, comment: str = "", until: float | None = None
    ) -> list[AlarmEvent]:
        """Stop evaluating an alarm and take it off the active list (until `until`, when given:
        AlarmDisableTag's end time); [] if already disabled."""
        entry = self._entry(tag)
        status = entry.status
        if status.disabled:
            return []
        before = _backup([entry])
        status.disabled, status.on, status.acked = True, False, True
        status.disabled_until = until
        status.com_break = False
        if entry.limits is not None:
            entry.limits.reset()
        return self._commit(
            [self._event(entry, "disable", now, user=user, comment=comment)], before
        )

    def enable(
        self, tag: str, user: str, now: float, comment: str = "", acknowledge: bool = False
    ) -> list[AlarmEvent]:
        """Evaluate the alarm again from the next `evaluate`; [] if it was not disabled.

        With `acknowledge` (AlarmEnableTag's bAcknowledge, 1033471) the alarm is evaluated now
        and, if its condition is on, acknowledged by `user` at once."""
        entry = self._entry(tag)
        if not entry.status.disabled:
            return []
        before = _backup([entry])
        entry.status.disabled, entry.status.disabled_until = False, None
        events = [self._event(entry, "enable", now, user=user, comment=comment)]
        if acknowledge:
            reading = self._read(entry, now)
            if reading is not None:
                events += self._transition(entry, reading[0], reading[1], now)
            status = entry.status
            if status.on and not status.acked:
                status.acked, status.ack_time, status.ack_user = True, now, user
                events.append(self._event(entry, "ack", now, user=user, value=status.value))
        return self._commit(events, before)

    def clear(self, tag: str, user: str, now: float) -> list[AlarmEvent]:
        """AlarmClearTag (ours): an alarm that is off leaves the active list, acknowledged by
        `user` if it was not; [] when there is nothing to clear. An alarm still on stays."""
        entry = self._entry(tag)
        status = entry.status
        if status.on:
            raise AlarmStateError(f"alarm {entry.config.tag!r} is still on: it cannot be cleared")
        return self._ack([entry], user, now)

    # ---- queries ---------------------------------------------------------------------------

    def query(
        self, kind: int = QUERY_ACTIVE, area: int = ALL_AREAS, category: int | None = None
    ) -> list[tuple[Alarm, AlarmStatus]]:
        """The alarms of a query type (reference section 6), newest on-time first."""
        if kind not in _QUERIES:
            raise ValueError(
                f"alarm query type {kind} does not exist; use 0 (active), 1 (unacknowledged), "
                "2 (acknowledged on), 3 (disabled) or 4 (all configured)"
            )
        match = _QUERIES[kind]
        rows = [
            (e.config, e.status)
            for e in self._alarms.values()
            if match(e.status)
            and area in (ALL_AREAS, e.config.area)
            and category in (None, e.config.category)
        ]
        if kind != QUERY_CONFIGURED:
            rows.sort(key=lambda row: -(row[1].on_time or 0.0))
        return rows

    def status(self, tag: str) -> AlarmStatus:
        return self._entry(tag).status

    def config(self, tag: str) -> Alarm:
        return self._entry(tag).config

    def priority(self, tag: str) -> int:
        return self._entry(tag).priority

    def alarm_property(self, tag: str, prop: str) -> TagValue:
        """The value of `tag.prop` (`.On`, `.Ack`, `.OnTime`...) as CtAPI's tag elements read it."""
        entry = self._entry(tag)
        reader = _PROPERTIES.get(prop.strip().lstrip(".").casefold())
        if reader is None:
            raise UnknownAlarmPropertyError(
                f"alarm {entry.config.tag!r} has no property {prop!r}; known: {_PROPERTY_NAMES}"
            )
        return reader(entry)

    def write_property(
        self, tag: str, prop: str, text: str, user: str, now: float
    ) -> list[AlarmEvent]:
        """Write `tag.prop` as a CtAPI tag write does (1068486): `.Ack` 1 acknowledges and
        `.Disabled` 1/0 disables/enables, logged with `user`; `.Category`, an analog alarm's
        thresholds and `.Custom1`-`.Custom8` change the running alarm (ours: not logged, back to
        the project's at restart). The events logged; ReadOnlyAlarmPropertyError for the rest."""
        entry = self._entry(tag)
        name = prop.strip().lstrip(".").casefold()
        if name not in _PROPERTIES:
            raise UnknownAlarmPropertyError(
                f"alarm {entry.config.tag!r} has no property {prop!r}; known: {_PROPERTY_NAMES}"
            )
        if name not in alarm_writes.WRITABLE:
            raise ReadOnlyAlarmPropertyError(
                f"{entry.config.tag}.{prop.strip().lstrip('.')} is read-only; writable: "
                f"{alarm_writes.WRITABLE_NAMES}"
            )
        if name in ("ack", "disabled"):
            try:
                on = alarm_writes.truth(text, prop)
            except ValueError as exc:
                raise AlarmStateError(str(exc)) from None
            if name == "disabled":
                return self.disable(tag, user, now) if on else self.enable(tag, user, now)
            if not on:
                raise AlarmStateError(
                    f"{entry.config.tag}.Ack: write 1 to acknowledge; an acknowledgement "
                    "cannot be taken back"
                )
            return self._ack([entry], user, now)
        try:
            entry.config = alarm_writes.change(entry.config, name, text.strip())
        except ValueError as exc:
            raise AlarmStateError(str(exc)) from None
        if entry.config.priority is None:  # a new category brings its priority
            category = self._categories.get(entry.config.category)
            entry.priority = category.priority if category else 0
        if entry.limits is not None:
            entry.limits = AnalogLimits.of(entry.config)
            if entry.status.on:
                entry.limits.resume(entry.status.condition)
        log.info(
            "alarm.property_written",
            server=self._server,
            tag=entry.config.tag,
            property=name,
            user=user or None,
        )
        return []

    def find_fields(self, tag: str) -> dict[str, TagValue]:
        """The alarm as a record of CtAPI's alarm tables (emulator.plant.alarm_records)."""
        entry = self._entry(tag)
        status = entry.status
        return alarm_record(
            entry.config,
            state=status.state,
            priority=entry.priority,
            on_time=status.on_time,
            ack_time=status.ack_time,
            ack_user=status.ack_user,
            value=status.value,
        )

    def table(self, tag: str) -> str:
        """The CtAPI find table of the alarm: DigAlm, AnaAlm or AdvAlm."""
        kind = self._entry(tag).config.type
        return next(name for name, t in ALARM_TABLES.items() if t == kind)

    def events(
        self,
        start: float | None = None,
        end: float | None = None,
        tag: str | None = None,
        limit: int | None = None,
    ) -> list[AlarmEvent]:
        """The alarm event log (the alarm database's answer), oldest first."""
        return self._history.alarm_events(start, end, tag, limit)

    # ---- redundancy --------------------------------------------------------------------------

    def snapshot(self) -> AlarmSnapshot:
        """The main's log and statuses, for a returning standby (`restore`)."""
        return AlarmSnapshot(
            events=self._history.alarm_events(),
            statuses=[msgspec.structs.replace(e.status) for e in self._alarms.values()],
        )

    def restore(self, snapshot: AlarmSnapshot) -> int:
        """Become a copy of the main: merge its log, take its statuses; returns events added."""
        added = self._history.merge_alarm_events(snapshot.events)
        known = [s for s in snapshot.statuses if _key(s.tag) in self._alarms]
        for status in known:
            self._adopt(msgspec.structs.replace(status))
        self._history.replace_alarm_statuses([e.status for e in self._alarms.values()])
        log.info("alarm.log_synchronised", server=self._server, events_added=added)
        return added

    def apply(self, events: Sequence[AlarmEvent]) -> list[AlarmEvent]:
        """Mirror the main's live events on a standby: log them and take their statuses."""
        fresh = [e for e in events if _key(e.tag) in self._alarms]
        self._history.merge_alarm_events(fresh)
        for event in fresh:
            self._adopt(msgspec.structs.replace(event.status))
        self._history.replace_alarm_statuses([e.status for e in self._alarms.values()])
        return fresh

    def _adopt(self, status: AlarmStatus) -> None:
        entry = self._alarms[_key(status.tag)]
        status.tag = entry.config.tag
        entry.status = status
        entry.seen = None
        if entry.limits is not None:
            entry.limits.reset()
            if status.on:
                entry.limits.resume(status.condition)

    # ---- internals ---------------------------------------------------------------------------

    def _entry(self, tag: str) -> _Configured:
        entry = self._alarms.get(_key(tag))
        if entry is None:
            raise UnknownAlarmError(
                f"no alarm tag {tag!r} on this alarm server; check [[alarms]] tag"
            )
        return entry

    def _event(
        self,
        entry: _Configured,
        kind: EventKind,
        now: float,
        *,
        user: str = "",
        value: TagValue | None = None,
        comment: str = "",
    ) -> AlarmEvent:
        alarm = entry.config
        return AlarmEvent(
            uid=uuid.uuid4().hex,
            time=now,
            tag=alarm.tag,
            kind=kind,
            user=user,
            value=value,
            condition=entry.status.condition,
            category=alarm.category,
            priority=entry.priority,
            area=alarm.area,
            cluster=alarm.cluster,
            comment=comment,
            status=msgspec.structs.replace(entry.status),
        )

    def _commit(self, events: list[AlarmEvent], before: dict[str, AlarmStatus]) -> list[AlarmEvent]:
        """Log the events; if that fails, put the statuses back as they were and re-raise."""
        if events:
            try:
                self._history.record_alarm_events(events)
            except StorageError as exc:
                for event in events:
                    self._alarms[_key(event.tag)].status = before[_key(event.tag)]
                log.error("alarm.log_failed", server=self._server, error=str(exc))
                raise
            for event in events:
                log.info(
                    "alarm.event",
                    server=self._server,
                    tag=event.tag,
                    kind=event.kind,
                    state=event.state,
                    user=event.user or None,
                )
            if self._on_record is not None:
                self._on_record(events)
        return events


_QUERIES: dict[int, Callable[[AlarmStatus], bool]] = {
    QUERY_ACTIVE: lambda s: s.active,
    QUERY_UNACKNOWLEDGED: lambda s: s.active and not s.acked,
    QUERY_ACKNOWLEDGED_ON: lambda s: s.active and s.acked and s.on,
    QUERY_DISABLED: lambda s: s.disabled,
    QUERY_CONFIGURED: lambda s: True,
}


def _backup(entries: Iterable[_Configured]) -> dict[str, AlarmStatus]:
    return {_key(e.config.tag): msgspec.structs.replace(e.status) for e in entries}


def _inputs(alarm: Alarm) -> tuple[str, ...]:
    """The tags an alarm's evaluation reads, when it reads nothing else: () for the ones that
    depend on time or on more than tags (a rate limit, an advanced alarm's expression)."""
    if alarm.type == "advanced" or (alarm.type == "analog" and alarm.rate is not None):
        return ()
    names = [alarm.variable, alarm.variable_b]
    if alarm.type == "analog" and isinstance(alarm.setpoint, str):
        names.append(alarm.setpoint)
    return tuple(_strip_not(name) for name in names if name)


def _strip_not(name: str) -> str:
    return name[4:].strip() if name[:4].casefold() == "not " else name.strip()


def _on_time(entry: _Configured) -> int:
    return int(entry.status.on_time or 0)


def _millisec(entry: _Configured) -> int:
    on_time = entry.status.on_time or 0.0
    return round(on_time * 1000) % 1000


def _state(entry: _Configured) -> int:
    """`.State` as a number (1068486; emulator.plant.alarm_states)."""
    status = entry.status
    code = alarm_states.state_code(status.on, status.condition, status.value, entry.config.setpoint)
    acknowledged = status.ack_time is not None and not status.disabled
    return alarm_states.property_state(code, acknowledged, status.disabled)


def _threshold(attribute: str) -> Callable[[_Configured], TagValue]:
    def read(entry: _Configured) -> TagValue:
        limit: float | None = getattr(entry.config, attribute)
        return "" if limit is None else limit

    return read


def _custom(index: int) -> Callable[[_Configured], TagValue]:
    def read(entry: _Configured) -> TagValue:
        custom = entry.config.custom
        return custom[index] if index < len(custom) else ""

    return read


_PROPERTIES: dict[str, Callable[[_Configured], TagValue]] = {
    "on": lambda e: e.status.on,
    "ack": lambda e: e.status.acked,
    "disabled": lambda e: e.status.disabled,
    "category": lambda e: e.config.category,
    "priority": lambda e: e.priority,
    "name": lambda e: e.config.name,
    "tag": lambda e: e.config.tag,
    "desc": lambda e: e.config.description,
    "help": lambda e: e.config.help,
    "area": lambda e: e.config.area,
    "ontime": _on_time,
    "millisec": _millisec,
    "offtime": lambda e: int(e.status.off_time or 0),
    "comBreak".casefold(): lambda e: e.status.com_break,
    "state": _state,
    **{f"custom{i + 1}": _custom(i) for i in range(8)},
    **{key.casefold(): _threshold(attr) for key, attr in ANALOG_FIELDS.items()},
}
_PROPERTY_NAMES = (
    ".On, .Ack, .Disabled, .Category, .Priority, .Name, .Tag, .Desc, .Help, .Area, .OnTime, "
    ".Millisec, .OffTime, .ComBreak, .State, .Custom1-8, .High, .Low, .HighHigh, .LowLow, "
    ".Deadband, .Rate, .Deviation"
)


__all__ = [
    "ALARM_TABLES",
    "ALL_AREAS",
    "QUERY_ACKNOWLEDGED_ON",
    "QUERY_ACTIVE",
    "QUERY_CONFIGURED",
    "QUERY_DISABLED",
    "QUERY_UNACKNOWLEDGED",
    "AlarmError",
    "AlarmEvent",
    "AlarmLog",
    "AlarmServer",
    "AlarmSnapshot",
    "AlarmStateError",
    "AlarmStatus",
    "ReadOnlyAlarmPropertyError",
    "UnknownAlarmError",
    "UnknownAlarmPropertyError",
]
