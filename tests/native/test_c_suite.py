"""native/tests/test_ctapi.c (built with ASan and UBSan by `make native`) against the demo plant."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from emulator.runtime.certs import CertificateAuthority
from tests.client.emulator import Running
from tests.client.fakeserver import free_port, ready_file
from tests.native.conftest import SUITE


def test_the_c_suite_passes(demo: Running, tmp_path: Path) -> None:
    absent = ready_file(tmp_path / "absent.json", free_port())
    # the demo's ready file with a CA that signed nothing of it: TLS must fail
    wrong = json.loads(demo.ready.read_text())
    wrong["ca_certificate"] = str(
        CertificateAuthority(tmp_path / "other").ensure().certificate_path
    )
    wrong_ca = tmp_path / "wrong-ca.json"
    wrong_ca.write_text(json.dumps(wrong))
    env = {
        **os.environ,
        "SCADA_EMU_READY_FILE": str(demo.ready),
        "CTAPI_TEST_ABSENT_READY_FILE": str(absent),
        "CTAPI_TEST_WRONG_CA_READY_FILE": str(wrong_ca),
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    env.pop("LD_PRELOAD", None)
    done = subprocess.run(
        [str(SUITE)], env=env, capture_output=True, text=True, timeout=50, check=False
    )
    report = done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines, report
    assert lines[-1].endswith(" passed, 0 failed"), report
    assert int(lines[-1].split()[0]) > 0, report
    assert done.returncode == 0, report
