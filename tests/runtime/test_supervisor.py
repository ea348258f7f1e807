"""The supervisor as a library: real sockets on loopback, every wait bounded."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import anyio
import pytest

from emulator.ports import RESERVED_PORT_MESSAGE, ProcessType
from emulator.processes.base import Message, Peer
from emulator.processes.context import Context, ProcessState
from emulator.protocol.auth import server_login
from emulator.protocol.errors import TOO_MANY_CONNECTIONS
from emulator.runtime.bind import BindError, assert_local
from emulator.runtime.limits import Limits
from emulator.runtime.listener import Backoff, Listener
from emulator.runtime.supervisor import Supervisor, TopologyError, UnknownComputerError
from emulator.topology.load import load_demo
from emulator.topology.plan import Endpoint, is_loopback
from tests.runtime.helpers import (
    TIMEOUT,
    Client,
    computers_toml,
    fail_next_accept,
    listener,
    topology,
    with_alarm,
)

DEMO_PORTS = {2073, 3073, 2080, 2082, 2084, 2085, 2087, 2088, 20222, 5482}


async def hello_of(address: str, port: int) -> Message:
    client = await Client.connect(address, port)
    try:
        return await client.frame()
    finally:
        await client.aclose()


def free(address: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
        return True


async def test_every_listener_of_the_demo_accepts_and_says_hello(state_dir: Path) -> None:
    async with Supervisor(load_demo(), ephemeral=True, state_dir=state_dir) as sup:
        assert sup.ready.is_set()
        plain = [item for item in sup.listeners if not item.endpoint.tls]
        assert len(sup.listeners) == 19 and len(plain) == 17
        for item in plain:
            assert item.port != item.endpoint.port
            hello = await hello_of(item.endpoint.address, item.port)
            assert (hello["event"], hello["computer"], hello["process"]) == (
                "hello",
                item.endpoint.computer,
                item.endpoint.process,
            )
            assert hello["type"] == str(item.endpoint.type)
            assert hello["cluster"] == item.endpoint.cluster
            assert hello["mode"] == item.endpoint.mode
        for tls in (item for item in sup.listeners if item.endpoint.tls):
            client = await Client.connect(
                tls.endpoint.address,
                tls.port,
                ca=sup.ca_certificate,
                hostname=tls.endpoint.computer,
            )
            assert (await client.frame())["tls"] is True
            assert (await client.request("ping"))["ok"] is True
            await client.aclose()
        states = {s.process: s.state for s in sup.context.processes()}
        assert set(states.values()) == {ProcessState.RUNNING}
    assert sup.stopped.is_set()
    assert not sup.listeners


async def test_the_demo_binds_the_real_default_ports_when_they_are_free(state_dir: Path) -> None:
    wanted = [(e.address, e.port) for e in Supervisor(load_demo()).endpoints]
    if not all(free(address, port) for address, port in wanted):
        pytest.skip("a default port of the demo plant is taken on this host")
    async with Supervisor(load_demo(), state_dir=state_dir) as sup:
        bound = {(item.endpoint.address, item.port) for item in sup.listeners}
        assert bound == set(wanted)
        assert {port for _, port in bound} == DEMO_PORTS
        odbc = [item.endpoint.computer for item in sup.listeners if item.port == 20222]
        assert odbc == ["SCADA-A"]
        assert (await hello_of("127.0.10.2", 2080))["process"] == "ALARM2"


async def test_the_alarm_database_is_never_on_a_non_loopback_address(state_dir: Path) -> None:
    async with Supervisor(load_demo(), ephemeral=True, state_dir=state_dir) as sup:
        databases = [i for i in sup.listeners if i.endpoint.type is ProcessType.ALARM_DB]
        assert len(databases) == 2
        assert all(is_loopback(item.endpoint.address) for item in databases)
        for address in _host_addresses():
            for item in databases:
                with pytest.raises(OSError):
                    await anyio.connect_tcp(address, item.port)
    wrong = Endpoint("X", "AlarmDatabase", ProcessType.ALARM_DB, "192.0.2.1", 5482)
    with pytest.raises(BindError, match="loopback only"):
        assert_local(wrong)


def _host_addresses() -> list[str]:
    """This host's non-loopback IPv4 addresses (none in a network-less sandbox)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({str(i[4][0]) for i in infos if not is_loopback(str(i[4][0]))})


async def test_a_reserved_port_topology_binds_nothing() -> None:
    text = computers_toml(("RESV", "127.0.72.1", "mixed")) + with_alarm("AL", "RESV", port=2073)
    with pytest.raises(TopologyError) as refused:
        Supervisor(topology(text))
    assert any(p.message.startswith(RESERVED_PORT_MESSAGE) for p in refused.value.problems)
    assert all(free("127.0.72.1", port) for port in (2073, 3073, 2087, 2088))


async def test_a_taken_port_leaves_nothing_bound_and_names_the_culprit(state_dir: Path) -> None:
    text = computers_toml(("TAKEN", "127.0.72.2", "mixed")) + with_alarm("AL", "TAKEN")
    with socket.socket() as squatter:
        squatter.bind(("127.0.72.2", 2088))
        squatter.listen()
        sup = Supervisor(topology(text), state_dir=state_dir)
        with pytest.raises(BindError) as failed:
            async with sup:
                pass
    error = failed.value
    assert (error.endpoint.process, error.endpoint.address, error.port) == (
        "TimeSync",
        "127.0.72.2",
        2088,
    )
    assert "TimeSync of TAKEN" in str(error) and "127.0.72.2:2088" in str(error)
    assert error.__cause__ is not None and error.__cause__.errno == errno.EADDRINUSE  # type: ignore[attr-defined]
    assert all(free("127.0.72.2", port) for port in (2073, 3073, 2080, 2087, 5482))
    assert not sup.listeners


async def test_computer_runs_only_that_computers_share(state_dir: Path) -> None:
    async with Supervisor(
        load_demo(), computer="scada-b", ephemeral=True, state_dir=state_dir
    ) as sup:
        assert {item.endpoint.computer for item in sup.listeners} == {"SCADA-B"}
        assert len(sup.listeners) == 9
    with pytest.raises(UnknownComputerError, match="SCADA-A, SCADA-B"):
        Supervisor(load_demo(), computer="SCADA-C")


async def test_bad_frames_close_the_connection_and_the_listener_lives_on() -> None:
    text = computers_toml(("FRAMES", "127.0.72.3", "unencrypted"))
    limits = Limits(max_frame_size=4096)
    async with Supervisor(topology(text), ephemeral=True, limits=limits) as sup:
        ctapi = listener(sup, "CtAPI")
        for garbage, name in ((b"x" * 10_000, "frame_too_large"), (b"{nope\n", "bad_frame")):
            client = await Client.connect("127.0.72.3", ctapi.port)
            assert (await client.frame())["event"] == "hello"
            await client.stream.send(garbage)
            error = await client.frame()
            assert (error["ok"], error["error"]["name"]) == (False, name)
            assert await client.rest() == b""
            await client.aclose()
        assert (await hello_of("127.0.72.3", ctapi.port))["process"] == "CtAPI"
        assert sup.process("CtAPI").state is ProcessState.RUNNING


async def test_shutdown_trigger_closes_open_connections_within_grace() -> None:
    text = computers_toml(("GRACE", "127.0.72.4", "unencrypted"))
    stop = anyio.Event()
    sup = Supervisor(topology(text), ephemeral=True, grace=TIMEOUT, shutdown_trigger=stop.wait)
    async with anyio.create_task_group() as tg:
        await tg.start(sup.run)
        ports = [item.port for item in sup.listeners]
        clients = [await Client.connect("127.0.72.4", port) for port in ports]
        for client in clients:
            await client.frame()
        stop.set()
        with anyio.fail_after(TIMEOUT / 2):
            for client in clients:
                assert await client.frame() == {"event": "closing", "reason": "shutdown"}
                assert await client.rest() == b""
            await sup.stopped.wait()
    assert {s.state for s in sup.statuses()} == {ProcessState.STOPPED}
    for port in ports:
        with pytest.raises(OSError):
            await anyio.connect_tcp("127.0.72.4", port)


async def test_stop_start_and_crash_one_process_while_the_others_serve() -> None:
    text = computers_toml(("CTRL", "127.0.72.5", "unencrypted")) + with_alarm("ALARM1", "CTRL")
    async with Supervisor(topology(text), ephemeral=True) as sup:
        port = listener(sup, "ALARM1").port
        client = await Client.connect("127.0.72.5", port)
        await client.frame()

        proc = await sup.stop("alarm1")
        assert proc.state is ProcessState.STOPPED
        assert await client.frame() == {"event": "closing", "reason": "stopped"}
        with pytest.raises(OSError):
            await anyio.connect_tcp("127.0.72.5", port)
        assert sup.process("TimeSync").state is ProcessState.RUNNING

        await sup.start("ALARM1")
        assert sup.process("ALARM1").state is ProcessState.RUNNING
        assert listener(sup, "ALARM1").port == port
        client = await Client.connect("127.0.72.5", port)
        await client.frame()

        proc = await sup.crash("ALARM1")
        assert (proc.state, proc.reason) == (ProcessState.FAILED, "crashed")
        with pytest.raises((anyio.BrokenResourceError, anyio.EndOfStream, OSError)):
            await client.stream.receive()
        with pytest.raises(OSError):
            await anyio.connect_tcp("127.0.72.5", port)

        await sup.start("ALARM1", computer="CTRL")
        assert (await hello_of("127.0.72.5", port))["process"] == "ALARM1"
        with pytest.raises(LookupError, match="no server process"):
            sup.process("ALARM9")


async def test_a_failed_listener_is_restarted_and_the_others_never_notice() -> None:
    text = computers_toml(("FAIL", "127.0.72.6", "unencrypted"))
    backoff = Backoff(initial=0.01, maximum=0.05)
    async with Supervisor(topology(text), ephemeral=True, backoff=backoff) as sup:
        ctapi = listener(sup, "CtAPI")
        fail_next_accept(ctapi)
        proc = sup.process("CtAPI")
        doomed = await anyio.connect_tcp("127.0.72.6", ctapi.port)
        with anyio.fail_after(TIMEOUT):
            await proc.wait_for(ProcessState.FAILED)
            await proc.wait_for(ProcessState.RUNNING)
        await doomed.aclose()
        assert sup.process("SystemServices").state is ProcessState.RUNNING
        assert (await hello_of("127.0.72.6", ctapi.port))["process"] == "CtAPI"


class Pushing:
    """A process whose connections push on every plant change and on their own schedule."""

    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        self.context = context

    def connect(self, peer: Peer) -> Pushing:
        return self

    def hello(self) -> Message:
        return {}

    def handle(self, request: Message, now: float) -> list[Message]:
        return [{"id": request["id"], "ok": True}]

    def poll(self, now: float) -> list[Message]:
        return [{"event": "changed"}]

    def next_wakeup(self, now: float) -> float | None:
        return None

    def close(self) -> None:
        return None


async def test_plant_changes_wake_the_connection_to_push() -> None:
    text = computers_toml(("PUSH", "127.0.72.7", "unencrypted"))
    factories = {ProcessType.TIME_SYNC: Pushing}
    async with Supervisor(topology(text), ephemeral=True, factories=factories) as sup:
        client = await Client.connect("127.0.72.7", listener(sup, "TimeSync").port)
        login = server_login(await client.frame(), sup.context.server_password)
        assert (await client.request(**login))["server"] is True
        assert (await client.request("anything"))["ok"] is True
        sup.context.changes.notify()
        assert await client.frame() == {"event": "changed"}


async def test_connections_beyond_the_limit_get_too_many_connections() -> None:
    text = computers_toml(("LIMIT", "127.0.72.8", "unencrypted"))
    limits = Limits(max_connections={ProcessType.CTAPI: 1})
    async with Supervisor(topology(text), ephemeral=True, limits=limits) as sup:
        port = listener(sup, "CtAPI").port
        first = await Client.connect("127.0.72.8", port)
        assert (await first.frame())["event"] == "hello"
        second = await Client.connect("127.0.72.8", port)
        refused = await second.frame()
        assert refused["error"]["name"] == TOO_MANY_CONNECTIONS.name
        assert await second.rest() == b""
        await first.aclose()


async def test_an_idle_connection_is_closed_when_a_limit_is_set() -> None:
    text = computers_toml(("IDLE", "127.0.72.9", "unencrypted"))
    async with Supervisor(topology(text), ephemeral=True, limits=Limits(idle_timeout=0.2)) as sup:
        client = await Client.connect("127.0.72.9", listener(sup, "CtAPI").port)
        await client.frame()
        assert (await client.frame())["error"]["name"] == "idle_timeout"


class Broken(Pushing):
    def __init__(self, endpoint: Endpoint, context: Context) -> None:
        raise RuntimeError("the process cannot start")


async def test_a_process_that_cannot_start_leaves_nothing_bound() -> None:
    text = computers_toml(("BROKEN", "127.0.72.10", "unencrypted"))
    sup = Supervisor(topology(text), factories={ProcessType.TIME_SYNC: Broken})
    with pytest.raises(RuntimeError, match="cannot start"):
        async with sup:
            pass
    assert all(free("127.0.72.10", port) for port in (2073, 2087, 2088))
    assert sup.stopped.is_set()


class Wild(Pushing):
    """A handler that breaks the runtime's expectations (next_wakeup is not a number)."""

    def next_wakeup(self, now: float) -> float | None:
        return "soon"  # type: ignore[return-value]


async def test_a_connection_that_fails_unexpectedly_ends_alone() -> None:
    text = computers_toml(("WILD", "127.0.72.11", "unencrypted"))
    factories = {ProcessType.TIME_SYNC: Wild}
    async with Supervisor(topology(text), ephemeral=True, factories=factories) as sup:
        port = listener(sup, "TimeSync").port
        for _ in range(2):
            client = await Client.connect("127.0.72.11", port)
            assert (await client.frame())["event"] == "hello"
            await client.rest()
        assert sup.process("TimeSync").state is ProcessState.RUNNING
        assert (await hello_of("127.0.72.11", listener(sup, "CtAPI").port))["process"] == "CtAPI"


async def test_a_start_whose_listener_cannot_listen_leaves_the_process_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = computers_toml(("RELISTEN", "127.0.72.11", "unencrypted"))
    text += with_alarm("ALARM1", "RELISTEN")
    async with Supervisor(topology(text), ephemeral=True) as sup:
        port = listener(sup, "ALARM1").port
        await sup.stop("ALARM1")

        async def refuse(self: Listener) -> None:
            raise OSError(errno.EADDRINUSE, "listen refused")

        with monkeypatch.context() as patch:
            patch.setattr(Listener, "_listen", refuse)
            with pytest.raises(OSError, match="listen refused"):
                await sup.start("ALARM1")
        proc = sup.process("ALARM1")
        assert proc.state is ProcessState.FAILED and "listen refused" in (proc.reason or "")
        assert proc.listeners == [] and free("127.0.72.11", port)
        assert sup.process("TimeSync").state is ProcessState.RUNNING
        await sup.start("ALARM1")
        assert (await hello_of("127.0.72.11", port))["process"] == "ALARM1"
