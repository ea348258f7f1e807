"""Read a topology file into the typed model, keeping where each record and field sits.

Decoding is per record, so one bad record does not hide the problems of the others; the compile
(emulator.topology.compile) then applies Plant SCADA's rules to whatever decoded.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from emulator.topology.model import RECORD_TABLES, Project, Topology
from emulator.topology.problems import Location, Problem, Severity

#: The key that names a record in each table (used for messages and to find its line).
RECORD_KEYS: dict[str, str] = {"alarms": "tag", "alarm_categories": "number"}

DEMO_SOURCE = "<demo plant>"


class LoadError(Exception):
    """The file cannot be read or is not valid TOML (the CLI exits 2)."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"error: {self.location}: {self.message}"


@dataclass(slots=True)
class _Block:
    line: int
    keys: dict[str, int] = field(default_factory=dict)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*=")


@dataclass(frozen=True, slots=True)
class Locator:
    """Finds the TOML line of a table's record or field by a plain line scan."""

    blocks: dict[str, list[_Block]] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> Locator:
        blocks: dict[str, list[_Block]] = {}
        current: _Block | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                name = header.group(2).strip().strip("\"'")
                current = _Block(number)
                if header.group(1) == "[[":
                    blocks.setdefault(name, []).append(current)
                else:
                    blocks[name] = [current]
                continue
            key = _KEY.match(line)
            if key and current is not None:
                current.keys.setdefault(key.group(1).strip("\"'"), number)
        return cls(blocks)

    def line(self, table: str, index: int = 0, field_name: str | None = None) -> int | None:
        blocks = self.blocks.get(table, [])
        if index >= len(blocks):
            return None
        block = blocks[index]
        if field_name is None:
            return block.line
        return block.keys.get(field_name, block.line)


@dataclass(frozen=True, slots=True)
class LoadedTopology:
    """A decoded file: the model, the decode problems and how to point back into the file."""

    source: str
    model: Topology
    problems: tuple[Problem, ...] = ()
    locator: Locator = field(default_factory=Locator)
    #: For each table, the file index of each decoded record (records that failed are absent).
    indices: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_model(cls, model: Topology, source: str = "<model>") -> LoadedTopology:
        """Wrap a model built in code (tests, generators): no file lines to point at."""
        return cls(source, model)

    def where(
        self, table: str, position: int | None = None, field_name: str | None = None
    ) -> Location:
        """The location of the `position`-th decoded record of `table` (and its field)."""
        if position is None:
            return Location(self.source, table, None, field_name, self.locator.line(table))
        records: list[Any] = getattr(self.model, table)
        record = records[position]
        index = self.indices.get(table, tuple(range(len(records))))[position]
        key = RECORD_KEYS.get(table, "name")
        name = getattr(record, key, None)
        return Location(
            self.source,
            table,
            None if name is None else str(name),
            field_name,
            self.locator.line(table, index, field_name),
        )


def load_path(path: str | Path) -> LoadedTopology:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(
            f"cannot read the topology file: {exc.strerror or exc}", Location(str(path))
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            Location(str(path)),
        ) from exc
    return load_text(text, str(path))


def demo_text() -> str:
    """The default demo plant, packaged inside emulator so it works after pip install."""
    return resources.files("emulator").joinpath("data/demo.toml").read_text("utf-8")


def load_demo() -> LoadedTopology:
    return load_text(demo_text(), DEMO_SOURCE)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_text(text: str, source: str = "<string>") -> LoadedTopology:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        line = column = None
        if position:
            line, column = int(position.group(1)), int(position.group(2))
            message = _TOML_POSITION.sub("", message).strip()
        raise LoadError(
            f"not valid TOML: {message}", Location(source, line=line, column=column)
        ) from exc
    locator = Locator.scan(text)
    return _decode(data, source, locator)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return "known keys: " + ", ".join(sorted(known))


def _unknown_keys(
    data: dict[str, Any], struct: type[msgspec.Struct], where: Location, locator_line: Any
) -> list[Problem]:
    known = list(struct.__struct_fields__)
    problems = []
    for key in data:
        if key not in known:
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"unknown key {key!r}",
                    Location(where.file, where.table, where.record, key, locator_line(key)),
                    _suggest(key, known),
                )
            )
    return problems


_MSGSPEC_PATH = re.compile(r" - at `\$((?:\.[A-Za-z0-9_]+|\[\d+\])*)`$")


def _decode_error(exc: msgspec.ValidationError) -> tuple[str, str | None]:
    """msgspec's 'Expected `int`, got `str` - at `$.port`' as (message, field)."""
    text = str(exc)
    match = _MSGSPEC_PATH.search(text)
    field_name = None
    if match:
        text = text[: match.start()]
        path = match.group(1).lstrip(".")
        field_name = path or None
    text = text.replace("`", "")
    if text.startswith("Expected"):
        text = "expected" + text[len("Expected") :]
    return text, field_name


def _decode(data: dict[str, Any], source: str, locator: Locator) -> LoadedTopology:
    problems: list[Problem] = []
    known_tables = list(Topology.__struct_fields__)
    for key in data:
        if key not in known_tables:
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"unknown table {key!r}",
                    Location(source, key, line=locator.line(key)),
                    _suggest(key, known_tables),
                )
            )

    project = Project()
    raw_project = data.get("project", {})
    project_where = Location(source, "project", line=locator.line("project"))
    if not isinstance(raw_project, dict):
        problems.append(
            Problem(Severity.ERROR, "[project] must be a table", project_where, "write [project]")
        )
    else:
        problems += _unknown_keys(
            raw_project,
            Project,
            project_where,
            lambda key: locator.line("project", 0, key),
        )
        try:
            project = msgspec.convert(
                {k: v for k, v in raw_project.items() if k in Project.__struct_fields__},
                Project,
            )
        except msgspec.ValidationError as exc:
            message, field_name = _decode_error(exc)
            problems.append(
                Problem(
                    Severity.ERROR,
                    message,
                    Location(
                        source,
                        "project",
                        None,
                        field_name,
                        locator.line("project", 0, field_name),
                    ),
                )
            )

    tables: dict[str, list[Any]] = {}
    indices: dict[str, tuple[int, ...]] = {}
    for table in RECORD_TABLES:
        record_type = _record_type(table)
        raw_records = data.get(table, [])
        if not isinstance(raw_records, list):
            problems.append(
                Problem(
                    Severity.ERROR,
                    f"{table} must be an array of tables",
                    Location(source, table, line=locator.line(table)),
                    f"write each record under its own [[{table}]] header",
                )
            )
            raw_records = []
        decoded: list[Any] = []
        kept: list[int] = []
        key_name = RECORD_KEYS.get(table, "name")
        for index, raw in enumerate(raw_records):
            record_name = raw.get(key_name) if isinstance(raw, dict) else None
            where = Location(
                source,
                table,
                None if record_name is None else str(record_name),
                None,
                locator.line(table, index),
            )
            if not isinstance(raw, dict):
                problems.append(Problem(Severity.ERROR, "a record must be a table", where))
                continue

            def line_of(key: str | None, index: int = index, table: str = table) -> int | None:
                return locator.line(table, index, key)

            unknown = _unknown_keys(raw, record_type, where, line_of)
            problems += unknown
            try:
                decoded.append(
                    msgspec.convert(
                        {k: v for k, v in raw.items() if k in record_type.__struct_fields__},
                        record_type,
                    )
                )
                kept.append(index)
            except msgspec.ValidationError as exc:
                message, field_name = _decode_error(exc)
                problems.append(
                    Problem(
                        Severity.ERROR,
                        message,
                        Location(
                            source,
                            table,
                            where.record,
                            field_name,
                            line_of(field_name.split(".")[0].split("[")[0] if field_name else None),
                        ),
                    )
                )
        tables[table] = decoded
        indices[table] = tuple(kept)

    model = Topology(project=project, **tables)
    return LoadedTopology(source, model, tuple(problems), locator, indices)


def _record_type(table: str) -> type[msgspec.Struct]:
    """The Struct of a record table, read from the list annotation of Topology."""
    for name, annotation in zip(
        Topology.__struct_fields__, msgspec.structs.fields(Topology), strict=True
    ):
        if name == table:
            args: tuple[type[msgspec.Struct], ...] = annotation.type.__args__
            return args[0]
    raise KeyError(table)
