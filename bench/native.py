"""The native CtAPI library (native/, docs/native.md) against the Python client, same run.

- ctTagRead round trip: sequential reads of one tag on one plain connection, through
  libctapi.so from C (bench/ctapi_driver.c) and through emulator.client's blocking CtApiClient
  (`python -m bench.native read`), interleaved repetitions. Also through ctypes, for the cost
  of Python's foreign call on top.
- ctListRead: a list of 1,000 tags (a generated plant), ctListRead then ctListData of every
  tag, in tag values per second: once with values that stand still, once with every tag
  driven by a sine (each read finds new values).
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import servers
from bench.servers import BenchError
from emulator.client import CtApiClient

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "native" / "build" / "libctapi.so"
DRIVER_SOURCE = Path(__file__).with_name("ctapi_driver.c")
TAG = "PUMP1_SPEED"
LIST_TAGS = 1000
LIST_PREFIX = "T"
#: Plant seconds between generator updates in the changing list plant: 100 a second.
CHANGING_TICK_S = 0.01
#: The demo plant's engineer (docs/demo.md), as the C driver logs in.
USER, PASSWORD = "engineer", "control"

#: One computer, one I/O server, LIST_TAGS integer tags T0000..T0999 and the benchmark's user.
_LIST_PLANT_HEAD = """[[computers]]
name = "LISTS-PC"
ctapi = "mixed"

[[network_addresses]]
name = "LISTS"
computer = "LISTS-PC"
address = "127.0.12.1"

[[clusters]]
name = "C1"

[[server_processes]]
name = "IO1"
type = "io"
cluster = "C1"
network_address = "LISTS"

[[users]]
name = "engineer"
password = "control"
"""


def list_plant(path: Path, tags: int = LIST_TAGS, *, changing: bool = False) -> Path:
    """The list plant; `changing`: every tag driven by a sine updated every CHANGING_TICK_S,
    so that a read mostly finds new values (nothing of the last read can stand)."""
    rows = [_LIST_PLANT_HEAD]
    if changing:
        rows.append(f"[scenario]\ntick = {CHANGING_TICK_S}\n")
    for i in range(tags):
        name = f"{LIST_PREFIX}{i:04d}"
        kind = "real" if changing else "int"
        rows.append(f'[[tags]]\nname = "{name}"\ntype = "{kind}"\ninitial = {i}\n')
        if changing:
            rows.append(
                f'[[generators]]\ntag = "{name}"\nkind = "sine"\noffset = {i}.0\n'
                'amplitude = 1.0\nperiod = "10s"\n'
            )
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def build_driver(workdir: Path) -> Path:
    """bench/ctapi_driver.c, compiled against native/ (`make bench` runs `make native` first)."""
    if not LIBRARY.exists():
        raise BenchError("native/build/libctapi.so is missing: run `make native`")
    program = workdir / "ctapi_driver"
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise BenchError("no C compiler (build-essential)")
    subprocess.run(  # noqa: S603 - the system compiler on our own source
        [
            compiler,
            "-std=c11",
            "-O2",
            f"-I{ROOT / 'native' / 'include'}",
            str(DRIVER_SOURCE),
            f"-L{LIBRARY.parent}",
            "-lctapi",
            f"-Wl,-rpath,{LIBRARY.parent}",
            "-o",
            str(program),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return program


def _run(argv: list[str], ready: Path, cpu: int | None, niceness: int) -> dict[str, Any]:
    env = {"SCADA_EMU_READY_FILE": str(ready), "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(  # noqa: S603 - our own programs
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=servers._placed(cpu, niceness),
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(f"{argv[0]} {argv[1:3]}: {done.stdout[-400:]} {done.stderr[-400:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if "error" in result:
        raise BenchError(f"{argv[0]}: {result['error']}")
    return result


def python_read(ready: str, tag: str, seconds: float) -> dict[str, Any]:
    """Sequential tag_read round trips of emulator.client's blocking client, plain port."""
    client = CtApiClient(None, user=USER, password=PASSWORD, ready=ready, encryption="unencrypted")
    try:
        return _timed(lambda: client.tag_read(tag), seconds)
    finally:
        client.close()


def ctypes_read(tag: str, seconds: float) -> dict[str, Any]:
    """The same round trips through libctapi.so from Python (ctypes.CDLL)."""
    dll = ctypes.CDLL(str(LIBRARY))
    dll.ctOpen.restype = ctypes.c_void_p
    dll.ctOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32]
    dll.ctTagRead.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint32]
    dll.ctClose.argtypes = [ctypes.c_void_p]
    handle = dll.ctOpen(None, b"engineer", b"control", 0)
    if not handle:
        raise BenchError("ctOpen through ctypes failed")
    buffer = ctypes.create_string_buffer(256)
    name = tag.encode()
    try:
        return _timed(lambda: dll.ctTagRead(handle, name, buffer, 256) or None, seconds)
    finally:
        dll.ctClose(handle)


def _timed(read: Any, seconds: float) -> dict[str, Any]:
    for _ in range(200):
        read()
    samples = []
    start = t = time.perf_counter()
    end = start + seconds
    while t < end:
        read()
        t2 = time.perf_counter()
        samples.append((t2 - t) * 1e6)
        t = t2
    elapsed = t - start
    samples.sort()
    return {
        "reads": len(samples),
        "seconds": elapsed,
        "mean_us": elapsed * 1e6 / len(samples),
        "p50_us": samples[len(samples) // 2],
        "p99_us": samples[len(samples) * 99 // 100],
    }


def measure(bench: Any) -> None:
    """Both measures, recorded in bench.runs (bench.measures.Bench)."""
    try:
        driver = build_driver(bench.workdir)
    except (BenchError, OSError, subprocess.CalledProcessError) as exc:
        for key in (
            "native.ratio_vs_python",
            "native.list_values_per_s",
            "native.list_changing_values_per_s",
        ):
            bench.runs.missing(key, f"the native driver could not be built: {exc}")
        return
    seconds = bench.profile.duration_s
    cpu, nice = bench.generator_cpu, bench.niceness
    me = [sys.executable, "-m", "bench.native"]
    try:
        with bench.running("emulator-native"):
            ready = bench.workdir / "emulator-native.ready.json"
            for _ in range(bench.profile.reps):
                native = _run([str(driver), "read", TAG, str(seconds)], ready, cpu, nice)
                python = _run([*me, "read", str(ready), TAG, str(seconds)], ready, cpu, nice)
                via_ctypes = _run([*me, "ctypes", str(ready), TAG, str(seconds)], ready, cpu, nice)
                bench.runs.add("native.tag_read_us", round(native["p50_us"], 2))
                bench.runs.add("native.python_tag_read_us", round(python["p50_us"], 2))
                bench.runs.add("native.ctypes_tag_read_us", round(via_ctypes["p50_us"], 2))
                bench.runs.add(
                    "native.ratio_vs_python", round(native["p50_us"] / python["p50_us"], 3)
                )
    except BenchError as exc:
        bench.runs.missing("native.ratio_vs_python", str(exc))
        bench.say(f"native: {exc}")
    for name, changing in (("list_values_per_s", False), ("list_changing_values_per_s", True)):
        _measure_list(bench, driver, f"native.{name}", changing=changing)
    r = bench.runs
    values = r.median("native.list_values_per_s")
    changing = r.median("native.list_changing_values_per_s")
    listed = f"{values:,.0f} values/s" if values is not None else "not measured"
    listed += f" ({changing:,.0f} with every value changing)" if changing is not None else ""
    bench.say(
        f"native: ctTagRead p50 {r.median('native.tag_read_us')} us (C), "
        f"{r.median('native.ctypes_tag_read_us')} us (ctypes), Python client "
        f"{r.median('native.python_tag_read_us')} us; ctListRead of {LIST_TAGS} tags "
        f"{listed}"
    )


def _measure_list(bench: Any, driver: Path, key: str, *, changing: bool) -> None:
    """ctListRead + ctListData of every tag of the list plant, in values per second."""
    seconds = bench.profile.duration_s
    cpu, nice = bench.generator_cpu, bench.niceness
    stem = "emulator-lists-changing" if changing else "emulator-lists"
    plant = list_plant(bench.workdir / f"{stem}.toml", changing=changing)
    try:
        emulator = bench.emulator(stem, plant)
    except BenchError as exc:
        bench.runs.missing(key, str(exc))
        return
    try:
        ready = bench.workdir / f"{stem}.ready.json"
        for _ in range(bench.profile.reps):
            argv = [str(driver), "list", LIST_PREFIX, str(LIST_TAGS), str(seconds)]
            bench.runs.add(key, round(_run(argv, ready, cpu, nice)["values_per_s"]))
    except BenchError as exc:
        bench.runs.missing(key, str(exc))
    finally:
        emulator.server.stop()


def main(argv: list[str]) -> int:
    """`python -m bench.native read|ctypes READY TAG SECONDS`: one JSON line."""
    if len(argv) != 4 or argv[0] not in ("read", "ctypes"):
        print("usage: python -m bench.native read|ctypes READY TAG SECONDS", file=sys.stderr)
        return 2
    kind, ready, tag, seconds = argv[0], argv[1], argv[2], float(argv[3])
    result = python_read(ready, tag, seconds) if kind == "read" else ctypes_read(tag, seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
