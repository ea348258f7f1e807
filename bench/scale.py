"""Plants of real size (issue 16): spawn-to-ready, idle CPU, RSS per tag and `scada-emu check`.

Each plant comes from scenarios/make_large_plant.py (render(clusters, tags_per_cluster)). Per
plant and per emulator (this checkout, and a `--baseline` checkout run the same way in the same
run, so a change is measured side by side with what it replaces):

- `check_cold_s`, `check_s`: `scada-emu check FILE` with an empty compiled cache, then again;
- `ready_s`: spawn to the ready file of `scada-emu run FILE --ephemeral` (cache warm);
- `idle_cpu`: CPU seconds per second of the emulator over the idle window that follows;
- `rss_kib_per_tag`: its RSS at the end of that window over the number of tags.

    python -m bench.scale --sizes 3k,20k [--baseline /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import procs, servers
from bench.report import Runs
from bench.servers import BenchError

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scenarios" / "make_large_plant.py"

#: label: (clusters, tags per cluster); the shape of the plant issue 16 measured.
SIZES: dict[str, tuple[int, int]] = {
    "3k": (12, 250),
    "20k": (20, 1000),
    "100k": (20, 5000),
    "1M": (40, 25_000),
}
QUICK_SIZES = ("3k", "20k", "100k")
FULL_SIZES = (*QUICK_SIZES, "1M")


@dataclass(frozen=True, slots=True)
class Emulator:
    """Which checkout's emulator is measured: `name` labels its keys ('' for this one)."""

    name: str
    root: Path

    def env(self, cache: Path) -> dict[str, str]:
        # PYTHONSAFEPATH: `python -m` must not import the checkout in the current directory.
        env = dict(
            os.environ,
            PYTHONPATH=str(self.root),
            PYTHONSAFEPATH="1",
            SCADA_EMU_CACHE_DIR=str(cache),
        )
        env.pop("PYTHONSTARTUP", None)
        return env

    def key(self, label: str, what: str) -> str:
        prefix = f"scale.{label}" if not self.name else f"scale.{label}.{self.name}"
        return f"{prefix}.{what}"


def tags(label: str) -> int:
    clusters, per_cluster = SIZES[label]
    return clusters * per_cluster


def write_plant(workdir: Path, label: str) -> Path:
    """The plant's TOML file in `workdir` (written once per run)."""
    path = workdir / f"plant-{label}.toml"
    if path.exists():
        return path
    spec = importlib.util.spec_from_file_location("make_large_plant", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    clusters, per_cluster = SIZES[label]
    path.write_text(module.render(clusters, per_cluster), encoding="utf-8")
    return path


def check_seconds(emulator: Emulator, plant: Path, cache: Path, deadline_s: float) -> float:
    """Wall seconds of one `scada-emu check FILE`; BenchError when it fails or exits 2."""
    argv = [sys.executable, "-m", "emulator", "check", str(plant)]
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            argv,
            env=emulator.env(cache),
            capture_output=True,
            timeout=deadline_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"check of {plant.name} took over {deadline_s} s") from exc
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BenchError(f"check exited {done.returncode}: " + " | ".join(tail))
    return elapsed


def measure(
    runs: Runs,
    workdir: Path,
    emulator: Emulator,
    label: str,
    *,
    idle_s: float,
    cpu: int | None,
    say: Callable[[str], None],
) -> None:
    """Every figure of one plant for one emulator into `runs`."""
    plant = write_plant(workdir, label)
    count = tags(label)
    deadline = 60.0 + count / 1000  # the baseline took 41 s at 100k
    cache = workdir / f"cache-{emulator.name or 'this'}-{label}"
    shutil.rmtree(cache, ignore_errors=True)
    try:
        runs.add(
            emulator.key(label, "check_cold_s"),
            round(check_seconds(emulator, plant, cache, deadline), 3),
        )
        runs.add(
            emulator.key(label, "check_s"),
            round(check_seconds(emulator, plant, cache, deadline), 3),
        )
        state = workdir / f"state-{emulator.name or 'this'}"
        running = servers.start_emulator(
            workdir,
            cpu,
            topology=plant,
            state_dir=state,
            name=f"scale-{label}",
            deadline_s=deadline,
            env=emulator.env(cache),
        )
    except BenchError as exc:
        runs.missing(emulator.key(label, "ready_s"), str(exc))
        say(f"scale {label} {emulator.name or 'this'}: {exc}")
        return
    try:
        server = running.server
        runs.add(emulator.key(label, "ready_s"), round(server.startup_s, 3))
        before, started = procs.cpu_seconds(server.pid), time.perf_counter()
        deadline_idle = started + idle_s
        while time.perf_counter() < deadline_idle and server.alive():
            time.sleep(0.1)
        used = procs.cpu_seconds(server.pid) - before
        idle = round(used / (time.perf_counter() - started), 4)
        rss = procs.rss_kib(server.pid)
    finally:
        running.server.stop()
        shutil.rmtree(state, ignore_errors=True)
    runs.add(emulator.key(label, "idle_cpu"), idle)
    runs.add(emulator.key(label, "rss_kib_per_tag"), round(rss / count, 3))
    say(
        f"scale {label} ({count:,} tags) {emulator.name or 'this'}: check "
        f"{runs.median(emulator.key(label, 'check_cold_s'))} s cold, "
        f"{runs.median(emulator.key(label, 'check_s'))} s warm; ready {server.startup_s:.2f} s; "
        f"idle {idle:.1%} of a core; RSS {rss / 1024:,.0f} MiB ({rss / count:.2f} KiB per tag)"
    )


def sizes_for(quick: bool) -> tuple[str, ...]:
    return QUICK_SIZES if quick else FULL_SIZES


def run_all(
    runs: Runs,
    workdir: Path,
    labels: Sequence[str],
    *,
    idle_s: float,
    cpu: int | None,
    say: Callable[[str], None],
    baseline: Path | None = None,
    baseline_up_to: int = 100_000,
) -> None:
    """Each plant, smallest first, for this checkout and (up to `baseline_up_to` tags, which
    it takes minutes to start beyond) the baseline checkout right after it."""
    emulators = [Emulator("", ROOT)]
    for label in labels:
        if baseline is not None and tags(label) <= baseline_up_to:
            emulators.append(Emulator("baseline", baseline))
        for emulator in emulators:
            measure(runs, workdir, emulator, label, idle_s=idle_s, cpu=cpu, say=say)
        del emulators[1:]
        (workdir / f"plant-{label}.toml").unlink(missing_ok=True)


_COLUMNS = (
    ("ready_s", "ready after (s)", "{:.2f}"),
    ("idle_cpu", "idle CPU (share of a core)", "{:.1%}"),
    ("rss_kib_per_tag", "RSS per tag (KiB)", "{:.2f}"),
    ("check_s", "check (s)", "{:.2f}"),
    ("check_cold_s", "check, first (s)", "{:.2f}"),
)


def table(runs: Runs, labels: Sequence[str]) -> str:
    """One row per plant and emulator, as docs/performance.md shows them."""
    rows = [
        "| plant | emulator | " + " | ".join(title for _, title, _ in _COLUMNS) + " |",
        "|---|---|" + "---|" * len(_COLUMNS),
    ]
    for label in labels:
        for emulator in (Emulator("", ROOT), Emulator("baseline", ROOT)):
            cells = []
            for what, _, fmt in _COLUMNS:
                value = runs.median(emulator.key(label, what))
                cells.append("-" if value is None else fmt.format(value))
            if all(cell == "-" for cell in cells):
                continue
            who = emulator.name or "this"
            rows.append(f"| {label} ({tags(label):,} tags) | {who} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--sizes", default="3k,20k", help="comma separated: " + ",".join(SIZES))
    parser.add_argument("--idle", type=float, default=10.0, help="idle window in seconds")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured the same way")
    args = parser.parse_args(argv)
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in labels if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; known: {', '.join(SIZES)}")
    runs = Runs()
    workdir = servers.scratch_dir()
    server_cpu, _ = procs.placement()
    try:
        run_all(
            runs,
            workdir,
            labels,
            idle_s=args.idle,
            cpu=server_cpu,
            say=lambda text: print(text, flush=True),
            baseline=args.baseline,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(runs, labels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
