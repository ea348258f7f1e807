"""What a CtAPI tag reference names: a variable tag of the plant, else an alarm's property.

One resolver for every reader of references on a CtAPI session (tag.read, tag.read_ex, tag
lists, Cicode's TagRead), so `PUMP1_FAULT_ALM.On` reads the same wherever it is written.
Alarm properties (`.On`, `.Ack`, `.State`, ...; reference section 6) come from the main alarm
server of the alarm's cluster (emulator.processes.active): server_unavailable while none runs.
Documented in docs/ctapi.md ("Alarm properties").
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.plant.alarms import UnknownAlarmError, UnknownAlarmPropertyError
from emulator.plant.state import Plant, Quality, Reading
from emulator.processes import active
from emulator.processes.context import Context
from emulator.protocol.errors import INVALID_ARGUMENT, TAG_NOT_FOUND, ProtocolError


def alarm_property(context: Context | None, reference: str) -> str | None:
    """`ALARMTAG.Prop` (or `Cluster.ALARMTAG.Prop`) as text; None when it names no alarm.

    Raises server_unavailable when the alarm's cluster has no alarm server running.
    """
    if context is None or "." not in reference:
        return None
    head, prop = reference.strip().rsplit(".", 1)
    cluster, _, tag = head.rpartition(".")
    if "." in cluster:
        return None
    try:
        server = active.alarm_server_of(context, tag, cluster or None)
    except UnknownAlarmError:
        return None
    try:
        value = server.alarm_property(tag, prop)
    except UnknownAlarmPropertyError as exc:
        raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


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
        return self.sample(reference, now, raw=raw, suggest=suggest)[0]

    def sample(
        self, reference: str, now: float, *, raw: bool = False, suggest: bool = True
    ) -> tuple[Reading, bool]:
        """The reading, and whether the plant holds it: every change of a plant tag moves
        `revision`, where an alarm property also follows its alarm servers' coming and going."""
        try:
            return self.plant.read(reference, raw=raw, suggest=suggest), True
        except ProtocolError as exc:
            if exc.error is not TAG_NOT_FOUND:
                raise
            text = alarm_property(self.context, reference)
            if text is None:
                raise
        return Reading(text, Quality(), now, now, now, number=_number(text)), False


__all__ = ["References", "alarm_property"]
