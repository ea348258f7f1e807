"""The control subcommands against a plant serving its control API on an ephemeral port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from emulator.cli import main
from emulator.testing.plant import RunningPlant, start_in_background


@pytest.fixture
async def served() -> AsyncIterator[RunningPlant]:
    running, stop = await start_in_background(clock="virtual", control=True, grace=0.1)
    try:
        yield running
    finally:
        await stop()


async def cli(plant: RunningPlant, *argv: str) -> int:
    assert plant.control_url is not None
    args = [*argv, "--control", plant.control_url]
    return await anyio.to_thread.run_sync(main, args)


async def test_status_process_and_wait(
    served: RunningPlant, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(served, "status") == 0
    assert "ALARM1" in capsys.readouterr().out
    assert await cli(served, "process", "crash", "ALARM1") == 0
    assert "SCADA-A/ALARM1: failed" in capsys.readouterr().out
    assert await cli(served, "status") == 1
    out = capsys.readouterr().out
    assert "unhealthy" in out and "NO" in out
    assert await cli(served, "wait", "--timeout", "0") == 1
    assert "not healthy: ALARM1" in capsys.readouterr().err
    assert await cli(served, "process", "start", "ALARM1") == 0
    assert await cli(served, "wait", "--timeout", "5") == 0
    assert await cli(served, "process", "stop", "CtAPI", "--computer", "SCADA-B") == 0
    assert "SCADA-B/CtAPI: stopped" in capsys.readouterr().out
    assert await cli(served, "process", "hang", "TREND1") == 0
    assert "SCADA-A/TREND1: running (hung)" in capsys.readouterr().out


async def test_fault_add_list_clear(
    served: RunningPlant, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await cli(served, "fault", "add", "slow", "latency", "latency=200", "process=CtAPI")
    assert code == 0 and "added slow (latency)" in capsys.readouterr().out
    assert await cli(served, "fault", "list", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing[0]["latency"] == 200 and listing[0]["active"]
    assert await cli(served, "fault", "clear", "slow") == 0
    assert await cli(served, "fault", "add", "slow") == 0
    assert await cli(served, "fault", "clear", "--all") == 0
    assert "cleared slow" in capsys.readouterr().out
    assert await cli(served, "fault", "add", "x", "bandwidth") == 1
    assert "needs rate > 0" in capsys.readouterr().err
    assert await cli(served, "fault", "add", "x", "latency", "oops") == 2
    assert await cli(served, "fault", "clear") == 2


async def test_tag_get_and_set(served: RunningPlant, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli(served, "tag", "set", "PUMP2_RUN", "true") == 0
    assert served.tag("PUMP2_RUN") is True
    assert await cli(served, "tag", "set", "TANK1_LEVEL", "40.5") == 0
    capsys.readouterr()
    assert await cli(served, "tag", "get", "TANK1_LEVEL") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "40.5"
    assert await cli(served, "tag", "get", "NOPE") == 1
    assert "no tag 'NOPE'" in capsys.readouterr().err


async def test_ready_file_and_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ready = tmp_path / "ready.json"
    ready.write_text(json.dumps({"control": "http://127.0.0.1:1"}))
    code = await anyio.to_thread.run_sync(main, ["status", "--ready-file", str(ready)])
    assert code == 2 and "no control API at http://127.0.0.1:1" in capsys.readouterr().err
    ready.write_text("{}")
    code = await anyio.to_thread.run_sync(main, ["status", "--ready-file", str(ready)])
    assert code == 2 and "names no control API" in capsys.readouterr().err
    missing = str(tmp_path / "none.json")
    args = ["wait", "--ready-file", missing, "--timeout", "0"]
    assert await anyio.to_thread.run_sync(main, args) == 1
    assert "no ready file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x", "warp"], "fault 'x' not added: kind 'warp' is not one of: latency, bandwidth"),
        (
            ["x", "latency", "latency=abc"],
            "fault 'x' not added: latency must be a number, not text",
        ),
        (["x", "latency", "latnecy=1"], "no attribute 'latnecy' (did you mean 'latency'?)"),
        (["x", "latency", "stream=up"], "stream 'up' is not one of: downstream, upstream"),
        (["x", "latency", "tls=maybe"], "tls must be true or false, not text"),
        (["x", "down"], "a down fault needs the process it acts on"),
    ],
)
async def test_fault_add_errors_are_clear(
    served: RunningPlant, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert await cli(served, "fault", "add", *argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Invalid enum" not in err and "Expected `" not in err and "$." not in err
    assert "usage: scada-emu fault add NAME KIND" in err


async def test_status_shows_which_server_is_main(
    served: RunningPlant, capsys: pytest.CaptureFixture[str]
) -> None:
    def roles() -> dict[str, str]:
        lines = capsys.readouterr().out.splitlines()
        header = lines[0].split()
        assert header[:4] == ["COMPUTER", "PROCESS", "TYPE", "ROLE"]
        return {line.split()[1]: line.split()[3] for line in lines[1:] if line.startswith("SCADA")}

    await served.advance(1)  # the first scan elects the alarm main
    assert await cli(served, "status") == 0
    before = roles()
    assert (before["ALARM1"], before["ALARM2"]) == ("main", "standby")
    assert (before["TREND1"], before["TREND2"]) == ("main", "standby")
    assert before["IO1"] == "-"
    assert await cli(served, "process", "crash", "ALARM1") == 0
    capsys.readouterr()
    assert await cli(served, "status") == 1
    after = roles()
    assert (after["ALARM1"], after["ALARM2"]) == ("-", "main")  # ALARM2 becomes main
