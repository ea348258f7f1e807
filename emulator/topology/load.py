"""Read a topology file into the typed model, keeping where each record and field sits.

Decoding is per field, so one bad value hides neither the other fields of its record nor the
other records; the compile (emulator.topology.compile) then applies Plant SCADA's rules to
whatever decoded. Messages speak TOML, not Python: "a whole number", "a list", "a table".
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import resource
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from emulator.topology.model import RECORD_TABLES, SINGLE_TABLES, Topology
from emulator.topology.names import nearest
from emulator.topology.problems import Location, Problem, error

#: The key that names a record in each table (used for messages and to find its line).
RECORD_KEYS: dict[str, str] = {
    "alarms": "tag",
    "alarm_categories": "number",
    "generators": "tag",
    "timeline": "action",
}

DEMO_SOURCE = "<demo plant>"


class LoadError(Exception):
    """The file cannot be read or is not valid TOML (the CLI exits 2)."""

    def __init__(
        self, message: str, location: Location, hint: str | None = None, rule: str = "toml"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.rule = rule

    @property
    def problem(self) -> Problem:
        """The error as a problem, so it prints like every other one."""
        return error(self.message, self.location, self.hint, self.rule)

    def __str__(self) -> str:
        return self.problem.format()


@dataclass(slots=True)
class _Block:
    line: int
    keys: dict[str, int] = field(default_factory=dict)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+)\s*=")
_MULTILINE = re.compile(r"\"\"\"|'''")


@dataclass(frozen=True, slots=True)
class Locator:
    """Finds the TOML line of a table's record or field by a plain line scan."""

    blocks: dict[str, list[_Block]] = field(default_factory=dict)
    #: Keys written before the first header (e.g. `computers = [{...}]` inline).
    root: _Block = field(default_factory=lambda: _Block(1))

    @classmethod
    def scan(cls, text: str) -> Locator:
        blocks: dict[str, list[_Block]] = {}
        root = _Block(1)
        current = root
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2:
                    in_string = None
                continue
            header = _HEADER.match(line) if "[" in line else None
            if header:
                name = header.group(2).strip().strip("\"'")
                current = _Block(number)
                if header.group(1) == "[[":
                    blocks.setdefault(name, []).append(current)
                else:
                    blocks[name] = [current]
                continue
            key = _KEY.match(line)
            if key:
                current.keys.setdefault(key.group(1).strip("\"'"), number)
            if '"""' in line or "'''" in line:
                quotes = _MULTILINE.findall(line)
                if len(quotes) % 2:
                    in_string = quotes[-1]
        return cls(blocks, root)

    def line(self, table: str, index: int = 0, field_name: str | None = None) -> int | None:
        blocks = self.blocks.get(table)
        if not blocks:
            return self.root.keys.get(table)
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
    #: For each table, the casefolded names of records that failed to decode: the file has
    #: them (their problems are reported), so references to them are not "unknown".
    undecoded: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Every problem of the compile when already known (the compiled form of the file,
    #: emulator.topology.compiled): compile_topology gives these and runs no rule.
    compiled: tuple[Problem, ...] | None = None

    @classmethod
    def from_model(cls, model: Topology, source: str = "<model>") -> LoadedTopology:
        """Wrap a model built in code (tests, generators): no file lines to point at."""
        return cls(source, model)

    def where(
        self, table: str, position: int | None = None, field_name: str | None = None
    ) -> Location:
        """The location of the `position`-th decoded record of `table` (and its field)."""
        if position is None:
            line = self.locator.line(table, 0, field_name) if field_name else None
            return Location(self.source, table, None, field_name, line or self.locator.line(table))
        records: list[Any] = getattr(self.model, table)
        record = records[position]
        indices = self.indices.get(table)  # None: every record decoded, file index = position
        index = range(len(records))[position] if indices is None else indices[position]
        key = RECORD_KEYS.get(table, "name")
        name = getattr(record, key, None)
        return Location(
            self.source,
            table,
            None if name is None else str(name),
            field_name,
            self.locator.line(table, index, field_name),
        )

    def is_undecoded(self, table: str, name: str) -> bool:
        """True when a record of `table` named `name` is in the file but failed to decode."""
        return name.casefold() in self.undecoded.get(table, frozenset())


def load_path(path: str | Path) -> LoadedTopology:
    path = Path(path)
    return load_bytes(read_source(path), str(path))


def read_source(path: Path) -> bytes:
    """A topology file's bytes; LoadError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(
            f"cannot read the topology file: {exc.strerror or exc}",
            Location(str(path)),
            "check the path; `scada-emu check` with no file checks the demo plant",
            "unreadable",
        ) from exc


def load_bytes(raw: bytes, source: str) -> LoadedTopology:
    """A topology file's bytes (UTF-8 TOML) decoded; LoadError when they are not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError(
            f"the file is not UTF-8 text (byte {exc.start})",
            Location(source, line=line),
            "save it as UTF-8",
            "unreadable",
        ) from exc
    return load_text(text, source)


def demo_text() -> str:
    """The default demo plant, packaged inside emulator so it works after pip install."""
    return resources.files("emulator").joinpath("data/demo.toml").read_text("utf-8")


def load_demo() -> LoadedTopology:
    return load_text(demo_text(), DEMO_SOURCE)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_TOML_END = re.compile(r"\s*\(at end of document\)")


#: Decoding a file takes about this many bytes of memory per byte of TOML (tomllib's tables,
#: the model, the line index): 27 measured on the generated large plants, plus a margin.
MEMORY_PER_BYTE = 32


def available_memory() -> int | None:
    """Bytes this process can still take: MemAvailable, or the address-space limit when that is
    lower; None when neither is known."""
    limits: list[int] = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None


def _refuse_if_too_large(size: int, source: str) -> None:
    """LoadError before a file too large for this machine's memory is decoded (and exhausts it)."""
    available = available_memory()
    needed = size * MEMORY_PER_BYTE
    if available is None or needed <= available:
        return
    raise LoadError(
        f"the file is too large to load here: {size / 2**20:,.0f} MiB of TOML needs about "
        f"{needed / 2**30:,.1f} GiB of memory to decode, and {available / 2**30:,.1f} GiB is "
        "available",
        Location(source),
        "free memory, raise the memory limit (ulimit -v), or split the plant into smaller files",
        "too-large",
    )


def load_text(text: str, source: str = "<string>") -> LoadedTopology:
    _refuse_if_too_large(len(text), source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(str(exc), text, source) from exc
    except RecursionError as exc:
        raise LoadError("not valid TOML: values are nested too deeply", Location(source)) from exc
    return _decode(data, source, Locator.scan(text))


def _toml_error(message: str, text: str, source: str) -> LoadError:
    """tomllib's message with its position as a Location (the end of the file when it says so)."""
    line = column = None
    position = _TOML_POSITION.search(message)
    if position:
        line, column = int(position.group(1)), int(position.group(2))
        message = _TOML_POSITION.sub("", message)
    elif _TOML_END.search(message):
        line = text.count("\n") + 1
        column = len(text) - text.rfind("\n")
        message = _TOML_END.sub("", message) + " at the end of the file"
    hint = None
    if message.startswith("Invalid value"):
        hint = 'text values need quotes, e.g. name = "SCADA-A"'
    elif message.startswith(("Cannot overwrite", "Cannot declare")):
        hint = "each key once per table; repeat [[table]] headers for several records"
    return LoadError(f"not valid TOML: {message}", Location(source, line=line, column=column), hint)


def _suggest(name: str, known: list[str]) -> str:
    close = nearest(name, known)
    if close:
        return f"did you mean {close!r}?"
    return "known keys: " + ", ".join(known)


def _decode(data: dict[str, Any], source: str, locator: Locator) -> LoadedTopology:
    problems: list[Problem] = []
    known_tables = list(Topology.__struct_fields__)
    for key in data:
        if key not in known_tables:
            problems.append(
                error(
                    f"unknown table {key!r}",
                    Location(source, key, line=locator.line(key)),
                    _suggest(key, known_tables),
                    "unknown-table",
                )
            )

    tables: dict[str, Any] = {}
    for table in SINGLE_TABLES:
        raw_single = data.get(table, {})
        if not isinstance(raw_single, dict):
            problems.append(
                error(
                    f"{table} must be a table",
                    Location(source, table, line=locator.line(table)),
                    f"write a [{table}] header (one pair of brackets) and its keys below it",
                    "not-a-table",
                )
            )
            continue

        def single_where(key: str | None, table: str = table) -> Location:
            return Location(source, table, None, key, locator.line(table, 0, key))

        decoded, record_problems = _decode_record(_record_type(table), raw_single, single_where)
        problems += record_problems
        if decoded is not None:
            tables[table] = decoded

    indices: dict[str, tuple[int, ...]] = {}
    undecoded: dict[str, frozenset[str]] = {}
    for table in RECORD_TABLES:
        raw_records = data.get(table, [])
        if not isinstance(raw_records, list):
            problems.append(
                error(
                    f"{table} must be an array of tables",
                    Location(source, table, line=locator.line(table)),
                    f"write each record under its own [[{table}]] header (two pairs of brackets)",
                    "not-a-table",
                )
            )
            raw_records = []
        found = _decode_table(table, raw_records, source, locator)
        problems += found.problems
        tables[table] = found.records
        indices[table] = found.indices
        if found.failed:
            undecoded[table] = found.failed

    model = Topology(**tables)
    return LoadedTopology(source, model, tuple(problems), locator, indices, undecoded)


@dataclass(frozen=True, slots=True)
class _Table:
    records: list[Any]
    #: The file index of each decoded record.
    indices: tuple[int, ...]
    #: Casefolded names of the records that failed.
    failed: frozenset[str]
    problems: list[Problem]


def _decode_table(table: str, raw_records: list[Any], source: str, locator: Locator) -> _Table:
    record_type = _record_type(table)
    key_name = RECORD_KEYS.get(table, "name")
    records: list[Any] = []
    kept: list[int] = []
    failed: set[str] = set()
    problems: list[Problem] = []
    for index, raw in enumerate(raw_records):
        record_name = raw.get(key_name) if isinstance(raw, dict) else None
        label = None if record_name is None else str(record_name)

        def where(key: str | None, index: int = index, label: str | None = label) -> Location:
            return Location(source, table, label, key, locator.line(table, index, key))

        if not isinstance(raw, dict):
            problems.append(
                error(
                    f"each record of {table} must be a table",
                    where(None),
                    f"write each record under its own [[{table}]] header",
                    "not-a-table",
                )
            )
            continue
        decoded, record_problems = _decode_record(record_type, raw, where)
        problems += record_problems
        if decoded is None:
            if label is not None:
                failed.add(label.casefold())
            continue
        records.append(decoded)
        kept.append(index)
    return _Table(records, tuple(kept), frozenset(failed), problems)


def _decode_record(
    record_type: type[msgspec.Struct],
    raw: dict[str, Any],
    where: Callable[[str | None], Location],
) -> tuple[msgspec.Struct | None, list[Problem]]:
    """One record, field by field: every bad field is reported, not only the first."""
    if raw.keys() <= _known_keys(record_type):
        try:  # a good record in one call (most are): the field by field decode says what is bad
            return msgspec.convert(raw, record_type), []
        except msgspec.ValidationError:
            pass
    fields = _fields(record_type)
    known = [f.encode_name for f in fields]
    problems = [
        error(f"unknown key {key!r}", where(key), _suggest(key, known), "unknown-key")
        for key in raw
        if key not in known
    ]
    values: dict[str, Any] = {}
    bad = False
    for info in fields:
        if info.encode_name not in raw:
            if info.required:
                bad = True
                problems.append(
                    error(
                        f"missing required field {info.encode_name!r}",
                        where(None),
                        f"add {info.encode_name} = ... to this record",
                        "missing-field",
                    )
                )
            continue
        value, problem = _decode_field(info.encode_name, raw[info.encode_name], info.type, where)
        if problem is not None:
            bad = True
            problems.append(problem)
        else:
            values[info.encode_name] = value
    if bad:  # unknown keys alone keep the record, so the rules still see it
        return None, problems
    try:
        return msgspec.convert(values, record_type), problems
    except msgspec.ValidationError as exc:  # a check across fields (__post_init__)
        return None, [*problems, error(str(exc), where(None), rule="invalid-value")]


def _decode_field(
    name: str, value: Any, annotation: Any, where: Callable[[str | None], Location]
) -> tuple[Any, Problem | None]:
    target = _unannotated(annotation)
    options = _literal_options(target)
    if options is not None and isinstance(value, str):
        match = next((o for o in options if o.casefold() == value.casefold()), None)
        if match is None:
            close = nearest(value, options)
            hint = "allowed values: " + ", ".join(repr(o) for o in options)
            if close:
                hint = f"did you mean {close!r}? {hint}"
            return None, error(f"invalid value {value!r}", where(name), hint, "invalid-value")
        return match, None
    try:
        return msgspec.convert(value, annotation), None
    except msgspec.ValidationError as exc:
        message, type_hint = _type_error(str(exc), value, options)
        return None, error(message, where(name), type_hint, "wrong-type")


def _unannotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _literal_options(target: Any) -> tuple[str, ...] | None:
    if typing.get_origin(target) is typing.Literal:
        return tuple(str(a) for a in typing.get_args(target))
    return None


_MSGSPEC_ERROR = re.compile(
    r"^Expected `(?P<expected>[^`]+)`, got `[^`]+`(?: - at `\$(?P<path>.*)`)?$"
)
_MSGSPEC_TYPES = {
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "array": "a list",
    "object": "a table",
}


def _type_error(text: str, value: Any, options: tuple[str, ...] | None) -> tuple[str, str | None]:
    """msgspec's 'Expected `int | null`, got `str`' as TOML words, with a hint when one helps."""
    if options is not None:
        return f"expected one of {', '.join(repr(o) for o in options)}, got {_kind(value)}", None
    match = _MSGSPEC_ERROR.match(text)
    if match is None:
        return _plain(text), None
    words = [_MSGSPEC_TYPES.get(t, t) for t in match.group("expected").split(" | ") if t != "null"]
    expected = " or ".join(words)
    path = match.group("path") or ""
    item = re.fullmatch(r"\[(\d+)\]", path)
    if item and isinstance(value, list):
        position = int(item.group(1))
        return f"item {position + 1}: expected {expected}, got {_kind(value[position])}", None
    return f"expected {expected}, got {_kind(value)}", _type_hint(words, value)


_MSGSPEC_PHRASES = (
    (re.compile(r"^Object missing required field `([^`]+)`"), r"missing required field '\1'"),
    (re.compile(r"^Object contains unknown field `([^`]+)`"), r"unknown key '\1'"),
    (re.compile(r"^Invalid enum value "), "invalid value "),
    (re.compile(r" - at `\$\.?([^`]*)`$"), r" (at \1)"),
)


def _plain(text: str) -> str:
    """msgspec's other messages (nested tables) in the loader's words."""
    for pattern, replacement in _MSGSPEC_PHRASES:
        text = pattern.sub(replacement, text)
    return text.replace("`", "'")


def _type_hint(words: list[str], value: Any) -> str | None:
    if isinstance(value, str) and "a whole number" in words and value.strip().isdigit():
        return f"write {value.strip()} without quotes"
    if isinstance(value, float) and "a whole number" in words and value.is_integer():
        return f"write {int(value)} without the decimal point"
    if isinstance(value, str) and "true or false" in words and value.lower() in ("true", "false"):
        return f"write {value.lower()} without quotes"
    return None


def _kind(value: Any) -> str:
    """How a TOML value reads in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the whole number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return f"the date/time {value.isoformat()}"
    return type(value).__name__


@functools.cache
def _fields(record_type: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    """A Struct's fields, worked out once: msgspec evaluates the (string) annotations anew on
    every call, which was most of the time spent loading a large plant."""
    return msgspec.structs.fields(record_type)


@functools.cache
def _known_keys(record_type: type[msgspec.Struct]) -> frozenset[str]:
    return frozenset(f.encode_name for f in _fields(record_type))


def _record_type(table: str) -> type[msgspec.Struct]:
    """The Struct of a table of Topology: the field's type, or its list's item type."""
    for info in _fields(Topology):
        if info.name == table:
            target = _unannotated(info.type)
            if typing.get_origin(target) is list:
                item: type[msgspec.Struct] = typing.get_args(target)[0]
                return item
            single: type[msgspec.Struct] = target
            return single
    raise KeyError(table)
