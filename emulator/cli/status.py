"""`scada-emu status`: every server process of a running plant, and whether it is healthy.
Exit 0 healthy, 1 not, 2 unreachable. Documented in docs/control.md."""

from __future__ import annotations

import argparse
from typing import Any

from emulator.cli import _control
from emulator.control.client import ControlClient


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the processes of a running plant (its control API's /health)",
        description="Print each server process' state and intended state; exit 0 when every "
        "one is in its intended state, 1 when not, 2 when the plant cannot be reached.",
    )
    _control.add_arguments(parser)
    parser.set_defaults(func=main)


HEADERS = ("COMPUTER", "PROCESS", "TYPE", "ROLE", "STATE", "INTENDED", "OK")


def table(body: dict[str, Any]) -> str:
    from emulator.topology.report import format_table

    rows = []
    for p in body["processes"]:
        state = p["state"] + (" (hung)" if p.get("hung") else "")
        rows.append(
            (
                p["computer"],
                p["process"],
                p["type"],
                p.get("role") or "-",
                state,
                p["intended"],
                "yes" if p["healthy"] else "NO",
            )
        )
    faults = ", ".join(body["faults"]) or "none"
    return f"{format_table(HEADERS, rows)}\n{body['status']}; active faults: {faults}"


def main(args: argparse.Namespace) -> int:
    def action(client: ControlClient) -> int:
        status, body = client.request("GET", "/health")
        _control.show(args, body, table(body))
        return 0 if status == 200 else 1

    return _control.run(args, action)
