"""`scada-emu schema`: the JSON Schema of the topology file, for editors (e.g. Taplo)."""

from __future__ import annotations

import argparse
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the topology file",
        description="Print the JSON Schema of the topology file, for editors that check TOML "
        "against a schema. `scada-emu check` remains the judge: it also applies Plant SCADA's "
        "compile rules.",
    )
    parser.set_defaults(func=schema)


def topology_schema() -> dict[str, Any]:
    import msgspec

    from emulator.topology.model import Topology

    found: dict[str, Any] = msgspec.json.schema(Topology)
    return {"$schema": DIALECT, "title": "plant-scada-emulator topology file", **found}


def schema(args: argparse.Namespace) -> int:
    from emulator.topology.report import to_json

    print(to_json(topology_schema()))
    return 0
