"""The package logs like a library (docs/client.md "Logging"): a program that uses the client
against a plant prints only what it prints itself, its logging configuration (pytest's caplog
here) gets the client's records, and the CLI's `configure` still writes them to its stream."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from emulator.client.errors import CtApiError
from emulator.logs import configure, get_logger, reset
from emulator.testing.plant import start_plant

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent(
    """
    import asyncio

    from emulator.client import CtApiError
    from emulator.testing.plant import start_plant


    async def main() -> None:
        async with start_plant(control=True, grace=0.1) as plant:
            async with plant.client() as session:
                print(await session.tag_read("TANK1_LEVEL"))
                await plant.crash("CtAPI")
                try:
                    await session.tag_read("TANK1_LEVEL")
                except CtApiError:
                    print("down")


    asyncio.run(main())
    """
)


def test_a_program_using_the_client_prints_only_its_own_lines() -> None:
    """Plant and client log (process states, a warning for the lost link), and none of it may
    show between the program's values, not even through logging's last-resort handler."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "62.0\ndown\n"


async def test_the_clients_records_reach_the_applications_logging(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="emulator")
    async with start_plant(control=True, grace=0.1) as plant, plant.client() as session:
        await plant.crash("CtAPI")
        with pytest.raises(CtApiError):
            await session.tag_read("TANK1_LEVEL")
    lost = [r for r in caplog.records if "ctapi.client.disconnected" in r.getMessage()]
    assert lost and lost[0].name == "emulator.client" and lost[0].levelno == logging.WARNING
    assert any(r.name == "emulator.process" for r in caplog.records)
    assert capsys.readouterr() == ("", "")


def test_the_cli_configuration_writes_the_records_to_its_stream() -> None:
    out = io.StringIO()
    try:
        configure("json", "info", out)
        get_logger("emulator.client").info("ctapi.client.retry", in_s=1.0)
        get_logger("emulator.client").debug("hidden")
        (line,) = out.getvalue().splitlines()
        assert json.loads(line) | {"timestamp": None} == {
            "event": "ctapi.client.retry",
            "in_s": 1.0,
            "level": "info",
            "timestamp": None,
        }
    finally:
        reset()
