"""Properties of the pure core: the compile agrees with the port table on any topology."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.ports import (
    RESERVED_PORT_MESSAGE,
    RESERVED_PORTS,
    TOPOLOGY_TYPES,
    ProcessType,
    default_port,
    reserved_for_another_type,
)
from emulator.topology.compile import compile_topology
from emulator.topology.load import LoadedTopology, LoadError, Locator, _decode, load_text
from emulator.topology.model import (
    Cluster,
    Computer,
    NetworkAddress,
    ServerProcess,
    Topology,
)
from emulator.topology.plan import is_loopback, plan, shared_loopback
from emulator.topology.problems import Problem, has_errors

TYPES = [str(t) for t in TOPOLOGY_TYPES]


def compiled(model: Topology) -> list[Problem]:
    return compile_topology(LoadedTopology.from_model(model))


@st.composite
def one_server_per_computer(draw: st.DrawFn) -> tuple[Topology, list[str]]:
    """n computers, each with its own address and cluster, each running one server process."""
    types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=6))
    computers, addresses, clusters, processes = [], [], [], []
    for n, type_ in enumerate(types):
        computers.append(
            Computer(
                name=f"PC{n}",
                ctapi=draw(st.sampled_from(["disabled", "unencrypted", "mixed", "encrypted"])),
                odbc=draw(st.booleans()),
            )
        )
        addresses.append(
            NetworkAddress(name=f"NA{n}", computer=f"pc{n}", address=f"127.0.40.{n + 1}")
        )
        clusters.append(Cluster(name=f"CLUSTER{n}"))
        explicit = draw(st.booleans())
        processes.append(
            ServerProcess(
                name=f"P{n}",
                type=type_,  # type: ignore[arg-type]
                network_address=f"NA{n}",
                cluster=f"cluster{n}",
                mode=draw(st.sampled_from(["primary", "standby"])),
                port=default_port(ProcessType(type_)) if explicit else None,
                priority=draw(st.integers(1, 32767)),
            )
        )
    model = Topology(
        computers=computers,
        network_addresses=addresses,
        clusters=clusters,
        server_processes=processes,
    )
    return model, types


@given(one_server_per_computer())
def test_any_server_on_its_types_default_port_with_a_unique_address_compiles(
    case: tuple[Topology, list[str]],
) -> None:
    model, _ = case
    assert not has_errors(compiled(model))


@given(
    st.sampled_from(TYPES),
    st.sampled_from(sorted(RESERVED_PORTS)),
)
def test_a_reserved_port_of_another_type_never_compiles(type_: str, port: int) -> None:
    ptype = ProcessType(type_)
    model = Topology(
        computers=[Computer(name="PC")],
        network_addresses=[NetworkAddress(name="NA", computer="PC", address="127.0.40.1")],
        clusters=[Cluster(name="C")],
        server_processes=[
            ServerProcess(name="P", type=type_, network_address="NA", port=port)  # type: ignore[arg-type]
        ],
    )
    messages = [p.message for p in compiled(model)]
    if reserved_for_another_type(port, ptype):
        assert RESERVED_PORT_MESSAGE in messages
    else:
        assert port == default_port(ptype)
        assert messages == []


NAMES = st.sampled_from(["A", "a", "B", "C", "", " ", "X Y", "C.1", "PC-1"])
ADDRESSES = st.sampled_from(
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.0.0.1",
        "::1",
        "::ffff:10.0.0.1",
        "localhost",
        "fe80::1%1",
        "host.example",
        "HOST",
        "0.0.0.0",
        "",
        "300.1.1.1",
        "[::1]",
    ]
)
PORTS = st.none() | st.integers(-10, 70_000) | st.sampled_from(sorted(RESERVED_PORTS))
MODELS = st.builds(
    Topology,
    computers=st.lists(
        st.builds(
            Computer,
            name=NAMES,
            ctapi=st.sampled_from(["disabled", "unencrypted", "mixed", "encrypted"]),
            odbc=st.booleans(),
            certificate=st.none() | st.just("c.pem"),
            private_key=st.none() | st.just("c.key"),
        ),
        max_size=4,
    ),
    network_addresses=st.lists(
        st.builds(NetworkAddress, name=NAMES, computer=NAMES, address=ADDRESSES), max_size=5
    ),
    clusters=st.lists(st.builds(Cluster, name=NAMES), max_size=3),
    server_processes=st.lists(
        st.builds(
            ServerProcess,
            name=NAMES,
            type=st.sampled_from(TYPES),
            network_address=NAMES | st.lists(NAMES, max_size=3),
            cluster=st.none() | NAMES,
            mode=st.sampled_from(["primary", "standby"]),
            port=PORTS,
            priority=st.integers(-5, 40_000),
        ),
        max_size=6,
    ),
)


@st.composite
def plausible(draw: st.DrawFn) -> Topology:
    """Valid references and names, so that many compile clean and the plan property bites."""
    computers = [
        Computer(
            name=f"PC{n}",
            ctapi=draw(st.sampled_from(["disabled", "unencrypted", "mixed", "encrypted"])),
            odbc=draw(st.booleans()),
        )
        for n in range(draw(st.integers(1, 3)))
    ]
    ips = draw(
        st.lists(
            st.sampled_from(["127.0.0.1", "127.0.0.2", "10.0.0.1", "10.0.0.2", "::1", "fd00::1"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    addresses = [
        NetworkAddress(name=f"NA{n}", computer=draw(st.sampled_from(computers)).name, address=ip)
        for n, ip in enumerate(ips)
    ]
    clusters = [Cluster(name=f"C{n}") for n in range(draw(st.integers(1, 2)))]
    processes = [
        ServerProcess(
            name=f"P{n}",
            type=draw(st.sampled_from(TYPES)),
            network_address=draw(st.sampled_from(addresses)).name,
            cluster=draw(st.sampled_from(clusters)).name,
            mode=draw(st.sampled_from(["primary", "standby"])),
            port=draw(st.none() | st.sampled_from([2090, 2091])),
        )
        for n in range(draw(st.integers(0, 6)))
    ]
    return Topology(
        computers=computers,
        network_addresses=addresses,
        clusters=clusters,
        server_processes=processes,
    )


@settings(max_examples=300)
@given(MODELS | plausible())
def test_compile_never_raises_and_a_clean_plan_never_clashes(model: Topology) -> None:
    problems = compiled(model)
    assert all(isinstance(p, Problem) for p in problems)
    if has_errors(problems):
        return
    endpoints = plan(model)
    # Loopback is per host (issue 15.3): no two listeners of one host clash, and in one
    # process two computers clash exactly where shared_loopback says (the runtime refuses).
    for computer in {e.computer for e in endpoints}:
        on_host = [e for e in endpoints if e.computer == computer or not is_loopback(e.address)]
        bound = [(ipaddress.ip_address(e.address), e.port) for e in on_host]
        assert len(bound) == len(set(bound)), on_host
    everywhere = [(ipaddress.ip_address(e.address), e.port) for e in endpoints]
    assert (len(everywhere) == len(set(everywhere))) == (not shared_loopback(endpoints))
    assert all(1 <= e.port <= 65535 for e in endpoints)
    assert all(ipaddress.ip_address(e.address).is_loopback for e in endpoints if e.port == 5482)


@given(st.text(max_size=200))
def test_loading_any_text_either_decodes_or_raises_a_load_error(text: str) -> None:
    try:
        loaded = load_text(text)
    except LoadError as exc:
        assert exc.message.startswith("not valid TOML")
        return
    compile_topology(loaded)


TOML_VALUES = st.recursive(
    st.none().map(lambda _: "x")
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "type", "port", "x"]), inner, max_size=3)
    ),
    max_leaves=10,
)
TABLE_NAMES = st.sampled_from(
    ["project", "computers", "network_addresses", "clusters", "server_processes", "tablez"]
)
RECORD_KEYS = st.sampled_from(
    [
        "name",
        "computer",
        "address",
        "type",
        "network_address",
        "cluster",
        "mode",
        "port",
        "odbc",
        "ctapi",
        "priority",
        "other",
    ]
)


@given(
    st.dictionaries(
        TABLE_NAMES,
        st.lists(st.dictionaries(RECORD_KEYS, TOML_VALUES, max_size=6), max_size=3)
        | st.dictionaries(RECORD_KEYS, TOML_VALUES, max_size=4)
        | TOML_VALUES,
        max_size=5,
    )
)
def test_decoding_any_toml_data_reports_problems_and_never_raises(data: dict[str, Any]) -> None:
    loaded = _decode(data, "<data>", Locator())
    problems = compile_topology(loaded)
    assert all(p.message for p in problems)


def test_the_reserved_ports_are_the_ones_plant_scadas_message_names() -> None:
    # "2080-2088,2073,3073,5482,20222": parse the message itself.
    listed = RESERVED_PORT_MESSAGE.split("(")[1].split(" are")[0].split(",")
    ports: set[int] = set()
    for item in listed:
        low, _, high = item.partition("-")
        ports |= set(range(int(low), int(high or low) + 1))
    assert ports == RESERVED_PORTS
