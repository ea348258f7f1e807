"""No traceback when a user interrupts a start (Ctrl-C in its first second) or pipes a command
into `head` (the reader leaves): docs/running.md, "Interrupting"."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TIMEOUT = 20.0


def spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "XDG_STATE_HOME": str(tmp_path / "x")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_line(proc: subprocess.Popen[str], needle: str) -> str:
    """Read stderr until a line holds `needle` (readiness polling, no sleeps); what was read."""
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + TIMEOUT
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            pytest.fail(f"never saw {needle!r}: {seen[-2000:]}")
        readable, _, _ = select.select([proc.stderr], [], [], left)
        if readable:
            seen += proc.stderr.readline()
    return seen


#: Moments of a start, earliest first: at once, once the CLI runs, while binding, serving.
MOMENTS = (None, "run.event_loop", "supervisor.start", "run.state", "supervisor.ready")


@pytest.mark.parametrize("moment", MOMENTS)
def test_ctrl_c_during_a_start_prints_no_traceback_and_leaves_nothing(
    tmp_path: Path, moment: str | None
) -> None:
    proc = spawn(
        tmp_path, "run", "--ephemeral", "--no-control", "--log-format", "json", "--grace", "0"
    )
    try:
        before = "" if moment is None else wait_for_line(proc, moment)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = before + err
    assert "Traceback" not in err, err[-3000:]
    assert "KeyboardInterrupt" not in err
    # Killed by the signal's default action (-2), interrupted (130) or stopped gracefully (0).
    assert proc.returncode in (0, 128 + signal.SIGINT, -signal.SIGINT), err[-2000:]
    assert list((tmp_path / "tmp").iterdir()) == []  # the run's own state folder is gone


@pytest.mark.parametrize(
    "args",
    [("ports",), ("schema",), ("check", "--plan"), ("--help",)],
)
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path, args: tuple[str, ...]) -> None:
    read, write = os.pipe()
    os.close(read)  # as `| head -1` once it has its line: every write is a broken pipe
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "emulator", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        os.close(write)
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1)
