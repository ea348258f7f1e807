"""The built-in Cicode functions of the emulator (a documented subset; docs/ctapi.md "Cicode").

Semantics follow the Plant SCADA Cicode reference; where it is silent the choice is ours and
documented. Times are UTC: the emulator has no time zone of its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

from emulator.cicode.functions import (
    CallContext,
    Functions,
    Value,
    checked_int,
    checked_real,
    to_int,
    to_number,
    to_text,
)
from emulator.cicode.interpreter import value_of_tag
from emulator.plant.format import plain
from emulator.protocol.errors import OUT_OF_RANGE, ProtocolError

#: The Plant SCADA version the emulator answers as (Plant SCADA 2023 is version 8.40).
VERSION = (8, 40, 0)

_LEADING_INTEGER = re.compile(r"\s*([+-]?\d{1,12})")

BUILTINS = Functions()
register = BUILTINS.register


# --- system ------------------------------------------------------------------------------------
@register("Version", min_args=0, max_args=1, summary="0 major, 1 minor, 2 revision, 3 text")
def version(ctx: CallContext, args: list[Value]) -> Value:
    kind = to_int(args[0], "Version's type") if args else 3
    if kind in (0, 1, 2):
        return str(VERSION[kind])
    if kind == 3:
        return f"{VERSION[0]}.{VERSION[1]:02d}"
    raise ProtocolError(OUT_OF_RANGE, f"Version({kind}): the type is 0, 1, 2 or 3")


@register(
    "ProductInfo",
    min_args=0,
    max_args=1,
    summary="0 name, 1 company, 2 major, 3 minor, 4 version; '' for another type",
)
def product_info(ctx: CallContext, args: list[Value]) -> Value:
    kind = to_int(args[0], "ProductInfo's type") if args else 0
    answers = {
        0: "Plant SCADA",
        1: "AVEVA",
        2: str(VERSION[0]),
        3: str(VERSION[1]),
        4: f"{VERSION[0]}.{VERSION[1]:02d}",
    }
    return answers.get(kind, "")


@register("Name", summary="the name of the user of the session")
def name(ctx: CallContext, args: list[Value]) -> Value:
    return ctx.user.name if ctx.user else ""


@register("FullName", summary="the full name of the user of the session")
def full_name(ctx: CallContext, args: list[Value]) -> Value:
    return ctx.user.full_name if ctx.user else ""


# --- tags --------------------------------------------------------------------------------------
def _reference(tag: Value, offset: Value | None, cluster: Value | None) -> str:
    reference = to_text(tag).strip()
    if cluster is not None and to_text(cluster).strip():
        reference = f"{to_text(cluster).strip()}.{reference}"
    if offset is not None:
        index = to_int(offset, "the offset")
        if index < 0:
            raise ProtocolError(OUT_OF_RANGE, f"offset {index}: an offset starts at 0")
        reference = f"{reference}[{index}]"
    return reference


@register("TagRead", min_args=1, max_args=3, summary="(Tag [, Offset [, Cluster]]) value text")
def tag_read(ctx: CallContext, args: list[Value]) -> Value:
    offset = args[1] if len(args) > 1 else None
    cluster = args[2] if len(args) > 2 else None
    return ctx.read(_reference(args[0], offset, cluster)).value


@register(
    "TagWrite",
    min_args=2,
    max_args=5,
    summary="(Tag, Value [, Offset [, Synch [, Cluster]]]) 0; a failed write is an error",
)
def tag_write(ctx: CallContext, args: list[Value]) -> Value:
    offset = args[2] if len(args) > 2 else None
    cluster = args[4] if len(args) > 4 else None
    user = ctx.user.name if ctx.user else None
    ctx.plant.write(_reference(args[0], offset, cluster), to_text(args[1]), ctx.now, user)
    return 0


@register("TagGetValue", min_args=1, max_args=1, summary="(Tag) the typed value (0/1 digital)")
def tag_get_value(ctx: CallContext, args: list[Value]) -> Value:
    return value_of_tag(ctx, to_text(args[0]).strip())


# --- time --------------------------------------------------------------------------------------
def _moment(ctx: CallContext) -> datetime:
    return datetime.fromtimestamp(ctx.now, UTC)


@register("Date", min_args=0, max_args=1, summary="0 DD/MM/YYYY, 1 long, 2 YYYY-MM-DD (UTC)")
def date(ctx: CallContext, args: list[Value]) -> Value:
    kind = to_int(args[0], "Date's format") if args else 0
    moment = _moment(ctx)
    formats = {0: "%d/%m/%Y", 1: "%A, %d %B %Y", 2: "%Y-%m-%d"}
    if kind not in formats:
        raise ProtocolError(OUT_OF_RANGE, f"Date({kind}): the format is 0, 1 or 2")
    return moment.strftime(formats[kind])


@register("Time", min_args=0, max_args=1, summary="0 HH:MM:SS, 1 HH:MM (UTC, 24-hour)")
def time_of_day(ctx: CallContext, args: list[Value]) -> Value:
    kind = to_int(args[0], "Time's format") if args else 0
    formats = {0: "%H:%M:%S", 1: "%H:%M"}
    if kind not in formats:
        raise ProtocolError(OUT_OF_RANGE, f"Time({kind}): the format is 0 or 1")
    return _moment(ctx).strftime(formats[kind])


@register("TimeCurrent", summary="seconds since 1970-01-01 UTC")
def time_current(ctx: CallContext, args: list[Value]) -> Value:
    return int(ctx.now)


# --- strings -----------------------------------------------------------------------------------
def _count(value: Value, what: str) -> int:
    count = to_int(value, what)
    if count < 0:
        raise ProtocolError(OUT_OF_RANGE, f"{what} {count} is negative")
    return count


@register("StrLeft", min_args=2, summary="(s, n) the first n characters")
def str_left(ctx: CallContext, args: list[Value]) -> Value:
    return to_text(args[0])[: _count(args[1], "StrLeft's length")]


@register("StrRight", min_args=2, summary="(s, n) the last n characters")
def str_right(ctx: CallContext, args: list[Value]) -> Value:
    text = to_text(args[0])
    count = _count(args[1], "StrRight's length")
    return text[len(text) - count :] if count else ""


@register("StrMid", min_args=3, summary="(s, offset, n) n characters from offset (0-based)")
def str_mid(ctx: CallContext, args: list[Value]) -> Value:
    offset = _count(args[1], "StrMid's offset")
    return to_text(args[0])[offset : offset + _count(args[2], "StrMid's length")]


@register("StrSearch", min_args=3, summary="(offset, s, sub) where sub starts, or -1")
def str_search(ctx: CallContext, args: list[Value]) -> Value:
    offset = _count(args[0], "StrSearch's offset")
    return to_text(args[1]).find(to_text(args[2]), offset)


@register("StrLength", min_args=1, summary="(s) the number of characters")
def str_length(ctx: CallContext, args: list[Value]) -> Value:
    return len(to_text(args[0]))


@register("StrUpper", min_args=1, summary="(s) in upper case")
def str_upper(ctx: CallContext, args: list[Value]) -> Value:
    return to_text(args[0]).upper()


@register("StrLower", min_args=1, summary="(s) in lower case")
def str_lower(ctx: CallContext, args: list[Value]) -> Value:
    return to_text(args[0]).lower()


@register("StrTrim", min_args=1, summary="(s) without leading and trailing spaces")
def str_trim(ctx: CallContext, args: list[Value]) -> Value:
    return to_text(args[0]).strip(" \t")


@register("StrToInt", min_args=1, summary="(s) the leading integer, 0 when none (like atol)")
def str_to_int(ctx: CallContext, args: list[Value]) -> Value:
    match = _LEADING_INTEGER.match(to_text(args[0]))
    return checked_int(int(match.group(1)), "StrToInt's result") if match else 0


@register("StrToReal", min_args=1, summary="(s) the number, 0 when none")
def str_to_real(ctx: CallContext, args: list[Value]) -> Value:
    try:
        return float(to_number(to_text(args[0]), "StrToReal"))
    except ProtocolError:
        return 0.0


@register("IntToStr", min_args=1, summary="(n) the integer as text")
def int_to_str(ctx: CallContext, args: list[Value]) -> Value:
    return str(to_int(args[0], "IntToStr's number"))


@register("RealToStr", min_args=1, max_args=3, summary="(x [, width [, places]]) right-aligned")
def real_to_str(ctx: CallContext, args: list[Value]) -> Value:
    number = float(to_number(args[0], "RealToStr's number"))
    width = _count(args[1], "RealToStr's width") if len(args) > 1 else 0
    if len(args) > 2:
        places = _count(args[2], "RealToStr's places")
        if places > 20 or width > 255:
            raise ProtocolError(OUT_OF_RANGE, "RealToStr: at most 20 places and width 255")
        return f"{number:{width}.{places}f}"
    if width > 255:
        raise ProtocolError(OUT_OF_RANGE, "RealToStr: width at most 255")
    return plain(number).rjust(width)


# --- maths -------------------------------------------------------------------------------------
def _real(value: Value, what: str) -> float:
    return float(to_number(value, what))


@register("Abs", min_args=1, summary="(x) absolute value")
def absolute(ctx: CallContext, args: list[Value]) -> Value:
    number = to_number(args[0], "Abs")
    return checked_int(abs(number)) if isinstance(number, int) else abs(number)


@register("Sqrt", min_args=1, summary="(x) square root; x >= 0")
def square_root(ctx: CallContext, args: list[Value]) -> Value:
    number = _real(args[0], "Sqrt")
    if number < 0:
        raise ProtocolError(OUT_OF_RANGE, f"Sqrt({plain(number)}): a negative number")
    return math.sqrt(number)


@register("Round", min_args=1, max_args=2, summary="(x [, places]) half away from zero")
def round_number(ctx: CallContext, args: list[Value]) -> Value:
    number = _real(args[0], "Round")
    places = to_int(args[1], "Round's places") if len(args) > 1 else 0
    if not -20 <= places <= 20:
        raise ProtocolError(OUT_OF_RANGE, f"Round: {places} places (-20..20)")
    scaled = abs(number) * 10.0**places
    if not math.isfinite(scaled) or scaled >= 2**52:
        return number  # already more precise than the places asked for
    return math.copysign(math.floor(scaled + 0.5) / 10.0**places, number)


@register("Max", min_args=2, summary="(a, b) the larger")
def maximum(ctx: CallContext, args: list[Value]) -> Value:
    return max(to_number(args[0], "Max"), to_number(args[1], "Max"))


@register("Min", min_args=2, summary="(a, b) the smaller")
def minimum(ctx: CallContext, args: list[Value]) -> Value:
    return min(to_number(args[0], "Min"), to_number(args[1], "Min"))


@register("Pow", min_args=2, summary="(x, y) x to the power y")
def power(ctx: CallContext, args: list[Value]) -> Value:
    base, exponent = _real(args[0], "Pow"), _real(args[1], "Pow")
    try:
        result = math.pow(base, exponent)
    except (OverflowError, ValueError):
        raise ProtocolError(
            OUT_OF_RANGE, f"Pow({plain(base)}, {plain(exponent)}) has no real result"
        ) from None
    return checked_real(result)


def _unary_math(name: str, implementation: Callable[[float], float], summary: str) -> None:
    """Registers a one-argument function of math (Sin, Cos, ...)."""

    def call(ctx: CallContext, args: list[Value]) -> Value:
        number = _real(args[0], name)
        try:
            return checked_real(implementation(number), f"{name}({plain(number)})")
        except (OverflowError, ValueError):
            raise ProtocolError(OUT_OF_RANGE, f"{name}({plain(number)}) has no result") from None

    register(name, min_args=1, summary=summary)(call)


for _name, _function, _summary in (
    ("Sin", math.sin, "(x) sine, x in radians"),
    ("Cos", math.cos, "(x) cosine, x in radians"),
    ("Tan", math.tan, "(x) tangent, x in radians"),
    ("Exp", math.exp, "(x) e to the power x"),
    ("Ln", math.log, "(x) natural logarithm"),
    ("Log", math.log10, "(x) base-10 logarithm"),
):
    _unary_math(_name, _function, _summary)


@register("Pi", summary="3.14159...")
def pi(ctx: CallContext, args: list[Value]) -> Value:
    return math.pi


@register("IntToReal", min_args=1, summary="(n) as a real")
def int_to_real(ctx: CallContext, args: list[Value]) -> Value:
    return float(to_int(args[0], "IntToReal"))


@register("RealToInt", min_args=1, summary="(x) truncated to an integer")
def real_to_int(ctx: CallContext, args: list[Value]) -> Value:
    number = _real(args[0], "RealToInt")
    return checked_int(math.trunc(number))
