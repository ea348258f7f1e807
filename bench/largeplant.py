"""A generated large plant: many clusters, each a primary/standby pair of computers.

Each computer has its own loopback address (127.21.x.y) and runs the four server processes of its
cluster (alarm, reports, trends, I/O) plus what every computer opens (CtAPI plain and TLS, system
services, time sync, the alarm database): nine listeners, so 112 computers give 1,008.
"""

from __future__ import annotations

from pathlib import Path

LISTENERS_PER_COMPUTER = 9
_PROCESS_TYPES = ("alarm", "reports", "trends", "io")

#: The user the benchmark logs in as and the tag it reads, as in the demo plant.
_PLANT = """[[users]]
name = "engineer"
password = "control"

[[tags]]
name = "PUMP1_SPEED"
type = "int"
io_device = "PLC1"
address = "D100"
initial = 1200
"""


def address(index: int) -> str:
    """The loopback address of the index-th computer."""
    return f"127.21.{index // 250}.{index % 250 + 1}"


def computers_for(listeners: int) -> int:
    """How many computers (an even number: pairs) give at least `listeners` listeners."""
    pairs = -(-listeners // (2 * LISTENERS_PER_COMPUTER))
    return 2 * pairs


def topology(computers: int) -> str:
    """The TOML text of a plant of `computers` computers (rounded up to pairs)."""
    pairs = -(-computers // 2)
    out = ['[project]\nname = "Generated large plant"\n']
    for i in range(2 * pairs):
        out.append(f'[[computers]]\nname = "PC{i:04d}"\nctapi = "mixed"\n')
        out.append(
            f'[[network_addresses]]\nname = "NA{i:04d}"\ncomputer = "PC{i:04d}"\n'
            f'address = "{address(i)}"\n'
        )
    for pair in range(pairs):
        out.append(f'[[clusters]]\nname = "CL{pair:04d}"\n')
        for ptype in _PROCESS_TYPES:
            for offset, mode in enumerate(("primary", "standby")):
                computer = 2 * pair + offset
                name = f"{ptype[:2].upper()}{pair:04d}{mode[0].upper()}"
                out.append(
                    f'[[server_processes]]\nname = "{name}"\ntype = "{ptype}"\n'
                    f'cluster = "CL{pair:04d}"\nnetwork_address = "NA{computer:04d}"\n'
                    f'mode = "{mode}"\n'
                )
    out.append(_PLANT + 'cluster = "CL0000"\n')
    return "\n".join(out)


def write(path: Path, listeners: int) -> int:
    """Write a plant with at least `listeners` listeners to `path`; the number it has."""
    computers = computers_for(listeners)
    path.write_text(topology(computers), encoding="utf-8")
    return computers * LISTENERS_PER_COMPUTER
