"""Compile rules of the scenario tables: generators, timeline, faults, [scenario], [control].

emulator.topology.compile runs RULES after the plant rules, so `scada-emu check` reports a
wrong scenario in the same style as a wrong topology: what, where, what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from emulator.faults.registry import problems as fault_problems
from emulator.plant.tag_index import TagIndex
from emulator.scenario.duration import DurationError, seconds
from emulator.scenario.expression import ExpressionError, compile_expression
from emulator.topology.names import nearest
from emulator.topology.plan import COMPUTER_PROCESS_NAMES, is_loopback
from emulator.topology.problems import Location, Problem, error, warning

if TYPE_CHECKING:
    from emulator.topology.load import LoadedTopology
    from emulator.topology.model import Topology

Rule = Callable[["LoadedTopology"], Iterable[Problem]]

#: The fields each generator kind needs, beyond tag and kind.
_NEEDS = {"constant": "value", "steps": "steps", "expression": "expression"}
_NUMERIC_KINDS = {"sine", "square", "ramp", "random_walk", "expression"}
_PROCESS_ACTIONS = {"stop", "start", "crash", "hang"}


def _hint(name: str, known: Sequence[str], what: str) -> str:
    close = nearest(name, known)
    if close is not None:
        return f"did you mean {close!r}?"
    return f"add it to [[{what}]]" if known else f"define [[{what}]] first"


def _duration(value: float | str, where: Location, rule: str, positive: bool) -> Iterator[Problem]:
    try:
        number = seconds(value)
    except DurationError as exc:
        yield error(str(exc), where, None, rule)
        return
    if positive and number <= 0:
        yield error(f"{value!r} must be more than 0 seconds", where, None, rule)


def scenario_settings(loaded: LoadedTopology) -> Iterator[Problem]:
    settings = loaded.model.scenario
    yield from _duration(
        settings.tick, loaded.where("scenario", None, "tick"), "scenario-tick", True
    )
    if not settings.speed > 0:
        yield error(
            f"speed {settings.speed} must be more than 0",
            loaded.where("scenario", None, "speed"),
            "1 is real time, 60 runs an hour a minute",
            "scenario-speed",
        )


def generators(loaded: LoadedTopology) -> Iterator[Problem]:
    model = loaded.model
    tags = TagIndex(model)
    types = {t.name.casefold(): t.type for t in model.tags}
    seen: dict[str, int] = {}
    for position, spec in enumerate(model.generators):

        def where(field: str | None, position: int = position) -> Location:
            return loaded.where("generators", position, field)

        if tags.find(spec.tag) is None:
            yield error(
                f"generator of unknown tag {spec.tag!r}",
                where("tag"),
                _hint(spec.tag, tags.tags.names(), "tags"),
                "generator-tag",
            )
        first = seen.setdefault(spec.tag.casefold(), position)
        if first != position:
            yield error(
                f"tag {spec.tag!r} already has a generator (line {where(None, first).line})",
                where("tag"),
                "one generator per tag: remove one, or combine them in an expression",
                "generator-duplicate",
            )
        needed = _NEEDS.get(spec.kind)
        if needed is not None and not getattr(spec, needed):
            yield error(
                f"a {spec.kind} generator needs {needed}", where(needed), None, "generator-field"
            )
        tag_type = types.get(spec.tag.casefold())
        if tag_type == "string" and spec.kind in _NUMERIC_KINDS:
            yield error(
                f"a {spec.kind} generator makes numbers, but {spec.tag!r} is a string tag",
                where("kind"),
                "use constant or steps for a string tag",
                "generator-type",
            )
        values = [spec.value] + [s.value for s in spec.steps]
        if tag_type not in (None, "string") and any(isinstance(v, str) for v in values):
            yield error(
                f"a text value for the {tag_type} tag {spec.tag!r}",
                where("value" if isinstance(spec.value, str) else "steps"),
                "write a number (or true/false for a digital tag)",
                "generator-type",
            )
        if spec.kind in ("sine", "square", "steps"):
            yield from _duration(spec.period, where("period"), "generator-period", True)
        yield from _duration(spec.phase, where("phase"), "generator-period", False)
        yield from _duration(spec.write_hold, where("write_hold"), "generator-period", False)
        for step in spec.steps:
            yield from _duration(step.at, where("steps"), "generator-steps", False)
        if not 0 <= spec.duty <= 1:
            yield error(f"duty {spec.duty} is outside 0..1", where("duty"), None, "generator-field")
        if spec.noise < 0 or spec.step < 0:
            field = "noise" if spec.noise < 0 else "step"
            yield error(f"{field} must be >= 0", where(field), None, "generator-field")
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            yield error(
                f"min {spec.min} is above max {spec.max}", where("min"), None, "generator-limits"
            )
        if spec.kind == "expression" and spec.expression:
            yield from _expression(spec.expression, tags, where("expression"))


def _expression(text: str, tags: TagIndex, where: Location) -> Iterator[Problem]:
    try:
        compiled = compile_expression(text)
    except ExpressionError as exc:
        yield error(f"bad expression {text!r}: {exc}", where, None, "generator-expression")
        return
    for name in sorted(compiled.names):
        if tags.find(name) is None:
            yield error(
                f"the expression reads unknown tag {name!r}",
                where,
                _hint(name, tags.tags.names(), "tags"),
                "generator-expression",
            )


def _reference(
    name: str | None, noun: str, known: Sequence[str], table: str, *, where: Location, rule: str
) -> Iterator[Problem]:
    """An error when `name` is given and is none of `known` (case-insensitive)."""
    if name is not None and not any(k.casefold() == name.casefold() for k in known):
        yield error(f"unknown {noun} {name!r}", where, _hint(name, known, table), rule)


def _process_names(model: Topology) -> list[str]:
    return [p.name for p in model.server_processes] + list(COMPUTER_PROCESS_NAMES.values())


def timeline(loaded: LoadedTopology) -> Iterator[Problem]:
    model = loaded.model
    tags = TagIndex(model)
    processes = _process_names(model)
    computers = [c.name for c in model.computers]
    faults = [f.name for f in model.faults]
    reports = [r.name for r in model.reports]
    for position, event in enumerate(model.timeline):

        def where(field: str | None, position: int = position) -> Location:
            return loaded.where("timeline", position, field)

        yield from _duration(event.at, where("at"), "timeline-time", False)
        if event.every is not None:
            yield from _duration(event.every, where("every"), "timeline-time", True)
        needs = {
            "set_tag": ("tag", "value"),
            "add_fault": ("fault",),
            "clear_fault": ("fault",),
            "shift_clock": ("seconds",),
            "run_report": ("report",),
        }.get(event.action, ("process",) if event.action in _PROCESS_ACTIONS else ())
        for field in needs:
            if getattr(event, field) is None:
                yield error(
                    f"a {event.action} event needs {field}", where(field), None, "timeline-field"
                )
        if event.tag is not None and tags.find(event.tag) is None:
            yield error(
                f"unknown tag {event.tag!r}",
                where("tag"),
                _hint(event.tag, tags.tags.names(), "tags"),
                "timeline-tag",
            )
        references = (
            ("process", "server process", processes, "server_processes"),
            ("computer", "computer", computers, "computers"),
            ("fault", "fault", faults, "faults"),
            ("report", "report", reports, "reports"),
        )
        for field, noun, known, table in references:
            yield from _reference(
                getattr(event, field),
                noun,
                known,
                table,
                where=where(field),
                rule=f"timeline-{field}",
            )


def faults(loaded: LoadedTopology) -> Iterator[Problem]:
    model = loaded.model
    processes = _process_names(model)
    computers = [c.name for c in model.computers]
    seen: dict[str, int] = {}
    for position, spec in enumerate(model.faults):

        def where(field: str | None, position: int = position) -> Location:
            return loaded.where("faults", position, field)

        for field, message in fault_problems(spec):
            yield error(message, where(field), None, "fault-attribute")
        first = seen.setdefault(spec.name.casefold(), position)
        if first != position:
            yield error(
                f"a fault named {spec.name!r} already exists (line {where(None, first).line})",
                where("name"),
                "give each fault its own name",
                "fault-duplicate",
            )
        yield from _reference(
            spec.process,
            "server process",
            processes,
            "server_processes",
            where=where("process"),
            rule="fault-target",
        )
        yield from _reference(
            spec.computer,
            "computer",
            computers,
            "computers",
            where=where("computer"),
            rule="fault-target",
        )


def control(loaded: LoadedTopology) -> Iterator[Problem]:
    settings = loaded.model.control
    if not 0 <= settings.port <= 65535:
        yield error(
            f"port {settings.port} is outside 0..65535",
            loaded.where("control", None, "port"),
            "0 picks a free port",
            "control-port",
        )
    if settings.enabled and not is_loopback(settings.host) and not settings.token:
        yield error(
            f"the control API on the non-loopback address {settings.host!r} needs a token",
            loaded.where("control", None, "host"),
            "set token (or --control-token); every request must then carry it",
            "control-token",
        )
    elif settings.token is not None and len(settings.token) < 16:
        yield warning(
            "the control token is shorter than 16 characters",
            loaded.where("control", None, "token"),
            "use a long random token, e.g. from `openssl rand -hex 16`",
            "control-token",
        )


RULES: list[Rule] = [scenario_settings, generators, timeline, faults, control]
