"""What a write to an alarm's configured property changes (Supported Alarm Properties,
1068486): `.Category`, an analog alarm's thresholds and `.Custom1`-`.Custom8`, on a copy of the
alarm's configuration. Pure; a value that does not fit raises ValueError saying why. `.Ack` and
`.Disabled` act on the alarm's status instead (emulator.plant.alarms.AlarmServer.write_property).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from emulator.plant.alarm_records import ANALOG_FIELDS
from emulator.plant.coerce import as_number, as_truth
from emulator.plant.config import Alarm

#: Text of `.Custom1`-`.Custom8` (1068486: String, 64 bytes).
MAX_CUSTOM = 64


def truth(text: str, prop: str) -> bool:
    """1/0 (or true/false, on/off) as written to `.Ack` or `.Disabled`."""
    value = as_truth(text.strip())
    if value is None:
        raise ValueError(f"{prop}: write 1 or 0, not {text[:40]!r}")
    return value


def _custom(index: int) -> Callable[[Alarm, str], Alarm]:
    def change(alarm: Alarm, text: str) -> Alarm:
        if len(text) > MAX_CUSTOM:
            raise ValueError(f"Custom{index + 1} holds at most {MAX_CUSTOM} characters")
        custom = [*alarm.custom, *[""] * (8 - len(alarm.custom))]
        custom[index] = text
        return msgspec.structs.replace(alarm, custom=custom)

    return change


def _number(attribute: str, *, integer: bool = False) -> Callable[[Alarm, str], Alarm]:
    def change(alarm: Alarm, text: str) -> Alarm:
        if attribute != "category" and alarm.type != "analog":
            raise ValueError(
                f"alarm {alarm.tag!r} is {alarm.type}: only analog alarms have thresholds"
            )
        number = as_number(text)
        if number is None or (integer and number != int(number)):
            kind = "a whole number" if integer else "a number"
            raise ValueError(f"{attribute}: write {kind}, not {text[:40]!r}")
        if number < 0 and attribute in ("category", "deadband"):
            raise ValueError(f"{attribute}: write 0 or more, not {text[:40]!r}")
        value = int(number) if integer else number
        return msgspec.structs.replace(alarm, **{attribute: value})

    return change


_CHANGES: dict[str, Callable[[Alarm, str], Alarm]] = {
    "category": _number("category", integer=True),
    **{key.casefold(): _number(attribute) for key, attribute in ANALOG_FIELDS.items()},
    **{f"custom{i + 1}": _custom(i) for i in range(8)},
}
#: The writable properties, lower case without the dot.
WRITABLE = frozenset({"ack", "disabled", *_CHANGES})
WRITABLE_NAMES = (
    ".Ack, .Disabled, .Category, .High, .Low, .HighHigh, .LowLow, .Deadband, .Rate, "
    ".Deviation, .Custom1-8"
)


def change(alarm: Alarm, name: str, text: str) -> Alarm:
    """The alarm with property `name` (lower case, no dot; not ack or disabled) set to `text`."""
    return _CHANGES[name](alarm, text)


__all__ = ["MAX_CUSTOM", "WRITABLE", "WRITABLE_NAMES", "change", "truth"]
