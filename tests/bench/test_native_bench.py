"""bench/native.py's pieces: the generated list plant and the C driver's failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import native
from emulator.topology.load import load_text
from tests.client.fakeserver import free_port, ready_file


def test_the_list_plant_has_a_thousand_tags(tmp_path: Path) -> None:
    loaded = load_text(native.list_plant(tmp_path / "lists.toml").read_text(), "lists.toml")
    assert not loaded.problems
    names = [tag.name for tag in loaded.model.tags]
    assert len(names) == native.LIST_TAGS
    assert names[0] == "T0000" and names[-1] == "T0999"


def test_the_driver_reports_bad_usage_and_a_missing_emulator(tmp_path: Path) -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler (build-essential)")
    if not native.LIBRARY.exists():
        pytest.fail("native/build/libctapi.so is missing: run `make native` (make test does)")
    driver = native.build_driver(tmp_path)
    usage = subprocess.run(
        [str(driver), "read"], capture_output=True, text=True, timeout=30, check=False
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr
    env = {**os.environ, "SCADA_EMU_READY_FILE": str(ready_file(tmp_path / "r.json", free_port()))}
    done = subprocess.run(
        [str(driver), "read", "PUMP1_SPEED", "0.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"error": "ctOpen failed with 1225"}
