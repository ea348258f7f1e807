"""Plant SCADA format strings ("####.##"): how a tag's value reads as text. Pure.

Documented in docs/plant.md ("Tags", "format"). Supported: `#` per integer digit, `0` for an
integer digit padded with a leading zero, `.` then `#`s for the decimals, and a trailing `EU`
that appends the engineering units. A value wider than the format is never cut.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

_FORMAT = re.compile(r"^(?P<int>[#0]+)(?:\.(?P<dec>#+))?(?P<eu>\s*EU)?$", re.IGNORECASE)

#: Widest format accepted (ours: a REAL has at most 39 integer digits and ~7 significant).
MAX_DIGITS = 40
MAX_DECIMALS = 15

#: Decimals shown for a real tag without a format (ours): enough for a float32, trailing zeros cut.
DEFAULT_REAL_DECIMALS = 6


FORMAT_HINT = "write '#' per digit, '.', then '#' per decimal (e.g. '####.##'), optionally 'EU'"


class FormatError(ValueError):
    """The format string is not one Plant SCADA's tag editor accepts (in the supported subset)."""


@dataclass(frozen=True, slots=True)
class Format:
    width: int
    decimals: int
    zero_pad: bool = False
    units: bool = False

    @classmethod
    def parse(cls, text: str) -> Format:
        match = _FORMAT.match(text.strip())
        if match is None:
            raise FormatError(f"{text!r} is not a format: {FORMAT_HINT}")
        digits = match.group("int")
        decimals = match.group("dec") or ""
        if len(digits) > MAX_DIGITS or len(decimals) > MAX_DECIMALS:
            raise FormatError(
                f"{text!r} is too wide: at most {MAX_DIGITS} digits and {MAX_DECIMALS} decimals"
            )
        return cls(len(digits), len(decimals), "0" in digits, match.group("eu") is not None)

    def number(self, value: float, units: str = "") -> str:
        """`value` as this format shows it (rounded half away from zero, like Plant SCADA)."""
        text = _fixed(value, self.decimals)
        if self.zero_pad:
            negative = text.startswith("-")
            body = text.lstrip("-")
            whole, dot, frac = body.partition(".")
            body = whole.rjust(self.width, "0") + dot + frac
            text = "-" + body if negative else body
        if self.units and units:
            text += " " + units
        return text


def _fixed(value: float, decimals: int) -> str:
    """Round half away from zero on the shortest decimal repr, so 2.675 shows as 2.68."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    with localcontext() as context:
        context.prec = 800
        quantum = Decimal(1).scaleb(-decimals)
        text = f"{Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if text.startswith("-") and set(text[1:]) <= {"0", "."}:
        text = text[1:]
    return text


def plain(value: float, decimals: int = DEFAULT_REAL_DECIMALS) -> str:
    """A number without a format: up to `decimals` decimals, trailing zeros cut (ours)."""
    text = _fixed(value, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
