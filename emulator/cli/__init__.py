"""`scada-emu`: one module per subcommand, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import import_module

from emulator import __version__

#: Subcommand modules under emulator.cli, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "check",
    "ports",
    "schema",
    "certs",
    "status",
    "wait",
    "process",
    "fault",
    "tag",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scada-emu",
        description="Emulate the server processes of AVEVA Plant SCADA (formerly Citect SCADA).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"emulator.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
