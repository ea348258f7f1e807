"""Plant SCADA's compile rules over a loaded topology: every problem in one pass, nothing bound.

A pure function of the loaded model (no sockets, no clock, no files), so hypothesis can throw
any model at it. Rules follow docs/topology.md in order; each problem names its rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from emulator.plant import rules as plant_rules
from emulator.ports import (
    LEGACY_PORTS,
    PORT_MAX,
    PORT_MIN,
    REDUNDANT_PAIR_TYPES,
    RESERVED_PORT_MESSAGE,
    RESERVED_PORTS,
    RESERVED_RANGE,
    ProcessType,
    default_port,
    port_owner,
    reserved_for_another_type,
    type_title,
)
from emulator.scenario import rules as scenario_rules
from emulator.topology.load import LoadedTopology
from emulator.topology.model import PRIORITY_MAX, PRIORITY_MIN, Computer, ServerProcess
from emulator.topology.names import Directory, is_blank, nearest
from emulator.topology.plan import (
    Endpoint,
    alarm_database,
    computer_endpoints,
    host_key,
    process_endpoint,
)
from emulator.topology.problems import Location, Problem, error, warning

#: Plant SCADA's text for two listeners on one address and port (third-party reports).
CLASH_MESSAGE = "A server with this network address and port already exists"
NO_CLUSTERS_MESSAGE = "No Clusters defined"

_NOUNS = {
    "computers": "computer",
    "network_addresses": "network address",
    "clusters": "cluster",
    "server_processes": "server process",
}


def compile_topology(loaded: LoadedTopology) -> list[Problem]:
    """The decode problems, then every topology, plant and scenario rule, in that order."""
    if loaded.compiled is not None:
        return list(loaded.compiled)
    context = _Context(loaded)
    problems = list(loaded.problems)
    for rule in TOPOLOGY_RULES:
        problems.extend(rule(context))
    for plant_rule in (*plant_rules.RULES, *scenario_rules.RULES):
        problems.extend(_run_plant_rule(plant_rule, loaded))
    return problems


def _run_plant_rule(rule: plant_rules.Rule, loaded: LoadedTopology) -> list[Problem]:
    """A rule that raises is a bug: it becomes an error problem, never a crash of `check`."""
    try:
        return list(rule(loaded))
    except Exception as exc:
        name = getattr(rule, "__qualname__", repr(rule))
        return [
            error(
                f"internal error in compile rule {name}: {type(exc).__name__}: {exc}",
                Location(loaded.source),
                "this is a bug of the emulator; please report it with the file",
                "internal",
            )
        ]


@dataclass(frozen=True)
class _Context:
    loaded: LoadedTopology

    @cached_property
    def directory(self) -> Directory:
        return Directory.of(self.loaded.model)

    def where(self, table: str, position: int | None = None, field: str | None = None) -> Location:
        return self.loaded.where(table, position, field)

    def at_line(self, table: str, position: int) -> str:
        """' (line N)' for messages that point at a second record, when the line is known."""
        line = self.where(table, position).line
        return "" if line is None else f" (line {line})"


# ---- rules 1, 2, 9: ports ----------------------------------------------------------------------


def _ports(c: _Context) -> Iterator[Problem]:
    for position, process in enumerate(c.loaded.model.server_processes):
        port = process.port
        if port is None:
            continue
        ptype = ProcessType(process.type)
        where = c.where("server_processes", position, "port")
        default = f"leave port out to use {default_port(ptype)}, the {_title(ptype)} default"
        if not PORT_MIN <= port <= PORT_MAX:
            yield error(
                f"port {port} is outside {PORT_MIN}..{PORT_MAX}",
                where,
                f"a TCP port is a whole number from {PORT_MIN} to {PORT_MAX}; {default}",
                "port-range",
            )
        elif reserved_for_another_type(port, ptype):
            owner = port_owner(port)
            why = (
                f"{port} is in the reserved range 2080-2088"
                if owner is None
                else f"{port} is the default port of the {owner.title}"
            )
            yield error(
                RESERVED_PORT_MESSAGE,
                where,
                f"{why}; {default}, or choose an unreserved port such as {_free_port(set())}",
                "reserved-port",
            )
        elif port in LEGACY_PORTS:
            yield warning(
                f"port {port} is in 2074-2079, reserved in earlier versions for legacy "
                "connections and no longer used",
                where,
                "it works; choose another port if older Citect installations share the network",
                "legacy-port",
            )


def _title(ptype: ProcessType) -> str:
    return type_title(ptype).lower().replace("i/o", "I/O")


def _free_port(used: set[int]) -> int:
    """The first port above the reserved range that no process type owns and nothing uses."""
    port = RESERVED_RANGE.stop
    while port in RESERVED_PORTS or port in LEGACY_PORTS or port in used:
        port += 1
    return port


# ---- rule 3: two listeners on one network address and port -------------------------------------


@dataclass(frozen=True, slots=True)
class _Listener:
    endpoint: Endpoint
    location: Location
    #: (table, position) of the record that makes the listener.
    owner: tuple[str, int]
    label: str
    #: ' (line N)' of the record, named when the listener is the earlier of a clash.
    at_line: str = ""


def _ip(address: str) -> str | None:
    """The address in one canonical spelling, or None when the address rule rejects it."""
    if _address_problem(address) is not None:
        return None
    return ipaddress.ip_address(address).compressed


def _listeners(c: _Context) -> list[_Listener]:
    """Every listener the plan would make, with the record that makes it."""
    model, directory = c.loaded.model, c.directory
    listeners: list[_Listener] = []
    for position, address in enumerate(model.network_addresses):
        computer = directory.computer_of(address)
        if computer is None or _ip(address.address) is None:
            continue
        for endpoint in computer_endpoints(computer, address):
            listeners.append(
                _Listener(
                    endpoint,
                    c.where("network_addresses", position, "address"),
                    ("network_addresses", position),
                    f"{endpoint.process} of computer {computer.name!r}",
                )
            )
    alarm_hosts: set[int] = set()  # id() of each computer with an alarm server
    for position, process in enumerate(model.server_processes):
        port = process.port
        ptype = ProcessType(process.type)
        if port is not None and (
            not PORT_MIN <= port <= PORT_MAX or reserved_for_another_type(port, ptype)
        ):
            continue  # the port rules report it
        field = "port" if port is not None else "network_address"
        cluster = directory.cluster_of(process)
        for address in directory.addresses_of(process):
            computer = directory.computer_of(address)
            if computer is None or _ip(address.address) is None:
                continue
            if ptype is ProcessType.ALARM:
                alarm_hosts.add(id(computer))
            listeners.append(
                _Listener(
                    process_endpoint(computer, process, address, cluster),
                    c.where("server_processes", position, field),
                    ("server_processes", position),
                    f"{_title(ptype)} {process.name!r}",
                    c.at_line("server_processes", position),
                )
            )
    own = directory.addresses_by_computer()
    for position, computer in enumerate(model.computers):
        if id(computer) not in alarm_hosts:
            continue
        listeners.append(
            _Listener(
                alarm_database(computer, own.get(id(computer), [])),
                c.where("computers", position),
                ("computers", position),
                f"the alarm database of computer {computer.name!r}",
            )
        )
    return listeners


def _clashes(c: _Context) -> Iterator[Problem]:
    listeners = _listeners(c)
    first: dict[tuple[str | None, int, str | None], _Listener] = {}
    for listener in listeners:
        endpoint = listener.endpoint
        key = host_key(endpoint, _ip(endpoint.address))
        earlier = first.setdefault(key, listener)
        if earlier is listener or earlier.owner == listener.owner:
            continue
        if earlier.owner[0] == listener.owner[0] == "network_addresses":
            continue  # one IP on two network addresses: the address rule reports it once
        if listener.owner[0] == "computers":
            hint = (
                "the alarm database (5482) binds only a loopback address: give each computer "
                "that hosts an alarm server a 127.x network address of its own"
            )
        else:
            used = {e.endpoint.port for e in listeners if _ip(e.endpoint.address) == key[0]}
            hint = (
                f"give it its own port (e.g. port = {_free_port(used)}), "
                "or a network address of another computer"
            )
        yield error(
            f"{CLASH_MESSAGE}: {listener.label} and {earlier.label}{earlier.at_line} both "
            f"listen on {_host_port(endpoint)}",
            listener.location,
            hint,
            "address-port-clash",
        )


def _host_port(endpoint: Endpoint) -> str:
    host = endpoint.address
    return f"[{host}]:{endpoint.port}" if ":" in host else f"{host}:{endpoint.port}"


# ---- rules 4, 5, 10: redundancy per cluster ----------------------------------------------------


def _redundancy(c: _Context) -> Iterator[Problem]:
    processes = c.loaded.model.server_processes
    groups: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    cluster_names: dict[str, str] = {}
    for position, process in enumerate(processes):
        cluster = c.directory.cluster_of(process)
        if cluster is None:
            continue  # the reference rules report it
        cluster_names[cluster.name.casefold()] = cluster.name
        groups[(cluster.name.casefold(), process.type)][process.mode].append(position)

    for (cluster_key, type_name), modes in groups.items():
        ptype = ProcessType(type_name)
        cluster_name = cluster_names[cluster_key]
        title = _title(ptype)
        if ptype in REDUNDANT_PAIR_TYPES:
            for mode, positions in modes.items():
                kept = processes[positions[0]]
                for position in positions[1:]:
                    extra = processes[position]
                    other_mode = "standby" if mode == "primary" else "primary"
                    hint = f"put {extra.name!r} in another cluster"
                    if not modes.get(other_mode):
                        hint += f", or make it the {other_mode}"
                    yield error(
                        f"cluster {cluster_name!r} already has a {mode} {title}, {kept.name!r}"
                        f"{c.at_line('server_processes', positions[0])}; a cluster holds one "
                        f"primary and one standby {title}",
                        c.where("server_processes", position, "mode"),
                        hint,
                        "redundancy",
                    )
            yield from _pair_on_one_computer(c, modes, cluster_name, title)
        if modes.get("standby") and not modes.get("primary"):
            for position in modes["standby"]:
                yield warning(
                    f"standby {title} {processes[position].name!r} has no primary {title} "
                    f"in cluster {cluster_name!r}",
                    c.where("server_processes", position, "mode"),
                    "add the primary, or make this one the primary",
                    "standby-without-primary",
                )


def _pair_on_one_computer(
    c: _Context, modes: dict[str, list[int]], cluster: str, title: str
) -> Iterator[Problem]:
    if not modes.get("primary") or not modes.get("standby"):
        return
    processes = c.loaded.model.server_processes
    primary, standby = processes[modes["primary"][0]], processes[modes["standby"][0]]
    computer = c.directory.computer_of_process(primary)
    if computer is not None and computer is c.directory.computer_of_process(standby):
        yield error(
            f"the primary {title} {primary.name!r} and the standby {standby.name!r} of "
            f"cluster {cluster!r} are both on computer {computer.name!r}",
            c.where("server_processes", modes["standby"][0], "network_address"),
            "Plant SCADA requires the two servers of a pair on different machines: give the "
            "standby a network address of another computer",
            "pair-same-computer",
        )


# ---- rule 6: references ------------------------------------------------------------------------


def _unknown(noun: str, table: str, name: str, known: Sequence[str], where: Location) -> Problem:
    if is_blank(name):
        return error(f"no {noun} given", where, f"name the {noun}", "unknown-reference")
    close = nearest(name, known)
    if close is not None:
        hint = f"did you mean {close!r}?"
    elif known:
        hint = f"known {noun}es: " if noun.endswith("ss") else f"known {noun}s: "
        hint += ", ".join(repr(k) for k in known[:10])
        hint += ", ..." if len(known) > 10 else ""
    else:
        hint = f"add a [[{table}]] record named {name!r}"
    return error(f"unknown {noun} {name!r}", where, hint, "unknown-reference")


def _references(c: _Context) -> Iterator[Problem]:
    model, directory, loaded = c.loaded.model, c.directory, c.loaded
    for position, address in enumerate(model.network_addresses):
        if directory.computer_of(address) is None and not loaded.is_undecoded(
            "computers", address.computer
        ):
            yield _unknown(
                "computer",
                "computers",
                address.computer,
                directory.computers.names(),
                c.where("network_addresses", position, "computer"),
            )

    clusters_undecoded = bool(loaded.undecoded.get("clusters"))
    if model.server_processes and not model.clusters and not clusters_undecoded:
        yield error(
            NO_CLUSTERS_MESSAGE,
            c.where("server_processes", 0),
            'every server process belongs to a cluster: add [[clusters]] with name = "CLUSTER1"',
            "no-clusters",
        )
    for position, process in enumerate(model.server_processes):
        yield from _process_addresses(c, position, process)
        if not model.clusters or clusters_undecoded:
            continue
        where = c.where("server_processes", position, "cluster")
        if is_blank(process.cluster):
            if len(model.clusters) > 1:
                yield error(
                    f"the cluster is left blank, but the project has {len(model.clusters)} "
                    "clusters",
                    where,
                    "name one of " + ", ".join(repr(n) for n in directory.clusters.names()),
                    "blank-cluster",
                )
        elif directory.cluster_of(process) is None:
            yield _unknown(
                "cluster", "clusters", process.cluster or "", directory.clusters.names(), where
            )


def _process_addresses(c: _Context, position: int, process: ServerProcess) -> Iterator[Problem]:
    directory = c.directory
    where = c.where("server_processes", position, "network_address")
    names = process.network_addresses
    if not names:
        yield error(
            "no network address given",
            where,
            "list at least one network address name",
            "unknown-reference",
        )
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            yield error(
                f"network address {name!r} is listed twice",
                where,
                "list each network address (network card) once",
                "repeated-network-address",
            )
            continue
        seen.add(name.casefold())
        if directory.network_addresses.get(name) is None and not c.loaded.is_undecoded(
            "network_addresses", name
        ):
            yield _unknown(
                "network address",
                "network_addresses",
                name,
                directory.network_addresses.names(),
                where,
            )
    computers: list[Computer] = []
    for address in directory.addresses_of(process):
        computer = directory.computer_of(address)
        if computer is not None and all(computer is not k for k in computers):
            computers.append(computer)
    if len(computers) > 1:
        yield error(
            f"server process {process.name!r} lists network addresses of "
            + " and ".join(repr(k.name) for k in computers),
            where,
            "a server process runs on one computer: list only that computer's network addresses",
            "process-on-two-computers",
        )


# ---- rule 7 and names --------------------------------------------------------------------------


def _names(c: _Context) -> Iterator[Problem]:
    for table, noun in _NOUNS.items():
        records: list[Any] = getattr(c.loaded.model, table)
        first: dict[str, int] = {}
        for position, record in enumerate(records):
            name: str = record.name
            where = c.where(table, position, "name")
            if is_blank(name):
                yield error(
                    f"the {noun} name is blank", where, f"give every {noun} a name", "blank-name"
                )
                continue
            earlier = first.setdefault(name.casefold(), position)
            if earlier != position:
                yield error(
                    f"duplicate {noun} name {name!r}: {noun} {records[earlier].name!r}"
                    f"{c.at_line(table, earlier)} has the same name",
                    where,
                    "names are compared without regard to case; rename one of them",
                    "duplicate-name",
                )
    yield from _name_characters(c)


#: Characters a name may not hold: (table, pattern, what it is, why, rule).
_NAME_LIMITS = (
    (
        "computers",
        re.compile(r"\s+"),
        "a space",
        "Windows computer names have no spaces, and TLS certificates carry the name",
        "computer-name",
    ),
    (
        "clusters",
        re.compile(r"[\s.]+"),
        "a space or a dot",
        "tags are addressed as Cluster.Tag",
        "cluster-name",
    ),
    (
        "network_addresses",
        re.compile(r"\s+"),
        "a space",
        "Plant SCADA network address names have no spaces",
        "network-address-name",
    ),
)


def _name_characters(c: _Context) -> Iterator[Problem]:
    for table, pattern, what, why, rule in _NAME_LIMITS:
        records: list[Any] = getattr(c.loaded.model, table)
        for position, record in enumerate(records):
            name: str = record.name
            if is_blank(name) or not pattern.search(name):
                continue
            yield error(
                f"{_NOUNS[table]} name {name!r} contains {what}",
                c.where(table, position, "name"),
                f"{why}: use {pattern.sub('_', name.strip())!r}",
                rule,
            )


# ---- rule 8: network addresses -----------------------------------------------------------------

_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_\-]*[A-Za-z0-9])?(\.[A-Za-z0-9_\-]+)*\.?")


def _address_problem(address: str) -> tuple[str, str] | None:
    """Why Plant SCADA (or the emulator, which binds it) refuses an address, and what to do."""
    text = address.strip()
    example = "give an IPv4 or IPv6 address, e.g. 127.0.10.1"
    if not text:
        return "the address is blank", example
    if text != address:
        return f"the address {address!r} has spaces around it", f"write {text!r}"
    if text.casefold() in ("localhost", "localhost.localdomain"):
        return (
            "localhost is not supported as a network address",
            "Plant SCADA does not support localhost: give an IP address, e.g. 127.0.0.1 "
            "(or one 127.x address per emulated computer)",
        )
    if "%" in text:
        bare, zone = text.split("%", 1)
        return (
            f"the IPv6 address {text!r} has a zone index (%{zone})",
            f"Plant SCADA does not support zone indexes: write {bare!r}",
        )
    if text.startswith("[") and text.endswith("]"):
        return f"the address {text!r} is in brackets", f"write {text[1:-1]!r}"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        if _HOST_NAME.fullmatch(text) and not text.replace(".", "").isdigit():
            if "." in text.rstrip("."):
                return (
                    f"{text!r} is a fully qualified domain name",
                    "Plant SCADA does not support fully qualified domain names: give the "
                    "computer's IP address",
                )
            return (
                f"{text!r} is a name, not an IP address",
                "the emulator binds every network address, so it needs the IP address "
                "(Plant SCADA would resolve a computer name; the emulator does not)",
            )
        return f"{text!r} is not an IP address", example
    if ip.is_unspecified or ip.is_multicast:
        return (
            f"{text} is not the address of a network card",
            "give the computer's own address; to emulate several computers on one machine, "
            "give each a 127.x address",
        )
    return None


def _network_addresses(c: _Context) -> Iterator[Problem]:
    addresses = c.loaded.model.network_addresses
    first: dict[tuple[str, str | None], int] = {}
    for position, address in enumerate(addresses):
        where = c.where("network_addresses", position, "address")
        problem = _address_problem(address.address)
        if problem is not None:
            message, hint = problem
            yield error(message, where, hint, "network-address")
            continue
        ip = ipaddress.ip_address(address.address)
        # Loopback is per host (issue 15.3): two computers' 127.x cards are each their own.
        key = (ip.compressed, address.computer.casefold() if ip.is_loopback else None)
        earlier = first.setdefault(key, position)
        if earlier != position:
            other = addresses[earlier]
            yield error(
                f"address {address.address} is already network address {other.name!r}"
                f"{c.at_line('network_addresses', earlier)} of computer {other.computer!r}",
                where,
                "an IP address belongs to one network card: give each network address its own",
                "duplicate-address",
            )


# ---- rule 11 and the computers -----------------------------------------------------------------


def _priorities(c: _Context) -> Iterator[Problem]:
    for position, process in enumerate(c.loaded.model.server_processes):
        if not PRIORITY_MIN <= process.priority <= PRIORITY_MAX:
            yield error(
                f"priority {process.priority} is outside {PRIORITY_MIN}..{PRIORITY_MAX}",
                c.where("server_processes", position, "priority"),
                f"lower is preferred; {PRIORITY_MIN}, the default, is the most preferred",
                "priority-range",
            )


def _computers(c: _Context) -> Iterator[Problem]:
    model = c.loaded.model
    with_address = {a.computer.casefold() for a in model.network_addresses}
    for position, computer in enumerate(model.computers):
        if computer.name.casefold() not in with_address:
            yield warning(
                f"computer {computer.name!r} has no network address, so nothing can be "
                "planned for it",
                c.where("computers", position),
                f"add [[network_addresses]] with computer = {computer.name!r}",
                "computer-without-address",
            )
        if (computer.certificate is None) != (computer.private_key is None):
            given, missing = (
                ("certificate", "private_key")
                if computer.private_key is None
                else ("private_key", "certificate")
            )
            yield error(
                f"{given} is given without {missing}",
                c.where("computers", position, given),
                "give both PEM files, or neither to have the emulator's CA sign a certificate",
                "certificate-pair",
            )


def _server_password(c: _Context) -> Iterator[Problem]:
    password = c.loaded.model.project.server_password
    if password is not None and is_blank(password):
        yield error(
            "server_password is blank",
            c.where("project", None, "server_password"),
            "give the password every server of the project shares, or leave it out for a "
            "random one per run (in the ready file)",
            "server-password-blank",
        )


TOPOLOGY_RULES: tuple[Callable[[_Context], Iterable[Problem]], ...] = (
    _server_password,
    _ports,
    _clashes,
    _redundancy,
    _references,
    _names,
    _network_addresses,
    _priorities,
    _computers,
)
