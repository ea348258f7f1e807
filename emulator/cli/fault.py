"""`scada-emu fault list | add | clear`: the faults of a running plant. Documented in
docs/control.md."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from emulator.cli import _control
from emulator.control.client import ControlClient, ControlClientError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fault",
        help="list, add or clear faults of a running plant",
        description="Faults as docs/scenarios.md describes them, through the control API.",
    )
    actions = parser.add_subparsers(dest="fault_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every defined fault and whether it is active")
    _control.add_arguments(listing)
    add = actions.add_parser(
        "add",
        help="add a fault (or activate a defined one by NAME alone)",
        description="Examples: `fault add slow latency latency=200 jitter=50 process=CtAPI`, "
        "`fault add io-down down process=IO1`, `fault add slow` (a fault the scenario defines).",
    )
    add.add_argument("name")
    add.add_argument("kind", nargs="?", help="latency, bandwidth, slicer, timeout, ...")
    add.add_argument("attributes", nargs="*", metavar="KEY=VALUE", help="fault attributes")
    _control.add_arguments(add)
    clear = actions.add_parser("clear", help="clear one active fault, or --all")
    clear.add_argument("name", nargs="?")
    clear.add_argument("--all", action="store_true", help="clear every active fault")
    _control.add_arguments(clear)
    parser.set_defaults(func=main)


def attributes(pairs: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{pair!r} is not KEY=VALUE (e.g. latency=200)")
        found[key.strip()] = _control.parse_value(value)
    return found


def main(args: argparse.Namespace) -> int:
    if args.fault_action == "list":
        return _control.run(args, lambda c: _list(args, c))
    if args.fault_action == "add":
        try:
            body: dict[str, Any] = {"name": args.name}
            if args.kind is not None:
                body |= {"kind": args.kind, **attributes(args.attributes)}
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return _control.run(args, lambda c: _add(args, c, body))
    if args.all == (args.name is not None):
        print("error: give the NAME of one fault, or --all", file=sys.stderr)
        return 2
    return _control.run(args, lambda c: _clear(args, c))


def _list(args: argparse.Namespace, client: ControlClient) -> int:
    faults = client.get("/faults")
    lines = [
        f"{f['name']}  {f['kind']}  {'active' if f['active'] else 'defined'}"
        + (f"  process={f['process']}" if f.get("process") else "")
        for f in faults
    ]
    _control.show(args, faults, "\n".join(lines) or "no faults")
    return 0


def _add(args: argparse.Namespace, client: ControlClient, body: dict[str, Any]) -> int:
    try:
        added = client.post("/faults", body)
    except ControlClientError as exc:
        if exc.status == 0 or not isinstance(exc.body, dict) or "error" not in exc.body:
            raise
        print(f"error: fault {args.name!r} not added: {exc.body['error']}", file=sys.stderr)
        if exc.status == 400 and args.kind is not None:
            print(
                "  usage: scada-emu fault add NAME KIND [KEY=VALUE ...], e.g. "
                "`fault add slow latency latency=200 process=CtAPI` (docs/scenarios.md, Faults)",
                file=sys.stderr,
            )
        return 1
    _control.show(args, added, f"added {added['name']} ({added['kind']})")
    return 0


def _clear(args: argparse.Namespace, client: ControlClient) -> int:
    if args.all:
        cleared = client.delete("/faults")
        _control.show(args, cleared, f"cleared {', '.join(cleared['cleared']) or 'nothing'}")
    else:
        spec = client.delete(f"/faults/{_control.segment(args.name)}")
        _control.show(args, spec, f"cleared {spec['name']}")
    return 0
