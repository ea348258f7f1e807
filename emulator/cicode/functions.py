"""The table of Cicode functions the emulator knows, open to other modules.

A function is registered with its name (case-insensitive, as Cicode), how many arguments it
takes, and a Python callable `(CallContext, args) -> Value`. Other engines add theirs, e.g.

    from emulator.cicode import BUILTINS, CallContext, Value

    @BUILTINS.register("AlarmAck", min_args=2, max_args=3)
    def alarm_ack(ctx: CallContext, args: list[Value]) -> Value: ...

An unknown name is an error (unknown_function), never an empty result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from emulator.plant.config import User
from emulator.plant.format import plain
from emulator.protocol.errors import (
    ERROR_USER_DEFINED_BASE,
    INVALID_ARGUMENT,
    OUT_OF_RANGE,
    ProtocolError,
    is_citect_error,
)

if TYPE_CHECKING:
    from emulator.plant.state import Plant, Reading
    from emulator.processes.context import Context

Value = int | float | str

#: Cicode INT is 32-bit; integer results outside it are out of range (also bounds the work).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


class ReferenceReader(Protocol):
    """How a CtAPI session resolves a reference (processes.references: a tag or an alarm's
    property); a protocol, so that Cicode stays below the processes that run it."""

    def read(self, reference: str, now: float) -> Reading: ...

    def write(self, reference: str, value: str, now: float, user: str | None) -> None:
        """Write a tag, else an alarm's writable property (`ALARM.Ack`, 1068486)."""
        ...


class CicodeSession(Protocol):
    """What Login, Logout and UserInfo need of the CtAPI session that runs the command."""

    #: When the current user logged in (seconds since 1970), None when nobody is.
    login_time: float | None

    def login(self, name: str, password: str, now: float) -> User:
        """Log in as `name` for this session's Cicode; ProtocolError(LOGIN_FAILED) if not."""
        ...

    def logout(self) -> None:
        """Back to the user that opened the session."""
        ...

    def users(self) -> list[User]:
        """The project's users, in [[users]] order."""
        ...


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a Cicode call may use: the plant, the time, who calls, and the runtime."""

    plant: Plant
    now: float
    user: User | None = None
    #: The runtime's shared context (None in pure tests): engines reach their state from it.
    context: Context | None = None
    #: How the CtAPI session resolves tag references (alarm properties too); None: tags only.
    references: ReferenceReader | None = None
    #: The CtAPI session the command runs on (Login, Logout, UserInfo); None outside one.
    session: CicodeSession | None = None

    def read(self, reference: str) -> Reading:
        """A reference read as ctTagRead reads it on the caller's session."""
        if self.references is not None:
            return self.references.read(reference, self.now)
        return self.plant.read(reference)


Implementation = Callable[[CallContext, list[Value]], Value]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    min_args: int
    max_args: int
    call: Implementation
    #: One line for docs/ctapi.md and error messages.
    summary: str = ""
    #: The function reports failure as its result ("0 if successful, otherwise an error code",
    #: AlarmAckTag 1033447): a ProtocolError becomes the Plant SCADA number, ctCicode succeeds.
    returns_error: bool = False
    #: Arguments that are names (a tag, an alarm, a cluster): an unquoted name there is the name
    #: itself, not the tag's value (clients build such calls by string formatting).
    names: tuple[int, ...] = ()


class Functions:
    """A registry of Cicode functions by case-insensitive name."""

    def __init__(self) -> None:
        self._table: dict[str, Function] = {}

    def register(
        self,
        name: str,
        *,
        min_args: int = 0,
        max_args: int | None = None,
        summary: str = "",
        returns_error: bool = False,
        names: tuple[int, ...] = (),
    ) -> Callable[[Implementation], Implementation]:
        """Decorator: add `name`; registering a name twice is a programming error."""

        def add(implementation: Implementation) -> Implementation:
            key = name.casefold()
            if key in self._table:
                raise ValueError(f"the Cicode function {name} is already registered")
            upper = min_args if max_args is None else max_args
            self._table[key] = Function(
                name, min_args, upper, implementation, summary, returns_error, names
            )
            return implementation

        return add

    def get(self, name: str) -> Function | None:
        return self._table.get(name.casefold())

    def __iter__(self) -> Iterator[Function]:
        return iter(sorted(self._table.values(), key=lambda f: f.name.casefold()))

    def __len__(self) -> int:
        return len(self._table)


# --- argument conversion ("standard Plant SCADA conversion", ctCiCode help) ----------------------
def to_number(value: Value, what: str = "value") -> int | float:
    if isinstance(value, int | float):
        return value
    text = value.strip()
    if not text:
        return 0  # an empty argument or string converts to 0 (Plant SCADA's conversion)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ProtocolError(INVALID_ARGUMENT, f"{what}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ProtocolError(INVALID_ARGUMENT, f"{what}: {value!r} is not a finite number")
    return number


def to_int(value: Value, what: str = "value") -> int:
    number = to_number(value, what)
    whole = int(number)
    return checked_int(whole, what)


def to_text(value: Value) -> str:
    """A value as Cicode shows it in a string: integers plainly, reals without trailing zeros."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return plain(value)


def error_number(error: ProtocolError) -> int:
    """The number a Cicode function returns for a failure: the Plant SCADA error number
    (GetLastError's code without ERROR_USER_DEFINED_BASE), or the Win32 code as it is."""
    code = error.error.code
    return code - ERROR_USER_DEFINED_BASE if is_citect_error(code) else code


def checked_int(value: int, what: str = "result") -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise ProtocolError(OUT_OF_RANGE, f"{what} {value} does not fit a Cicode INT (32-bit)")
    return value


def checked_real(value: float, what: str = "result") -> float:
    if not math.isfinite(value):
        raise ProtocolError(OUT_OF_RANGE, f"{what} is not a finite number")
    return value
