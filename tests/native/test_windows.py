"""CtApi.dll (native/, mingw-w64): its exports, and a Windows client program run under wine64
against the demo plant on loopback, CtApi.dll beside it as an application would ship it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.runtime.certs import CertificateAuthority
from tests.client.emulator import Running
from tests.native.conftest import NATIVE, read_through_python

ROOT = Path(__file__).resolve().parents[2]
DLL = NATIVE / "CtApi.dll"
MINGW = "x86_64-w64-mingw32-gcc"
OBJDUMP = "x86_64-w64-mingw32-objdump"
WINE = Path("/usr/lib/wine/wine64")
WINESERVER = Path("/usr/lib/wine/wineserver")
PROGRAM = Path(__file__).parent / "programs" / "windows_client.c"


def header_functions() -> list[str]:
    """Every function ctapi.h declares for Windows (GetLastError is kernel32's there)."""
    text = (ROOT / "native" / "include" / "ctapi.h").read_text("utf-8")
    return sorted(set(re.findall(r"CTAPI_EXPORT \w+ CTAPI (ct\w+)\(", text)))


def needs_mingw() -> None:
    if shutil.which(MINGW) is None:
        pytest.skip(f"{MINGW} is not installed (Debian: gcc-mingw-w64-x86-64; .ci/run installs it)")
    if not DLL.exists():
        pytest.fail("native/build/CtApi.dll is missing: run `make native` (make test does)")


def test_the_def_file_lists_every_function_of_the_header() -> None:
    listed = re.findall(
        r"^\s+(\w+) = ctw_(\w+)$", (ROOT / "native" / "src" / "CtApi.def").read_text(), re.M
    )
    assert all(name == target for name, target in listed)
    assert sorted(name for name, _ in listed) == header_functions()
    assert len(header_functions()) == 45


def test_the_dll_exports_exactly_the_header_undecorated() -> None:
    needs_mingw()
    if shutil.which(OBJDUMP) is None:
        pytest.skip(f"{OBJDUMP} is not installed (binutils-mingw-w64-x86-64)")
    dump = subprocess.run(
        [OBJDUMP, "-p", str(DLL)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    table = dump.split("[Ordinal/Name Pointer] Table", 1)[1].split("\n\n", 1)[0]
    exported = sorted(re.findall(r"\]\s+(\S+)", table))
    assert exported == header_functions()
    # nothing beside it but Windows' own DLLs (libgcc and winpthread are linked in)
    imports = set(re.findall(r"DLL Name: (\S+)", dump))
    system = {"kernel32.dll", "msvcrt.dll", "ws2_32.dll", "secur32.dll", "crypt32.dll"}
    assert {name.lower() for name in imports} <= system


@pytest.fixture(scope="module")
def wine_prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A WINEPREFIX of this module's own (its first run creates it: several seconds)."""
    if not WINE.exists():
        pytest.skip(f"{WINE} is not installed (Debian: wine64; .ci/run installs it)")
    prefix = tmp_path_factory.mktemp("wineprefix")
    yield prefix
    # the wineserver of this prefix outlives the programs by a few seconds: end it now
    if WINESERVER.exists():
        subprocess.run(
            [str(WINESERVER), "-k"],
            env={**os.environ, "WINEPREFIX": str(prefix)},
            timeout=30,
            check=False,
        )


def windows_path(path: Path) -> str:
    """A Linux path as wine's Z: drive shows it to Windows programs."""
    return "Z:" + str(path).replace("/", "\\")


@pytest.mark.timeout(300)  # the first wine run creates its prefix; a cold go build
def test_a_windows_client_runs_under_wine_with_ctapi_dll_beside_it(
    demo: Running, wine_prefix: Path, tmp_path: Path
) -> None:
    needs_mingw()
    app = tmp_path / "app"
    app.mkdir()
    subprocess.run(
        [
            MINGW,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{ROOT / 'native' / 'include'}",
            str(PROGRAM),
            str(DLL),
            "-o",
            str(app / "client.exe"),
        ],
        check=True,
        timeout=120,
    )
    shutil.copy(DLL, app / "CtApi.dll")
    # the demo's ready file with a CA that signed nothing of it: TLS must fail
    wrong = json.loads(demo.ready.read_text())
    wrong["ca_certificate"] = windows_path(
        CertificateAuthority(tmp_path / "other").ensure().certificate_path
    )
    wrong_ca = tmp_path / "wrong-ca.json"
    wrong_ca.write_text(json.dumps(wrong))
    env = {
        **os.environ,
        "WINEPREFIX": str(wine_prefix),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=",
        "SCADA_EMU_READY_FILE": windows_path(demo.ready),
        "CTAPI_TEST_WRONG_CA_READY_FILE": windows_path(wrong_ca),
    }
    done = subprocess.run(
        [str(WINE), "client.exe", *header_functions()],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    report = done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, report
    assert lines[-1].endswith(" passed, 0 failed"), report
    assert int(lines[-1].split()[0]) > 30, report
    assert done.returncode == 0, report
    # the program's write reached the plant: the Python shim reads it back
    assert read_through_python(demo, "BLEND_RATIO_SP") == "0.750"
