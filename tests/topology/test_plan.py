"""The plan: every listener the runtime binds, per computer, from a compiled topology."""

from __future__ import annotations

import pytest

from emulator.ports import ProcessType
from emulator.topology.load import load_demo, load_text
from emulator.topology.plan import Endpoint, plan
from tests.topology.helpers import BASE, compile_text, process


def listeners(text: str) -> list[tuple[str, str, str, int, bool]]:
    return [(e.computer, e.process, e.address, e.port, e.tls) for e in plan(load_text(text).model)]


def test_the_demo_plan_has_every_listener_of_both_computers() -> None:
    endpoints = plan(load_demo().model)
    by_computer = {
        computer: sorted((str(e.type), e.port) for e in endpoints if e.computer == computer)
        for computer in ("SCADA-A", "SCADA-B")
    }
    common = [
        ("alarm", 2080),
        ("alarm_db", 5482),
        ("ctapi", 2073),
        ("ctapi", 3073),
        ("io", 2082),
        ("reports", 2084),
        ("system_services", 2087),
        ("time_sync", 2088),
        ("trends", 2085),
    ]
    assert by_computer["SCADA-A"] == sorted([*common, ("odbc", 20222)])
    assert by_computer["SCADA-B"] == common
    alarm1 = next(e for e in endpoints if e.process == "ALARM1")
    assert alarm1 == Endpoint(
        computer="SCADA-A",
        process="ALARM1",
        type=ProcessType.ALARM,
        address="127.0.10.1",
        port=2080,
        cluster="CLUSTER1",
        mode="primary",
        priority=1,
        network_address="SCADA_A",
    )
    assert [e.tls for e in endpoints if e.port == 3073] == [True, True]


@pytest.mark.parametrize(
    ("mode", "ctapi_ports"),
    [("disabled", []), ("unencrypted", [2073]), ("mixed", [2073, 3073]), ("encrypted", [3073])],
)
def test_ctapi_listeners_follow_the_computers_mode(mode: str, ctapi_ports: list[int]) -> None:
    text = BASE.replace('name = "SCADA-A"', f'name = "SCADA-A"\nctapi = "{mode}"')
    found = [port for computer, name, _, port, _ in listeners(text) if name == "CtAPI"]
    assert found[: len(ctapi_ports)] == ctapi_ports
    assert [
        p for c, n, _, p, _ in listeners(text) if n == "CtAPI" and c == "SCADA-A"
    ] == ctapi_ports


def test_odbc_listens_only_where_enabled() -> None:
    text = BASE.replace('name = "SCADA-B"', 'name = "SCADA-B"\nodbc = true')
    assert [(c, p) for c, n, _, p, _ in listeners(text) if n == "ODBC"] == [("SCADA-B", 20222)]


def test_the_alarm_database_is_local_even_when_the_computer_is_not() -> None:
    text = BASE.replace("127.0.20.1", "10.0.0.1") + process("A1", "alarm")
    database = [(c, a, p) for c, n, a, p, _ in listeners(text) if n == "AlarmDatabase"]
    assert database == [("SCADA-A", "127.0.0.1", 5482)]


def test_the_alarm_database_uses_the_computers_own_loopback_address() -> None:
    text = BASE + process("A1", "alarm", "SCADA_B")
    database = [(c, a) for c, n, a, _, _ in listeners(text) if n == "AlarmDatabase"]
    assert database == [("SCADA-B", "127.0.20.2")]


def test_a_process_on_two_cards_listens_on_both() -> None:
    text = BASE + '\n[[network_addresses]]\nname = "SCADA_A2"\ncomputer = "SCADA-A"\n'
    text += 'address = "::1"\n'
    text += process("IO1", "io", port=2090).replace('"SCADA_A"', '["SCADA_A", "SCADA_A2"]')
    assert compile_text(text) == []
    assert [(a, p) for _, n, a, p, _ in listeners(text) if n == "IO1"] == [
        ("127.0.20.1", 2090),
        ("::1", 2090),
    ]


def test_an_explicit_port_and_a_blank_cluster_are_planned() -> None:
    endpoints = plan(load_text(BASE + process("IO1", "io", port=2090, priority=5)).model)
    (io1,) = [e for e in endpoints if e.process == "IO1"]
    assert (io1.port, io1.cluster, io1.priority, io1.key) == (
        2090,
        "CLUSTER1",
        5,
        ("SCADA-A", "IO1"),
    )


def test_plan_skips_references_that_do_not_resolve() -> None:
    text = BASE + process("IO1", "io", "NOWHERE")
    text = text.replace('computer = "SCADA-B"', 'computer = "NOBODY"')
    names = [(c, n) for c, n, _, _, _ in listeners(text)]
    assert ("SCADA-A", "IO1") not in names
    assert {c for c, _ in names} == {"SCADA-A"}
