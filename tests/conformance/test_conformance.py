"""One list of CtAPI call sequences (calls.py) through every backend (backends.py).

The shim's run must meet each step's `expect`; the native library's run must meet it too and
give the shim's outcome call by call: return value, out-buffers, error code. Where the two
disagree, the CtAPI reference decides and both are fixed (issue 13): no case is excused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.client.emulator import Running
from tests.conformance.backends import Backend, NativeBackend, ShimBackend
from tests.conformance.calls import CASES, Case, Outcome


def params() -> list[object]:
    return [
        pytest.param(case, backend, id=f"{case.name}-{backend}")
        for case in CASES
        for backend in ("shim", "native")
    ]


def run(backend: Backend, case: Case) -> list[Outcome]:
    try:
        return backend.run(case)
    finally:
        backend.close()


def check_expectations(case: Case, transcript: list[Outcome], who: str) -> None:
    for step, outcome in zip(case.steps, transcript, strict=True):
        where = f"{who}: {case.name}: {step.function}{step.args}"
        for part, wanted in step.expect.items():
            got = getattr(outcome, part)
            if part == "outs":
                got = got[: len(wanted)]
            assert got == wanted, f"{where}: {part} {got!r}, the reference says {wanted!r}"


@pytest.mark.parametrize(("case", "backend"), params())
def test_conformance(
    case: Case, backend: str, demo: Running, native_library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the native library finds the emulator as a deployed program would: the environment
    monkeypatch.setenv("SCADA_EMU_READY_FILE", str(demo.ready))
    shim = run(ShimBackend(demo.ready), case)
    check_expectations(case, shim, "shim")
    if backend == "shim":
        return
    native = run(NativeBackend(Path(native_library)), case)
    check_expectations(case, native, "native")
    for step, ours, theirs in zip(case.steps, native, shim, strict=True):
        assert ours == theirs, (
            f"{case.name}: {step.function}{step.args}: native {ours}, shim {theirs}"
        )


def test_every_case_has_a_name_of_its_own() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
