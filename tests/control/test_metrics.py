"""Metrics: every request counts once under its listener and op, however it is looked up."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from emulator.control.metrics import Metrics
from emulator.ports import ProcessType
from emulator.topology.plan import Endpoint


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.render([]).decode())
        for s in family.samples
    }


def test_requests_count_per_listener_op_and_error() -> None:
    metrics = Metrics()
    plain = Endpoint("PC1", "CtAPI", ProcessType.CTAPI, "127.0.0.1", 2073)
    tls = Endpoint("PC1", "CtAPI", ProcessType.CTAPI, "127.0.0.1", 3073, tls=True)
    for _ in range(3):
        metrics.request(plain, 40001, "tag.read", None, 0.001)
    metrics.request(plain, 40001, "tag.read", "tag_not_found", 0.001)
    metrics.request(tls, 40002, "tag.read", None, 0.001)
    metrics.request(plain, 40001, "x" * 41, "unknown_request", 0.0)
    found = _samples(metrics)

    def labels(listener: str, **more: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            sorted({"computer": "PC1", "process": "CtAPI", "listener": listener, **more}.items())
        )

    read = labels("127.0.0.1:40001", op="tag.read")
    assert found[("scada_emu_requests_total", read)] == 4
    assert found[("scada_emu_request_seconds_count", read)] == 4
    assert found[("scada_emu_requests_total", labels("127.0.0.1:40002/tls", op="tag.read"))] == 1
    assert found[("scada_emu_requests_total", labels("127.0.0.1:40001", op="unknown"))] == 1
    error = labels("127.0.0.1:40001", op="tag.read", error="tag_not_found")
    assert found[("scada_emu_request_errors_total", error)] == 1
