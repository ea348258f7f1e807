"""A C# client in the style of the public .NET CtAPI wrappers (DllImport("CtApi",
SetLastError = true), StringBuilder buffers, IntPtr handles, Marshal.GetLastWin32Error),
compiled with mono's mcs and run with mono on libCtApi.so against the demo plant."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.client.emulator import Running
from tests.native.conftest import NATIVE, read_through_python

PROGRAM = Path(__file__).parent / "programs" / "CtApiClient.cs"


def mono_tools() -> tuple[str, str]:
    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    if mcs is None or mono is None:
        pytest.skip("mono is not installed (Debian: mono-mcs, mono-runtime; .ci/run installs them)")
    return mcs, mono


def run_csharp(source: Path, demo: Running, work: Path) -> subprocess.CompletedProcess[str]:
    """Compile `source` with mcs and run it with mono, libCtApi.so on LD_LIBRARY_PATH."""
    mcs, mono = mono_tools()
    program = work / (source.stem + ".exe")
    subprocess.run([mcs, f"-out:{program}", str(source)], check=True, timeout=120)
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": str(NATIVE),
        "SCADA_EMU_READY_FILE": str(demo.ready),
    }
    env.pop("LD_PRELOAD", None)
    return subprocess.run(
        [mono, str(program)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_csharp_client_reads_writes_and_calls_cicode(demo: Running, tmp_path: Path) -> None:
    done = run_csharp(PROGRAM, demo, tmp_path)
    report = done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, report
    assert lines[-1].endswith(" passed, 0 failed"), report
    assert int(lines[-1].split()[0]) >= 20, report
    assert done.returncode == 0, report
    assert read_through_python(demo, "BLEND_RATIO_SP") == "0.600"


def test_without_the_library_mono_says_dll_not_found(demo: Running, tmp_path: Path) -> None:
    """The failure a user sees when libCtApi.so is not on LD_LIBRARY_PATH (docs/native.md)."""
    mcs, mono = mono_tools()
    program = tmp_path / "client.exe"
    subprocess.run([mcs, f"-out:{program}", str(PROGRAM)], check=True, timeout=120)
    env = {**os.environ, "SCADA_EMU_READY_FILE": str(demo.ready), "LD_LIBRARY_PATH": ""}
    done = subprocess.run(
        [mono, str(program)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "DllNotFoundException" in done.stdout + done.stderr
