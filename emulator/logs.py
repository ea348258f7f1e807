"""Logging: the package logs like a library, the CLI turns it into JSON or console lines.

Every module logs through `get_logger`: structlog events handed to the standard library
logger of that name (`emulator.client`, `emulator.process`, ...). Imported as a library (the
client, the pytest plant) the package prints nothing: the `emulator` logger has only a
NullHandler until the application configures logging, and then its records go wherever the
application sends them (pytest's caplog sees them). The processors are structlog's configured
ones, so the runtime's event log (emulator.control.events) still taps every event; until some
code configures structlog, a plain chain without colours or timestamps (logging adds its own).

`configure`, for the CLI, sends the `emulator` records to stderr, so stdout keeps only what a
harness reads (the listener table and `ready`). The format follows stderr: console lines on a
terminal, JSON lines otherwise, unless forced. Tracebacks never show local variables (they may
hold a password or a token).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TextIO, overload

import structlog

LogFormat = Literal["auto", "json", "console"]
LEVELS = ("debug", "info", "warning", "error")

#: Tracebacks as JSON without local variables: a request that fails while it is served holds a
#: password or a token in its locals, and no secret may reach a log (docs/security.md).
_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


#: The package's root logger: silent (a NullHandler, so not even logging's last-resort handler
#: prints a warning) until the application or `configure` gives it a handler.
ROOT = logging.getLogger("emulator")
ROOT.addHandler(logging.NullHandler())

#: The processors while nobody has configured structlog: logging adds time and level itself.
LIBRARY_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
]


class _Processors(Sequence[structlog.typing.Processor]):
    """structlog's configured processors at each event, else LIBRARY_PROCESSORS: a logger made
    at import time follows a later structlog.configure (the CLI's, the event log's tap)."""

    def _now(self) -> Sequence[structlog.typing.Processor]:
        if structlog.is_configured():
            return structlog.get_config()["processors"]  # type: ignore[no-any-return]
        return LIBRARY_PROCESSORS

    def __iter__(self) -> Iterator[structlog.typing.Processor]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())

    @overload
    def __getitem__(self, index: int) -> structlog.typing.Processor: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[structlog.typing.Processor]: ...
    def __getitem__(
        self, index: int | slice
    ) -> structlog.typing.Processor | Sequence[structlog.typing.Processor]:
        return self._now()[index]


_PROCESSORS = _Processors()
#: The handler `configure` gave ROOT (at most one), replaced when it is called again.
_handlers: list[logging.Handler] = []


def get_logger(name: str, **initial: Any) -> Any:
    """A lazy structlog logger whose events go to the standard library logger `name`."""
    return structlog.wrap_logger(logging.getLogger(name), processors=_PROCESSORS, **initial)


def configure(
    log_format: LogFormat = "auto", level: str = "info", stream: TextIO | None = None
) -> None:
    """For the CLI: every `emulator` record (and bare structlog loggers) as JSON or console
    lines on `stream` (stderr), at `level` and above. The handler is not propagated around:
    the root logger keeps whatever the program gave it."""
    out = stream if stream is not None else sys.stderr
    tty = out.isatty()
    json = log_format == "json" or (log_format == "auto" and not tty)
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        processors += [_TRACEBACKS, structlog.processors.JSONRenderer()]
    else:
        processors.append(
            structlog.dev.ConsoleRenderer(
                colors=tty, exception_formatter=structlog.dev.plain_traceback
            )
        )
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    while _handlers:
        ROOT.removeHandler(_handlers.pop())
    # The line is rendered already: the formatter passes it as it is.
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    ROOT.addHandler(handler)
    _handlers.append(handler)
    ROOT.setLevel(logging.getLevelNamesMapping()[level.upper()])


def reset() -> None:
    """Undo `configure` (tests that configure the CLI's logging in-process): structlog's
    defaults again, and the `emulator` logger silent and at the application's level."""
    structlog.reset_defaults()
    while _handlers:
        ROOT.removeHandler(_handlers.pop())
    ROOT.setLevel(logging.NOTSET)
