"""Compile problems: what was wrong, where (file, table, record, field, line), what to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    table: str | None = None
    record: str | None = None
    field: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [where]
        if self.table is not None:
            record = f" {self.record!r}" if self.record is not None else ""
            parts.append(f"[{self.table}{record}]")
        if self.field is not None:
            parts.append(self.field)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    #: The rule's short name, as docs/topology.md (and docs/plant.md) list them.
    rule: str | None = None

    def format(self) -> str:
        """One line: `error: FILE:LINE [table 'record'] field: message (hint: ...) [rule]`."""
        text = f"{self.severity}: {self.location}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        if self.rule:
            text += f" [{self.rule}]"
        return text

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "file": loc.file,
            "table": loc.table,
            "record": loc.record,
            "field": loc.field,
            "line": loc.line,
            "column": loc.column,
        }


def error(
    message: str, location: Location, hint: str | None = None, rule: str | None = None
) -> Problem:
    return Problem(Severity.ERROR, message, location, hint, rule)


def warning(
    message: str, location: Location, hint: str | None = None, rule: str | None = None
) -> Problem:
    return Problem(Severity.WARNING, message, location, hint, rule)


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def summary(problems: Sequence[Problem]) -> str:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
