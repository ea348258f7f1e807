"""Each measure of issue 7 (and the slowloris one of issue 8): start what it needs, drive, record.

A measure that cannot be taken records its keys as missing with the reason, and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from bench import drive, largeplant, loop, procs, servers
from bench.across import measure_once as across_measure
from bench.failover import measure as failover_measure
from bench.report import Runs
from bench.servers import BenchError, Emulator, Server
from bench.spec import Load, Result, Target
from emulator.client.errors import CtApiError

#: The issue's closed-loop shape and open-loop rate.
CONNECTIONS = 16
DEPTH = 8
RATE = 2000.0
#: Open-loop connections (latency): requests spread round-robin over them.
LATENCY_CONNECTIONS = 4


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    reps: int
    warmup_s: float
    duration_s: float
    latency_reps: int
    latency_s: float
    held: int
    half_open: int
    startup_reps: int
    #: Warm starts of the large plant (after its first, cold, start).
    large_reps: int
    large_listeners: int
    #: Runs repeated at most this often while other work on the machine disturbs them.
    retries: int
    #: The plants of bench.scale (issue 16) and the idle window measured on each.
    scale_sizes: tuple[str, ...] = ("3k", "20k", "100k")
    scale_idle_s: float = 5.0


QUICK = Profile("quick", 1, 0.5, 2.0, 1, 2.0, 1000, 1000, 3, 1, 1000, 0)
FULL = Profile(
    "full", 5, 1.0, 5.0, 3, 10.0, 10_000, 1000, 5, 3, 1000, 1, ("3k", "20k", "100k", "1M"), 10.0
)

#: CPUs other processes may use during a run before `make bench` repeats it.
OTHER_CPU_LIMIT = 0.25


@dataclass
class Bench:
    """What every measure shares: where things go, which CPU is whose, what was measured."""

    profile: Profile
    workdir: Path
    server_cpu: int | None
    generator_cpu: int | None
    #: Nice value of servers and generator (--priority; 0 leaves the scheduler alone).
    niceness: int = 0
    runs: Runs = field(default_factory=Runs)
    info: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def state_dir(self) -> Path:
        return self.workdir / "state"

    def emulator(
        self,
        name: str,
        topology: Path | None = None,
        *,
        on_uvloop: bool = False,
        options: Sequence[str] = (),
    ) -> Emulator:
        return servers.start_emulator(
            self.workdir,
            self.server_cpu,
            topology=topology,
            # Its own state directory: two emulators never share history databases.
            state_dir=self.state_dir if not on_uvloop else self.workdir / "state-uvloop",
            name=name,
            niceness=self.niceness,
            on_uvloop=on_uvloop,
            options=options,
        )

    @contextmanager
    def running(
        self, name: str, *, on_uvloop: bool = False, options: Sequence[str] = ()
    ) -> Iterator[Emulator]:
        """The demo plant for one measure: an idle emulator still scans its plant (a few % of
        a CPU), so none is left running while another server is measured."""
        emulator = self.emulator(name, on_uvloop=on_uvloop, options=options)
        try:
            yield emulator
        finally:
            emulator.server.stop()

    def say(self, text: str) -> None:
        line = f"[bench {time.strftime('%H:%M:%S')}] {text}"
        self.log.append(line)
        print(line, flush=True)

    def load(self, mode: str, target: Target, server: Server | None, **fields: Any) -> Load:
        return Load(
            mode=mode,  # type: ignore[arg-type]
            target=target,
            server_pid=server.pid if server else None,
            cpu=self.generator_cpu,
            niceness=self.niceness,
            warmup_s=self.profile.warmup_s,
            duration_s=self.profile.duration_s,
            **fields,
        )

    def closed(self, target: Target, server: Server) -> Result:
        load = self.load("closed", target, server, connections=CONNECTIONS, depth=DEPTH)
        result = self._quiet(load)
        if result.lost:
            raise BenchError(f"{result.lost} connections lost while measuring")
        return result

    def open(self, target: Target, server: Server) -> Result:
        load = self.load("open", target, server, connections=LATENCY_CONNECTIONS, rate=RATE)
        return self._quiet(replace(load, duration_s=self.profile.latency_s))

    def _quiet(self, load: Load) -> Result:
        """Run `load`; again (up to profile.retries times) while other work used the machine."""
        result = _checked(drive.run(load))
        for _ in range(self.profile.retries):
            if (result.other_cpu or 0.0) <= OTHER_CPU_LIMIT:
                break
            self.info["runs_repeated_for_noise"] = self.info.get("runs_repeated_for_noise", 0) + 1
            self.say(f"  (other work used {result.other_cpu} CPU during that run: again)")
            result = _checked(drive.run(load))
        return result


def _checked(result: Result) -> Result:
    if result.errors:
        raise BenchError(f"{result.errors} errors, first: {result.first_error}")
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 4)


def _closed_runs(
    bench: Bench, attempts: list[tuple[str, str, Target, Server]], measured: dict[str, float]
) -> None:
    """One closed-loop run per (name, key, target, server); rps and CPU cost into the runs."""
    runs = bench.runs
    for name, key, target, server in attempts:
        try:
            result = bench.closed(target, server)
        except BenchError as exc:
            runs.missing(key, str(exc))
            bench.say(f"  {name}: {exc}")
            continue
        assert result.rps is not None
        measured[name] = result.rps
        runs.add(key, result.rps)
        runs.add(key.replace("_rps", "_server_cpu"), result.server_cpu)
        runs.add(key.replace("_rps", "_generator_cpu"), result.generator_cpu)
        runs.add(key.replace("_rps", "_other_cpu"), result.other_cpu)
        if result.server_cpu and result.rps:
            cost = round(result.server_cpu / result.rps * 1e6, 3)
            measured[f"{name}_us"] = cost
            runs.add(key.replace("_rps", "_us_per_request"), cost)
        bench.say(
            f"  {name}: {result.rps:,.0f} rps (CPU: server {result.server_cpu}, "
            f"generator {result.generator_cpu}, everything else {result.other_cpu})"
        )


def _emulator_runs(bench: Bench, measured: dict[str, float], *, on_uvloop: bool) -> None:
    name = "emulator_uvloop" if on_uvloop else "emulator"
    try:
        with bench.running(name, on_uvloop=on_uvloop) as emulator:
            if on_uvloop:
                attempts = [(name, "tag_read.emulator_uvloop_rps", emulator.plain())]
            else:
                computer = plain_computer(emulator)
                attempts = [
                    (name, "tag_read.emulator_rps", emulator.plain(computer)),
                    ("tls", "tls.emulator_rps", emulator.tls(computer)),
                ]
            _closed_runs(bench, [(n, k, t, emulator.server) for n, k, t in attempts], measured)
    except BenchError as exc:
        bench.runs.missing(f"tag_read.{name}_rps", str(exc))
        bench.say(f"  {name}: {exc}")


def tag_read(bench: Bench, echo: Server, modbus: Server | None, *, what_if_uvloop: bool) -> None:
    """Closed loop, interleaved repetitions: emulator plain and TLS, echo, pymodbus.

    With `what_if_uvloop`, also the emulator started on uvloop (not how `scada-emu run` starts
    it today: the size of that lever, tag_read.emulator_uvloop_*).
    """
    runs = bench.runs
    for rep in range(bench.profile.reps):
        bench.say(f"tag_read repetition {rep + 1}/{bench.profile.reps}")
        measured: dict[str, float] = {}
        _emulator_runs(bench, measured, on_uvloop=False)
        if what_if_uvloop:
            _emulator_runs(bench, measured, on_uvloop=True)
        peers = [("echo", "tag_read.echo_rps", echo.target, echo)]
        if modbus is not None:
            peers.append(("pymodbus", "tag_read.pymodbus_rps", modbus.target, modbus))
        _closed_runs(bench, peers, measured)
        emu, emu_us = measured.get("emulator"), measured.get("emulator_us")
        runs.add("tag_read.ratio_vs_echo", _ratio(emu, measured.get("echo")))
        runs.add("tag_read.ratio_vs_pymodbus", _ratio(emu, measured.get("pymodbus")))
        runs.add("tls.ratio_vs_plain", _ratio(measured.get("tls"), emu))
        # The same comparisons in server CPU per request: what noise on a shared machine
        # disturbs least (a ratio above 1 means the emulator costs more).
        runs.add("tag_read.cost_vs_echo", _ratio(emu_us, measured.get("echo_us")))
        runs.add("tag_read.cost_vs_pymodbus", _ratio(emu_us, measured.get("pymodbus_us")))
        runs.add("tls.cost_vs_plain", _ratio(measured.get("tls_us"), emu_us))
        runs.add("tag_read.uvloop_vs_asyncio", _ratio(measured.get("emulator_uvloop"), emu))
    for key in ("tag_read.ratio_vs_echo", "tag_read.ratio_vs_pymodbus", "tls.ratio_vs_plain"):
        if key not in runs.values:
            runs.missing(key, runs.notes.get("tag_read.emulator_rps", "not measured"))
    if modbus is None:
        runs.missing("tag_read.ratio_vs_pymodbus", "pymodbus is not installed (bench extra)")


def plain_computer(emulator: Emulator) -> str:
    """The computer whose plain CtAPI listener the measures use (TLS on the same computer)."""
    for computer, tls in emulator.ctapi:
        if not tls:
            return computer
    raise BenchError("the emulator has no plain CtAPI listener")


def generator_ceiling(bench: Bench, ceiling: Server) -> None:
    """The echo server that only counts newlines: how fast the generator itself can go."""
    try:
        result = bench.closed(ceiling.target, ceiling)
    except BenchError as exc:
        bench.runs.missing("generator.ceiling_rps", str(exc))
        return
    bench.runs.add("generator.ceiling_rps", result.rps)
    bench.runs.add("generator.ceiling_generator_cpu", result.generator_cpu)
    bench.runs.add("generator.ceiling_other_cpu", result.other_cpu)
    bench.say(f"generator ceiling: {result.rps:,.0f} rps (generator CPU {result.generator_cpu})")


def latency(bench: Bench, echo: Server) -> None:
    """Open loop at 2,000 req/s: percentiles from each request's write to its reply.

    Not pymodbus: it handles one request per read, so requests that arrive together wait for
    the next read, and the last ones of a run are never answered (docs/performance.md).
    """
    try:
        with bench.running("emulator-latency") as emulator:
            _latency_runs(bench, "", emulator.plain(), emulator.server)
    except BenchError as exc:
        for key in ("tag_read.p50_ms", "tag_read.p99_ms"):
            bench.runs.missing(key, str(exc))
        bench.say(f"latency emulator: {exc}")
    _latency_runs(bench, "echo_", echo.target, echo)


def _latency_runs(bench: Bench, prefix: str, target: Target, server: Server) -> None:
    name = prefix.rstrip("_") or "emulator"
    for rep in range(bench.profile.latency_reps):
        try:
            result = bench.open(target, server)
        except BenchError as exc:
            bench.runs.missing(f"tag_read.{prefix}p99_ms", str(exc))
            bench.say(f"latency {name}: {exc}")
            return
        for pct in ("p50", "p90", "p99", "p999", "max"):
            bench.runs.add(f"tag_read.{prefix}{pct}_ms", getattr(result, f"{pct}_ms"))
        bench.runs.add(f"tag_read.{prefix}open_loop_rate", result.rate)
        bench.runs.add(f"tag_read.{prefix}open_loop_other_cpu", result.other_cpu)
        bench.say(
            f"latency {name} rep {rep + 1}: p50 {result.p50_ms} ms, p99 {result.p99_ms} ms "
            f"at {result.rate:,.0f} req/s (CPU used by everything else {result.other_cpu})"
        )


def connections(bench: Bench) -> None:
    """Idle logged-in sessions held by one emulator process, and its RSS growth per session.

    All on the plain CtAPI listener of one computer of the demo plant, its connection limit
    ([CtAPI]MaxConnections, 20 by default) raised above them with `--max-connections`.
    """
    wanted = bench.profile.held
    options = ["--max-connections", str(wanted + 16)]
    try:
        with bench.running("emulator-sessions", options=options) as emulator:
            before = procs.rss_kib(emulator.server.pid)
            load = bench.load("hold", emulator.plain(), emulator.server, connections=wanted)
            with drive.holding(load) as hold:
                held = int(hold.announced.get("held", 0))
                after = procs.rss_kib(emulator.server.pid)
                bench.say(
                    f"held {held:,} of {wanted:,} sessions in {hold.announced.get('connect_s')} s;"
                    f" RSS {before:,} -> {after:,} KiB"
                )
                result = hold.release()
    except BenchError as exc:
        bench.runs.missing("connections.held", str(exc))
        bench.runs.missing("connections.rss_kib_per_connection", str(exc))
        bench.say(f"connections: {exc}")
        return
    if result.first_error:
        bench.say(f"  first refusal: {result.first_error}")
        bench.info["connections.first_error"] = result.first_error
    bench.runs.add("connections.held", held)
    bench.runs.add("connections.connect_s", result.connect_s)
    if held:
        bench.runs.add("connections.rss_kib_per_connection", round((after - before) / held, 2))
    bench.runs.add("connections.rss_before_kib", before)
    bench.runs.add("connections.rss_after_kib", after)


def startup(bench: Bench) -> None:
    """Process start to ready file: the demo plant, then a generated plant of >= 1,000 listeners.

    Every start uses the bench's state directory, which already holds the CA (the first start of
    the run made it): a warm start, as a user sees from the second run on. The large plant's
    first start, which also signs a certificate per computer, is reported as large_cold_s.
    """
    for _ in range(bench.profile.startup_reps):
        try:
            emulator = bench.emulator("emulator-start")
        except BenchError as exc:
            bench.runs.missing("startup.demo_s", str(exc))
            break
        emulator.server.stop()
        bench.runs.add("startup.demo_s", round(emulator.server.startup_s, 4))
    plant = bench.workdir / "large.toml"
    expected = largeplant.write(plant, bench.profile.large_listeners)
    for attempt in range(1 + bench.profile.large_reps):
        try:
            emulator = bench.emulator("emulator-large", plant)
        except BenchError as exc:
            bench.runs.missing("startup.large_s", str(exc))
            break
        emulator.server.stop()
        key = "startup.large_cold_s" if attempt == 0 else "startup.large_s"
        bench.runs.add(key, round(emulator.server.startup_s, 4))
        if attempt == 0:
            bench.runs.add("startup.large_listeners", emulator.listeners)
            if emulator.listeners < expected:
                bench.say(f"large plant: {emulator.listeners} listeners, expected {expected}")
    bench.say(
        f"startup: demo {bench.runs.median('startup.demo_s')} s, large "
        f"({bench.runs.median('startup.large_listeners')} listeners) "
        f"{bench.runs.median('startup.large_s')} s warm, "
        f"{bench.runs.median('startup.large_cold_s')} s cold"
    )


def failover(bench: Bench) -> None:
    """A client on the primary alarm server follows the failover to the standby (bench.failover)."""
    reps = max(3, bench.profile.reps)
    try:
        with bench.running("emulator-failover") as emulator:
            results = loop.run(failover_measure(emulator.server.ready, reps))
    except (BenchError, OSError) as exc:
        bench.runs.missing("failover.reconnect_ms", str(exc))
        bench.say(f"failover: {exc}")
        return
    for result in results:
        bench.runs.add("failover.reconnect_ms", result.reconnect_ms)
        bench.runs.add("failover.detect_ms", result.detect_ms)
    bench.say(
        "failover: reconnected to the standby in "
        + ", ".join(f"{r.reconnect_ms} ms" for r in results)
    )


def across(bench: Bench) -> None:
    """Writes, reads and failover with one process per computer (bench.across)."""
    for _ in range(max(3, bench.profile.reps)):
        try:
            figures = across_measure(bench.workdir)
        except (RuntimeError, CtApiError, OSError) as exc:
            bench.runs.missing("across.failover_ms", str(exc))
            bench.say(f"across: {exc}")
            return
        for key, value in figures.items():
            bench.runs.add(key, value)
    r = bench.runs
    bench.say(
        f"across: write {r.median('across.write_one_process_ms')} ms in one process, "
        f"{r.median('across.write_replicated_ms')} ms replicated, "
        f"{r.median('across.write_remote_ms')} ms remote; remote read "
        f"{r.median('across.read_remote_ms')} ms; failover {r.median('across.failover_ms')} ms"
    )


def slowloris(bench: Bench) -> None:
    """A well-behaved client's p99 with 1,000 half-open clients attached vs without them.

    They must stay attached for the whole measure: CtAPI's connection limit is raised above
    them and the request timeout (10 s) and the login deadline (5 s), which drop half-open
    clients, past the measure.
    """
    options = ["--max-connections", str(bench.profile.half_open + 16)]
    options += ["--request-timeout", "3600", "--login-timeout", "0"]
    try:
        with bench.running("emulator-slowloris", options=options) as emulator:
            _slowloris(bench, emulator)
    except BenchError as exc:
        bench.runs.missing("slowloris.p99_ratio", str(exc))


def _slowloris(bench: Bench, emulator: Emulator) -> None:
    """Measured twice: with the half-open clients' drips spread over each second, as independent
    clients' timers spread them (the target's measure, `p99_*`), and with all of them in the
    same millisecond, the worst case (`burst_*`)."""
    target = emulator.plain()
    server = emulator.server
    try:
        unloaded = bench.open(target, server)
    except BenchError as exc:
        bench.runs.missing("slowloris.p99_ratio", f"unloaded run failed: {exc}")
        return
    bench.runs.add("slowloris.unloaded_p99_ms", unloaded.p99_ms)
    clients = bench.profile.half_open
    bench.runs.add("slowloris.clients", clients)
    for spread, prefix in ((True, "slowloris.p99"), (False, "slowloris.burst_p99")):
        how = "spread" if spread else "in one burst"
        load = bench.load(
            "half_open", target, server, connections=clients, drip_s=1.0, drip_spread=spread
        )
        try:
            with drive.holding(load) as hold:
                bench.say(
                    f"slowloris: {hold.announced.get('held')} half-open clients attached in "
                    f"{hold.announced.get('connect_s')} s (drips {how})"
                )
                try:
                    loaded: Result | None = bench.open(target, server)
                except BenchError as exc:
                    bench.runs.missing(
                        f"{prefix}_ratio",
                        f"with {clients} half-open clients attached the well-behaved client "
                        f"failed ({exc})",
                    )
                    loaded = None
                released = hold.release()
        except BenchError as exc:
            bench.runs.missing(f"{prefix}_ratio", str(exc))
            continue
        if spread:
            bench.runs.add("slowloris.attached_at_end", released.still_open)
        if loaded is not None:
            bench.runs.add(f"{prefix}_ms", loaded.p99_ms)
            bench.runs.add(f"{prefix}_ratio", _ratio(loaded.p99_ms, unloaded.p99_ms))
            bench.say(
                f"slowloris (drips {how}): p99 {loaded.p99_ms} ms loaded vs {unloaded.p99_ms} ms "
                f"unloaded; {released.still_open} of {clients} half-open clients still attached"
            )
