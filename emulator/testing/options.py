"""Where the plugin's fixtures find their plant: the `scada_scenario` marker and the
`--scada-scenario` and `--scada-clock` options (docs/testing.md). Imports nothing of the
emulator, like the plugin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.testing.plant import Source

MARKER = "scada_scenario"


def resolve(source: Any, request: pytest.FixtureRequest) -> Source:
    """A relative path is looked up beside the test file, then under the rootdir (a session
    fixture has no test file: the rootdir only), else taken as it is (from the current folder)."""
    if not isinstance(source, str | Path) or (isinstance(source, str) and "\n" in source):
        return source
    path = Path(source)
    if path.is_absolute():
        return path
    beside = [request.path.parent] if request.scope in ("function", "class", "module") else []
    for base in (*beside, request.config.rootpath):
        if (base / path).exists():
            return base / path
    return path


def options_of(request: pytest.FixtureRequest) -> tuple[Source, dict[str, Any]]:
    marker = request.node.get_closest_marker(MARKER)
    config = request.config
    source: Any = config.getoption("--scada-scenario")
    options: dict[str, Any] = {}
    if config.getoption("--scada-clock"):
        options["clock"] = config.getoption("--scada-clock")
    if marker is not None:
        if marker.args:
            source = marker.args[0]
        options.update(marker.kwargs)
        source = options.pop("source", source)
    return resolve(source, request), options
