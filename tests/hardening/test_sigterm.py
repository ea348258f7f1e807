"""`scada-emu run` as a user runs it, under full load: secrets never reach a log, the state
directory is private, and SIGTERM exits 0 within the grace period with no traceback."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

from emulator.ports import ProcessType
from emulator.protocol.auth import server_login
from emulator.protocol.framing import encode
from emulator.runtime.limits import configured
from tests.hardening.helpers import TIMEOUT, Client, poll_until

GRACE = 1.0
PASSWORD = "Pa55-wrong-for-engineer"
TOKEN = "tok-3f9a0c-control-secret"
WRONG_TOKEN = "tok-guess-not-it"


def test_limits_are_options_of_run_and_bad_ones_exit_2() -> None:
    limits = configured(ctapi_connections=45, request_timeout=0, idle_timeout=30)
    assert limits.connections_for(ProcessType.CTAPI) == 45
    assert limits.connections_for(ProcessType.ALARM) == 256
    assert limits.request_timeout is None and limits.idle_timeout == 30
    assert configured().request_timeout == 10.0 and configured().idle_timeout is None
    for option, value in (("--max-connections", "0"), ("--request-timeout", "-1")):
        done = subprocess.run(
            [sys.executable, "-m", "emulator", "run", option, value, "--no-control"],
            capture_output=True, text=True, timeout=TIMEOUT * 2, check=False,
        )  # fmt: skip
        assert done.returncode == 2 and f"error: {option}" in done.stderr, done.stderr


async def _hammer(client: Client, stop: anyio.Event, counts: dict[str, int]) -> None:
    """Writes and reads, pipelined by two, until told to stop or the server goes away."""
    try:
        while not stop.is_set():
            await client.stream.send(
                encode({"id": 1, "op": "tag.write", "tag": "PUMP2_CMD", "value": "1"})
                + encode({"id": 2, "op": "tag.read", "tag": "PUMP2_CMD"})
            )
            await client.frame()
            await client.frame()
            counts["requests"] = counts.get("requests", 0) + 2
    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError, TimeoutError):
        counts["cut"] = counts.get("cut", 0) + 1


async def _flood(client: Client, stop: anyio.Event) -> None:
    """Sends without ever reading."""
    chunk = b"".join(encode({"id": n, "op": "tag.read", "tag": "PUMP1_SPEED"}) for n in range(500))
    try:
        while not stop.is_set():
            await client.stream.send(chunk)
    except (anyio.BrokenResourceError, OSError):
        return


async def test_sigterm_under_full_load_exits_0_in_grace_with_no_secret_logged(
    tmp_path: Path,
) -> None:
    ready, state = tmp_path / "ready.json", tmp_path / "state"
    command = [
        sys.executable, "-m", "emulator", "run", "--ephemeral", "--ready-file", str(ready),
        "--state-dir", str(state), "--control", "127.0.0.1:0", "--control-token", TOKEN,
        "--grace", str(GRACE), "--log-format", "json", "--log-level", "debug",
        "--max-connections", "30", "--request-timeout", "5",
    ]  # fmt: skip
    # Logs go to files, not pipes: a debug log under load would fill a pipe and stall the run.
    out_file, err_file = tmp_path / "stdout", tmp_path / "stderr"
    with out_file.open("w") as out_handle, err_file.open("w") as err_handle:
        proc = subprocess.Popen(command, stdout=out_handle, stderr=err_handle)  # noqa: ASYNC220
    try:
        await poll_until(lambda: ready.exists() or proc.poll() is not None, "ready", TIMEOUT * 2)
        assert proc.poll() is None, err_file.read_text()
        content: dict[str, Any] = json.loads(ready.read_text())
        ca = Path(content["ca_certificate"])
        rows = [r for r in content["listeners"] if r["computer"] == "SCADA-A"]
        stop, counts = anyio.Event(), dict[str, int]()
        async with anyio.create_task_group() as tg:
            for row in rows:
                client = await Client.connect(
                    row["address"], row["port"], ca=ca if row["tls"] else None,
                    hostname=row["computer"],
                )  # fmt: skip
                hello = await client.frame()
                assert hello["event"] == "hello"
                if row["type"] == "io":  # a server port: a wrong user, then the server password
                    bad = await client.request("auth", user="engineer", password=PASSWORD)
                    assert bad["error"]["name"] == "login_failed"
                    login = server_login(hello, content["server_password"])
                    assert (await client.request(**login))["server"] is True
                if row["type"] == "ctapi":
                    bad = await client.request("open", user="engineer", password=PASSWORD)
                    assert bad["error"]["name"] == "login_failed"
                    good = await client.request("open", user="engineer", password="control")
                    assert good["ok"]
                    tg.start_soon(_hammer, client, stop, counts)
                    flooder = await Client.connect(
                        row["address"], row["port"], ca=ca if row["tls"] else None,
                        hostname=row["computer"],
                    )  # fmt: skip
                    tg.start_soon(_flood, flooder, stop)
                for _ in range(5):  # half-open clients
                    await anyio.connect_tcp(row["address"], row["port"])
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=content["control"], timeout=TIMEOUT) as http:
                assert (await http.get("/health", headers=headers)).status_code in (200, 503)
                topology = (await http.get("/topology", headers=headers)).text
                assert "control" in topology and '"password"' in topology
                assert '"view"' not in topology  # the operator's password is masked
                wrong = await http.get(
                    "/health", headers={"Authorization": f"Bearer {WRONG_TOKEN}"}
                )
                assert wrong.status_code == 401
                events = (await http.get("/events", headers=headers)).text
            await poll_until(lambda: counts.get("requests", 0) > 200, "load is on")
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            await anyio.to_thread.run_sync(lambda: proc.wait(timeout=GRACE + TIMEOUT))
            stopped = time.monotonic() - started
            stop.set()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = out_file.read_text(), err_file.read_text()
    assert proc.returncode == 0, err[-3000:]
    assert stopped < GRACE + 2.0, stopped
    assert "Traceback" not in err
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert not [e for e in logged if e.get("level") in ("error", "critical")], err[-3000:]
    names = {e["event"] for e in logged}
    assert {"ctapi.login_failed", "supervisor.signal", "supervisor.stopped"} <= names
    for secret in (PASSWORD, TOKEN, WRONG_TOKEN, content["server_password"]):
        assert secret not in out and secret not in err and secret not in events, secret
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in state.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, path
        elif path.suffix in (".key", ".sqlite3") or ".sqlite3-" in path.name:
            assert mode & 0o077 == 0, path
