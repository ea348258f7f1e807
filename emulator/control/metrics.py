"""Prometheus metrics of one runtime: connections, requests and errors per listener and op,
request latency, process states. One registry per runtime, so several plants in one test
process keep their own counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from emulator.processes.context import ProcessStatus
    from emulator.topology.plan import Endpoint

#: Latency buckets in seconds: handlers answer in microseconds, faults add up to seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Longest op kept as a label value.
MAX_OP = 40


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("computer", "process", "listener")
        self.connections = Counter(
            "scada_emu_connections", "Connections accepted", labels, registry=self.registry
        )
        self.open = Gauge(
            "scada_emu_open_connections", "Connections open now", labels, registry=self.registry
        )
        self.requests = Counter(
            "scada_emu_requests", "Requests served", (*labels, "op"), registry=self.registry
        )
        self.errors = Counter(
            "scada_emu_request_errors",
            "Requests answered with an error",
            (*labels, "op", "error"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "scada_emu_request_seconds",
            "Time to answer one request (in the process handler)",
            (*labels, "op"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.faults = Counter(
            "scada_emu_faults_applied",
            "Faults applied to a connection",
            (*labels, "fault", "kind"),
            registry=self.registry,
        )
        self.states = Gauge(
            "scada_emu_process_state",
            "1 for the state each server process is in",
            ("computer", "process", "state"),
            registry=self.registry,
        )
        #: The request counter and latency children of each (endpoint, port, op): `labels()`
        #: builds a tuple and takes a lock, too much for every request.
        self._served: dict[tuple[Endpoint, int, str], tuple[Counter, Histogram]] = {}

    def _labels(self, endpoint: Endpoint, port: int) -> tuple[str, str, str]:
        address = f"{endpoint.address}:{port}{'/tls' if endpoint.tls else ''}"
        return endpoint.computer, endpoint.process, address

    def connection_opened(self, endpoint: Endpoint, port: int) -> None:
        labels = self._labels(endpoint, port)
        self.connections.labels(*labels).inc()
        self.open.labels(*labels).inc()

    def connection_closed(self, endpoint: Endpoint, port: int) -> None:
        self.open.labels(*self._labels(endpoint, port)).dec()

    def request(
        self, endpoint: Endpoint, port: int, op: str, error: str | None, seconds: float
    ) -> None:
        if error == "unknown_request" or len(op) > MAX_OP:
            op = "unknown"  # a client's made-up ops must not grow the label set
        key = (endpoint, port, op)
        served = self._served.get(key)
        if served is None:
            labels = (*self._labels(endpoint, port), op)
            served = self._served[key] = (
                self.requests.labels(*labels),
                self.latency.labels(*labels),
            )
        requests, latency = served
        requests.inc()
        latency.observe(seconds)
        if error is not None:
            self.errors.labels(*self._labels(endpoint, port), op, error).inc()

    def fault_applied(self, endpoint: Endpoint, port: int, fault: str, kind: str) -> None:
        self.faults.labels(*self._labels(endpoint, port), fault, kind).inc()

    def render(self, statuses: Iterable[ProcessStatus]) -> bytes:
        """The Prometheus text exposition, with the process states of `statuses`."""
        self.states.clear()
        for status in statuses:
            self.states.labels(status.computer, status.process, str(status.state)).set(1)
        return generate_latest(self.registry)
