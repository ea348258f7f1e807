"""What the control subcommands (status, wait, fault, process, tag) share: how to reach the
control API, and how to print what it answers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from emulator.control.client import (
    DEFAULT_URL,
    TOKEN_ENV,
    URL_ENV,
    ControlClient,
    ControlClientError,
    control_url,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--control",
        metavar="URL",
        help=f"the control API (default: the ready file's, ${URL_ENV}, or {DEFAULT_URL})",
    )
    parser.add_argument("--ready-file", help="read the control API's URL from this ready file")
    parser.add_argument("--token", help=f"bearer token (default: ${TOKEN_ENV})")
    parser.add_argument("--json", action="store_true", help="print the JSON answer")


def client_of(args: argparse.Namespace) -> ControlClient:
    return ControlClient(control_url(args.control, args.ready_file), args.token)


def segment(name: str) -> str:
    """A name as one URL path segment."""
    return quote(name, safe="")


def run(args: argparse.Namespace, action: Callable[[ControlClient], int]) -> int:
    """Run `action`; a ControlClientError is printed and exits 1 (2 when unreachable)."""
    try:
        return action(client_of(args))
    except ControlClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.status == 0 else 1


def show(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def parse_value(text: str) -> bool | int | float | str:
    """A command-line value as JSON would type it: true/false, numbers, else text."""
    lowered = text.strip().casefold()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
