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
    CicodeSession,
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
from emulator.protocol.errors import (
    INVALID_ARGUMENT,
    NO_PAGES,
    OUT_OF_RANGE,
    SHUTDOWN_REFUSED,
    ProtocolError,
)

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


# --- the session's user (UserInfo 1192352, GetPriv, Login, Logout) ---------------------------
#: Privilege levels and areas GetPriv knows (Plant SCADA: levels 0..8, areas 0..255).
MAX_PRIVILEGE = 8
MAX_AREA = 255


@register("UserInfo", min_args=1, max_args=1, summary="(Type) 0..6 about the session's user")
def user_info(ctx: CallContext, args: list[Value]) -> Value:
    """1192352: 1 is the login name. The other types are ours: 0 the user's number (its place
    in [[users]], from 1), 2 the full name, 3 the login time HH:MM:SS, 4 the login date
    DD/MM/YYYY (UTC), 5 and 6 "" (password expiry and user type are not modelled)."""
    kind = to_int(args[0], "UserInfo's type")
    if not 0 <= kind <= 6:
        raise ProtocolError(OUT_OF_RANGE, f"UserInfo({kind}): the type is 0..6")
    user = ctx.user
    if user is None:
        return ""
    session = ctx.session
    if kind == 0:
        users = session.users() if session else []
        numbers = [i + 1 for i, u in enumerate(users) if u.name.casefold() == user.name.casefold()]
        return str(numbers[0]) if numbers else "0"
    if kind == 1:
        return user.name
    if kind == 2:
        return user.full_name
    login_time = session.login_time if session else None
    if kind in (3, 4) and login_time is not None:
        moment = datetime.fromtimestamp(login_time, UTC)
        return moment.strftime("%H:%M:%S" if kind == 3 else "%d/%m/%Y")
    return ""


@register("GetPriv", min_args=2, max_args=2, summary="(Priv, Area) 1 if the user has it, else 0")
def get_priv(ctx: CallContext, args: list[Value]) -> Value:
    """Ours: [[users]] carry no privileges, so a read/write user has every level in every area
    and a read-only user only level 0 (nothing needed)."""
    level = to_int(args[0], "GetPriv's privilege")
    area = to_int(args[1], "GetPriv's area")
    if not 0 <= level <= MAX_PRIVILEGE or not 0 <= area <= MAX_AREA:
        raise ProtocolError(OUT_OF_RANGE, f"GetPriv({level}, {area}): privilege 0..8, area 0..255")
    if ctx.user is None:
        return 0
    return 1 if level == 0 or not ctx.user.read_only else 0


def _session(ctx: CallContext, function: str) -> CicodeSession:
    if ctx.session is None:
        raise ProtocolError(INVALID_ARGUMENT, f"{function}() needs a CtAPI session")
    return ctx.session


@register(
    "Login",
    min_args=2,
    max_args=4,
    summary="(User, Password [, Language [, ...]]) 0, or the error number (274)",
    returns_error=True,
    names=(0,),
)
def login(ctx: CallContext, args: list[Value]) -> Value:
    """Later Cicode of this session runs as that user (Name(), writes in the logs)."""
    _session(ctx, "Login").login(to_text(args[0]).strip(), to_text(args[1]), ctx.now)
    return 0


@register("Logout", summary="() 0; back to the user that opened the session", returns_error=True)
def logout(ctx: CallContext, args: list[Value]) -> Value:
    _session(ctx, "Logout").logout()
    return 0


# --- what the emulator has not: pages, shutting the runtime down -------------------------------
@register(
    "PageDisplay",
    min_args=1,
    max_args=1,
    summary="(Page) the no_pages number: the emulator has no graphics pages",
    returns_error=True,
    names=(0,),
)
def page_display(ctx: CallContext, args: list[Value]) -> Value:
    raise ProtocolError(NO_PAGES, f"no page {to_text(args[0])!r}: the emulator shows no pages")


@register(
    "Shutdown",
    min_args=0,
    max_args=4,
    summary="([Dest [, Project [, Mode [, Cluster]]]]) the shutdown_refused number; never stops",
    returns_error=True,
    names=(0, 1, 3),
)
def shutdown(ctx: CallContext, args: list[Value]) -> Value:
    raise ProtocolError(SHUTDOWN_REFUSED, "use scada-emu stop or the control API")


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


@register(
    "TagRead",
    min_args=1,
    max_args=3,
    summary="(Tag [, Offset [, Cluster]]) value text",
    names=(0, 2),
)
def tag_read(ctx: CallContext, args: list[Value]) -> Value:
    offset = args[1] if len(args) > 1 else None
    cluster = args[2] if len(args) > 2 else None
    return ctx.read(_reference(args[0], offset, cluster)).value


@register(
    "TagWrite",
    min_args=2,
    max_args=5,
    summary="(Tag, Value [, Offset [, Synch [, Cluster]]]) 0, or the error number",
    returns_error=True,
    names=(0, 4),
)
def tag_write(ctx: CallContext, args: list[Value]) -> Value:
    offset = args[2] if len(args) > 2 else None
    cluster = args[4] if len(args) > 4 else None
    user = ctx.user.name if ctx.user else None
    reference = _reference(args[0], offset, cluster)
    if ctx.references is not None:  # alarm properties too (`ALARM.Ack`)
        ctx.references.write(reference, to_text(args[1]), ctx.now, user)
    else:
        ctx.plant.write(reference, to_text(args[1]), ctx.now, user)
    return 0


@register(
    "TagGetValue",
    min_args=1,
    max_args=1,
    summary="(Tag) the typed value (0/1 digital)",
    names=(0,),
)
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
