"""`python -m bench.memory [N]`: what one idle logged-in CtAPI session costs, line by line.

Runs the demo plant's supervisor in this process under tracemalloc (with the CtAPI connection
limit lifted so every session fits on one computer), lets a generator process open and log in N
sessions, and prints the Python allocations that grew, per session, grouped by source line and
by file. Slow (tracemalloc); for finding what to shrink, not for the results table.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.to_thread

from bench import drive, procs
from bench.spec import Load, Target
from emulator.logs import configure
from emulator.ports import ProcessType
from emulator.runtime.limits import Limits
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo


def _report(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, n: int, top: int) -> str:
    lines = []
    for key in ("filename", "lineno"):
        stats = [s for s in after.compare_to(before, key) if s.size_diff > 0]
        total = sum(s.size_diff for s in stats)
        lines.append(f"by {key}: {total / n / 1024:.2f} KiB of Python objects per session")
        for stat in stats[:top]:
            frame = stat.traceback[0]
            where = frame.filename if key == "filename" else f"{frame.filename}:{frame.lineno}"
            lines.append(
                f"  {stat.size_diff / n:8.0f} B  {stat.count_diff / n:5.1f} blocks  {where}"
            )
    return "\n".join(lines)


async def _measure(n: int, top: int) -> str:
    with tempfile.TemporaryDirectory(prefix="scada-bench-memory-") as state:
        limits = Limits(max_connections={ProcessType.CTAPI: n + 16})
        supervisor = Supervisor(load_demo(), ephemeral=True, state_dir=Path(state), limits=limits)
        async with anyio.create_task_group() as tg:
            await tg.start(supervisor.run)
            listener = next(
                x
                for x in supervisor.listeners
                if x.endpoint.type is ProcessType.CTAPI and not x.endpoint.tls
            )
            target = Target(
                kind="ctapi", host=listener.endpoint.address, port=listener.port, greeting_lines=1
            )
            load = Load(mode="hold", target=target, connections=n)
            gc.collect()
            rss_before = procs.rss_kib(os.getpid())
            before = tracemalloc.take_snapshot()
            # The generator is started and released from a thread: this loop must keep
            # accepting its connections meanwhile.
            holding = drive.holding(load)
            hold = await anyio.to_thread.run_sync(holding.__enter__)
            try:
                held = int(hold.announced.get("held", 0))
                gc.collect()
                after = tracemalloc.take_snapshot()
                rss_after = procs.rss_kib(os.getpid())
                await anyio.to_thread.run_sync(hold.release)
            finally:
                holding.__exit__(None, None, None)
            supervisor.shutdown()
    head = (
        f"{held} sessions held; RSS {rss_before:,} -> {rss_after:,} KiB "
        f"({(rss_after - rss_before) / max(held, 1):.1f} KiB per session, tracemalloc included)"
    )
    return head + "\n" + _report(before, after, max(held, 1), top)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("sessions", type=int, nargs="?", default=500)
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    args = parser.parse_args(argv)
    procs.raise_nofile(2 * args.sessions + 512)
    configure("console", "warning")
    tracemalloc.start(1)
    print(anyio.run(_measure, args.sessions, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
