"""The native library's error numbers are emulator/protocol/errors.py's: one table, two languages.

native/src/internal.h spells the codes the library reports itself (a bad argument, a lost link)
and the ones it tests the server's replies for; each must be the number errors.py gives."""

from __future__ import annotations

import re
from pathlib import Path

from emulator.protocol import errors

HEADER = Path(__file__).resolve().parents[2] / "native" / "src" / "internal.h"

#: internal.h's name for each code that errors.py also names
SAME = {
    "E_ACCESS_DENIED": errors.ENCRYPTION_UNAVAILABLE,
    "E_INVALID_PARAMETER": errors.BAD_REQUEST,
    "E_BUFFER_OVERFLOW": errors.BUFFER_TOO_SMALL,
    "E_NOT_CONNECTED": errors.NOT_CONNECTED,
    "E_TIMEOUT": errors.REQUEST_TIMEOUT,
    "E_INVALID_ARGUMENT": errors.INVALID_ARGUMENT,
    "E_OUT_OF_RANGE": errors.OUT_OF_RANGE,
    "E_TAG_NOT_FOUND": errors.TAG_NOT_FOUND,
    "E_NO_VALID_DATA": errors.NOT_READ,
    "E_ALREADY_OPEN": errors.ALREADY_OPEN,
    "E_NO_MORE_RECORDS": errors.NO_MORE_RECORDS,
    "E_UNKNOWN_HANDLE": errors.UNKNOWN_HANDLE,
}


def header_values() -> dict[str, int]:
    """Every `#define E_NAME value` of internal.h: a number, (ERROR_USER_DEFINED_BASE + n) or
    OURS(n); any other form fails here, so a new spelling cannot slip past the check."""
    values: dict[str, int] = {}
    for name, expr in re.findall(
        r"^#define (E_[A-Z_]+) (.+?)\s*(?:/\*.*)?$", HEADER.read_text(), re.M
    ):
        if m := re.fullmatch(r"\d+", expr):
            values[name] = int(expr)
        elif m := re.fullmatch(r"\(ERROR_USER_DEFINED_BASE \+ (\d+)\)", expr):
            values[name] = errors.citect(int(m[1]))
        elif m := re.fullmatch(r"OURS\((\d+)\)", expr):
            values[name] = errors.ours(int(m[1]))
        else:
            raise AssertionError(f"internal.h: {name} is {expr!r}, a form this check cannot read")
    return values


def test_every_shared_code_has_errors_py_number() -> None:
    values = header_values()
    assert set(SAME) <= set(values), sorted(set(SAME) - set(values))
    wrong = {
        name: (values[name], code.code) for name, code in SAME.items() if values[name] != code.code
    }
    assert not wrong, f"internal.h differs from errors.py (header, errors.py): {wrong}"


def test_the_header_parse_sees_the_plant_scada_codes() -> None:
    values = header_values()
    assert values["E_NO_MORE_RECORDS"] == errors.ERROR_USER_DEFINED_BASE + 0x1008
    assert len(values) >= 20
