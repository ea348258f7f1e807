"""Compile problems: what was wrong, where (file, table, record, field, line), what to do."""

from __future__ import annotations

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

    def format(self) -> str:
        text = f"{self.severity}: {self.location}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        return {
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            "file": loc.file,
            "table": loc.table,
            "record": loc.record,
            "field": loc.field,
            "line": loc.line,
            "column": loc.column,
        }


def has_errors(problems: tuple[Problem, ...] | list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def summary(problems: tuple[Problem, ...] | list[Problem]) -> str:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
