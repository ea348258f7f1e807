"""A Go client using cgo against native/include/ctapi.h and libctapi.so, on the demo plant."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.client.emulator import Running
from tests.native.conftest import NATIVE, read_through_python

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).parent / "programs" / "goclient"


@pytest.mark.timeout(300)  # the first wine run creates its prefix; a cold go build
def test_a_go_cgo_client_reads_writes_and_calls_cicode(demo: Running, tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not installed (Debian: golang-go; .ci/run installs it)")
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("cgo needs a C compiler (Debian: build-essential)")
    source = tmp_path / "src"
    shutil.copytree(PROGRAM, source)
    env = {
        **os.environ,
        "CGO_ENABLED": "1",
        "GOCACHE": str(tmp_path / "cache"),
        "GOPATH": str(tmp_path / "gopath"),
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
        "CGO_CFLAGS": f"-I{ROOT / 'native' / 'include'}",
        "CGO_LDFLAGS": f"-L{NATIVE} -Wl,-rpath,{NATIVE}",
    }
    program = tmp_path / "goclient"
    subprocess.run(
        [go, "build", "-o", str(program), "."], cwd=source, env=env, check=True, timeout=300
    )
    done = subprocess.run(
        [str(program)],
        env={**os.environ, "SCADA_EMU_READY_FILE": str(demo.ready)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, report
    assert lines[-1].endswith(" passed, 0 failed"), report
    assert int(lines[-1].split()[0]) >= 11, report
    assert done.returncode == 0, report
    assert read_through_python(demo, "BLEND_RATIO_SP") == "0.350"
