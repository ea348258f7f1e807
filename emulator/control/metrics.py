"""Prometheus metrics of one runtime: connections, requests and errors per listener and op,
request latency, process states. One registry per runtime, so several plants in one test
process keep their own counts.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

if TYPE_CHECKING:
    from emulator.topology.plan import Endpoint


class Labelled(Protocol):
    """What the process-state gauge needs of a process (processes.context's ProcessStatus),
    so that the metrics stay below the context that holds them."""

    @property
    def computer(self) -> str: ...

    @property
    def process(self) -> str: ...

    @property
    def state(self) -> object: ...


#: Latency buckets in seconds: handlers answer in microseconds, faults add up to seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Longest op kept as a label value.
MAX_OP = 40
#: The `le` label of each bucket, +Inf last, written as prometheus_client writes them.
_LE: tuple[str, ...] = tuple(
    floatToGoString(bound)  # type: ignore[no-untyped-call]
    for bound in (*BUCKETS, float("inf"))
)


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
        #: The requests of each (endpoint, port, op), counted by `request` in plain numbers.
        self._served: dict[tuple[Endpoint, int, str], _Served] = {}
        self.registry.register(_ServedCollector(self._served, (*labels, "op"), latency=False))
        self.errors = Counter(
            "scada_emu_request_errors",
            "Requests answered with an error",
            (*labels, "op", "error"),
            registry=self.registry,
        )
        self.registry.register(_ServedCollector(self._served, (*labels, "op"), latency=True))
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
            served = self._served[key] = _Served((*self._labels(endpoint, port), op))
        served.count += 1
        served.sum += seconds
        served.buckets[bisect_left(BUCKETS, seconds)] += 1  # le: the first bound >= seconds
        if error is not None:
            self.errors.labels(*self._labels(endpoint, port), op, error).inc()

    def served(self, endpoint: Endpoint, port: int) -> dict[str, int]:
        """Requests a listener has answered so far, by op (the dashboard's traffic view)."""
        return {
            op: served.count
            for (e, p, op), served in list(self._served.items())
            if p == port and e == endpoint
        }

    def fault_applied(self, endpoint: Endpoint, port: int, fault: str, kind: str) -> None:
        self.faults.labels(*self._labels(endpoint, port), fault, kind).inc()

    def render(self, statuses: Iterable[Labelled]) -> bytes:
        """The Prometheus text exposition, with the process states of `statuses`."""
        self.states.clear()
        for status in statuses:
            self.states.labels(status.computer, status.process, str(status.state)).set(1)
        return generate_latest(self.registry)


class _Served:
    """One listener's requests of one op, as plain numbers: prometheus_client's Counter and
    Histogram take a lock per increment, three per request on the hot path."""

    __slots__ = ("buckets", "count", "created", "labels", "sum")

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.count = 0
        self.sum = 0.0
        #: Observations per bucket of BUCKETS, the last one +Inf (not cumulative).
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.created = time.time()


class _ServedCollector:
    """`scada_emu_requests` (a counter) or `scada_emu_request_seconds` (a histogram) from the
    `_Served` counts at each scrape, in the samples prometheus_client's own would give."""

    def __init__(
        self,
        served: dict[tuple[Endpoint, int, str], _Served],
        labels: tuple[str, ...],
        *,
        latency: bool,
    ) -> None:
        self._served = served
        self._labels = labels
        self._latency = latency

    def describe(self) -> list[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        created = prometheus_metrics._use_created  # prometheus_client's own switch for these
        for served in list(self._served.values()):
            labels = list(served.labels)
            if isinstance(family, CounterMetricFamily):
                family.add_metric(
                    labels, float(served.count), created=served.created if created else None
                )
                continue
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for le, count in zip(_LE, served.buckets, strict=True):
                cumulative += count
                buckets.append((le, float(cumulative)))
            family.add_metric(labels, buckets, served.sum)
            if created:
                names = dict(zip(self._labels, labels, strict=True))
                family.samples.append(Sample(f"{family.name}_created", names, served.created))
        yield family

    def _family(self) -> CounterMetricFamily | HistogramMetricFamily:
        if self._latency:
            return HistogramMetricFamily(
                "scada_emu_request_seconds",
                "Time to answer one request (in the process handler)",
                labels=self._labels,
            )
        return CounterMetricFamily("scada_emu_requests", "Requests served", labels=self._labels)
