"""`scada-emu process stop | start | crash | hang NAME`: act on a server process of a running
plant. Documented in docs/control.md."""

from __future__ import annotations

import argparse
from typing import Any

from emulator.cli import _control
from emulator.control.client import ControlClient

#: emulator.control.api.PROCESS_ACTIONS, without importing the API (Starlette) to parse options
#: (tests/cli/test_startup.py keeps them equal).
PROCESS_ACTIONS = ("stop", "start", "crash", "hang")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "process",
        help="stop, start, crash or hang a server process of a running plant",
        description="stop: ports refuse connections; crash: connections reset, then down; "
        "hang: accepts, never answers; start: back to running.",
    )
    parser.add_argument("action", choices=PROCESS_ACTIONS)
    parser.add_argument("name", help="server process name (e.g. ALARM1, CtAPI)")
    parser.add_argument("--computer", help="the computer, for per-computer processes")
    _control.add_arguments(parser)
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    def action(client: ControlClient) -> int:
        path = f"/processes/{_control.segment(args.name)}/{args.action}"
        if args.computer:
            path += f"?computer={_control.segment(args.computer)}"
        views = client.post(path)
        text = "\n".join(
            f"{v['computer']}/{v['process']}: {v['state']}" + (" (hung)" if v.get("hung") else "")
            for v in views
        )
        _control.show(args, views, text)
        return 0

    return _control.run(args, action)
