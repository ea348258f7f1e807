"""Each compile rule of docs/topology.md: a file that breaks it, and a valid file that passes."""

from __future__ import annotations

import pytest

from emulator.ports import RESERVED_PORT_MESSAGE
from emulator.topology.compile import CLASH_MESSAGE, NO_CLUSTERS_MESSAGE
from emulator.topology.problems import Severity
from tests.topology.helpers import (
    BASE,
    SOURCE,
    compile_text,
    errors,
    line_of,
    process,
    record_line,
    with_rule,
)


def test_the_base_file_compiles_clean() -> None:
    assert compile_text(BASE) == []


def test_a_full_redundant_cluster_compiles_clean() -> None:
    text = BASE
    for type_ in ("alarm", "reports", "trends", "io"):
        text += process(f"{type_}1", type_, "SCADA_A")
        text += process(f"{type_}2", type_, "SCADA_B", mode="standby")
    assert compile_text(text) == []


# ---- rule 1: reserved ports ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "port"),
    [
        ("io", 2080),
        ("alarm", 2081),
        ("trends", 2083),
        ("reports", 2086),
        ("alarm", 2087),
        ("io", 2073),
        ("io", 3073),
        ("trends", 5482),
        ("reports", 20222),
    ],
)
def test_a_reserved_port_of_another_type_is_refused_with_plant_scadas_message(
    type_: str, port: int
) -> None:
    text = BASE + process("P1", type_, port=port)
    problems = errors(compile_text(text))
    assert len(problems) == 1
    (problem,) = problems
    assert problem.message == "Invalid port number (2080-2088,2073,3073,5482,20222 are reserved)."
    assert problem.message == RESERVED_PORT_MESSAGE
    assert problem.rule == "reserved-port"
    assert problem.location.file == SOURCE
    assert problem.location.record == "P1"
    assert problem.location.field == "port"
    assert problem.location.line == line_of(text, f"port = {port}")


@pytest.mark.parametrize(("type_", "port"), [("alarm", 2080), ("io", 2082), ("trends", 2085)])
def test_a_process_may_name_its_own_default_port(type_: str, port: int) -> None:
    assert compile_text(BASE + process("P1", type_, port=port)) == []


# ---- rule 2: port range (whole numbers are the loader's: test_load) --------------------------


@pytest.mark.parametrize("port", [0, -1, 65536, 1_000_000])
def test_a_port_outside_1_to_65535_is_an_error(port: int) -> None:
    text = BASE + process("P1", "io", port=port)
    (problem,) = compile_text(text)
    assert problem.severity is Severity.ERROR
    assert problem.message == f"port {port} is outside 1..65535"
    assert problem.rule == "port-range"
    assert problem.location.line == line_of(text, "port =")


@pytest.mark.parametrize("port", [1, 2090, 65535])
def test_a_port_inside_the_range_compiles(port: int) -> None:
    assert compile_text(BASE + process("P1", "io", port=port)) == []


# ---- rule 3: two listeners on one address and port ----------------------------------------------


def test_a_second_alarm_server_on_one_computer_without_its_own_port_clashes() -> None:
    text = BASE + process("ALARM1", "alarm", cluster="CLUSTER1")
    text += process("ALARM2", "alarm", cluster="CLUSTER2")
    text += '\n[[clusters]]\nname = "CLUSTER2"\n'
    problems = compile_text(text)
    (problem,) = problems
    assert problem.message.startswith(CLASH_MESSAGE)
    assert CLASH_MESSAGE == "A server with this network address and port already exists"
    assert problem.message == (
        f"{CLASH_MESSAGE}: alarm server 'ALARM2' and alarm server 'ALARM1' "
        f"(line {record_line(text, 'ALARM1')}) both listen on 127.0.20.1:2080"
    )
    assert problem.location.record == "ALARM2"
    assert problem.location.field == "network_address"
    assert problem.location.line == line_of(text, 'network_address = "SCADA_A"', 2)
    assert problem.hint is not None
    assert "port = 2089" in problem.hint


def test_two_io_servers_with_the_same_explicit_port_clash_at_the_port_line() -> None:
    text = BASE + process("IO1", "io", port=2090) + process("IO2", "io", port=2090)
    (problem,) = compile_text(text)
    assert problem.rule == "address-port-clash"
    assert problem.location.line == line_of(text, "port = 2090", 2)
    assert "both listen on 127.0.20.1:2090" in problem.message


def test_a_second_server_on_its_own_port_compiles() -> None:
    text = BASE + process("IO1", "io") + process("IO2", "io", port=2090)
    assert compile_text(text) == []


def test_the_same_port_on_two_addresses_compiles() -> None:
    text = BASE + process("IO1", "io", "SCADA_A") + process("IO2", "io", "SCADA_B")
    assert compile_text(text) == []


def test_a_process_port_may_equal_odbc_only_where_odbc_is_off() -> None:
    # 20222 is reserved anyway: the clash is reported once, as the reserved port.
    text = BASE.replace('name = "SCADA-A"', 'name = "SCADA-A"\nodbc = true')
    text += process("IO1", "io", port=20222)
    assert [p.rule for p in compile_text(text)] == ["reserved-port"]


LAN_ALARM_PAIR = (
    BASE.replace("127.0.20.1", "10.0.0.1").replace("127.0.20.2", "10.0.0.2")
    + process("ALARM1", "alarm", "SCADA_A")
    + process("ALARM2", "alarm", "SCADA_B")
).replace('network_address = "SCADA_B"', 'network_address = "SCADA_B"\nmode = "standby"')


def test_alarm_databases_of_two_computers_on_their_own_hosts_do_not_clash() -> None:
    # Issue 15.3: 127.0.0.1:5482 is each computer's own loopback, as in Plant SCADA; the
    # one-process runtime refuses the pair instead (tests/runtime/test_one_host.py).
    assert compile_text(LAN_ALARM_PAIR) == []


def test_two_computers_sharing_a_lan_address_still_clash() -> None:
    text = BASE.replace("127.0.20.2", "10.0.0.1").replace("127.0.20.1", "10.0.0.1")
    text += process("IO1", "io", "SCADA_A") + process("IO2", "io", "SCADA_B", mode="standby")
    rules = {p.rule: p.message for p in compile_text(text)}
    assert rules.keys() == {"address-port-clash", "duplicate-address"}
    assert rules["address-port-clash"].endswith("both listen on 10.0.0.1:2082")


def test_a_shared_lan_address_clashes_with_its_message_and_line() -> None:
    text = BASE.replace("127.0.20.2", "10.0.0.1").replace("127.0.20.1", "10.0.0.1")
    text += process("IO1", "io", "SCADA_A") + process("IO2", "io", "SCADA_B", mode="standby")
    (clash,) = with_rule(compile_text(text), "address-port-clash")
    assert clash.message == (
        f"{CLASH_MESSAGE}: I/O server 'IO2' and I/O server 'IO1' "
        f"(line {record_line(text, 'IO1')}) both listen on 10.0.0.1:2082"
    )
    assert clash.location.record == "IO2"
    assert clash.location.line == line_of(text, 'network_address = "SCADA_B"')


def test_two_processes_of_one_computer_on_its_loopback_still_clash() -> None:
    text = BASE.replace("127.0.20.1", "127.0.0.1")
    text += process("IO1", "io", "SCADA_A", cluster="CLUSTER1")
    text += process("IO2", "io", "SCADA_A", cluster="CLUSTER2")
    text += '\n[[clusters]]\nname = "CLUSTER2"\n'
    (problem,) = compile_text(text)
    assert problem.message == (
        f"{CLASH_MESSAGE}: I/O server 'IO2' and I/O server 'IO1' "
        f"(line {record_line(text, 'IO1')}) both listen on 127.0.0.1:2082"
    )
    assert problem.location.line == line_of(text, 'network_address = "SCADA_A"', 2)


# ---- rule 4: one primary and one standby per cluster ----------------------------------------


@pytest.mark.parametrize("type_", ["alarm", "reports", "trends"])
def test_a_second_primary_in_a_cluster_is_an_error(type_: str) -> None:
    text = BASE + process("P1", type_, "SCADA_A") + process("P2", type_, "SCADA_B", port=2090)
    (problem,) = compile_text(text)
    title = {"alarm": "alarm server", "reports": "reports server", "trends": "trends server"}
    assert problem.message == (
        f"cluster 'CLUSTER1' already has a primary {title[type_]}, 'P1' "
        f"(line {record_line(text, 'P1')}); a cluster holds one primary and one "
        f"standby {title[type_]}"
    )
    assert problem.rule == "redundancy"
    assert problem.location.record == "P2"
    assert problem.location.line == record_line(text, "P2")  # no mode: the header
    assert problem.hint == "put 'P2' in another cluster, or make it the standby"


def test_a_second_standby_in_a_cluster_is_an_error_at_its_mode_line() -> None:
    text = BASE + process("A1", "alarm", "SCADA_A")
    text += process("A2", "alarm", "SCADA_B", mode="standby")
    text += process("A3", "alarm", "SCADA_B", mode="standby", port=2090)
    (problem,) = compile_text(text)
    assert problem.rule == "redundancy"
    assert problem.message.startswith("cluster 'CLUSTER1' already has a standby alarm server, 'A2'")
    assert problem.location.line == line_of(text, 'mode = "standby"', 2)


def test_io_servers_are_unlimited_per_cluster() -> None:
    text = BASE + "".join(process(f"IO{n}", "io", port=2090 + n) for n in range(5))
    assert compile_text(text) == []


def test_two_primaries_in_two_clusters_compile() -> None:
    text = BASE + '\n[[clusters]]\nname = "CLUSTER2"\n'
    text += process("A1", "alarm", "SCADA_A", cluster="CLUSTER1")
    text += process("A2", "alarm", "SCADA_B", cluster="CLUSTER2")
    assert compile_text(text) == []


# ---- rule 5: a pair on two machines -----------------------------------------------------------


def test_primary_and_standby_on_one_computer_is_an_error() -> None:
    text = BASE + process("T1", "trends", "SCADA_A")
    text += process("T2", "trends", "SCADA_A", mode="standby", port=2090)
    (problem,) = compile_text(text)
    assert problem.message == (
        "the primary trends server 'T1' and the standby 'T2' of cluster 'CLUSTER1' are both "
        "on computer 'SCADA-A'"
    )
    assert problem.rule == "pair-same-computer"
    assert problem.location.field == "network_address"
    assert problem.location.line == line_of(text, 'network_address = "SCADA_A"', 2)


def test_a_pair_on_two_network_addresses_of_one_computer_is_still_one_computer() -> None:
    text = BASE + '\n[[network_addresses]]\nname = "SCADA_A2"\ncomputer = "scada-a"\n'
    text += 'address = "127.0.20.3"\n'
    text += process("R1", "reports", "SCADA_A") + process(
        "R2", "reports", "SCADA_A2", mode="standby"
    )
    assert [p.rule for p in compile_text(text)] == ["pair-same-computer"]


# ---- rule 6: references ---------------------------------------------------------------------


def test_an_unknown_computer_is_named_with_the_nearest() -> None:
    text = BASE.replace('computer = "SCADA-B"', 'computer = "SCADA-C"')
    (problem,) = [p for p in compile_text(text) if p.severity is Severity.ERROR]
    assert problem.message == "unknown computer 'SCADA-C'"
    assert problem.hint in {"did you mean 'SCADA-A'?", "did you mean 'SCADA-B'?"}
    assert problem.rule == "unknown-reference"
    assert problem.location.table == "network_addresses"
    assert problem.location.field == "computer"
    assert problem.location.line == line_of(text, 'computer = "SCADA-C"')


def test_an_unknown_network_address_is_named_with_the_nearest() -> None:
    text = BASE + process("IO1", "io", "SCADA_X")
    (problem,) = compile_text(text)
    assert problem.message == "unknown network address 'SCADA_X'"
    assert problem.hint in ("did you mean 'SCADA_A'?", "did you mean 'SCADA_B'?")
    assert problem.location.line == line_of(text, 'network_address = "SCADA_X"')


def test_an_unknown_cluster_is_named_with_the_nearest() -> None:
    text = BASE + process("IO1", "io", cluster="CLUSTR1")
    (problem,) = compile_text(text)
    assert problem.message == "unknown cluster 'CLUSTR1'"
    assert problem.hint == "did you mean 'CLUSTER1'?"
    assert problem.location.line == line_of(text, 'cluster = "CLUSTR1"')


def test_a_reference_far_from_every_name_lists_the_known_ones() -> None:
    text = BASE + process("IO1", "io", cluster="ZZZ")
    (problem,) = compile_text(text)
    assert problem.hint == "known clusters: 'CLUSTER1'"


def test_references_ignore_case() -> None:
    text = BASE.replace('computer = "SCADA-A"', 'computer = "scada-a"')
    text += process("IO1", "io", "scada_a", cluster="cluster1")
    assert compile_text(text) == []


def test_a_blank_cluster_is_the_only_cluster() -> None:
    assert compile_text(BASE + process("IO1", "io")) == []


def test_a_blank_cluster_among_two_clusters_is_an_error() -> None:
    text = BASE + '\n[[clusters]]\nname = "CLUSTER2"\n' + process("IO1", "io")
    (problem,) = compile_text(text)
    assert problem.message == "the cluster is left blank, but the project has 2 clusters"
    assert problem.hint == "name one of 'CLUSTER1', 'CLUSTER2'"
    assert problem.rule == "blank-cluster"
    assert problem.location.line == line_of(text, "[[server_processes]]")


def test_server_processes_without_any_cluster_is_no_clusters_defined() -> None:
    text = BASE.replace('[[clusters]]\nname = "CLUSTER1"\n', "")
    text += process("IO1", "io") + process("IO2", "io", "SCADA_B")
    (problem,) = compile_text(text)
    assert problem.message == "No Clusters defined"
    assert problem.message == NO_CLUSTERS_MESSAGE
    assert problem.rule == "no-clusters"
    assert problem.location.line == line_of(text, "[[server_processes]]")


def test_no_clusters_and_no_server_processes_is_fine() -> None:
    assert compile_text(BASE.replace('[[clusters]]\nname = "CLUSTER1"\n', "")) == []


def test_a_process_listing_no_network_address_is_an_error() -> None:
    text = BASE + process("IO1", "io").replace('"SCADA_A"', "[]")
    (problem,) = compile_text(text)
    assert problem.message == "no network address given"


def test_a_process_on_two_network_cards_of_one_computer_compiles() -> None:
    text = BASE + '\n[[network_addresses]]\nname = "SCADA_A2"\ncomputer = "SCADA-A"\n'
    text += 'address = "127.0.20.3"\n'
    text += process("IO1", "io").replace('"SCADA_A"', '["SCADA_A", "SCADA_A2"]')
    assert compile_text(text) == []


def test_a_process_on_two_computers_is_an_error() -> None:
    text = BASE + process("IO1", "io").replace('"SCADA_A"', '["SCADA_A", "SCADA_B"]')
    (problem,) = compile_text(text)
    assert (
        problem.message == "server process 'IO1' lists network addresses of 'SCADA-A' and 'SCADA-B'"
    )
    assert problem.rule == "process-on-two-computers"


def test_a_network_address_listed_twice_is_an_error() -> None:
    text = BASE + process("IO1", "io").replace('"SCADA_A"', '["SCADA_A", "scada_a"]')
    (problem,) = compile_text(text)
    assert problem.message == "network address 'scada_a' is listed twice"
    assert problem.rule == "repeated-network-address"


# ---- rule 7: duplicate names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "noun", "record"),
    [
        ("computers", "computer", '[[computers]]\nname = "scada-a"\n'),
        (
            "network_addresses",
            "network address",
            '[[network_addresses]]\nname = "scada_a"\ncomputer = "SCADA-B"\n'
            'address = "127.0.20.9"\n',
        ),
        ("clusters", "cluster", '[[clusters]]\nname = "Cluster1"\n'),
    ],
)
def test_duplicate_names_ignore_case(table: str, noun: str, record: str) -> None:
    text = BASE + "\n" + record
    duplicates = with_rule(compile_text(text), "duplicate-name")
    (problem,) = duplicates
    original = {"computers": "SCADA-A", "network_addresses": "SCADA_A", "clusters": "CLUSTER1"}
    duplicate = record.split('"')[1]
    first_line = record_line(text, original[table])
    assert problem.message == (
        f"duplicate {noun} name {duplicate!r}: {noun} {original[table]!r} (line {first_line}) "
        "has the same name"
    )
    assert problem.location.table == table
    assert problem.location.line == line_of(text, f'name = "{duplicate}"')


def test_duplicate_server_process_names_are_an_error() -> None:
    text = BASE + process("IO1", "io") + process("io1", "io", "SCADA_B")
    (problem,) = compile_text(text)
    assert problem.message.startswith("duplicate server process name 'io1': server process 'IO1'")
    assert problem.location.line == line_of(text, 'name = "io1"')


def test_a_blank_name_is_an_error() -> None:
    text = BASE + '\n[[clusters]]\nname = " "\n'
    problems = compile_text(text)
    assert [p.message for p in problems] == ["the cluster name is blank"]


# ---- rule 8: network addresses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("localhost", "localhost is not supported as a network address"),
        ("LOCALHOST", "localhost is not supported as a network address"),
        ("scada-a.plant.example", "'scada-a.plant.example' is a fully qualified domain name"),
        ("fe80::1%eth0", "the IPv6 address 'fe80::1%eth0' has a zone index (%eth0)"),
        ("SCADA-A", "'SCADA-A' is a name, not an IP address"),
        ("127.0.20.300", "'127.0.20.300' is not an IP address"),
        ("not an address!", "'not an address!' is not an IP address"),
        ("", "the address is blank"),
        (" 127.0.20.1", "the address ' 127.0.20.1' has spaces around it"),
        ("[::1]", "the address '[::1]' is in brackets"),
        ("0.0.0.0", "0.0.0.0 is not the address of a network card"),
        ("::", ":: is not the address of a network card"),
        ("224.0.0.1", "224.0.0.1 is not the address of a network card"),
    ],
)
def test_an_address_plant_scada_does_not_support_is_an_error(address: str, message: str) -> None:
    text = BASE.replace('address = "127.0.20.2"', f'address = "{address}"')
    (problem,) = compile_text(text)
    assert problem.message == message
    assert problem.rule == "network-address"
    assert problem.location.record == "SCADA_B"
    assert problem.location.field == "address"
    assert problem.location.line == line_of(text, f'address = "{address}"')


@pytest.mark.parametrize("address", ["127.0.20.2", "10.1.2.3", "::1", "fd00::20:2"])
def test_ipv4_and_ipv6_addresses_compile(address: str) -> None:
    assert compile_text(BASE.replace("127.0.20.2", address)) == []


def test_a_network_address_name_with_a_space_is_an_error() -> None:
    text = BASE.replace('name = "SCADA_B"', 'name = "SCADA B"')
    (problem,) = compile_text(text)
    assert problem.message == "network address name 'SCADA B' contains a space"
    assert problem.hint == "Plant SCADA network address names have no spaces: use 'SCADA_B'"
    assert problem.rule == "network-address-name"
    assert problem.location.line == line_of(text, 'name = "SCADA B"')


def test_one_ip_on_two_network_addresses_is_reported_once() -> None:
    text = BASE.replace("127.0.20.2", "10.0.20.1").replace("127.0.20.1", "10.0.20.1")
    (problem,) = compile_text(text)
    assert problem.message == (
        f"address 10.0.20.1 is already network address 'SCADA_A' "
        f"(line {record_line(text, 'SCADA_A')}) of computer 'SCADA-A'"
    )
    assert problem.rule == "duplicate-address"
    assert problem.location.line == line_of(text, 'address = "10.0.20.1"', 2)


def test_one_loopback_ip_on_two_computers_is_each_hosts_own() -> None:
    # Issue 15.3: 127.x is per host; run in one process, the runtime refuses the pair
    # (tests/runtime/test_one_host.py).
    text = BASE.replace("127.0.20.2", "127.0.0.1").replace("127.0.20.1", "127.0.0.1")
    text += process("IO1", "io", "SCADA_A") + process("IO2", "io", "SCADA_B", mode="standby")
    assert compile_text(text) == []


def test_one_loopback_ip_on_two_cards_of_one_computer_is_a_duplicate() -> None:
    text = BASE.replace('computer = "SCADA-B"', 'computer = "SCADA-A"')
    text = text.replace("127.0.20.2", "127.0.20.1")
    (problem,) = errors(compile_text(text))
    assert problem.message == (
        f"address 127.0.20.1 is already network address 'SCADA_A' "
        f"(line {record_line(text, 'SCADA_A')}) of computer 'SCADA-A'"
    )
    assert problem.rule == "duplicate-address"
    assert problem.location.line == line_of(text, 'address = "127.0.20.1"', 2)
    assert problem.hint == (
        "an IP address belongs to one network card: give each network address its own"
    )


def test_one_ipv6_address_in_two_spellings_is_one_address() -> None:
    text = BASE.replace("127.0.20.1", "fd00::1").replace("127.0.20.2", "fd00:0::0:1")
    assert [p.rule for p in compile_text(text)] == ["duplicate-address"]


# ---- rule 9: legacy ports ----------------------------------------------------------------------


@pytest.mark.parametrize("port", [2074, 2079])
def test_a_legacy_port_is_a_warning(port: int) -> None:
    text = BASE + process("IO1", "io", port=port)
    (problem,) = compile_text(text)
    assert problem.severity is Severity.WARNING
    assert problem.message == (
        f"port {port} is in 2074-2079, reserved in earlier versions for legacy connections "
        "and no longer used"
    )
    assert problem.rule == "legacy-port"
    assert problem.location.line == line_of(text, f"port = {port}")


# ---- rule 10: a standby needs a primary --------------------------------------------------------


def test_a_standby_without_a_primary_is_a_warning() -> None:
    text = BASE + process("IO2", "io", "SCADA_B", mode="standby")
    (problem,) = compile_text(text)
    assert problem.severity is Severity.WARNING
    assert (
        problem.message
        == "standby I/O server 'IO2' has no primary I/O server in cluster 'CLUSTER1'"
    )
    assert problem.rule == "standby-without-primary"
    assert problem.location.line == line_of(text, 'mode = "standby"')


def test_a_primary_of_another_cluster_does_not_count() -> None:
    text = BASE + '\n[[clusters]]\nname = "CLUSTER2"\n'
    text += process("A1", "alarm", "SCADA_A", cluster="CLUSTER2")
    text += process("A2", "alarm", "SCADA_B", cluster="CLUSTER1", mode="standby")
    assert [p.rule for p in compile_text(text)] == ["standby-without-primary"]


# ---- rule 11: priority -----------------------------------------------------------------------


@pytest.mark.parametrize("priority", [0, -5, 32768])
def test_a_priority_outside_1_to_32767_is_an_error(priority: int) -> None:
    text = BASE + process("A1", "alarm", priority=priority)
    (problem,) = compile_text(text)
    assert problem.message == f"priority {priority} is outside 1..32767"
    assert problem.rule == "priority-range"
    assert problem.location.line == line_of(text, "priority =")


@pytest.mark.parametrize("priority", [1, 32767])
def test_a_priority_inside_the_range_compiles(priority: int) -> None:
    assert compile_text(BASE + process("A1", "alarm", priority=priority)) == []


# ---- computers -------------------------------------------------------------------------------


def test_a_computer_without_a_network_address_is_a_warning() -> None:
    text = BASE + '\n[[computers]]\nname = "CLIENT"\n'
    (problem,) = compile_text(text)
    assert problem.severity is Severity.WARNING
    assert (
        problem.message
        == "computer 'CLIENT' has no network address, so nothing can be planned for it"
    )
    assert problem.rule == "computer-without-address"
    assert problem.location.line == record_line(text, "CLIENT")


def test_a_certificate_without_its_key_is_an_error() -> None:
    text = BASE.replace('name = "SCADA-A"', 'name = "SCADA-A"\ncertificate = "a.pem"')
    (problem,) = compile_text(text)
    assert problem.message == "certificate is given without private_key"
    assert problem.location.line == line_of(text, "certificate =")


def test_a_certificate_with_its_key_compiles() -> None:
    text = BASE.replace(
        'name = "SCADA-A"', 'name = "SCADA-A"\ncertificate = "a.pem"\nprivate_key = "a.key"'
    )
    assert compile_text(text) == []


def test_a_computer_name_with_a_space_is_an_error() -> None:
    text = BASE.replace('"SCADA-A"', '"SCADA A"')
    (problem,) = compile_text(text)
    assert problem.message == "computer name 'SCADA A' contains a space"
    assert problem.rule == "computer-name"


@pytest.mark.parametrize("name", ["CLUSTER 1", "PLANT.1"])
def test_a_cluster_name_with_a_space_or_dot_is_an_error(name: str) -> None:
    text = BASE.replace('"CLUSTER1"', f'"{name}"')
    (problem,) = compile_text(text)
    assert problem.message == f"cluster name {name!r} contains a space or a dot"
    assert problem.rule == "cluster-name"


# ---- one pass --------------------------------------------------------------------------------


def test_every_problem_is_reported_in_one_pass_in_rule_order() -> None:
    text = BASE.replace("127.0.20.2", "localhost")
    text += process("IO1", "io", port=2080, priority=0)
    text += process("A1", "alarm", cluster="NOPE")
    rules = [p.rule for p in compile_text(text)]
    assert rules == ["reserved-port", "unknown-reference", "network-address", "priority-range"]


def test_a_record_that_failed_to_decode_is_not_also_unknown() -> None:
    text = BASE.replace('name = "SCADA-B"', 'name = "SCADA-B"\nctapi = "sometimes"')
    problems = compile_text(text)
    assert [p.rule for p in problems] == ["invalid-value"]
    assert problems[0].location.line == line_of(text, 'ctapi = "sometimes"')


def test_a_plant_rule_that_raises_becomes_an_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emulator.plant import rules

    def broken(loaded: object) -> list[object]:
        raise ValueError("boom")

    monkeypatch.setattr(rules, "RULES", [*rules.RULES, broken])
    problems = compile_text(BASE)
    assert [p.rule for p in problems] == ["internal"]
    assert "ValueError: boom" in problems[0].message
