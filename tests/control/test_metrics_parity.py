"""The request counter and latency histogram, counted in plain numbers, scrape exactly as
prometheus_client's own Counter and Histogram fed the same requests would."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from emulator.control.metrics import BUCKETS, Metrics
from emulator.ports import ProcessType
from emulator.topology.plan import Endpoint

LABELS = ("computer", "process", "listener", "op")
ENDPOINT = Endpoint("PC1", "CtAPI", ProcessType.CTAPI, "127.0.0.1", 2073)
#: Seconds around and on the bucket bounds (le is inclusive), and past the last one.
SECONDS = st.one_of(
    st.sampled_from((0.0, *BUCKETS, 10.5)),
    st.floats(min_value=0.0, max_value=20.0, allow_nan=False),
)
REQUESTS = st.lists(st.tuples(st.sampled_from(("tag.read", "tag.write")), SECONDS), max_size=30)


def _families(text: bytes, names: tuple[str, ...]) -> str:
    """The lines of the named families, creation times masked (they differ by microseconds)."""
    lines = [
        line
        for line in text.decode().splitlines()
        if any(re.match(rf"(# (HELP|TYPE) )?{name}[_ {{]", line) for name in names)
    ]
    return re.sub(r"_created(\{.*\})? \S+", r"_created\1 X", "\n".join(lines))


@settings(max_examples=50, deadline=None)
@given(REQUESTS)
def test_scrape_matches_prometheus_client(requests: list[tuple[str, float]]) -> None:
    metrics = Metrics()
    registry = CollectorRegistry()
    counter = Counter("scada_emu_requests", "Requests served", LABELS, registry=registry)
    histogram = Histogram(
        "scada_emu_request_seconds",
        "Time to answer one request (in the process handler)",
        LABELS,
        buckets=BUCKETS,
        registry=registry,
    )
    for op, seconds in requests:
        metrics.request(ENDPOINT, 40001, op, None, seconds)
        labels = ("PC1", "CtAPI", "127.0.0.1:40001", op)
        counter.labels(*labels).inc()
        histogram.labels(*labels).observe(seconds)
    names = ("scada_emu_requests", "scada_emu_request_seconds")
    ours = _families(metrics.render([]), names)
    assert ours == _families(generate_latest(registry), names)
    assert "# TYPE scada_emu_request_seconds histogram" in ours
    assert "# TYPE scada_emu_requests_total counter" in ours
