"""`scada-emu pyctapi SCRIPT [ARGS...]`: run a CtAPI program written for Windows (pyctapi, its
examples) unchanged against a running emulator (emulator.compat.launch). Documented in
docs/client.md ("pyctapi unchanged")."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pyctapi",
        help="run a Windows CtAPI program (pyctapi) unchanged against the emulator",
        description="Run SCRIPT with the CtAPI shim installed, platform.system() 'Windows' and "
        "Citect's DLLs loadable by path, for this process only. The emulator's computers come "
        "from --ready-file, else the ready file the environment names, as for the shim "
        "(docs/client.md).",
    )
    parser.add_argument("--ready-file", help="the ready file of the running emulator")
    parser.add_argument("script", help="the Python program to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from emulator.compat.launch import run_script

    try:
        run_script(args.script, args.args, ready_file=args.ready_file)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0
