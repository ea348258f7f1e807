"""The client's transport against a tiny in-test server: pipelining, pushes, lost links, TLS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from emulator.client.errors import CtApiCertificateError, CtApiConnectionError, CtApiError
from emulator.client.session import Connecting, connect
from emulator.protocol.errors import citect
from tests.client.fakeserver import (
    COMPUTER,
    FakeCtApi,
    Listening,
    fake_server,
    free_port,
    make_pki,
)


def plain(server: Listening, **options: Any) -> Connecting:
    """A session to the in-test server's plain port as user u."""
    return connect(
        "127.0.0.1",
        port=server.port,
        user="u",
        password="control",
        encryption="unencrypted",
        **options,
    )


async def test_open_read_and_close() -> None:
    state = FakeCtApi()
    async with (
        fake_server(state) as server,
        plain(server) as session,
    ):
        assert session.hello["computer"] == COMPUTER
        assert not session.encrypted
        assert await session.tag_read("A") == "1"
    ops = [frame["op"] for frame in state.received]
    assert ops == ["open", "tag.read", "close"]
    assert state.received[0]["mode"] == 0


async def test_awaited_session_closes_with_aclose() -> None:
    async with fake_server(FakeCtApi()) as server:
        session = await plain(server)
        assert session.is_open
        await session.aclose()
        assert not session.is_open
        with pytest.raises(CtApiConnectionError) as error:
            await session.tag_read("A")
        assert error.value.code == 233


async def test_replies_out_of_order_reach_their_callers() -> None:
    state = FakeCtApi()
    slow = state.gate("A")
    results: dict[str, str] = {}
    async with (
        fake_server(state) as server,
        plain(server) as session,
    ):

        async def read(tag: str) -> None:
            results[tag] = await session.tag_read(tag)

        async with anyio.create_task_group() as task_group:
            task_group.start_soon(read, "A")
            task_group.start_soon(read, "B")
            # B is answered first although A was sent first; then A's gate opens.
            with anyio.fail_after(5):
                while "B" not in results:
                    await anyio.wait_all_tasks_blocked()
            assert "A" not in results
            slow.set()
    assert results == {"A": "1", "B": "2"}


async def test_server_errors_carry_code_and_name() -> None:
    async with fake_server(FakeCtApi()) as server:
        with pytest.raises(CtApiError) as login:
            await connect(
                "127.0.0.1", port=server.port, user="u", password="bad", encryption="unencrypted"
            )
        assert login.value.name == "login_failed"
        assert login.value.is_citect
        assert login.value.citect_number == 274
        async with plain(server) as session:
            with pytest.raises(CtApiError) as missing:
                await session.tag_read("NOPE")
            assert missing.value.code == citect(424)
            assert missing.value.known is not None
            assert not isinstance(missing.value, CtApiConnectionError)
            assert session.is_open


async def test_pushes_and_frames_after_the_hello_reach_the_queue() -> None:
    early = {"event": "early", "n": 1}
    async with (
        fake_server(FakeCtApi(), extra_hello=[early]) as server,
        plain(server) as session,
    ):
        await session.request("push")
        with anyio.fail_after(5):
            assert await session.pushes.receive() == early
            assert await session.pushes.receive() == {"event": "changed", "tag": "A"}


async def test_a_dropped_link_fails_pending_and_later_calls() -> None:
    async with (
        fake_server(FakeCtApi()) as server,
        plain(server) as session,
    ):
        with pytest.raises(CtApiConnectionError) as pending:
            await session.request("drop")
        assert pending.value.name == "connection_lost"
        assert not pending.value.is_citect
        with pytest.raises(CtApiConnectionError) as later:
            await session.tag_read("A")
        assert later.value.code == 233


async def test_the_servers_closing_reason_reaches_the_caller() -> None:
    async with (
        fake_server(FakeCtApi()) as server,
        plain(server) as session,
    ):
        with pytest.raises(CtApiConnectionError) as pending:
            await session.request("bye")
        assert "the server closed the connection: shutdown" in pending.value.message


async def test_a_malformed_reply_is_a_clear_error() -> None:
    async with fake_server(FakeCtApi()) as server, plain(server) as session:
        with pytest.raises(CtApiError) as error:
            await session.tag_read_ex("A")  # the fake server answers value 7 (not text)
        assert error.value.name == "internal_error"
        assert "no str 'value'" in error.value.message
        assert session.is_open


async def test_a_request_without_reply_times_out() -> None:
    async with (
        fake_server(FakeCtApi()) as server,
        plain(server, timeout=0.2) as session,
    ):
        with pytest.raises(CtApiConnectionError) as error:
            await session.request("hang")
        assert error.value.name == "timeout"


async def test_encrypted_session_verifies_the_computer_name(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    async with fake_server(FakeCtApi(), tls_context=pki.context) as server:
        async with connect(
            "127.0.0.1",
            tls_port=server.port,
            user="u",
            password="control",
            encryption="encrypted",
            ca=pki.ca_path,
            server_name=COMPUTER,
        ) as session:
            assert session.encrypted
            assert await session.tag_read("B") == "2"
        with pytest.raises(CtApiCertificateError) as error:
            await connect(
                "127.0.0.1",
                tls_port=server.port,
                user="u",
                password="control",
                encryption="encrypted",
                ca=pki.ca_path,
                server_name="OTHER-PC",
            )
        assert error.value.name == "tls_failed"
        assert "OTHER-PC" in error.value.message


async def test_an_ip_without_a_directory_is_verified_as_an_ip(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)  # the emulator's certificates carry the computer's addresses too
    async with (
        fake_server(FakeCtApi(), tls_context=pki.context) as server,
        connect(
            "127.0.0.1",
            tls_port=server.port,
            user="u",
            password="control",
            encryption="encrypted",
            ca=pki.ca_path,
        ) as session,
    ):
        assert session.encrypted


async def test_crypt_flag_is_sent_on_tls(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    state = FakeCtApi()
    async with (
        fake_server(state, tls_context=pki.context) as server,
        connect(
            "127.0.0.1",
            tls_port=server.port,
            port=free_port(),
            user="u",
            password="control",
            ca=pki.ca_path,
            server_name=COMPUTER,
            read_only=True,
        ),
    ):
        pass
    assert state.received[0]["mode"] == 0x1 | 0x4


async def test_mixed_falls_back_to_plain_when_3073_refuses() -> None:
    async with (
        fake_server(FakeCtApi()) as server,
        connect(
            "127.0.0.1",
            port=server.port,
            tls_port=free_port(),
            user="u",
            password="control",
            encryption="mixed",
        ) as session,
    ):
        assert not session.encrypted


async def test_the_ca_of_the_default_state_dir_is_trusted_without_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    pki = make_pki(tmp_path / "plant-scada-emulator")  # where `scada-emu run` keeps it
    async with (
        fake_server(FakeCtApi(), tls_context=pki.context) as server,
        connect(
            "127.0.0.1",
            tls_port=server.port,
            user="u",
            password="control",
            encryption="encrypted",
            server_name=COMPUTER,
        ) as session,
    ):
        assert session.encrypted


async def test_mixed_never_falls_back_past_a_refused_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "empty"))
    pki = make_pki(tmp_path)
    state = FakeCtApi()
    async with (
        fake_server(state, tls_context=pki.context) as tls_server,
        fake_server(state) as plain_server,
    ):
        with pytest.raises(CtApiCertificateError):
            await connect(
                "127.0.0.1",
                port=plain_server.port,
                tls_port=tls_server.port,
                user="u",
                password="control",
                encryption="mixed",
                server_name=COMPUTER,
            )  # no ca= and no default CA: the system trust store does not know this CA
    assert state.received == []


async def test_unencrypted_client_against_encrypted_only_server(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    async with fake_server(FakeCtApi(), tls_context=pki.context) as server:
        with pytest.raises(CtApiConnectionError) as refused:
            await connect(
                "127.0.0.1",
                port=free_port(),
                tls_port=server.port,
                user="u",
                password="control",
                encryption="unencrypted",
            )
        assert refused.value.name == "connection_refused"
        assert "unencrypted" in refused.value.message
        assert "encrypted-only" in refused.value.message
        # Plain text on the TLS port itself: no hello ever comes.
        with pytest.raises(CtApiConnectionError) as silent:
            await connect(
                "127.0.0.1",
                port=server.port,
                user="u",
                password="control",
                encryption="unencrypted",
                timeout=0.3,
            )
        assert silent.value.name == "timeout"
        assert "encrypted port" in silent.value.message


async def test_encrypted_client_against_a_plain_port(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    async with fake_server(FakeCtApi()) as server:
        with pytest.raises(CtApiConnectionError) as error:
            await connect(
                "127.0.0.1",
                tls_port=server.port,
                user="u",
                password="control",
                encryption="encrypted",
                ca=pki.ca_path,
                server_name=COMPUTER,
            )
        assert error.value.name == "tls_failed"
        assert "not encrypted" in error.value.message


async def test_an_unresolvable_name_is_computer_not_found() -> None:
    with pytest.raises(CtApiConnectionError) as error:
        await connect("no-such-computer.invalid", user="u", password="p", timeout=2)
    assert error.value.name == "computer_not_found"
    assert "ready=" in error.value.message
