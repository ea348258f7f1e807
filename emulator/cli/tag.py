"""`scada-emu tag get NAME` / `tag set NAME VALUE`: read or set a tag of a running plant
(written to its I/O device, which keeps it as docs/scenarios.md "Writes" says). Documented in
docs/control.md."""

from __future__ import annotations

import argparse
from typing import Any

from emulator.cli import _control
from emulator.control.client import ControlClient


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("tag", help="read or set a tag of a running plant")
    actions = parser.add_subparsers(dest="tag_action", required=True, metavar="ACTION")
    get = actions.add_parser("get", help="print a tag's value")
    get.add_argument("name")
    _control.add_arguments(get)
    put = actions.add_parser("set", help="set a tag's value (true/false, a number or text)")
    put.add_argument("name")
    put.add_argument("value")
    _control.add_arguments(put)
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    def action(client: ControlClient) -> int:
        path = f"/tags/{_control.segment(args.name)}"
        if args.tag_action == "get":
            tag = client.get(path)
        else:
            tag = client.put(path, {"value": _control.parse_value(args.value)})
        _control.show(args, tag, str(tag["text"]))
        return 0

    return _control.run(args, action)
