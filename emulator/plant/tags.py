"""What one variable tag is: its type, scaling, range and format, and how its values convert.

Pure: a TagSpec is built once from a [[tags]] record (emulator.plant.config.Tag) and then only
converts values. The I/O device holds *raw* values; CtAPI shows *engineering* values, scaled
linearly between the raw and engineering zero/full (Plant SCADA "Variable Tag Properties").
Documented in docs/plant.md ("Tags").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from emulator.plant.config import Tag, TagType, TagValue
from emulator.plant.format import Format, plain

#: Plant SCADA's ranges of the raw data types (INT is 16-bit, LONG 32-bit, REAL a float32).
TYPE_RANGES: dict[TagType, tuple[float, float]] = {
    "digital": (0, 1),
    "int": (-32768, 32767),
    "long": (-(2**31), 2**31 - 1),
    "real": (-3.402823466e38, 3.402823466e38),
}
#: Longest value of a string tag (ours: CtAPI's usual 256-byte buffers, less the terminator).
STRING_MAX = 255

_TRUE = {"1", "TRUE", "ON"}
_FALSE = {"0", "FALSE", "OFF"}


class TagValueError(Exception):
    """A value a tag cannot take: `kind` says whether it is malformed or out of range."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


MALFORMED = "malformed"
OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True, slots=True)
class Scale:
    """Linear scaling raw <-> engineering; raw_zero != raw_full and eng_zero != eng_full."""

    raw_zero: float
    raw_full: float
    eng_zero: float
    eng_full: float

    def to_eng(self, raw: float) -> float:
        span = self.raw_full - self.raw_zero
        return self.eng_zero + (raw - self.raw_zero) * (self.eng_full - self.eng_zero) / span

    def to_raw(self, eng: float) -> float:
        span = self.eng_full - self.eng_zero
        return self.raw_zero + (eng - self.eng_zero) * (self.raw_full - self.raw_zero) / span


@dataclass(frozen=True, slots=True)
class TagSpec:
    name: str
    cluster: str | None
    type: TagType
    array_size: int = 1
    writable: bool = True
    units: str = ""
    comment: str = ""
    scale: Scale | None = None
    #: Engineering range writes must stay in (low, high); None: only the type's range.
    eng_range: tuple[float, float] | None = None
    format: Format | None = None

    @classmethod
    def from_config(cls, tag: Tag, cluster: str | None) -> TagSpec:
        """The spec of a record that passed the compile rules (emulator.plant.tag_rules)."""
        scale = None
        raw_zero, raw_full, eng_zero, eng_full = (
            tag.raw_zero,
            tag.raw_full,
            tag.eng_zero,
            tag.eng_full,
        )
        if (
            raw_zero is not None
            and raw_full is not None
            and eng_zero is not None
            and eng_full is not None
            and raw_zero != raw_full
            and eng_zero != eng_full
        ):
            scale = Scale(raw_zero, raw_full, eng_zero, eng_full)
        eng_range = None
        if tag.eng_zero is not None and tag.eng_full is not None:
            eng_range = (min(tag.eng_zero, tag.eng_full), max(tag.eng_zero, tag.eng_full))
        fmt = (
            Format.parse(tag.format) if tag.format and tag.type in ("int", "long", "real") else None
        )
        return cls(
            name=tag.name,
            cluster=cluster,
            type=tag.type,
            array_size=max(1, tag.array_size),
            writable=tag.writable,
            units=tag.eng_units,
            comment=tag.comment,
            scale=scale,
            eng_range=eng_range,
            format=fmt,
        )

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "long", "real")

    def zero(self) -> TagValue:
        """The raw value of a tag with no initial value."""
        match self.type:
            case "digital":
                return False
            case "string":
                return ""
            case "real":
                return 0.0
        return 0

    # --- raw <-> engineering ------------------------------------------------------------------
    def eng(self, raw: TagValue) -> TagValue:
        """The engineering value of a raw value (digital and string tags are not scaled)."""
        if self.type in ("digital", "string") or self.scale is None:
            return raw
        return self.scale.to_eng(float(raw))

    def raw_of(self, eng: TagValue) -> TagValue:
        """The raw value an engineering value is stored as; TagValueError when it cannot be."""
        if self.type == "string":
            text = str(eng)
            if len(text) > STRING_MAX:
                raise TagValueError(OUT_OF_RANGE, f"{len(text)} characters (at most {STRING_MAX})")
            return text
        if self.type == "digital":
            if isinstance(eng, bool):
                return eng
            if isinstance(eng, int | float) and eng in (0, 1):
                return bool(eng)
            raise TagValueError(OUT_OF_RANGE, f"{eng!r} for a digital tag (0 or 1)")
        if isinstance(eng, str):
            raise TagValueError(MALFORMED, f"{eng!r} is not a number")
        number = float(eng)
        if not math.isfinite(number):
            raise TagValueError(MALFORMED, f"{eng!r} is not a finite number")
        raw = self.scale.to_raw(number) if self.scale is not None else number
        low, high = TYPE_RANGES[self.type]
        if self.type == "real":
            if not low <= raw <= high:
                raise TagValueError(OUT_OF_RANGE, f"{number} overflows a REAL")
            return raw
        whole = math.floor(raw + 0.5) if raw >= 0 else -math.floor(-raw + 0.5)
        if not low <= whole <= high:
            raise TagValueError(
                OUT_OF_RANGE, f"{number} is raw {whole}, outside the {self.type.upper()} range"
            )
        return whole

    def check_range(self, eng: TagValue) -> None:
        """A write must stay inside the engineering range (Plant SCADA error 257)."""
        if self.eng_range is None or not self.numeric or isinstance(eng, str):
            return
        low, high = self.eng_range
        margin = (high - low) * 1e-9
        if not low - margin <= float(eng) <= high + margin:
            raise TagValueError(
                OUT_OF_RANGE,
                f"{plain(float(eng))} is outside {plain(low)}..{plain(high)} {self.units}".rstrip(),
            )

    # --- text ---------------------------------------------------------------------------------
    def parse(self, text: str) -> TagValue:
        """A written string as an engineering value of this tag's type; TagValueError if not one."""
        if self.type == "string":
            return text
        word = text.strip().upper()
        if self.type == "digital":
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise TagValueError(MALFORMED, f"{text!r} for a digital tag (write 0 or 1)")
        try:
            number = float(word)
        except ValueError:
            raise TagValueError(MALFORMED, f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise TagValueError(MALFORMED, f"{text!r} is not a finite number")
        if self.type != "real" and self.scale is None:
            return math.floor(number + 0.5) if number >= 0 else -math.floor(-number + 0.5)
        return number

    def text(self, eng: TagValue) -> str:
        """An engineering value as CtAPI reads it: formatted per the tag."""
        if self.type == "string":
            return str(eng)
        if self.type == "digital":
            return "1" if eng else "0"
        number = float(eng)
        if self.format is not None:
            return self.format.number(number, self.units)
        if self.type == "real":
            return plain(number)
        return plain(number, 0)

    def raw_text(self, raw: TagValue) -> str:
        """A raw value as text, unformatted (CtAPI raw mode)."""
        if self.type == "string":
            return str(raw)
        if self.type == "digital":
            return "1" if raw else "0"
        return plain(float(raw))
