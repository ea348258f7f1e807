"""The scenarios shipped in the package (emulator/data: demo.toml and scenarios/*.toml, the
files of the checkout's scenarios/ folder), reachable by name after a plain `pip install`:
`scada-emu run failover`, `scada-emu scenarios`, `@pytest.mark.scada_scenario("failover")`.
Documented in docs/scenarios.md ("Shipped scenarios").
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from emulator.topology.load import LoadedTopology, load_demo, load_path, load_text

DEMO = "demo"


def _folder() -> Traversable:
    return resources.files("emulator").joinpath("data", "scenarios")


def names() -> list[str]:
    """Every shipped scenario's name, the demo plant first."""
    found = sorted(
        item.name.removesuffix(".toml")
        for item in _folder().iterdir()
        if item.name.endswith(".toml")
    )
    return [DEMO, *found]


def _file(name: str) -> Traversable | None:
    key = name.removesuffix(".toml").casefold()
    if key == DEMO:
        return resources.files("emulator").joinpath("data", "demo.toml")
    for item in _folder().iterdir():
        if item.name.removesuffix(".toml").casefold() == key and item.name.endswith(".toml"):
            return item
    return None


def summary(name: str) -> str:
    """The first comment line of a shipped scenario (what it shows), without its `# `."""
    found = _file(name)
    if found is None:
        raise LookupError(unknown(name))
    with found.open("r", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                return line.lstrip("#").strip()
            if line.strip():
                break
    return ""


def unknown(name: str) -> str:
    return (
        f"no file {name!r} and no shipped scenario of that name "
        f"(shipped: {', '.join(names())}; `scada-emu scenarios` lists them)"
    )


def is_shipped(source: str | os.PathLike[str]) -> bool:
    """Whether `source` names a shipped scenario rather than a file: no such file exists and it
    is a bare name (`failover`, `failover.toml`) of one."""
    text = os.fspath(source)
    if Path(text).exists() or "/" in text or os.sep in text:
        return False
    return _file(text) is not None


def text(name: str) -> str:
    """A shipped scenario's TOML, to copy and change."""
    found = _file(name)
    if found is None:
        raise LookupError(unknown(name))
    return found.read_text("utf-8")


def load_shipped(name: str) -> LoadedTopology:
    """A shipped scenario by name (case-insensitive, `.toml` optional); LookupError if none."""
    found = _file(name)
    if found is None:
        raise LookupError(unknown(name))
    if name.removesuffix(".toml").casefold() == DEMO:
        return load_demo()
    stem = found.name.removesuffix(".toml")
    return load_text(found.read_text("utf-8"), f"<scenario {stem}>")


def load_source(source: str | os.PathLike[str]) -> LoadedTopology:
    """A topology file, or a shipped scenario by name when no such file exists."""
    if is_shipped(source):
        return load_shipped(os.fspath(source))
    return load_path(Path(source))
