"""`scada-emu`: one module per subcommand, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from importlib import import_module
from typing import Any


class _Version(argparse.Action):
    """--version, reading the installed metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from emulator import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


#: Subcommand modules under emulator.cli, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "scenarios",
    "check",
    "ports",
    "schema",
    "certs",
    "status",
    "wait",
    "process",
    "fault",
    "tag",
    "pyctapi",
    "completion",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scada-emu",
        description="Emulate the server processes of AVEVA Plant SCADA (formerly Citect SCADA).",
    )
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"emulator.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Ctrl-C before a command has set itself up ends it quietly, as any Unix
    tool (no traceback); so does a reader that goes away (`scada-emu check --plan | head`)."""
    with _quiet_interrupt():
        try:
            args = build_parser().parse_args(argv)
            result: int = args.func(args)
        except BrokenPipeError:
            _stdout_gone()
            return 1
        except KeyboardInterrupt:
            return 128 + signal.SIGINT
    return result


@contextlib.contextmanager
def _quiet_interrupt() -> Iterator[None]:
    """SIGINT's default action (end the process, no traceback) while the command starts; a
    command that must clean up (`run`) installs its own handler. Restored on the way out (the
    tests call `main` in-process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stdout_gone() -> None:
    """The reader of stdout left: point stdout at /dev/null so that the interpreter's last
    flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (tests capture it)
        pass
