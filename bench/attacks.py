"""A good client's latency while one client attacks (issue 18 items 1 and 2), before and after.

    python -m bench.attacks [--before DIR] [--seconds S]

Starts the demo plant (`scada-emu run --ephemeral`) from this tree and, with --before, from
another checkout (the code before the change) in the same run; for each it measures a good
client unloaded, then while each attack runs in a process of its own:

- p99 of `tag.read` on a logged-in CtAPI session, one request at a time (`p99_ms`);
- a fresh connection that logs in, each time, to CtAPI or (under the alarm port's attack) to
  the alarm server (`login_ms` p99, `refused`: those that failed);
- the emulator's peak RSS after each attack (`peak_rss_mib`, a high-water mark);
- SIGTERM under the last attack (4 x 10 endless statements): seconds to exit (`sigterm_s`,
  grace 2 s).

Each attack has its own unloaded measure just before it (once the server answers pings at
once again), so a shared machine's load moves both sides alike: `p99_ratio` is attacked
over unloaded.

docs/reliability.md ("Work shared, slots kept") has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.protocol.auth import server_login

OPEN = b'{"id":0,"op":"open","user":"engineer","password":"control"}\n'
READ = b'{"id":1,"op":"tag.read","tag":"PUMP1_SPEED"}\n'
CTE = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM (SELECT x FROM c LIMIT 100000000)"
)
PRINTF = "SELECT length(printf('%.*c', 500000000, 'x'))"


def _sql(query: str, count: int) -> bytes:
    return b"".join(
        json.dumps({"id": n, "op": "sql", "query": query}).encode() + b"\n" for n in range(count)
    )


class Line:
    """A blocking line client: connect, read the hello, send, read frames."""

    def __init__(self, address: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((address, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.first = self.frame()

    def frame(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        value: dict[str, Any] = json.loads(line)
        return value

    def call(self, frame: bytes) -> dict[str, Any]:
        self.sock.sendall(frame)
        return self.frame()

    def close(self) -> None:
        self.sock.close()


# ---- attacks: each runs until killed, reconnecting whenever the server closes it ---------------


def _forever(connect: Callable[[], None]) -> None:
    while True:
        try:
            connect()
        except OSError:
            time.sleep(0.01)
        except (ConnectionError, ValueError):
            pass


def attack_odbc(target: dict[str, Any], query: str, per_write: int, connections: int) -> None:
    def one() -> None:
        client = Line(target["odbc"][0], target["odbc"][1], timeout=60)
        while True:
            client.sock.sendall(_sql(query, per_write))
            for _ in range(per_write):
                client.frame()

    if connections > 1:
        for _ in range(connections - 1):
            if os.fork() == 0:
                _forever(one)
    _forever(one)


def attack_trend(target: dict[str, Any]) -> None:
    """100,000-point trend.averaged requests, one after the other, reading every page."""
    query = {"op": "trend.averaged", "trend": "TANK1_LEVEL", "period": 1, "count": 100_000}

    def one() -> None:
        client = Line(target["trends"][0], target["trends"][1], timeout=60)
        while True:
            reply = client.call(json.dumps({"id": 1, **query}).encode() + b"\n")
            while "more" in reply:
                more = {"id": 2, "op": "more", "cursor": reply["more"]}
                reply = client.call(json.dumps(more).encode() + b"\n")

    _forever(one)


def attack_blank(target: dict[str, Any], pause: float) -> None:
    """One socket streaming newlines; once cut off, another after `pause` seconds."""
    chunk = b"\n" * 65536

    def one() -> None:
        sock = socket.create_connection(tuple(target["ctapi"]))
        try:
            while True:
                sock.sendall(chunk)
        finally:
            sock.close()
            time.sleep(pause)

    _forever(one)


def attack_hold(address: str, port: int, count: int) -> None:
    """`count` connections that each send one ping and stay; any closed is opened again."""
    held: list[socket.socket] = []
    while True:
        held = [s for s in held if _alive(s)]
        while len(held) < count:
            try:
                sock = socket.create_connection((address, port), timeout=5)
                sock.sendall(b'{"id":1,"op":"ping"}\n')
                held.append(sock)
            except OSError:
                break
        time.sleep(0.05)


def _alive(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        data = sock.recv(65536)
        if data and b"too_many_connections" not in data and b"timeout" not in data:
            return True
        sock.close()
        return False
    except BlockingIOError:
        return True
    except OSError:
        sock.close()
        return False
    finally:
        if sock.fileno() >= 0:
            sock.setblocking(True)


ATTACKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "odbc_cte": lambda t: attack_odbc(t, CTE, 1, 1),
    "odbc_printf": lambda t: attack_odbc(t, PRINTF, 1, 1),
    "odbc_10_per_write": lambda t: attack_odbc(t, CTE, 10, 1),
    "trend_100k_points": attack_trend,
    "blank_lines": lambda t: attack_blank(t, 1.0),
    "blank_lines_reconnecting": lambda t: attack_blank(t, 0.0),
    "ctapi_20_pings": lambda t: attack_hold(t["ctapi"][0], t["ctapi"][1], 20),
    "alarm_256_pings": lambda t: attack_hold(t["alarm"][0], t["alarm"][1], 256),
    # Last: SIGTERM is measured under it (the 8.5 s instead of the 2 s grace).
    "odbc_4x10": lambda t: attack_odbc(t, CTE, 10, 4),
}


# ---- the good client ----------------------------------------------------------------------------


def p50(values: list[float]) -> float | None:
    return round(sorted(values)[len(values) // 2] * 1000, 2) if values else None


def p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 2)


def good_client(target: dict[str, Any], seconds: float, port: str = "ctapi") -> dict[str, Any]:
    """tag.read latencies on a logged-in session, then fresh connections to `port` that log
    in (CtAPI `open`; on a server port its `auth` with the server password, or its first
    request where the code measured has no server login), `seconds` each."""
    reads: list[float] = []
    errors = 0
    try:
        client = Line(*target["ctapi"])
        assert client.call(OPEN)["ok"]
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            reply = client.call(READ)
            reads.append(time.perf_counter() - started)
            errors += not reply.get("ok")
        client.close()
    except (OSError, ConnectionError, AssertionError) as exc:
        errors += 1
        print(f"  good client's session failed: {exc!r}", file=sys.stderr)
    logins: list[float] = []
    refused = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        try:
            fresh = Line(target[port][0], target[port][1], timeout=5)
            login = OPEN if port == "ctapi" else server_port_login(fresh.first, target)
            ok = fresh.first.get("event") == "hello" and fresh.call(login).get("ok")
            fresh.close()
        except (OSError, ConnectionError):
            ok = False
        if ok:
            logins.append(time.perf_counter() - started)
        else:
            refused += 1
            time.sleep(0.01)
    return {
        "p50_ms": p50(reads),
        "p99_ms": p99(reads),
        "reads": len(reads),
        "read_errors": errors,
        "login_ms": p99(logins),
        "logins": len(logins),
        "refused": refused,
    }


def server_port_login(hello: dict[str, Any], target: dict[str, Any]) -> bytes:
    """A server port's login frame: `auth` with the run's server password (its ready file),
    else, for code without server logins, a first request of the process's own."""
    fields = server_login(hello, str(target.get("server_password", "")))
    return (
        json.dumps({"id": 0, **fields}).encode() + b"\n"
        if fields
        else b'{"id":0,"op":"alarm.list"}\n'
    )


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), MiB; None once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def settle(target: dict[str, Any], within: float = 60.0) -> None:
    """Wait until the server answers pings at once again: the last attack's work is done."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            client = Line(*target["alarm"])
            fast = 0
            for _ in range(50):
                started = time.perf_counter()
                client.call(b'{"id":1,"op":"ping"}\n')
                fast = fast + 1 if time.perf_counter() - started < 0.005 else 0
                if fast == 10:
                    client.close()
                    return
            client.close()
        except (OSError, ConnectionError):
            time.sleep(0.1)


# ---- one tree: start, measure, stop --------------------------------------------------------------


def start(tree: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = workdir / "ready.json"
    ready.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "emulator", "run", "--ephemeral", "--no-control"]
    argv += ["--ready-file", str(ready), "--log-level", "error"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    log = (workdir / "emulator.log").open("wb")
    # cwd too: `-m` looks in the working directory before PYTHONPATH.
    process = subprocess.Popen(argv, cwd=tree, env=env, stdout=log, stderr=log)  # noqa: S603
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the emulator of {tree} did not start: {workdir / 'emulator.log'}")
        time.sleep(0.05)
    announced = json.loads(ready.read_text())
    rows = announced["listeners"]
    target: dict[str, Any] = {"server_password": announced.get("server_password", "")}
    for kind in ("ctapi", "odbc", "alarm", "trends"):
        row = next(
            r for r in rows if r["type"] == kind and not r["tls"] and r["computer"] == "SCADA-A"
        )
        target[kind] = (row["address"], row["port"])
    return process, target


def measure(tree: Path, seconds: float, only: list[str]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="scada-attacks-"))
    process, target = start(tree, workdir)
    results: dict[str, Any] = {}
    try:
        good_client(target, 0.5)  # warm up
        attacks = [name for name in ATTACKS if name in only]
        for name in attacks:
            settle(target)
            port = "alarm" if name.startswith("alarm") else "ctapi"
            unloaded = good_client(target, seconds, port)
            attacker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "bench.attacks", "--attack", name, json.dumps(target)],
                start_new_session=True,
            )
            try:
                time.sleep(2.0)  # let the attack take hold
                attacked = good_client(target, seconds, port)
                rss = peak_rss_mib(process.pid)
                if name == attacks[-1]:
                    started = time.monotonic()
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=60)
                    results["sigterm_s"] = round(time.monotonic() - started, 2)
            finally:
                os.killpg(attacker.pid, signal.SIGKILL)
                attacker.wait()
            ratio = None
            if unloaded["p99_ms"] and attacked["p99_ms"]:
                ratio = round(attacked["p99_ms"] / unloaded["p99_ms"], 2)
            results[name] = {
                "unloaded": unloaded,
                "attacked": attacked,
                "p99_ratio": ratio,
                "peak_rss_mib": rss,
            }
            print(f"  {name}: {results[name]}", file=sys.stderr)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.attacks", description=__doc__)
    parser.add_argument("--before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--seconds", type=float, default=3.0, help="per measure (default 3)")
    parser.add_argument("--only", nargs="*", choices=sorted(ATTACKS), default=list(ATTACKS))
    parser.add_argument("--attack", help=argparse.SUPPRESS)
    parser.add_argument("target", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        ATTACKS[args.attack](json.loads(args.target))
        return
    trees = {"after": Path(__file__).resolve().parents[1]}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    out = {}
    for label, tree in trees.items():
        print(f"{label}: {tree}", file=sys.stderr)
        out[label] = measure(tree, args.seconds, args.only)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
