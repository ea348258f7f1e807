"""`scada-emu ports`: the default-port table of Plant SCADA, as emulator.ports holds it."""

from __future__ import annotations

import argparse
from typing import Any

HEADERS = ("PORT", "PROCESS TYPE", "OWNER", "TLS", "NOTE")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "ports",
        help="print Plant SCADA's default ports",
        description="Print the default port of each server process type (the seed page "
        "'Server Processes - Default Ports') and which ports are reserved.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=ports)


def ports(args: argparse.Namespace) -> int:
    from emulator.ports import DEFAULT_PORTS, LEGACY_PORTS, RESERVED_PORT_MESSAGE, RESERVED_RANGE
    from emulator.topology.report import format_table, to_json

    if args.format == "json":
        print(
            to_json(
                [
                    {
                        "port": p.port,
                        "type": str(p.type),
                        "title": p.title,
                        "scope": str(p.scope),
                        "tls": p.tls,
                        "note": p.note,
                    }
                    for p in DEFAULT_PORTS
                ]
            )
        )
        return 0
    rows = [
        (str(p.port), p.title, str(p.scope), "yes" if p.tls else "no", p.note)
        for p in DEFAULT_PORTS
    ]
    unowned = sorted(set(RESERVED_RANGE) - {p.port for p in DEFAULT_PORTS})
    others = sorted({p.port for p in DEFAULT_PORTS} - set(RESERVED_RANGE))
    reserved = [
        *(str(p) for p in others if p < RESERVED_RANGE.start),
        f"{RESERVED_RANGE.start}-{RESERVED_RANGE.stop - 1}",
        *(str(p) for p in others if p >= RESERVED_RANGE.stop),
    ]
    print(format_table(HEADERS, rows))
    print()
    print(
        f"Reserved: {', '.join(reserved)}. A server process may use only its own type's "
        f"default port; any other reserved port ({', '.join(map(str, unowned))} too) gives:"
    )
    print(f"  {RESERVED_PORT_MESSAGE}")
    print(
        f"Legacy: {LEGACY_PORTS.start}-{LEGACY_PORTS.stop - 1} were reserved in earlier "
        "versions and are no longer used (a warning)."
    )
    return 0
