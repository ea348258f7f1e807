"""From repeated measurements to results: medians and spread, the JSON file, the markdown table.

docs/performance.md keeps the table of the last full run between two marker comments; the rest
of that file is written by hand.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:results:begin (written by `make bench`; edit outside the markers) -->"
END = "<!-- bench:results:end -->"

Number = float | int


class Runs:
    """Every repetition's value of every measured key ('tag_read.emulator_rps' ...)."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self.notes: dict[str, str] = {}

    def add(self, key: str, value: Number | None) -> None:
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            self.values.setdefault(key, []).append(float(value))

    def missing(self, key: str, reason: str) -> None:
        """A key that could not be measured in this run, and why (kept as null in the JSON)."""
        self.notes.setdefault(key, reason)

    def median(self, key: str) -> float | None:
        values = self.values.get(key)
        return statistics.median(values) if values else None

    def spread(self, key: str) -> dict[str, float] | None:
        values = self.values.get(key)
        if not values:
            return None
        return {"min": min(values), "max": max(values), "n": len(values)}


@dataclass(frozen=True, slots=True)
class Goal:
    """One row of the issue's target table: the key, the bound and which way it points."""

    key: str
    what: str
    bound: float
    at_least: bool
    unit: str = ""

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.bound if self.at_least else value <= self.bound

    @property
    def target(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"{sign} {_fmt(self.bound)}{self.unit}"


GOALS: tuple[Goal, ...] = (
    Goal("tag_read.ratio_vs_echo", "CtAPI tag reads, 16 x 8 plain, vs echo limit", 0.5, True, "x"),
    Goal("tag_read.ratio_vs_pymodbus", "same, vs pymodbus read holding registers", 2.0, True, "x"),
    Goal("tls.ratio_vs_plain", "tag reads over TLS (3073) vs plain", 0.7, True, "x"),
    Goal("tag_read.p99_ms", "p99 latency at 2,000 req/s open loop", 2.0, False, " ms"),
    Goal("connections.held", "idle CtAPI sessions held (opened, logged in)", 10_000, True),
    Goal("connections.rss_kib_per_connection", "RSS growth per held session", 16, False, " KiB"),
    Goal("startup.demo_s", "demo plant, process start to ready", 0.6, False, " s"),
    Goal("startup.large_s", "large plant (≥ 1,000 listeners), start to ready", 3.0, False, " s"),
    Goal("scale.100k.ready_s", "100,000-tag plant, process start to ready", 2.0, False, " s"),
    Goal("scale.1M.ready_s", "1,000,000-tag plant, process start to ready", 15.0, False, " s"),
    Goal("scale.100k.check_s", "`scada-emu check` of the 100,000-tag plant", 1.0, False, " s"),
    Goal("scale.100k.idle_cpu", "100,000-tag plant, no clients: CPU", 0.05, False, " of a core"),
    Goal("scale.100k.rss_kib_per_tag", "100,000-tag plant: RSS per tag", 2.0, False, " KiB"),
    Goal(
        "failover.reconnect_ms",
        "client on the standby after the primary crashes",
        250,
        False,
        " ms",
    ),
    Goal("slowloris.p99_ratio", "p99 with 1,000 half-open clients vs unloaded", 2.0, False, "x"),
    Goal(
        "slowloris.burst_p99_ratio",
        "same, all 1,000 dripping in one millisecond (worst case)",
        2.0,
        False,
        "x",
    ),
    Goal(
        "native.ratio_vs_python", "ctTagRead round trip, libctapi vs Python client", 1.2, False, "x"
    ),
    Goal(
        "native.list_values_per_s", "ctListRead of 1,000 tags, libctapi (values/s)", 200_000, True
    ),
    Goal(
        "native.list_changing_values_per_s",
        "same, every value changing between reads",
        200_000,
        True,
    ),
)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, like a developer's shell
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dirty = _git("status", "--porcelain", "--", "emulator", "bench") not in ("", "unknown")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", "--short", "HEAD") + (" (+ uncommitted)" if dirty else ""),
    }


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{'a.b': 1} -> {'a': {'b': 1}}."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return out


def results(runs: Runs, meta: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The JSON document: medians under their keys, null plus a note where unmeasured."""
    flat: dict[str, Any] = {}
    for key in keys:
        value = runs.median(key)
        flat[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    out = nest(flat)
    out["meta"] = meta
    out["goals"] = {
        g.key: {"target": g.target, "value": flat.get(g.key), "met": g.met(flat.get(g.key))}
        for g in GOALS
    }
    out["runs"] = runs.values
    out["spread"] = {k: runs.spread(k) for k in runs.values}
    out["unmeasured"] = runs.notes
    return out


def _spread_text(runs: Runs, key: str) -> str:
    spread = runs.spread(key)
    if spread is None or spread["n"] < 2:
        return "1 run" if spread else "-"
    return f"{_fmt(spread['min'])}-{_fmt(spread['max'])} ({spread['n']} runs)"


def _met_text(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "not measured"}[met]


def table(runs: Runs, doc: dict[str, Any], details: Callable[[str], str]) -> str:
    """The targets table: each goal's median, spread over repetitions and whether it is met."""
    rows = [
        "| what | target | measured (median) | spread | met |",
        "|---|---|---|---|---|",
    ]
    for goal in GOALS:
        value = doc["goals"][goal.key]["value"]
        measured = _fmt(value) + (goal.unit if value is not None else "")
        extra = details(goal.key)
        if extra:
            measured += f" ({extra})"
        if value is None and goal.key in runs.notes:
            measured = f"null: {runs.notes[goal.key]}"
        rows.append(
            f"| {goal.what} | {goal.target} | {measured} | {_spread_text(runs, goal.key)} "
            f"| {_met_text(doc['goals'][goal.key]['met'])} |"
        )
    return "\n".join(rows)


def header(meta: dict[str, Any]) -> str:
    m = meta["machine"]
    return (
        f"Run `{meta['profile']}` on {m['date']}, commit `{m['commit']}`: {m['cpu']}, "
        f"{m['cores']} cores, Linux {m['kernel']}, Python {m['python']}. Emulator event loop: "
        f"{meta['emulator_loop']}; generator: {meta['generator_loop']}; server on CPU "
        f"{meta['placement']['server_cpu']}, generator on CPU {meta['placement']['generator_cpu']}."
    )


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def update_doc(path: Path, block: str) -> bool:
    """Replace the text between the markers of docs/performance.md; False when they are missing."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return False
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return False
    new = text[: start + len(BEGIN)] + "\n\n" + block.strip() + "\n\n" + text[end:]
    path.write_text(new, encoding="utf-8")
    return True
