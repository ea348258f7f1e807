"""Tag values as the alarm, trends and reports engines use them: a number, or on/off.

One reading for all three, so a tag that is "on" for an alarm is "on" for a trigger too.
"""

from __future__ import annotations

import math

from emulator.plant.config import TagValue

_TRUE = ("true", "on")
_FALSE = ("false", "off", "")


def as_number(value: TagValue | None) -> float | None:
    """The value as a finite float (digital: 1.0/0.0; numeric text parsed); else None."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        number = float(value)
    else:
        try:
            number = float(value)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def as_truth(value: TagValue | None) -> bool | None:
    """The value as on/off: non-zero numbers and "true"/"on" are on; None when neither."""
    number = as_number(value)
    if number is not None:
        return number != 0
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None
