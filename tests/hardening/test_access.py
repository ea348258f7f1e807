"""Nobody gets in who should not (docs/security.md, "Nobody gets in"): open before anything,
one answer for every bad login, failed logins slowed down per peer host, read-only sessions
that never write, TLS only and TLS 1.2 at least on 3073, no secret in a log, private files."""

from __future__ import annotations

import io
import itertools
import ssl
import stat
import time
import warnings
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from anyio.abc import SocketAttribute
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.control.manager import ControlError
from emulator.control.server import check_bind
from emulator.logs import configure
from emulator.plant.storage import Store
from emulator.protocol.ctapi_flags import CT_OPEN_READ_ONLY
from emulator.protocol.framing import encode
from emulator.runtime.certs import CertificateAuthority
from emulator.runtime.limits import Limits
from emulator.runtime.logins import LoginPolicy, LoginThrottle
from emulator.runtime.supervisor import Supervisor
from emulator.topology.load import load_demo, load_text
from emulator.topology.plan import is_loopback, plan
from tests.hardening.helpers import TIMEOUT, Client, connect, demo, kinds, logged

WRONG = "hunter2-not-the-password"


async def test_nothing_but_open_before_a_successful_open_on_both_ports(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        for kind in ("ctapi", "ctapi-tls"):
            client = await connect(sup, kinds(sup)[kind])
            hello = await client.request("ping")
            assert hello["ok"]
            ops = [op for op in (await _hello(sup, kind))["requests"] if op not in ("ping", "open")]
            assert len(ops) > 15
            for op in ops:
                reply = await client.request(op, tag="PUMP1_SPEED", value="1", list=1, handle=1)
                assert reply["error"]["name"] == "not_connected", (kind, op, reply)
            assert (await client.request("open", user="engineer", password=WRONG))["ok"] is False
            assert (await client.request("tag.read", tag="PUMP1_SPEED"))["error"][
                "name"
            ] == "not_connected"
            assert (await client.request("open", user="engineer", password="control"))["ok"]
            assert (await client.request("tag.read", tag="PUMP1_SPEED"))["ok"]
            await client.aclose()


async def _hello(sup: Supervisor, kind: str) -> dict[str, Any]:
    client = await connect(sup, kinds(sup)[kind], hello=False)
    frame = await client.frame()
    await client.aclose()
    return frame


async def test_a_bad_login_gets_one_answer_whether_or_not_the_user_exists(
    state_dir: Path,
) -> None:
    async with demo(state_dir) as sup:
        client = await connect(sup, kinds(sup)["ctapi"])
        answers = []
        with logged() as events:
            for user, password in (
                ("engineer", WRONG),
                ("nobody-at-all", WRONG),
                ("engineer", ""),
                ("ENGINEER", "CONTROL"),
                ("engineer", "control "),
            ):
                reply = await client.request("open", user=user, password=password)
                assert reply["ok"] is False
                answers.append(reply["error"])
        assert all(a == answers[0] for a in answers)
        assert answers[0]["name"] == "login_failed"
        assert answers[0]["code"] == 0x10000000 + 274
        failed = [e for e in events if e["event"] == "ctapi.login_failed"]
        assert len(failed) == 5
        assert WRONG not in repr(events) and "CONTROL" not in repr(events)
        await client.aclose()


async def test_repeated_failed_logins_from_one_host_are_slowed_down(state_dir: Path) -> None:
    """Lower bounds only: a loaded machine can make a reply late, never early."""
    policy = LoginPolicy(free=2, delay=0.2, maximum=0.8)
    async with demo(state_dir, limits=Limits(logins=policy)) as sup:
        attacker = await connect(sup, kinds(sup)["ctapi"])
        spent = []
        for _ in range(4):
            started = time.monotonic()
            assert not (await attacker.request("open", user="engineer", password=WRONG))["ok"]
            spent.append(time.monotonic() - started)
        # The third failure pushed the fourth answer out by 0.2 s, the fourth the next by 0.4 s:
        # a wrong password on another connection and the other port waits its turn.
        assert spent[3] >= 0.2 - 0.02, spent
        started = time.monotonic()
        other = await connect(sup, kinds(sup)["ctapi-tls"])
        assert not (await other.request("open", user="operator", password=WRONG))["ok"]
        assert time.monotonic() - started >= 0.4 - 0.02
        logins = sup.process("CtAPI", "SCADA-A").logins
        assert logins is sup.logins  # one record for the runtime: every port, every process
        host = attacker.stream.extra(SocketAttribute.local_address)[0]
        assert logins.failures(host, time.monotonic()) == 5
        assert logins.account_failures("ENGINEER", time.monotonic()) == 4
        assert logins.failures("127.0.0.99", time.monotonic()) == 0
        await attacker.aclose()
        await other.aclose()


async def test_the_right_password_is_never_held_by_someone_elses_failures(
    state_dir: Path,
) -> None:
    """Issue 18.4: 12 failed logins held a correct login from the same host for 47 s."""
    policy = LoginPolicy(free=1, delay=1.0, maximum=1.0)
    async with demo(state_dir, limits=Limits(logins=policy)) as sup:
        attacker = await connect(sup, kinds(sup)["ctapi"])
        for _ in range(3):
            assert not (await attacker.request("open", user="engineer", password=WRONG))["ok"]
        with logged() as events:
            started = time.monotonic()
            right = await connect(sup, kinds(sup)["ctapi-tls"])
            assert (await right.request("open", user="engineer", password="control"))["ok"]
            spent = time.monotonic() - started
        assert not [e for e in events if e["event"] == "connection.login_delayed"], events
        assert spent < policy.delay / 2, spent  # the next failure would wait >= 1 s
        await attacker.aclose()
        await right.aclose()


async def test_rotating_source_addresses_does_not_guess_faster(state_dir: Path) -> None:
    """Issue 18.4: 894 guesses a second from rotated loopback sources. Failures of one account
    are answered in turn whatever their source (here 127.0.0.1 and 127.0.0.2)."""
    policy = LoginPolicy(free=1, delay=0.5, maximum=0.5)
    async with demo(state_dir, limits=Limits(logins=policy)) as sup:
        first = await connect(sup, kinds(sup)["ctapi"])
        for _ in range(2):
            assert not (await first.request("open", user="engineer", password=WRONG))["ok"]
        other = await connect(sup, kinds(sup)["ctapi"], local_host="127.0.0.2")
        started = time.monotonic()
        assert not (await other.request("open", user="Engineer", password=WRONG))["ok"]
        assert time.monotonic() - started >= policy.delay - 0.02
        assert sup.logins.failures("127.0.0.2", time.monotonic()) == 1
        await first.aclose()
        await other.aclose()


async def test_pipelined_guesses_are_checked_one_answer_at_a_time(state_dir: Path) -> None:
    """Many `open` frames in one write: the next is not checked before the last is answered,
    so pipelining goes no faster than asking one by one."""
    policy = LoginPolicy(free=0, delay=0.3, maximum=0.3)
    async with demo(state_dir, limits=Limits(logins=policy)) as sup:
        client = await connect(sup, kinds(sup)["ctapi"])
        guesses = [
            {"id": n, "op": "open", "user": "engineer", "password": f"x{n}"} for n in range(4)
        ]
        await client.stream.send(b"".join(encode(g) for g in guesses))
        replies, times = [], []
        for _ in guesses:
            replies.append(await client.frame())
            times.append(time.monotonic())
        assert [r["id"] for r in replies] == [0, 1, 2, 3]
        assert all(r["error"]["name"] == "login_failed" for r in replies)
        # each answer goes out on its own, 0.3 s after the one before (not all at the end)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= policy.delay - 0.05, gaps
        await client.aclose()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
            st.sampled_from(["engineer", "operator"]),
            st.booleans(),
            st.floats(0, 5),
        ),
        max_size=30,
    )
)
def test_the_throttle_answers_each_host_and_account_in_turn(
    logins: list[tuple[str, str, bool, float]],
) -> None:
    policy = LoginPolicy(free=2, delay=0.5, maximum=4.0, forget=60.0)
    throttle = LoginThrottle(policy)
    now = 0.0
    last_answer: dict[str, float] = {}
    last_failure: dict[str, float] = {}
    failures = 0
    for host, account, failed, step in logins:
        now += step
        before = throttle.failures(host, now), throttle.account_failures(account, now)
        wait = throttle.answer(host, account, now, failed=failed)
        if not failed:
            assert wait == 0  # the right password is never held
            continue
        failures += 1
        assert 0 <= wait <= policy.maximum * failures
        earlier = [
            last_answer[key]
            for key in (host, account)
            if key in last_failure and now - last_failure[key] < policy.forget
        ]
        assert now + wait >= max([now, *earlier])  # never before an earlier answer
        if max(before) < policy.free:
            # the first free failures cost nothing but waiting for the answers before them
            assert now + wait == pytest.approx(max([now, *earlier]))
        for key in (host, account):
            last_answer[key] = now + wait
            last_failure[key] = now
        assert throttle.failures(host, now) == before[0] + 1
        assert throttle.account_failures(account, now) == before[1] + 1


def test_the_throttle_remembers_a_bounded_number_of_hosts() -> None:
    throttle = LoginThrottle(LoginPolicy(free=0, hosts=100))
    for number in range(1000):
        host = f"10.0.{number // 250}.{number % 250}"
        throttle.answer(host, f"user{number}", float(number), failed=True)
    assert throttle.remembered() == (100, 100)
    assert throttle.failures("10.0.3.249", 1000.0) == 1  # the newest stay
    assert throttle.failures("10.0.0.0", 1000.0) == 0  # the oldest went
    assert throttle.account_failures("USER999", 1000.0) == 1
    assert throttle.account_failures("user0", 1000.0) == 0


def test_the_delay_grows_and_is_capped() -> None:
    policy = LoginPolicy(free=3, delay=0.5, maximum=8.0)
    assert [policy.delay_after(n) for n in range(1, 10)] == [
        0.0, 0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0,
    ]  # fmt: skip
    assert policy.delay_after(10**6) == 8.0


@pytest.mark.parametrize(
    ("user", "password", "mode"),
    [("operator", "view", 0), ("engineer", "control", int(CT_OPEN_READ_ONLY))],
)
async def test_read_only_never_writes_nor_runs_cicode_on_any_path_or_port(
    state_dir: Path, user: str, password: str, mode: int
) -> None:
    async with demo(state_dir) as sup:
        for kind in ("ctapi", "ctapi-tls"):
            client = await connect(sup, kinds(sup)[kind])
            assert (await client.request("open", user=user, password=password, mode=mode))[
                "read_only"
            ]
            before = (await client.request("tag.read", tag="PUMP1_CMD"))["value"]
            attempts: list[dict[str, Any]] = [
                {"op": "tag.write", "tag": "PUMP1_CMD", "value": "0"},
                {"op": "cicode", "command": 'TagWrite("PUMP1_CMD", 0)'},
                {"op": "cicode", "command": "PUMP1_CMD = 0"},
                {"op": "cicode", "command": "Version(3)"},
                {"op": "cicode", "command": 'AlarmAckTag("PUMP1_FAULT")'},
            ]
            list_id = (await client.request("list.new"))["list"]
            handle = (await client.request("list.add", list=list_id, tag="PUMP1_CMD"))["handle"]
            attempts.append({"op": "list.write", "handle": handle, "value": "0"})
            for attempt in attempts:
                reply = await client.request(**attempt)
                assert reply["error"]["name"] == "access_denied", (kind, attempt, reply)
            assert (await client.request("tag.read", tag="PUMP1_CMD"))["value"] == before
            await client.aclose()


async def test_encrypted_mode_has_no_plaintext_ctapi_port(state_dir: Path) -> None:
    text = """
[[computers]]
name = "SAFE"
ctapi = "encrypted"
[[network_addresses]]
name = "SAFE_NET"
computer = "SAFE"
address = "127.0.81.2"
"""
    loaded = load_text(text, "<encrypted>")
    limits = Limits(handshake_timeout=0.3)
    async with Supervisor(loaded, ephemeral=True, state_dir=state_dir, limits=limits) as sup:
        ctapi = [item for item in sup.listeners if item.endpoint.type == "ctapi"]
        assert ctapi and all(item.endpoint.tls for item in ctapi)
        for item in ctapi:
            for data in (b'{"id":1,"op":"open","user":"engineer","password":"x"}\n', b"\n"):
                raw = await Client.connect(item.endpoint.address, item.port)
                await raw.stream.send(data)
                assert await raw.rest() == b""
        with pytest.raises(OSError):
            await anyio.connect_tcp("127.0.81.2", 2073)


def _old_tls_context(ca: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecated is the point
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT@SECLEVEL=0")
    return context


async def test_tls_below_1_2_is_refused(state_dir: Path) -> None:
    async with demo(state_dir) as sup:
        tls = kinds(sup)["ctapi-tls"]
        assert sup.ca_certificate is not None
        try:
            context = _old_tls_context(sup.ca_certificate)
        except (ssl.SSLError, ValueError) as exc:
            pytest.skip(f"this OpenSSL cannot make a TLS 1.0/1.1 client: {exc}")
        with logged() as events:
            with pytest.raises((ssl.SSLError, anyio.BrokenResourceError, OSError)):
                with anyio.fail_after(TIMEOUT):
                    await anyio.connect_tcp(
                        tls.endpoint.address, tls.port, tls=True, ssl_context=context,
                        tls_hostname="SCADA-A",
                    )  # fmt: skip
            with anyio.fail_after(TIMEOUT):
                while not any(e["event"] == "connection.tls_failed" for e in events):
                    good = await connect(sup, tls)  # a round trip lets the server log
                    await good.aclose()
        refused = [e for e in events if e["event"] == "connection.tls_failed"]
        reason = str(refused[0]["reason"]).lower()
        if "version" not in reason and "protocol" not in reason:
            pytest.skip(f"the client gave up before offering TLS 1.0/1.1 ({reason})")
        modern = await connect(sup, tls)
        assert (await modern.request("ping"))["ok"]
        await modern.aclose()


def test_the_alarm_database_only_ever_listens_on_loopback() -> None:
    """Reference §1: 5482 needs no external access. Also: tests/runtime/test_supervisor.py
    ::test_the_alarm_database_is_never_on_a_non_loopback_address (the bind refuses) and
    tests/servers/test_computer_processes.py::test_alarm_database_serves_its_computer_only."""
    text = load_demo().model
    endpoints = [e for e in plan(text) if str(e.type) == "alarm_db"]
    assert endpoints and all(is_loopback(e.address) for e in endpoints)


def test_the_control_api_needs_a_token_off_loopback() -> None:
    for host in ("0.0.0.0", "::", "192.0.2.7"):
        with pytest.raises(ControlError, match="token"):
            check_bind(host, None)
        check_bind(host, "a-token")
    check_bind("127.0.0.1", None)
    check_bind("localhost", None)


def test_private_keys_are_0600_and_their_directories_0700(tmp_path: Path) -> None:
    state = tmp_path / "state"
    ca = CertificateAuthority(state).ensure()
    ca.server_certificate("SCADA-A", ["127.0.10.1"])
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for sub in ("ca", "certs"):
        assert stat.S_IMODE((state / sub).stat().st_mode) == 0o700
    keys = list(state.rglob("*.key"))
    assert len(keys) == 2
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_history_is_private_too(tmp_path: Path) -> None:
    """The alarm log names who acknowledged what: its folders 0700, its database 0600."""
    state = tmp_path / "state"
    store = Store.open(state / "history" / "Demo", "ALARM1")
    store.close()
    for folder in (state, state / "history", state / "history" / "Demo"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for database in (state / "history" / "Demo").iterdir():
        assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0, database


def test_a_traceback_in_the_logs_shows_no_local_variable() -> None:
    """A handler that fails during `open` must not log the request's password with its
    traceback: JSON and console logs carry tracebacks without local variables."""
    for log_format in ("json", "console"):
        out = io.StringIO()
        configure(log_format, "info", stream=out)
        try:
            _fail_with_a_secret_in_scope()
        except ZeroDivisionError:
            structlog.get_logger("test").exception("handler.failed")
        finally:
            structlog.reset_defaults()
        text = out.getvalue()
        assert "ZeroDivisionError" in text and "_fail_with_a_secret_in_scope" in text
        assert WRONG not in text, log_format


def _fail_with_a_secret_in_scope() -> None:
    request = {"op": "open", "user": "engineer", "password": WRONG}
    assert request
    _ = 1 / 0
