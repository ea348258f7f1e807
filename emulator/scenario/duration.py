"""Durations in scenario files: a number of seconds, or text a person writes ("1h30m", "250ms")."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)", re.IGNORECASE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class DurationError(ValueError):
    """The text is not a duration; the message says what a duration looks like."""


def seconds(value: float | str) -> float:
    """`value` in seconds: a non-negative number, or parts such as "1h30m", "90s", "250ms"."""
    if isinstance(value, bool):
        raise DurationError("a duration is a number of seconds or text such as '90s', not a bool")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise DurationError(f"{value!r} is not a duration: use a finite number >= 0")
        return float(value)
    text = value.strip()
    total = 0.0
    position = 0
    for match in _PART.finditer(text):
        if text[position : match.start()].strip():
            break
        total += float(match.group(1)) * _UNIT[match.group(2).lower()]
        position = match.end()
    if not text or position == 0 or text[position:].strip():
        raise DurationError(
            f"{value!r} is not a duration: write seconds as a number, or parts with units "
            "ms, s, m, h, d such as '90s', '5m', '1h30m'"
        )
    return total
