"""structlog set-up for the CLI: JSON lines for machines, readable lines for people.

Logs go to stderr, so stdout keeps only what a harness reads (the listener table and `ready`).
The format follows stderr: console lines on a terminal, JSON lines otherwise, unless forced.
Tracebacks never show local variables (they may hold a password or a token).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog

LogFormat = Literal["auto", "json", "console"]
LEVELS = ("debug", "info", "warning", "error")

#: Tracebacks as JSON without local variables: a request that fails while it is served holds a
#: password or a token in its locals, and no secret may reach a log (docs/security.md).
_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def configure(
    log_format: LogFormat = "auto", level: str = "info", stream: TextIO | None = None
) -> None:
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
