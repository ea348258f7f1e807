"""`scada-emu scenarios`: the scenarios shipped in the package, each runnable by name
(`scada-emu run failover`). Documented in docs/scenarios.md ("Shipped scenarios")."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scenarios",
        help="list the shipped scenarios (run one by name: scada-emu run failover)",
        description="List the scenarios installed with the emulator; `scada-emu run NAME`, "
        '`scada-emu check NAME` and `@pytest.mark.scada_scenario("NAME")` take the name.',
    )
    parser.add_argument("name", nargs="?", help="print this scenario's TOML instead")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from emulator.topology import shipped
    from emulator.topology.report import format_table

    if args.name is not None:
        if not shipped.is_shipped(args.name):
            print(f"error: {shipped.unknown(args.name)}", file=sys.stderr)
            return 2
        print(shipped.text(args.name), end="")
        return 0
    rows = [(name, shipped.summary(name)) for name in shipped.names()]
    print(format_table(("NAME", "WHAT IT SHOWS"), rows))
    return 0
