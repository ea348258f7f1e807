"""The blocking facade: calls from plain threads, and CT_OPEN_RECONNECT semantics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator.client.blocking import CtApiClient
from emulator.client.errors import CtApiConnectionError, CtApiError
from emulator.client.loop import BackgroundLoop
from tests.client.emulator import running_in
from tests.client.fakeserver import FakeCtApi, free_port, serving_in


@pytest.fixture
def server_loop() -> Iterator[BackgroundLoop]:
    """The fake server runs in its own loop thread, since the client under test blocks."""
    loop = BackgroundLoop("fake-server")
    yield loop
    loop.stop()


def test_blocking_calls(server_loop: BackgroundLoop) -> None:
    state = FakeCtApi()
    with (
        serving_in(server_loop, state) as server,
        CtApiClient(
            "127.0.0.1",
            port=server.port,
            user="engineer",
            password="control",
            encryption="unencrypted",
        ) as client,
    ):
        assert client.connected
        assert client.hello["computer"] == "SCADA-T"
        assert client.tag_read("A") == "1"
        with pytest.raises(CtApiError) as error:
            client.tag_read("NOPE")
        assert error.value.name == "tag_not_found"
    assert not client.connected
    with pytest.raises(CtApiConnectionError) as closed:
        client.tag_read("A")
    assert closed.value.code == 233
    assert [f["op"] for f in state.received][-1] == "close"


def test_without_reconnect_a_failed_open_raises() -> None:
    with pytest.raises(CtApiConnectionError) as error:
        CtApiClient("127.0.0.1", port=free_port(), user="u", password="p", encryption="unencrypted")
    assert error.value.name == "connection_refused"


def test_a_refused_login_raises_even_with_reconnect(server_loop: BackgroundLoop) -> None:
    with serving_in(server_loop, FakeCtApi()) as server, pytest.raises(CtApiError) as error:
        CtApiClient(
            "127.0.0.1",
            port=server.port,
            user="u",
            password="wrong",
            encryption="unencrypted",
            reconnect=True,
        )
    assert error.value.name == "login_failed"


@contextmanager
def reconnecting(port: int) -> Iterator[CtApiClient]:
    client = CtApiClient(
        "127.0.0.1",
        port=port,
        user="u",
        password="control",
        encryption="unencrypted",
        reconnect=True,
        retry_first=0.02,
        retry_max=0.1,
        timeout=2.0,
    )
    try:
        yield client
    finally:
        client.close()


def test_reconnect_returns_a_client_while_down_and_connects_later(
    server_loop: BackgroundLoop,
) -> None:
    port = free_port()
    state = FakeCtApi()
    with reconnecting(port) as client:
        assert not client.connected
        assert client.last_error is not None
        with pytest.raises(CtApiConnectionError) as down:
            client.tag_read("A")
        assert down.value.code == 233
        with serving_in(server_loop, state, port):
            client.wait_connected(5)
            assert client.tag_read("B") == "2"
        # The server went away: calls fail while down, then it comes back on the same port.
        with pytest.raises(CtApiConnectionError):
            client.tag_read("A")
        with serving_in(server_loop, state, port):
            client.wait_connected(5)
            assert client.tag_read("A") == "1"
    assert state.connections >= 2


def test_wait_connected_times_out() -> None:
    with reconnecting(free_port()) as client, pytest.raises(CtApiConnectionError) as error:
        client.wait_connected(0.2)
    assert error.value.name == "timeout"


def test_reconnect_after_the_ctapi_process_restarts(tmp_path: Path) -> None:
    loop = BackgroundLoop("emulator")
    try:
        with running_in(loop, tmp_path) as demo:
            client = CtApiClient(
                "SCADA-A",
                user="engineer",
                password="control",
                ready=demo.ready,
                reconnect=True,
                retry_first=0.02,
                retry_max=0.1,
            )
            with client:
                assert client.tag_read("PUMP1_SPEED") == "1200"
                loop.portal.call(demo.supervisor.stop, "CtAPI", "SCADA-A")
                with pytest.raises(CtApiConnectionError) as lost:
                    client.tag_read("PUMP1_SPEED")  # may race the server's close: 64 or 233
                assert lost.value.code in (64, 233)
                with pytest.raises(CtApiConnectionError) as down:
                    client.tag_read("PUMP1_SPEED")
                assert down.value.code == 233
                assert client.last_error is not None
                assert "stopped" in client.last_error.message
                loop.portal.call(demo.supervisor.start, "CtAPI", "SCADA-A")
                client.wait_connected(5)
                assert client.tag_read("PUMP1_SPEED") == "1200"
    finally:
        loop.stop()
