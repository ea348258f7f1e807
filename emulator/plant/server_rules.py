"""Compile rules of the tables the alarm, trends and reports servers serve.

Each problem names its rule (listed in docs/plant.md); emulator.plant.rules runs them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from emulator.cicode import CicodeSyntaxError, parse
from emulator.plant.config import Alarm, Tag
from emulator.plant.reports import ReportConfigError, parse_time_of_day, template_fields
from emulator.plant.tag_index import TagIndex
from emulator.topology.names import nearest
from emulator.topology.problems import Location, Problem, error, warning

if TYPE_CHECKING:
    from emulator.topology.load import LoadedTopology

CATEGORY_MAX = 16375
PRIORITY_MAX = 255
AREA_MAX = 255
CUSTOM_FIELDS = 8

#: The fields each alarm type reads; any other limit field is ignored (a warning).
_TYPE_FIELDS = {
    "digital": {"variable", "variable_b"},
    "analog": {
        "variable",
        "setpoint",
        "high_high",
        "high",
        "low",
        "low_low",
        "deviation",
        "rate",
        "deadband",
    },
    "advanced": {"expression"},
}
_TYPED_FIELDS = set().union(*_TYPE_FIELDS.values())
_LIMITS = ("low_low", "low", "high", "high_high")


class _Plant:
    def __init__(self, loaded: LoadedTopology) -> None:
        self.loaded = loaded
        self._tags = TagIndex(loaded.model)

    def tag(self, reference: str) -> Tag | None:
        """The tag a reference names: `Tag` or `Cluster.Tag`."""
        return self._tags.find(reference.strip())

    def unknown_tag(
        self, reference: str, table: str, position: int, field: str, rule: str
    ) -> Problem:
        known = [t.name for t in self.loaded.model.tags]
        close = nearest(reference, known)
        hint = f"did you mean {close!r}?" if close else "add it under [[tags]] or fix the name"
        return error(
            f"{field} names tag {reference!r}, which is not defined",
            self.loaded.where(table, position, field),
            hint,
            rule,
        )

    def cluster_problem(
        self, cluster: str | None, table: str, position: int, rule: str
    ) -> Iterator[Problem]:
        if cluster is None:
            return
        names = [c.name for c in self.loaded.model.clusters]
        if cluster.casefold() not in {n.casefold() for n in names}:
            close = nearest(cluster, names)
            yield error(
                f"cluster {cluster!r} is not defined",
                self.loaded.where(table, position, "cluster"),
                f"did you mean {close!r}?"
                if close
                else "leave cluster out or add it to [[clusters]]",
                rule,
            )


def _duplicates(
    names: Sequence[str], loaded: LoadedTopology, table: str, key: str, rule: str
) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        first = seen.setdefault(name.casefold(), position)
        if first != position:
            line = loaded.where(table, first).line
            at = "" if line is None else f" (line {line})"
            yield error(
                f"{key} {name!r} is already used by an earlier record{at}",
                loaded.where(table, position, key),
                f"give each of [[{table}]] its own {key} (case does not count)",
                rule,
            )


def _strip_not(name: str) -> str:
    return name[4:].strip() if name[:4].casefold() == "not " else name.strip()


# ---- alarms ------------------------------------------------------------------------------------


def alarm_categories(loaded: LoadedTopology) -> Iterator[Problem]:
    categories = loaded.model.alarm_categories
    yield from _duplicates(
        [str(c.number) for c in categories],
        loaded,
        "alarm_categories",
        "number",
        "category-duplicate",
    )
    for position, category in enumerate(categories):
        if not 0 <= category.number <= CATEGORY_MAX:
            yield error(
                f"category {category.number} is outside 0..{CATEGORY_MAX}",
                loaded.where("alarm_categories", position, "number"),
                "254 is for user summary entries, 255 for hardware alarms",
                "category-range",
            )
        if not 0 <= category.priority <= PRIORITY_MAX:
            yield error(
                f"priority {category.priority} is outside 0..{PRIORITY_MAX}",
                loaded.where("alarm_categories", position, "priority"),
                "1 is the highest priority",
                "alarm-priority",
            )


def alarms(loaded: LoadedTopology) -> Iterator[Problem]:
    plant = _Plant(loaded)
    records = loaded.model.alarms
    yield from _duplicates([a.tag for a in records], loaded, "alarms", "tag", "alarm-duplicate")
    categories = {c.number for c in loaded.model.alarm_categories}
    for position, alarm in enumerate(records):
        yield from plant.cluster_problem(alarm.cluster, "alarms", position, "alarm-cluster")
        yield from _alarm_fields(plant, alarm, position)
        yield from _alarm_tags(plant, alarm, position)
        if alarm.type == "analog":
            yield from _analog_limits(loaded, alarm, position)
        if alarm.type == "advanced" and alarm.expression:
            try:
                parse(alarm.expression)
            except CicodeSyntaxError as exc:
                yield error(
                    f"expression is not Cicode: {exc}",
                    loaded.where("alarms", position, "expression"),
                    'write e.g. expression = "TANK1_LEVEL > 90 AND VALVE_IN_OPEN"',
                    "alarm-expression",
                )

        def where(field: str, position: int = position) -> Location:
            return loaded.where("alarms", position, field)

        if not 0 <= alarm.category <= CATEGORY_MAX:
            yield error(
                f"category {alarm.category} is outside 0..{CATEGORY_MAX}",
                where("category"),
                None,
                "category-range",
            )
        elif alarm.category != 0 and alarm.category not in categories:
            yield warning(
                f"category {alarm.category} is not under [[alarm_categories]]",
                where("category"),
                "its priority defaults to 0; add the category to set one",
                "alarm-category",
            )
        if alarm.priority is not None and not 0 <= alarm.priority <= PRIORITY_MAX:
            yield error(
                f"priority {alarm.priority} is outside 0..{PRIORITY_MAX}",
                where("priority"),
                "1 is the highest priority; leave it out to take the category's",
                "alarm-priority",
            )
        if not 0 <= alarm.area <= AREA_MAX:
            yield error(
                f"area {alarm.area} is outside 0..{AREA_MAX}", where("area"), None, "alarm-area"
            )
        if len(alarm.custom) > CUSTOM_FIELDS:
            yield error(
                f"{len(alarm.custom)} custom fields; an alarm has Custom1 to Custom{CUSTOM_FIELDS}",
                where("custom"),
                f"keep at most {CUSTOM_FIELDS}",
                "alarm-custom",
            )


def _alarm_fields(plant: _Plant, alarm: Alarm, position: int) -> Iterator[Problem]:
    loaded = plant.loaded
    wanted = {
        "digital": ("variable", 'a digital alarm needs variable = "TAG"'),
        "analog": ("variable", 'an analog alarm needs variable = "TAG"'),
        "advanced": ("expression", 'an advanced alarm needs expression = "Cicode"'),
    }[alarm.type]
    if not (getattr(alarm, wanted[0]) or "").strip():
        yield error(
            f"{alarm.type} alarm has no {wanted[0]}",
            loaded.where("alarms", position, wanted[0]),
            wanted[1],
            "alarm-type-fields",
        )
    for field in sorted(_TYPED_FIELDS - _TYPE_FIELDS[alarm.type]):
        value = getattr(alarm, field)
        if value is not None and not (field == "deadband" and value == 0.0):
            yield warning(
                f"{field} does not apply to a {alarm.type} alarm and is ignored",
                loaded.where("alarms", position, field),
                "remove it, or change type",
                "alarm-type-fields",
            )
    if alarm.type == "analog" and all(
        getattr(alarm, f) is None for f in (*_LIMITS, "deviation", "rate")
    ):
        yield error(
            "analog alarm has no limit",
            loaded.where("alarms", position),
            "set high, high_high, low, low_low, deviation (with setpoint) or rate",
            "alarm-type-fields",
        )


def _alarm_tags(plant: _Plant, alarm: Alarm, position: int) -> Iterator[Problem]:
    references: list[tuple[str, str]] = []
    if alarm.type in ("digital", "analog") and alarm.variable:
        references.append(("variable", alarm.variable))
    if alarm.type == "digital" and alarm.variable_b:
        references.append(("variable_b", alarm.variable_b))
    if alarm.type == "analog" and isinstance(alarm.setpoint, str):
        references.append(("setpoint", alarm.setpoint))
    for field, reference in references:
        name = _strip_not(reference) if alarm.type == "digital" else reference
        tag = plant.tag(name)
        if tag is None:
            yield plant.unknown_tag(name, "alarms", position, field, "alarm-tag-unknown")
        elif tag.type == "string" or (alarm.type == "analog" and tag.type == "digital"):
            yield error(
                f"{field} {tag.name!r} is a {tag.type} tag; a {alarm.type} alarm needs a "
                f"{'numeric' if alarm.type == 'analog' else 'digital or numeric'} one",
                plant.loaded.where("alarms", position, field),
                "use a digital alarm for on/off tags" if alarm.type == "analog" else None,
                "alarm-tag-type",
            )


def _analog_limits(loaded: LoadedTopology, alarm: Alarm, position: int) -> Iterator[Problem]:
    given = [(f, getattr(alarm, f)) for f in _LIMITS if getattr(alarm, f) is not None]
    for (low_name, low), (high_name, high) in itertools.pairwise(given):
        if low > high:
            yield error(
                f"{low_name} {low} is above {high_name} {high}",
                loaded.where("alarms", position, low_name),
                "limits go low_low <= low <= high <= high_high",
                "alarm-limits-order",
            )
    if alarm.deadband < 0:
        yield error(
            f"deadband {alarm.deadband} is negative",
            loaded.where("alarms", position, "deadband"),
            "a deadband is a distance in engineering units, 0 or more",
            "alarm-deadband",
        )
    for field in ("deviation", "rate"):
        value = getattr(alarm, field)
        if value is not None and value <= 0:
            yield error(
                f"{field} {value} must be above 0",
                loaded.where("alarms", position, field),
                None,
                "alarm-limits-order",
            )
    if alarm.deviation is not None and alarm.setpoint is None:
        yield error(
            "deviation needs a setpoint",
            loaded.where("alarms", position, "deviation"),
            'set setpoint = 50.0 or setpoint = "SP_TAG"',
            "alarm-deviation",
        )
    elif alarm.setpoint is not None and alarm.deviation is None:
        yield warning(
            "setpoint is set but no deviation: it is never used",
            loaded.where("alarms", position, "setpoint"),
            "set deviation, or remove setpoint",
            "alarm-deviation",
        )
    elif alarm.deviation is not None and alarm.deadband >= alarm.deviation > 0:
        yield warning(
            f"deadband {alarm.deadband} is not below deviation {alarm.deviation}: "
            "the deviation alarm never clears",
            loaded.where("alarms", position, "deadband"),
            "use a deadband smaller than the deviation",
            "alarm-deadband",
        )


# ---- trends ------------------------------------------------------------------------------------


def trends(loaded: LoadedTopology) -> Iterator[Problem]:
    plant = _Plant(loaded)
    records = loaded.model.trends
    yield from _duplicates([t.name for t in records], loaded, "trends", "name", "trend-duplicate")
    for position, trend in enumerate(records):
        yield from plant.cluster_problem(trend.cluster, "trends", position, "trend-cluster")
        tag = plant.tag(trend.tag)
        if tag is None:
            yield plant.unknown_tag(trend.tag, "trends", position, "tag", "trend-tag-unknown")
        elif tag.type == "string":
            yield error(
                f"tag {tag.name!r} is a string tag; a trend samples numbers",
                loaded.where("trends", position, "tag"),
                "trend a numeric or digital tag",
                "trend-tag-type",
            )
        if trend.type == "periodic" and not trend.sample_period > 0:
            yield error(
                f"sample_period {trend.sample_period} must be above 0 seconds",
                loaded.where("trends", position, "sample_period"),
                "e.g. sample_period = 1.0",
                "trend-period",
            )
        if trend.type == "event" and not trend.trigger:
            yield error(
                "an event trend needs a trigger",
                loaded.where("trends", position, "trigger"),
                'set trigger = "DIGITAL_TAG": one sample on each FALSE->TRUE edge',
                "trend-trigger",
            )
        if trend.trigger:
            yield from _trigger(plant, trend.trigger, "trends", position, "trend-trigger")


def _trigger(
    plant: _Plant, reference: str, table: str, position: int, rule: str
) -> Iterator[Problem]:
    tag = plant.tag(reference)
    if tag is None:
        yield plant.unknown_tag(reference, table, position, "trigger", rule)
    elif tag.type == "string":
        yield error(
            f"trigger {tag.name!r} is a string tag; a trigger is on/off",
            plant.loaded.where(table, position, "trigger"),
            "use a digital tag",
            rule,
        )


# ---- reports -----------------------------------------------------------------------------------


def reports(loaded: LoadedTopology) -> Iterator[Problem]:
    plant = _Plant(loaded)
    records = loaded.model.reports
    yield from _duplicates([r.name for r in records], loaded, "reports", "name", "report-duplicate")
    for position, report in enumerate(records):
        yield from plant.cluster_problem(report.cluster, "reports", position, "report-cluster")
        try:
            parse_time_of_day(report.time)
        except ReportConfigError as exc:
            yield error(str(exc), loaded.where("reports", position, "time"), None, "report-time")
        if report.period is not None and not report.period > 0:
            yield error(
                f"period {report.period} must be above 0 seconds",
                loaded.where("reports", position, "period"),
                "e.g. period = 28800 for every 8 hours; leave it out for once a day",
                "report-period",
            )
        if report.trigger:
            yield from _trigger(plant, report.trigger, "reports", position, "report-trigger")
        try:
            fields = template_fields(report.template)
        except ReportConfigError as exc:
            yield error(
                str(exc), loaded.where("reports", position, "template"), None, "report-template"
            )
            continue
        for name, _ in fields:
            if plant.tag(name) is None:
                yield plant.unknown_tag(name, "reports", position, "template", "report-template")


RULES = (alarm_categories, alarms, trends, reports)
