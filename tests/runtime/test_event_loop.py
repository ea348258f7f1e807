"""`scada-emu run --event-loop`: uvloop where installed, asyncio's own loop on request."""

from __future__ import annotations

import sys

import pytest

from emulator.cli import main
from emulator.cli._run import _loop_options


def test_auto_takes_uvloop_when_installed_and_asyncio_is_always_there() -> None:
    pytest.importorskip("uvloop")
    assert _loop_options("auto") == {"use_uvloop": True}
    assert _loop_options("uvloop") == {"use_uvloop": True}
    assert _loop_options("asyncio") == {}


def test_without_uvloop_auto_falls_back_and_asking_for_it_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert _loop_options("auto") == {}
    assert main(["run", "--event-loop", "uvloop", "--no-control"]) == 2
    assert "uvloop is not installed" in capsys.readouterr().err
