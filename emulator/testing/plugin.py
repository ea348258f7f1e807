"""The pytest plugin (entry point `pytest11: scada_emu`): plants as fixtures.

    scada_plant          one plant per test: the demo plant, or the scenario of the
                         `scada_scenario` marker or of `--scada-scenario`
    scada_plant_factory  an async callable that starts more plants, all stopped after the test
    scada_plant_session  one plant for the whole session (loop_scope="session")

The fixtures exist only where pytest-asyncio is installed. Documented in docs/testing.md.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from emulator.testing.plant import Source

MARKER = "scada_scenario"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scada-emu", "Plant SCADA emulator")
    group.addoption(
        "--scada-scenario",
        metavar="FILE",
        help="topology/scenario file the scada_plant fixtures start (default: the demo plant)",
    )
    group.addoption(
        "--scada-clock",
        choices=("scenario", "virtual", "real"),
        default=None,
        help="plant clock of the scada_plant fixtures (default: virtual)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(source=None, *, clock='virtual', control=False): the scenario file (or TOML "
        "text) the scada_plant fixture starts, its clock, and whether to serve the control API",
    )


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


if importlib.util.find_spec("pytest_asyncio") is not None:  # the fixtures are async
    from emulator.testing.fixtures import (  # noqa: F401 -- pytest finds fixtures by name
        scada_plant,
        scada_plant_factory,
        scada_plant_session,
    )
