"""ctapi.h's CTSCALE and the linear scaling of ctEngToRaw / ctRawToEng.

Clients that talk to I/O devices convert between a tag's raw range and its engineering range
themselves (ctapi-rs's scaling module calls these two functions with a CTSCALE it builds from
the Tag table's RAW_ZERO/RAW_FULL/ENG_ZERO/ENG_FULL). The conversion is local: no server call.
"""

from __future__ import annotations

import ctypes
from typing import Any

from emulator.compat.buffers import ArgumentError, number, real, target
from emulator.protocol.errors import INVALID_ARGUMENT, OUT_OF_RANGE

#: dwMode bits (ctapi.h CT_SCALE_*): fail outside the source range, or clamp to it.
CT_SCALE_RANGE_CHECK = 0x1
CT_SCALE_CLAMP_LIMIT = 0x2


class CTHSCALE(ctypes.Structure):
    _fields_ = [("Zero", ctypes.c_double), ("Full", ctypes.c_double)]


class CTSCALE(ctypes.Structure):
    _fields_ = [("Raw", CTHSCALE), ("Eng", CTHSCALE)]


def convert(result_p: Any, value_d: Any, scale_p: Any, mode_dw: Any, *, to_raw: bool) -> None:
    """*pResult = dValue mapped from one half of *pctScale to the other (raises ArgumentError)."""
    value = real(value_d, "dValue")
    mode = number(mode_dw, "dwMode")
    scale = target(scale_p)
    if not isinstance(scale, CTSCALE):
        raise ArgumentError(INVALID_ARGUMENT, "pctScale must be byref(CTSCALE(...))")
    result = target(result_p)
    if not isinstance(result, ctypes.c_double):
        raise ArgumentError(INVALID_ARGUMENT, "pResult must be byref(c_double())")
    if mode & CT_SCALE_CLAMP_LIMIT and mode & CT_SCALE_RANGE_CHECK:
        raise ArgumentError(
            INVALID_ARGUMENT, "CT_SCALE_CLAMP_LIMIT cannot be combined with CT_SCALE_RANGE_CHECK"
        )
    source, dest = (scale.Eng, scale.Raw) if to_raw else (scale.Raw, scale.Eng)
    span = source.Full - source.Zero
    if span == 0:
        raise ArgumentError(INVALID_ARGUMENT, "the scale's source range is empty (Zero == Full)")
    low, high = sorted((source.Zero, source.Full))
    inside = low <= value <= high
    if not inside and mode & CT_SCALE_CLAMP_LIMIT:
        value = min(max(value, low), high)
    result.value = dest.Zero + (value - source.Zero) * (dest.Full - dest.Zero) / span
    if not inside and mode & CT_SCALE_RANGE_CHECK:
        # FALSE, and *pResult still holds the scaled value (the reference)
        raise ArgumentError(OUT_OF_RANGE, f"{value} is outside {source.Zero}..{source.Full}")
