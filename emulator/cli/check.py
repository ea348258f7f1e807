"""`scada-emu check [FILE]`: load and compile a topology, start nothing.

Exit 0 with no errors (warnings allowed), 1 with errors, 2 when the file cannot be read or is
not valid TOML.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="compile a topology file with Plant SCADA's rules; start nothing",
        description="Load and compile a topology file with Plant SCADA's rules and print every "
        "problem; nothing is bound. Exit 0: no errors; 1: errors; 2: unreadable or not TOML.",
    )
    parser.add_argument(
        "file", nargs="?", help="the topology file (TOML); default: the packaged demo plant"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per problem and a summary; json: a list of problems",
    )
    parser.add_argument(
        "--plan", action="store_true", help="also print the endpoints the runtime would bind"
    )
    parser.set_defaults(func=check)


def check(args: argparse.Namespace) -> int:
    from emulator.topology.compiled import load_and_compile
    from emulator.topology.load import DEMO_SOURCE, LoadError
    from emulator.topology.plan import plan
    from emulator.topology.problems import has_errors
    from emulator.topology.report import (
        endpoint_json,
        format_plan,
        format_problems,
        problems_json,
        to_json,
    )

    source = args.file or DEMO_SOURCE
    try:
        compiled = load_and_compile(args.file)
    except LoadError as exc:
        if args.format == "json":
            failed: Any = problems_json([exc.problem])
            print(to_json({"problems": failed, "plan": None} if args.plan else failed))
        else:
            print(format_problems([exc.problem], source), file=sys.stderr)
        return EXIT_UNREADABLE
    if compiled.note:
        print(f"note: {compiled.note}", file=sys.stderr)
    loaded, problems = compiled.loaded, compiled.problems
    errors = has_errors(problems)
    endpoints = None if errors else plan(loaded.model)
    if args.format == "json":
        found: Any = problems_json(problems)
        if args.plan:
            found = {
                "problems": found,
                "plan": None if endpoints is None else [endpoint_json(e) for e in endpoints],
            }
        print(to_json(found))
    else:
        print(format_problems(problems, source))
        if args.plan:
            print()
            if endpoints is None:
                print("no plan: the topology has errors")
            else:
                print(format_plan(endpoints))
    return EXIT_ERRORS if errors else EXIT_OK
