"""Runs never leak into each other: without --state-dir every run keeps its history in a fresh
folder of its own, removed when it ends; --ephemeral touches no shared folder at all; a named
--state-dir is kept (docs/running.md, "State")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.runtime.state import RUN_PREFIX, RunState
from tests.runtime.helpers import TIMEOUT


def start(tmp_path: Path, name: str, *options: str) -> tuple[subprocess.Popen[str], Path]:
    """`scada-emu run --ephemeral` with a private HOME and XDG_STATE_HOME: the shared folder
    a run must not touch is tmp_path/xdg."""
    ready = tmp_path / f"{name}.json"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    argv = [sys.executable, "-m", "emulator", "run", "--ephemeral", "--no-control"]
    proc = subprocess.Popen(
        [*argv, "--ready-file", str(ready), "--log-format", "json", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return proc, ready


def ready_content(proc: subprocess.Popen[str], ready: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 4 * TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            pytest.fail(f"exited {proc.returncode}: {proc.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no ready file")
        time.sleep(0.02)  # a deadline poll of another process's file
    content: dict[str, Any] = json.loads(ready.read_text())
    return content


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=4 * TIMEOUT)
    assert proc.returncode == 0, err[-2000:]
    return out


def test_two_ephemeral_runs_have_their_own_state_and_touch_no_shared_folder(
    tmp_path: Path,
) -> None:
    first, first_ready = start(tmp_path, "first")
    second, second_ready = start(tmp_path, "second")
    try:
        one, two = ready_content(first, first_ready), ready_content(second, second_ready)
        dirs = [Path(one["state_dir"]), Path(two["state_dir"])]
        assert dirs[0] != dirs[1]
        assert all(d.name.startswith(RUN_PREFIX) and d.is_dir() for d in dirs)
        assert (one["state_kept"], two["state_kept"]) == (False, False)
        # The history of each run is in its own folder, and so is its CA under --ephemeral.
        for content, folder in zip((one, two), dirs, strict=True):
            assert (folder / "history" / "Demo_Plant").is_dir()
            assert Path(content["ca_certificate"]).is_relative_to(folder)
        outs = [stop(first), stop(second)]
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for out, folder in zip(outs, dirs, strict=True):
        assert f"state {folder} (this run's alarm log" in out
        assert "removed when it ends" in out
        assert not folder.exists()
    assert not (tmp_path / "xdg").exists()
    assert not (tmp_path / "home").exists()


def test_a_named_state_dir_is_kept_and_said_so(tmp_path: Path) -> None:
    state = tmp_path / "kept"
    proc, ready = start(tmp_path, "kept", "--state-dir", str(state))
    try:
        content = ready_content(proc, ready)
        assert (content["state_dir"], content["state_kept"]) == (str(state), True)
        out = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert f"state {state} (alarm log, alarm statuses, trend samples, the values the devices" in out
    assert (state / "history" / "Demo_Plant" / "ALARM1.sqlite3").is_file()
    assert not (tmp_path / "xdg").exists()


def test_a_plain_run_keeps_its_ca_in_the_default_folder_and_its_history_apart(
    tmp_path: Path,
) -> None:
    state = RunState.choose(None, ephemeral=False, default_ca=tmp_path / "shared")
    try:
        assert state.history.name.startswith(RUN_PREFIX) and state.history.is_dir()
        assert (state.ca, state.kept) == (tmp_path / "shared", False)
        assert f"CA in {tmp_path / 'shared'}" in state.describe()
    finally:
        state.discard()
    assert not state.history.exists()
    named = RunState.choose(tmp_path / "mine", ephemeral=True, default_ca=tmp_path / "shared")
    named.discard()
    assert (named.history, named.ca, named.kept) == (tmp_path / "mine",) * 2 + (True,)
