"""A CLI command imports only what it needs (docs/performance.md, "CLI start"): the control
commands and --help never load the runtime, the control API's server or cryptography."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emulator.cli import process, run
from emulator.control.api import PROCESS_ACTIONS
from emulator.logs import LEVELS
from emulator.runtime.supervisor import DEFAULT_GRACE

HEAVY = (
    "anyio",
    "cryptography",
    "starlette",
    "uvicorn",
    "emulator.runtime.supervisor",
    "emulator.control.manager",
    "emulator.topology.compile",
    "urllib.request",
)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["run", "--help"],
        ["status", "--control", "http://127.0.0.1:1"],
        ["fault", "list", "--control", "http://127.0.0.1:1", "--help"],
        ["ports"],
    ],
)
def test_a_command_does_not_import_the_runtime(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        "from emulator.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    loaded = [name for name in HEAVY if name in found]
    if argv[0] == "status":  # it makes a request: urllib, but still not the runtime
        loaded = [name for name in loaded if name != "urllib.request"]
    assert loaded == []


def test_the_options_constants_match_their_sources() -> None:
    assert run.LEVELS == LEVELS
    assert run.DEFAULT_GRACE == DEFAULT_GRACE
    assert process.PROCESS_ACTIONS == PROCESS_ACTIONS
