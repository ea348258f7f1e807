"""Which folders one `scada-emu run` keeps its state in, so that runs never leak into each other.

A run's *history* (the alarm log, alarm statuses, trend samples: emulator.plant.storage) lives in
a fresh folder of its own, removed when the run ends, unless the user names a state directory to
keep (`--state-dir DIR`). The emulator *CA* (emulator.runtime.certs) is what clients trust, so a
plain run keeps it in the default state directory; `--ephemeral` (test harnesses in parallel)
keeps even that in the run's own folder and touches no shared folder at all.
Documented in docs/running.md ("State").
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "plant-scada-emulator"
#: The prefix of a run's own folder under the system's temporary directory.
RUN_PREFIX = "scada-emu-run-"


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/plant-scada-emulator, else ~/.local/state/plant-scada-emulator."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / APP_NAME


@dataclass(frozen=True, slots=True)
class RunState:
    #: Where the history goes (`Context.state_dir`: `<history>/history/<project>/...`).
    history: Path
    #: Where the CA and certificates go (`Supervisor.state_dir`).
    ca: Path
    #: Whether `history` outlives the run (a directory the user named).
    kept: bool

    @classmethod
    def choose(cls, state_dir: Path | None, *, ephemeral: bool, default_ca: Path) -> RunState:
        """The user's `state_dir` for everything, else a fresh folder of this run's own."""
        if state_dir is not None:
            return cls(state_dir, state_dir, kept=True)
        own = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))
        return cls(own, own if ephemeral else default_ca, kept=False)

    def describe(self) -> str:
        """The line `scada-emu run` prints before `ready`: which folder, what it holds."""
        if self.kept:
            what = (
                "alarm log, alarm statuses, trend samples, the values the devices hold and CA; "
                "kept after the run"
            )
        else:
            what = "this run's alarm log, alarm statuses and trend samples; removed when it ends"
        ca = "" if self.ca == self.history else f"; CA in {self.ca}"
        return f"state {self.history} ({what}{ca})"

    def discard(self) -> None:
        """Remove the run's own folder (never one the user named)."""
        if not self.kept:
            shutil.rmtree(self.history, ignore_errors=True)
