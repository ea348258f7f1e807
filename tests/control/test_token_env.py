"""`scada-emu run` takes the control token from $SCADA_EMU_CONTROL_TOKEN, off the process list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

TIMEOUT = 20.0
TOKEN = "token-from-the-environment-0123"


def test_the_token_comes_from_the_environment(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = {**os.environ, "SCADA_EMU_CONTROL_TOKEN": TOKEN}
    argv = [sys.executable, "-m", "emulator", "run", "--ephemeral", "--control", "127.0.0.1:0"]
    argv += ["--ready-file", str(ready), "--state-dir", str(tmp_path / "state")]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("scada-emu run did not get ready")
            time.sleep(0.02)  # a file another process writes: no event to await
        control = json.loads(ready.read_text())["control"]
        with httpx.Client(base_url=control, timeout=TIMEOUT) as http:
            assert http.get("/health").status_code == 401
            authorized = {"Authorization": f"Bearer {TOKEN}"}
            assert http.get("/health", headers=authorized).status_code == 200
        assert TOKEN not in " ".join(argv)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0
    assert TOKEN.encode() not in err
