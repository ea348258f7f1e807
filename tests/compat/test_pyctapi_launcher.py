"""`scada-emu pyctapi SCRIPT`: a program written for Windows' CtApi.dll runs unchanged.

The program (tests/compat/pyctapi_style) is in pyctapi's style, gaynertechnical/pyctapi
pyctapi/pyctapi.py: `platform.system() != "Windows"` raises OSError at import, the wrapper loads
CiDebugHelp, CtUtil32, Ct_ipc and CtApi by a Windows path with CDLL, and calls windll.CtApi;
its example (as examples/test_wrapper.py) connects to 127.0.0.1 as engineer/control.
"""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator.compat.launch import SupportDll, citect_dll, windows_view
from emulator.topology import shipped
from tests.client.emulator import Running, demo_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = Path(__file__).with_name("pyctapi_style") / "example.py"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    yield from demo_thread(tmp_path_factory.mktemp("demo"))


def launch(*args: str, ready: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCADA_EMU_READY_FILE", None)
    if ready is not None:
        env["SCADA_EMU_READY_FILE"] = str(ready)
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=EXAMPLE.parent,
        env=env,
    )


def test_the_example_runs_unchanged_with_one_command(demo: Running) -> None:
    # pyctapi examples/test_wrapper.py: read, Version(3), then a 3-byte buffer (111 expected).
    done = launch("pyctapi", str(EXAMPLE), ready=demo.ready)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "connected",
        "read 1200",
        "version 8.40",
        "overflow 111",
        # the newer pyctapi's search(): dictionaries from object.fields.count / (n).name
        # (1150521), here over the Alarm table (1150514) of the demo's ten alarms
        "alarms 10 with TAG, NAME, DESC",
    ]


def test_the_script_gets_its_arguments_and_citect_errors(demo: Running) -> None:
    # pyctapi adapter.py: 424 (tag not found) is the Plant SCADA code clients test for.
    done = launch("pyctapi", "--ready-file", str(demo.ready), str(EXAMPLE), "NO_SUCH_TAG")
    assert done.returncode == 0, done.stderr
    assert "read error 424" in done.stdout.splitlines()


def test_the_pyctapi_examples_scenario_has_the_tags_the_examples_use(tmp_path: Path) -> None:
    # gaynertechnical/pyctapi examples/test_adapter.py reads and writes KNODLRS_PM10_CALC_24H.
    examples = shipped.load_source("pyctapi-examples")
    with contextmanager(demo_thread)(tmp_path, examples) as emulator:
        done = launch("pyctapi", str(EXAMPLE), "KNODLRS_PM10_CALC_24H", ready=emulator.ready)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["connected", "read 18"]


def test_without_the_launcher_the_program_refuses_to_import() -> None:
    # The platform check is why install() alone is not enough (issue 14, item 6).
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=EXAMPLE.parent,
    )
    assert done.returncode != 0
    assert "OSError" in done.stderr


def test_a_missing_script_is_a_clear_error() -> None:
    done = launch("pyctapi", "no_such_script.py")
    assert done.returncode == 2
    assert "no script 'no_such_script.py'" in done.stderr


def test_a_script_exit_code_is_the_command_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(3)\n")
    assert launch("pyctapi", str(script)).returncode == 3


def test_citect_dlls_are_known_by_any_path_and_case() -> None:
    assert citect_dll("C:/Program Files (x86)/Citect/Bin/CtApi") == "CtApi"
    assert citect_dll(r"C:\Citect\Bin\ct_ipc.DLL") == "Ct_ipc"
    assert citect_dll("libc.so.6") is None


def test_the_view_is_undone_after_and_other_libraries_still_load() -> None:
    real_cdll, real_system = ctypes.CDLL, platform.system
    with windows_view() as shim:
        assert platform.system() == "Windows"
        loaded: object = ctypes.CDLL("X:/Bin/CtApi")
        assert loaded is shim
        support = ctypes.CDLL("X:/Bin/CtUtil32")
        assert isinstance(support, SupportDll)
        with pytest.raises(AttributeError, match=r"only CtApi\.dll has functions"):
            _ = support.ctUtilFunction
        assert ctypes.CDLL(None).getpid() == os.getpid()  # the process itself, as before
    assert ctypes.CDLL is real_cdll
    assert platform.system is real_system
    assert not hasattr(ctypes, "windll") or sys.platform == "win32"
