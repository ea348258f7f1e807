"""How problems and plans print: `scada-emu check` and `scada-emu run` share these words."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from emulator.topology.plan import Endpoint
from emulator.topology.problems import Problem, summary


def format_problems(problems: Sequence[Problem], source: str | None = None) -> str:
    """One line per problem, then the one-line summary (`FILE: 1 error, 0 warnings`)."""
    lines = [problem.format() for problem in problems]
    counts = summary(problems)
    lines.append(counts if source is None else f"{source}: {counts}")
    return "\n".join(lines)


def problems_json(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    return [problem.to_json() for problem in problems]


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "computer": endpoint.computer,
        "process": endpoint.process,
        "type": str(endpoint.type),
        "cluster": endpoint.cluster,
        "mode": endpoint.mode,
        "priority": endpoint.priority,
        "network_address": endpoint.network_address,
        "address": endpoint.address,
        "port": endpoint.port,
        "tls": endpoint.tls,
    }


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2)


PLAN_HEADERS = ("COMPUTER", "PROCESS", "TYPE", "CLUSTER", "MODE", "ADDRESS", "PORT", "TLS")


def format_plan(endpoints: Sequence[Endpoint]) -> str:
    """The endpoints the runtime binds, one row each, in plan order."""
    rows = [
        (
            e.computer,
            e.process,
            str(e.type),
            e.cluster or "-",
            e.mode or "-",
            e.address,
            str(e.port),
            "yes" if e.tls else "no",
        )
        for e in endpoints
    ]
    return format_table(PLAN_HEADERS, rows)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain aligned columns, the last one unpadded."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])
