"""Small topology files for rule tests: a valid base plus the records a test adds."""

from __future__ import annotations

from emulator.topology.compile import compile_topology
from emulator.topology.load import load_text
from emulator.topology.problems import Problem, Severity

SOURCE = "plant.toml"

#: Two computers, one address each, one cluster: valid, and every rule test starts from it.
BASE = """\
[project]
name = "Rules"

[[computers]]
name = "SCADA-A"

[[computers]]
name = "SCADA-B"

[[network_addresses]]
name = "SCADA_A"
computer = "SCADA-A"
address = "127.0.20.1"

[[network_addresses]]
name = "SCADA_B"
computer = "SCADA-B"
address = "127.0.20.2"

[[clusters]]
name = "CLUSTER1"
"""


def process(name: str, type_: str, address: str = "SCADA_A", **fields: object) -> str:
    """A [[server_processes]] record as TOML text."""
    lines = [
        "",
        "[[server_processes]]",
        f'name = "{name}"',
        f'type = "{type_}"',
        f'network_address = "{address}"',
    ]
    for key, value in fields.items():
        rendered = f'"{value}"' if isinstance(value, str) else str(value).lower()
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def compile_text(text: str) -> list[Problem]:
    return compile_topology(load_text(text, SOURCE))


def with_rule(problems: list[Problem], rule: str) -> list[Problem]:
    return [p for p in problems if p.rule == rule]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def record_line(text: str, name: str) -> int:
    """The line of the [[header]] of the record whose first key is name = "<name>"."""
    return line_of(text, f'name = "{name}"') - 1
