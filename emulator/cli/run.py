"""`scada-emu run [FILE]`: the options; emulator.cli._run does the work, imported only when the
command runs, so every other command starts without the runtime (docs/performance.md).
Documented in docs/running.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from emulator.control.client import TOKEN_ENV
from emulator.runtime.state import default_state_dir

#: emulator.logs.LEVELS and emulator.runtime.supervisor.DEFAULT_GRACE, without importing them
#: (tests/cli/test_startup.py keeps them equal).
LEVELS = ("debug", "info", "warning", "error")
DEFAULT_GRACE = 2.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the server processes of a topology (the demo plant without FILE)",
        description="Compile the topology, bind every listener of its plan, print them and "
        "'ready', and serve until SIGINT or SIGTERM.",
    )
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="topology file, or the name of a shipped scenario (`scada-emu scenarios`; "
        "default: the demo plant)",
    )
    parser.add_argument("--computer", help="run only this computer's share of the topology")
    parser.add_argument(
        "--ephemeral", action="store_true", help="bind every listener on port 0 of its address"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="write the listeners as JSON here once ready"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="keep the alarm and trend history and the CA in DIR, across runs (default: a "
        f"fresh folder per run for the history, the CA in {default_state_dir()}; "
        "with --ephemeral, the CA in the run's folder too)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        help="seconds open connections get to close on shutdown (default: %(default)s)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        help="plant seconds per real second for the scenario (default: [scenario] speed)",
    )
    parser.add_argument(
        "--control",
        metavar="HOST:PORT",
        help="where the control API listens (default: [control], 127.0.0.1:8787)",
    )
    parser.add_argument(
        "--control-token",
        help=f"bearer token every control request must carry (default: ${TOKEN_ENV}; "
        "on the command line it shows in the process list)",
    )
    parser.add_argument("--no-control", action="store_true", help="run no control API")
    parser.add_argument(
        "--max-connections",
        type=int,
        help="CtAPI connections per computer ([CtAPI]MaxConnections; default 20)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        help="seconds for a first request or a begun frame to arrive whole (default 10; 0: none)",
    )
    parser.add_argument(
        "--idle-timeout", type=float, help="close connections idle this long (default: never)"
    )
    parser.add_argument(
        "--login-timeout",
        type=float,
        help="seconds from connect to log in, pings or not (default 5; 0: none)",
    )
    parser.add_argument(
        "--event-loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="auto: uvloop where it is installed (faster), else asyncio's own",
    )
    parser.add_argument("--log-format", choices=("auto", "json", "console"), default="auto")
    parser.add_argument("--log-level", choices=LEVELS, default="info")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from emulator.cli._run import main as run  # the runtime, only now

    return run(args)
