"""`python -m bench [--quick]`: every measure, then bench/results/latest.json and the table.

`make bench` runs the full profile (five interleaved repetitions, medians) and rewrites the table
in docs/performance.md; `make bench-quick` runs short versions of the same measures in under a
minute and writes the same JSON keys (the doc is left alone).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import loop, measures, native, procs, report, scale, servers
from bench.measures import FULL, QUICK, Bench
from bench.servers import BenchError, Server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
DOC = ROOT / "docs" / "performance.md"

#: The keys issue 7 asks for; they are in the JSON even when a measure could not be taken.
KEYS = [
    "tag_read.emulator_rps",
    "tag_read.echo_rps",
    "tag_read.pymodbus_rps",
    "tag_read.ratio_vs_echo",
    "tag_read.ratio_vs_pymodbus",
    "tag_read.p50_ms",
    "tag_read.p99_ms",
    "tls.ratio_vs_plain",
    "connections.held",
    "connections.rss_kib_per_connection",
    "startup.demo_s",
    "startup.large_listeners",
    "startup.large_s",
    "failover.reconnect_ms",
    "slowloris.p99_ratio",
    "slowloris.burst_p99_ratio",
    "native.ratio_vs_python",
    "native.list_values_per_s",
    "native.list_changing_values_per_s",
]

#: Open files: 10,000 held sessions on each side, plus listeners and slack.
OPEN_FILES = 24_000


def _details(bench: Bench) -> Any:
    r = bench.runs

    def rps(key: str) -> str:
        value = r.median(key)
        return "-" if value is None else f"{value:,.0f} rps"

    def details(key: str) -> str:
        if key == "tag_read.ratio_vs_echo":
            return f"{rps('tag_read.emulator_rps')} / {rps('tag_read.echo_rps')}"
        if key == "tag_read.ratio_vs_pymodbus":
            return f"{rps('tag_read.emulator_rps')} / {rps('tag_read.pymodbus_rps')}"
        if key == "tls.ratio_vs_plain":
            return f"{rps('tls.emulator_rps')} / {rps('tag_read.emulator_rps')}"
        if key == "native.ratio_vs_python" and r.median("native.tag_read_us") is not None:
            return (
                f"p50 {r.median('native.tag_read_us')} us from C, "
                f"{r.median('native.ctypes_tag_read_us')} us through ctypes, "
                f"{r.median('native.python_tag_read_us')} us Python client"
            )
        if key == "tag_read.p99_ms" and r.median("tag_read.p50_ms") is not None:
            return f"p50 {r.median('tag_read.p50_ms')} ms"
        if key == "connections.held" and r.median("connections.held") is not None:
            return f"of {bench.profile.held:,} asked, on one computer"
        if key == "startup.large_s" and r.median("startup.large_listeners"):
            return (
                f"{r.median('startup.large_listeners'):,.0f} listeners; first start with "
                f"certificates {r.median('startup.large_cold_s')} s"
            )
        for ratio in ("slowloris.p99", "slowloris.burst_p99"):
            if key == f"{ratio}_ratio" and r.median(f"{ratio}_ms") is not None:
                return f"{r.median(f'{ratio}_ms')} ms vs {r.median('slowloris.unloaded_p99_ms')} ms"
        return ""

    return details


def _servers_table(bench: Bench) -> str:
    r = bench.runs

    def cell(key: str, fmt: str = "{:,.0f}") -> str:
        value = r.median(key)
        return "-" if value is None else fmt.format(value)

    rows = [
        "| server | closed loop 16 x 8 (rps) | server CPU | server CPU per request (us) "
        "| generator CPU | other CPU | p50 at 2,000/s (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rps, lat in (
        ("emulator, CtAPI 2073", "tag_read.emulator", "tag_read."),
        ("emulator, CtAPI 3073 (TLS)", "tls.emulator", None),
        ("emulator on uvloop (what-if), 2073", "tag_read.emulator_uvloop", None),
        ("echo limit", "tag_read.echo", "tag_read.echo_"),
        ("pymodbus", "tag_read.pymodbus", None),
        ("generator ceiling (newline count)", "generator.ceiling", None),
    ):
        p50 = cell(f"{lat}p50_ms", "{:.3f}") if lat else "-"
        p99 = cell(f"{lat}p99_ms", "{:.3f}") if lat else "-"
        rows.append(
            f"| {name} | {cell(rps + '_rps')} | {cell(rps + '_server_cpu', '{:.2f}')} "
            f"| {cell(rps + '_us_per_request', '{:.2f}')} "
            f"| {cell(rps + '_generator_cpu', '{:.2f}')} | {cell(rps + '_other_cpu', '{:.2f}')} "
            f"| {p50} | {p99} |"
        )
    return "\n".join(rows)


def _start_targets(bench: Bench) -> tuple[str, list[Server]]:
    """A first emulator start (it makes the CA, and says which loop the emulator runs on),
    then the echo limit on that loop, the generator-ceiling echo and pymodbus."""
    emulator_loop = "asyncio"
    try:
        with bench.running("emulator-first") as emulator:
            emulator_loop = "uvloop" if servers.uses_uvloop(emulator.server.pid) else "asyncio"
            bench.say(f"emulator ready on the {emulator_loop} loop: {emulator.listeners} listeners")
    except BenchError as exc:
        bench.say(f"emulator: {exc}")
    started = [
        servers.start_echo(
            bench.workdir, bench.server_cpu, loop=emulator_loop, niceness=bench.niceness
        ),
        servers.start_echo(
            bench.workdir,
            bench.server_cpu,
            loop=loop.name(),
            mode="count",
            niceness=bench.niceness,
        ),
    ]
    if importlib.util.find_spec("pymodbus") is not None:
        started.append(
            servers.start_pymodbus(bench.workdir, bench.server_cpu, niceness=bench.niceness)
        )
    else:
        bench.runs.missing("tag_read.pymodbus_rps", "pymodbus is not installed (bench extra)")
    return emulator_loop, started


def run(bench: Bench, only: set[str] | None) -> dict[str, Any]:
    def wanted(name: str) -> bool:
        return only is None or name in only

    load_at_start = procs.load_average()
    emulator_loop, others = _start_targets(bench)
    echo, ceiling = others[0], others[1]
    modbus = others[2] if len(others) > 2 else None
    what_if = bench.profile is FULL and emulator_loop == "asyncio" and loop.name() == "uvloop"
    try:
        if wanted("tag_read"):
            measures.tag_read(bench, echo, modbus, what_if_uvloop=what_if)
            measures.generator_ceiling(bench, ceiling)
        if wanted("latency"):
            measures.latency(bench, echo)
    finally:
        for server in others:
            server.stop()
    if wanted("slowloris"):
        measures.slowloris(bench)
    if wanted("failover"):
        measures.failover(bench)
    if wanted("across"):
        measures.across(bench)
    if wanted("connections"):
        measures.connections(bench)
    if wanted("startup"):
        measures.startup(bench)
    if wanted("native"):
        native.measure(bench)
    if wanted("scale"):
        scale.run_all(
            bench.runs,
            bench.workdir,
            bench.profile.scale_sizes,
            idle_s=bench.profile.scale_idle_s,
            cpu=bench.server_cpu,
            say=bench.say,
        )
    meta = {
        "profile": bench.profile.name,
        "machine": report.machine(),
        "emulator_loop": emulator_loop,
        "generator_loop": loop.name(),
        "placement": {
            "server_cpu": bench.server_cpu,
            "generator_cpu": bench.generator_cpu,
            "niceness": bench.niceness,
        },
        "load_average": {"start": load_at_start, "end": procs.load_average()},
        "shape": {
            "closed_loop": {"connections": measures.CONNECTIONS, "depth": measures.DEPTH},
            "open_loop": {"rate": measures.RATE, "connections": measures.LATENCY_CONNECTIONS},
            "repetitions": bench.profile.reps,
            "duration_s": bench.profile.duration_s,
            "latency_s": bench.profile.latency_s,
        },
        "info": bench.info,
    }
    keys = KEYS + [k for k in sorted(bench.runs.values) if k not in KEYS]
    return report.results(bench.runs, meta, keys)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, under a minute")
    parser.add_argument(
        "--only",
        action="append",
        choices=(
            "tag_read",
            "latency",
            "slowloris",
            "failover",
            "across",
            "connections",
            "startup",
            "native",
            "scale",
        ),
        help="run only these measures (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--no-doc", action="store_true", help="do not rewrite the table in docs/performance.md"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs)")
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        metavar="NICE",
        help="nice value for the servers and the generator, e.g. -5 on a shared machine "
        "(negative needs root; default: %(default)s)",
    )
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    procs.raise_nofile(OPEN_FILES)
    server_cpu, generator_cpu = procs.placement()
    bench = Bench(profile, servers.scratch_dir(), server_cpu, generator_cpu, args.priority)
    started = time.perf_counter()
    bench.say(
        f"profile {profile.name}; server CPU {server_cpu}, generator CPU {generator_cpu}; "
        f"scratch {bench.workdir}"
    )
    try:
        doc = run(bench, set(args.only) if args.only else None)
    finally:
        if not args.keep:
            shutil.rmtree(bench.workdir, ignore_errors=True)
    doc["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
    report.write_json(args.out, doc)
    block = "\n\n".join(
        [
            report.header(doc["meta"]),
            report.table(bench.runs, doc, _details(bench)),
            _servers_table(bench),
            scale.table(bench.runs, bench.profile.scale_sizes),
        ]
    )
    print()
    print(block)
    print(f"\nresults: {args.out} ({doc['meta']['elapsed_s']} s)")
    if profile is FULL and not args.no_doc and not args.only:
        if report.update_doc(DOC, block):
            print(f"table written to {DOC}")
        else:
            print(f"{DOC} has no result markers; the table was not written there")
    return 0
