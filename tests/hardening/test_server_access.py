"""The server ports trust nobody by default (issue 18.4, docs/security.md "Server ports"): before
`auth` they answer `ping` and nothing else; the server password proves a server, a user logs
in with their privileges, and a read-only user never writes, acknowledges or runs a report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from emulator.control.api import build_app
from emulator.control.manager import RuntimeManager
from emulator.processes.access import ACTIONS, GUARDED
from emulator.processes.alarm import REQUESTS as ALARM_REQUESTS
from emulator.processes.io import REQUESTS as IO_REQUESTS
from emulator.processes.reports import REQUESTS as REPORT_REQUESTS
from emulator.protocol import auth
from emulator.runtime.limits import Limits
from emulator.runtime.logins import LoginPolicy
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_text
from tests.hardening.helpers import Client, connect, demo, kinds, logged
from tests.runtime.helpers import computers_toml

#: What a client may try on each guarded port without a login: every request it serves.
FIELDS: dict[str, Any] = {
    "tag": "PUMP1_FAULT_ALM",
    "tags": ["PUMP1_SPEED"],
    "value": "1",
    "report": "DAILY",
    "trend": "TANK1_LEVEL",
    "area": -1,
}


async def _hello(sup: Supervisor, kind: str) -> tuple[Client, dict[str, Any]]:
    client = await connect(sup, kinds(sup)[kind], hello=False)
    return client, await client.frame()


async def _refused(
    client: Client, kind: str, tries: list[tuple[str, dict[str, Any]]], error: str, says: str
) -> None:
    """Every request of `tries` gets `error`, its message saying `says`; then close."""
    for op, fields in tries:
        reply = await client.request(op, **fields)
        assert reply["error"]["name"] == error, (kind, op, reply)
        assert says in reply["error"]["message"]
    await client.aclose()


def test_every_action_named_is_a_request_of_its_process() -> None:
    served: dict[str, set[str]] = {
        "io": set(IO_REQUESTS.ops),
        "alarm": set(ALARM_REQUESTS.ops),
        "reports": set(REPORT_REQUESTS.ops),
    }
    for kind, ops in ACTIONS.items():
        assert ops <= served[str(kind)], kind


async def test_server_ports_answer_only_ping_and_auth_before_a_login(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        guarded = [k for k in kinds(sup) if k in {str(t) for t in GUARDED}]
        assert sorted(guarded) == sorted(str(t) for t in GUARDED)
        before = sup.context.plant.read("PUMP1_SPEED").value
        for kind in guarded:
            client, hello = await _hello(sup, kind)
            assert hello["auth"] == "required" and len(hello["challenge"]) == 32, hello
            assert hello["requests"][:2] == ["ping", "auth"]
            assert (await client.request("ping"))["ok"]
            tries = [(op, FIELDS) for op in hello["requests"][2:]]
            await _refused(client, kind, tries, "not_connected", "auth")
        assert sup.context.plant.read("PUMP1_SPEED").value == before
        alarm = sup.process("ALARM1").process
        assert not any(e.kind == "ack" for e in alarm.alarms.events())  # type: ignore[union-attr]


async def test_the_server_password_proves_a_server_and_a_replayed_proof_does_not(
    state_dir: Path,
) -> None:
    async with demo(state_dir) as sup:
        password = sup.context.server_password
        first, hello = await _hello(sup, "io")
        good = auth.server_login(hello, password)
        reply = await first.request(**good)
        assert reply["ok"] and reply["server"] is True and reply["user"] is None
        assert (await first.request("io.write", tag="PUMP1_SPEED", value="777"))["ok"]
        assert (await first.request(**good))["error"]["name"] == "already_open"
        # the same proof on another connection (another challenge) proves nothing
        second, _ = await _hello(sup, "io")
        replayed = await second.request(**good)
        assert replayed["error"]["name"] == "login_failed"
        wrong = auth.server_login(hello, password + "x")
        assert (await second.request(**wrong))["error"]["name"] == "login_failed"
        assert (await second.request("io.read", tags=["PUMP1_SPEED"]))["error"][
            "name"
        ] == "not_connected"
        for client in (first, second):
            await client.aclose()


async def test_a_read_only_user_reads_but_never_writes_acknowledges_or_runs_a_report(
    state_dir: Path,
) -> None:
    """Issue 18.4: a read-only CtAPI user wrote tags through 2082, acknowledged, disabled and
    enabled alarms through 2080 and ran reports through 2084."""
    sup_attempts: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "io": [("io.write", {"tag": "PUMP1_SPEED", "value": "1"})],
        "alarm": [
            ("alarm.ack", {"area": -1}),
            ("alarm.disable", {"tag": "PUMP1_FAULT_ALM"}),
            ("alarm.enable", {"tag": "PUMP1_FAULT_ALM"}),
        ],
        "reports": [("report.run", {"report": "DAILY"})],
    }
    reads: dict[str, tuple[str, dict[str, Any]]] = {
        "io": ("io.read", {"tags": ["PUMP1_SPEED"]}),
        "alarm": ("alarm.list", {}),
        "reports": ("report.list", {}),
    }
    async with demo(state_dir) as sup:
        before = sup.context.plant.read("PUMP1_SPEED").value
        for kind, attempts in sup_attempts.items():
            client, _ = await _hello(sup, kind)
            reply = await client.request("auth", user="operator", password="view")
            assert reply["ok"] and reply["read_only"] is True and reply["user"] == "operator"
            op, fields = reads[kind]
            assert (await client.request(op, **fields))["ok"], (kind, op)
            await _refused(client, kind, attempts, "access_denied", "read-only")
        assert sup.context.plant.read("PUMP1_SPEED").value == before
        reports = sup.process("REPORT1").process
        assert not reports.reports.runs()  # type: ignore[union-attr]


async def test_a_user_acts_under_their_own_name(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        client, _ = await _hello(sup, "reports")
        assert (await client.request("auth", user="ENGINEER", password="control"))["ok"]
        reply = await client.request("report.run", report="DAILY", user="someone-else")
        assert reply["error"]["name"] == "access_denied"
        run = (await client.request("report.run", report="DAILY"))["run"]
        assert run["user"] == "engineer"
        await client.aclose()


async def test_failed_server_logins_are_throttled_per_account(state_dir: Path) -> None:
    """Guessing the server password from two sources: the answers take turns."""
    policy = LoginPolicy(free=1, delay=0.4, maximum=0.4)
    async with demo(state_dir, limits=Limits(logins=policy)) as sup:
        first, hello = await _hello(sup, "alarm")
        for _ in range(2):
            guess = auth.server_login(hello, "guess")
            assert (await first.request(**guess))["error"]["name"] == "login_failed"
        other = await connect(sup, kinds(sup)["io"], hello=False, local_host="127.0.0.3")
        hello = await other.frame()
        started = time.monotonic()
        reply = await other.request(**auth.server_login(hello, "guess"))
        assert reply["error"]["name"] == "login_failed"
        assert time.monotonic() - started >= policy.delay - 0.02
        assert sup.logins.account_failures(auth.SERVER_ACCOUNT, time.monotonic()) == 3
        # while the server password is being guessed, the right one answers at once
        right, hello = await _hello(sup, "io")
        started = time.monotonic()
        assert (await right.request(**auth.server_login(hello, sup.context.server_password)))["ok"]
        assert time.monotonic() - started < policy.delay / 2
        for client in (first, other, right):
            await client.aclose()


ENCRYPTED = (
    computers_toml(("SAFE", "127.0.81.3", "encrypted"))
    + """
[[clusters]]
name = "C1"
[[server_processes]]
name = "IO1"
type = "io"
network_address = "SAFE_NET"
[[server_processes]]
name = "ALARM1"
type = "alarm"
network_address = "SAFE_NET"
[[users]]
name = "engineer"
password = "control"
[[tags]]
name = "SPEED"
type = "int"
"""
)


async def test_an_encrypted_only_computer_speaks_tls_on_every_server_port(
    state_dir: Path,
) -> None:
    """Issue 18.4: the server ports of an encrypted-only computer took plaintext."""
    loaded = load_text(ENCRYPTED, "<encrypted>")
    async with Supervisor(loaded, ephemeral=True, state_dir=state_dir) as sup:
        ports = [item for item in sup.listeners if item.endpoint.type in GUARDED]
        assert {str(i.endpoint.type) for i in ports} == {
            "io",
            "alarm",
            "system_services",
            "time_sync",
        }
        for item in ports:
            assert item.endpoint.tls, item.endpoint
            plain = await Client.connect(item.endpoint.address, item.port)
            await plain.send({"id": 1, "op": "ping"})
            refused = await plain.frame()
            assert refused["error"]["name"] == "encryption_required", refused
            assert "TLS" in refused["error"]["message"]
            assert await plain.rest() == b""
            client = await connect(sup, item)  # TLS with the emulator CA, then auth
            assert (await client.request("ping"))["ok"]
            await client.aclose()
        db = next(i for i in sup.listeners if i.endpoint.type == "alarm_db")
        assert not db.endpoint.tls  # loopback to its own computer only


async def test_a_configured_server_password_is_used_and_never_shown(state_dir: Path) -> None:
    text = ENCRYPTED.replace("[[users]]", '[project]\nserver_password = "s3rv3r-secret"\n[[users]]')
    loaded = load_text(text, "<password>")
    async with Supervisor(loaded, ephemeral=True, state_dir=state_dir) as sup:
        assert sup.context.server_password == "s3rv3r-secret"
        app = build_app(RuntimeManager(sup))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api:
            body = (await api.get("/topology")).json()
        assert body["project"]["server_password"] == "***"
        io = next(i for i in sup.listeners if i.endpoint.process == "IO1")
        client = await connect(sup, io, hello=False)
        hello = await client.frame()
        with logged() as events:
            assert (await client.request(**auth.server_login(hello, "s3rv3r-secret")))["ok"]
        assert "s3rv3r-secret" not in repr(events)
        await client.aclose()
