"""What a CtAPI tag reference names: a variable tag of the plant, else an alarm's property.

One resolver for every reader of references on a CtAPI session (tag.read, tag.read_ex, tag
lists, Cicode's TagRead), so `PUMP1_FAULT_ALM.On` reads the same wherever it is written.
Alarm properties (`.On`, `.Ack`, `.State`, ...; reference section 6) come from the main alarm
server of the alarm's cluster (emulator.processes.active): server_unavailable while none runs;
a write that names no variable tag goes to the alarm's writable properties (1068486).
Documented in docs/ctapi.md ("Alarm properties").
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.plant.alarms import (
    AlarmServer,
    AlarmStateError,
    ReadOnlyAlarmPropertyError,
    UnknownAlarmError,
    UnknownAlarmPropertyError,
)
from emulator.plant.state import Plant, Quality, Reading
from emulator.processes import active
from emulator.processes.context import Context
from emulator.protocol.errors import (
    INVALID_ARGUMENT,
    TAG_NOT_FOUND,
    TAG_READ_ONLY,
    ProtocolError,
)


def alarm_property(context: Context | None, reference: str) -> str | None:
    """`ALARMTAG.Prop` (or `Cluster.ALARMTAG.Prop`) as text; None when it names no alarm.

    Raises server_unavailable when the alarm's cluster has no alarm server running.
    """
    target = _alarm_of(context, reference)
    if target is None:
        return None
    server, tag, prop = target
    try:
        value = server.alarm_property(tag, prop)
    except UnknownAlarmPropertyError as exc:
        raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def write_alarm_property(
    context: Context | None, reference: str, value: str, user: str, now: float
) -> bool:
    """Write `ALARMTAG.Prop` (1068486: `.Ack` acknowledges, `.Disabled`, `.Category`, the
    thresholds, `.Custom1`-`.Custom8`); False when the reference names no alarm."""
    target = _alarm_of(context, reference)
    if target is None or context is None:
        return False
    server, tag, prop = target
    try:
        server.write_property(tag, prop, value, user, now)
    except ReadOnlyAlarmPropertyError as exc:
        raise ProtocolError(TAG_READ_ONLY, str(exc)) from None
    except (UnknownAlarmPropertyError, AlarmStateError) as exc:
        raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None
    context.changes.notify()
    return True


def _alarm_of(context: Context | None, reference: str) -> tuple[AlarmServer, str, str] | None:
    """(the main alarm server, alarm tag, property) of `[Cluster.]ALARMTAG.Prop`; None when it
    names no alarm. Raises server_unavailable when its cluster has no alarm server running."""
    if context is None or "." not in reference:
        return None
    head, prop = reference.strip().rsplit(".", 1)
    cluster, _, tag = head.rpartition(".")
    if "." in cluster:
        return None
    try:
        return active.alarm_server_of(context, tag, cluster or None), tag, prop
    except UnknownAlarmError:
        return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class References:
    """The references one CtAPI process resolves: its plant's tags, its runtime's alarms."""

    plant: Plant
    #: The runtime (None in pure tests: variable tags only).
    context: Context | None = None

    @property
    def revision(self) -> int:
        """Moves on every change a reference may show: tag changes and alarm events alike
        (both notify the change feed), so a list that saw this revision needs no re-read."""
        return self.plant.changes.revision

    def read(
        self, reference: str, now: float, *, raw: bool = False, suggest: bool = True
    ) -> Reading:
        """The reference's reading; an alarm property reads as text with good quality and
        `now` as its timestamps (raw and engineering forms are the same)."""
        try:  # the plant first, directly: the path of every tag read
            return self.plant.read(reference, raw=raw, suggest=suggest)
        except ProtocolError as exc:
            return self._alarm_reading(reference, now, exc)

    def write(self, reference: str, value: str, now: float, user: str | None) -> None:
        """Write a variable tag of the plant, else an alarm's writable property."""
        try:
            self.plant.write(reference, value, now, user)
        except ProtocolError as exc:
            if exc.error is not TAG_NOT_FOUND:
                raise
            if not write_alarm_property(self.context, reference, value, user or "", now):
                raise

    def sample(
        self, reference: str, now: float, *, raw: bool = False, suggest: bool = True
    ) -> tuple[Reading, bool]:
        """The reading, and whether the plant holds it: every change of a plant tag moves
        `revision`, where an alarm property also follows its alarm servers' coming and going."""
        try:
            return self.plant.read(reference, raw=raw, suggest=suggest), True
        except ProtocolError as exc:
            return self._alarm_reading(reference, now, exc), False

    def _alarm_reading(self, reference: str, now: float, exc: ProtocolError) -> Reading:
        """An alarm property's reading where the plant has no such tag; else `exc` again."""
        if exc.error is not TAG_NOT_FOUND:
            raise exc
        text = alarm_property(self.context, reference)
        if text is None:
            raise exc
        return Reading(text, Quality(), now, now, now, number=_number(text))


__all__ = ["References", "alarm_property", "write_alarm_property"]
