"""`python -m bench.profile`: where the emulator's time goes per tag read, sampled with py-spy.

Starts the demo plant on the server CPU, drives the closed loop (16 x 8) from the generator CPU,
records the emulator with `py-spy record --format raw` meanwhile (pausing it for each sample:
without that a third of the stacks come back cut short), and prints the functions with
the most samples (self and inclusive) as a share of the samples and as microseconds per request
(server CPU seconds / requests). Needs the `bench` extra (py-spy) and ptrace rights (root, or
kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import drive, procs, servers
from bench.measures import CONNECTIONS, DEPTH
from bench.spec import Load


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    own: Counter[str]
    inclusive: Counter[str]


def parse_raw(text: str) -> Profile:
    """py-spy's raw (collapsed stack) output: 'frame;frame;frame COUNT' per line."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    samples = 0
    for line in text.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return Profile(samples, own, inclusive)


def by_function(counter: Counter[str]) -> Counter[str]:
    """Merge a function's lines: 'f (file.py:12)' and 'f (file.py:14)' become 'f (file.py)'."""
    merged: Counter[str] = Counter()
    for frame, n in counter.items():
        name, _, where = frame.partition(" (")
        merged[f"{name} ({where.rsplit(':', 1)[0]})" if where else name] += n
    return merged


def render(profile: Profile, us_per_request: float | None, top: int) -> str:
    def rows(title: str, counter: Counter[str]) -> list[str]:
        out = [f"{title}:", "   share  us/req  function"]
        for frame, n in counter.most_common(top):
            share = n / profile.samples
            us = f"{share * us_per_request:6.2f}" if us_per_request else "     -"
            out.append(f"  {100 * share:5.1f}%  {us}  {frame}")
        return out

    lines = [f"{profile.samples} samples"]
    lines += rows("self (merged per function)", by_function(profile.own))
    lines += rows("inclusive (merged per function)", by_function(profile.inclusive))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds sampled")
    parser.add_argument("--rate", type=int, default=500, help="samples per second")
    parser.add_argument("--tls", action="store_true", help="drive 3073 (TLS) instead of 2073")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument("--out", type=Path, help="also keep the raw samples here")
    args = parser.parse_args(argv)
    beside = Path(sys.executable).parent / "py-spy"
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        parser.error("py-spy is not installed: pip install -e '.[bench]'")
    server_cpu, generator_cpu = procs.placement()
    workdir = servers.scratch_dir()
    raw = args.out or workdir / "profile.txt"
    emulator = servers.start_emulator(workdir, server_cpu, state_dir=workdir / "state")
    try:
        target = emulator.tls() if args.tls else emulator.plain()
        recorder = subprocess.Popen(  # noqa: S603 - py-spy from the venv
            [
                spy,
                "record",
                *("--pid", str(emulator.server.pid), "--duration", str(args.duration)),
                *("--rate", str(args.rate), "--format", "raw", "--output", str(raw)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        result = drive.run(
            Load(
                mode="closed",
                target=target,
                connections=CONNECTIONS,
                depth=DEPTH,
                warmup_s=0.5,
                duration_s=args.duration,
                server_pid=emulator.server.pid,
                cpu=generator_cpu,
            )
        )
        said, _ = recorder.communicate(timeout=args.duration + 30)
    finally:
        emulator.server.stop()
    if not raw.exists():
        print(f"py-spy recorded nothing: {said.strip()[-800:]}", file=sys.stderr)
        return 1
    profile = parse_raw(raw.read_text("utf-8"))
    us = None
    if result.rps and result.server_cpu:
        us = result.server_cpu / result.rps * 1e6
    print(
        f"{result.rps:,.0f} rps, server CPU {result.server_cpu}, "
        f"{us:.1f} us of server CPU per request"
        if us
        else f"{result}"
    )
    print(render(profile, us, args.top))
    if args.out is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
