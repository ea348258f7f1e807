"""`scada-emu wait`: block until a plant is healthy (or the timeout passes), for shell
harnesses. Documented in docs/testing.md and docs/control.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from emulator.cli import _control
from emulator.control.client import ControlClientError

#: Seconds between two looks at the plant.
INTERVAL = 0.2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wait",
        help="wait until a running plant is healthy",
        description="Wait for the ready file (if given), then until GET /health answers 200. "
        "Exit 0 when healthy, 1 on timeout.",
    )
    _control.add_arguments(parser)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds (default: %(default)s)"
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + max(args.timeout, 0.0)
    last = "not started"
    while True:
        try:
            if args.ready_file is not None and not Path(args.ready_file).exists():
                raise ControlClientError(f"no ready file {args.ready_file} yet")
            client = _control.client_of(args)
            status, body = client.request("GET", "/health")
            if status == 200:
                _control.show(args, body, "healthy")
                return 0
            waiting = [p["process"] for p in body["processes"] if not p["healthy"]]
            last = f"not healthy: {', '.join(waiting)}"
        except ControlClientError as exc:
            if exc.status in (401, 403):
                print(f"error: {exc}", file=sys.stderr)
                return 2
            last = str(exc)
        if time.monotonic() >= deadline:
            print(f"error: gave up after {args.timeout} s: {last}", file=sys.stderr)
            return 1
        time.sleep(INTERVAL)
