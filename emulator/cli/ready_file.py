"""Whose ready file it is: a run claims its ready file for as long as it lives, and removes only
a file that is its own (or a stale one), never a live run's (docs/running.md, "Ready file").

The claim is an exclusive lock (flock) on a hidden sibling, `.<name>.lock`, held until the run
ends; the kernel lets it go when the process dies, so a crashed run leaves nothing to clean up
and two runs that start at the same moment cannot both take the file. The lock file stays in
place (removing it would let a third run lock a file that no longer has the name). Where flock
is missing (Windows), the pid in the ready file is all there is to go on.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class ReadyClaim:
    """This run's hold on its ready file (none when it writes no ready file)."""

    def __init__(self, ready_file: Path | None) -> None:
        self.ready_file = ready_file
        self._fd: int | None = None

    def take(self) -> int | None:
        """Claim the file; the pid of the live run that holds it instead (None: claimed)."""
        owner = live_owner(self.ready_file)
        if owner is not None or self.ready_file is None or fcntl is None:
            return owner
        lock = self.ready_file.with_name(f".{self.ready_file.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None  # an unwritable folder: writing the ready file will say so
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return live_owner(self.ready_file) or _pid_in(lock) or -1
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid()}).encode())
        self._fd = fd
        return None

    def __enter__(self) -> ReadyClaim:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # and with it the lock
            self._fd = None


def live_owner(ready_file: Path | None) -> int | None:
    """The pid of the live emulator whose ready file this is, None when there is none (no file,
    unreadable, its process gone or another program by now): a stale file may be replaced, a
    live run's never."""
    if ready_file is None:
        return None
    pid = _pid_in(ready_file)
    if pid is None or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, as another user's
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # no /proc (macOS): alive is all we know
    return pid if b"emulator" in command or b"scada-emu" in command else None


def remove_own(ready_file: Path | None, *, stale: bool = False) -> None:
    """Remove the ready file if it is this run's (with `stale`, also one no live run owns): a
    ready file is true only while its run serves, and never another run's to delete."""
    if ready_file is None:
        return
    pid = _pid_in(ready_file)
    if pid == os.getpid() or (stale and live_owner(ready_file) is None):
        with contextlib.suppress(FileNotFoundError):
            ready_file.unlink()


def _pid_in(path: Path) -> int | None:
    try:
        pid = json.loads(path.read_text("utf-8"))["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    return pid
