"""How long a `scada-emu` command takes to start: the sum of its top-level imports'
cumulative times (`python -X importtime`) and its wall time, median of 7 runs.

    python -m bench.cli_start status --control http://127.0.0.1:1

docs/performance.md ("CLI start") has the numbers before and after the lazy imports.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def top_level_imports(stderr: str) -> float:
    """Seconds of the imports `-X importtime` lists at the top level (their children included)."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):
            total += int(cumulative)
    return total / 1e6


def measure(args: list[str]) -> tuple[float, float]:
    imports, walls = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 -- our own interpreter and module
            [sys.executable, "-X", "importtime", "-m", "emulator", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.perf_counter() - started)
        imports.append(top_level_imports(done.stderr))
    return statistics.median(imports), statistics.median(walls)


def main() -> None:
    args = sys.argv[1:] or ["--version"]
    imports, wall = measure(args)
    print(f"scada-emu {' '.join(args)}: imports {imports:.3f} s, wall {wall:.3f} s")


if __name__ == "__main__":
    main()
