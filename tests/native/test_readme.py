"""The C and C# examples of the README's quick start, built against native/ and run on the demo
plant."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.client.emulator import Running
from tests.native.conftest import LIBRARY, NATIVE

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_c_example_builds_and_runs(demo: Running, tmp_path: Path) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("no C compiler: install build-essential (.ci/run does)")
    readme = (ROOT / "README.md").read_text("utf-8")
    match = re.search(r"```c\n(.*?)```", readme, re.S)
    assert match, "README.md has no C example"
    source = tmp_path / "demo.c"
    source.write_text(match.group(1))
    program = tmp_path / "demo"
    subprocess.run(
        [
            compiler,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{ROOT / 'native' / 'include'}",
            str(source),
            f"-L{LIBRARY.parent}",
            "-lctapi",
            f"-Wl,-rpath,{LIBRARY.parent}",
            "-o",
            str(program),
        ],
        check=True,
        timeout=60,
    )
    env = {**os.environ, "SCADA_EMU_READY_FILE": str(demo.ready)}
    done = subprocess.run(
        [str(program)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "TANK1_LEVEL = " in done.stdout
    assert "version 8.40" in done.stdout


def test_the_readme_csharp_example_builds_and_runs(demo: Running, tmp_path: Path) -> None:
    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    if mcs is None or mono is None:
        pytest.skip("mono is not installed (Debian: mono-mcs, mono-runtime; .ci/run installs them)")
    readme = (ROOT / "README.md").read_text("utf-8")
    match = re.search(r"```csharp\n(.*?)```", readme, re.S)
    assert match, "README.md has no C# example"
    source = tmp_path / "demo.cs"
    source.write_text(match.group(1))
    program = tmp_path / "demo.exe"
    subprocess.run([mcs, f"-out:{program}", str(source)], check=True, timeout=120)
    env = {**os.environ, "SCADA_EMU_READY_FILE": str(demo.ready), "LD_LIBRARY_PATH": str(NATIVE)}
    done = subprocess.run(
        [mono, str(program)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^TANK1_LEVEL = \d", done.stdout, re.M), done.stdout
    assert "version 8.40" in done.stdout
