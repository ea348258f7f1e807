"""Compile rules of [[users]] and [[tags]] (docs/plant.md "Users", "Tags"): what, where, what to do.

Pure functions of the loaded file, run by emulator.topology.compile through
emulator.plant.rules.RULES. The exact wording of Plant SCADA's own compile errors is not
published; these messages are ours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.plant.config import Tag
from emulator.plant.format import FORMAT_HINT, Format, FormatError
from emulator.plant.tags import STRING_MAX, TYPE_RANGES, TagSpec, TagValueError
from emulator.topology.names import is_blank, nearest
from emulator.topology.problems import Problem, error, warning

if TYPE_CHECKING:
    from emulator.topology.load import LoadedTopology
    from emulator.topology.model import ServerProcess

#: A tag name as CtAPI and Cicode can reference it: no dots, spaces or brackets (ours).
TAG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Plant SCADA's limit on a variable tag name.
TAG_NAME_MAX = 79
#: Largest array (ours: a read of every item must fit one 64 KiB frame).
ARRAY_MAX = 1000


def user_rules(loaded: LoadedTopology) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for position, user in enumerate(loaded.model.users):
        if is_blank(user.name):
            yield error(
                "a user needs a name",
                loaded.where("users", position, "name"),
                "give the login name CtAPI clients pass to ctOpen",
                "user-name",
            )
            continue
        key = user.name.casefold()
        if key in seen:
            yield error(
                f"user {user.name!r} is defined twice (names ignore case)",
                loaded.where("users", position, "name"),
                f"remove one, or rename it; the first ({seen[key]!r}) is the one that logs in",
                "user-duplicate",
            )
        else:
            seen[key] = user.name
        if not user.password.strip():
            yield warning(
                f"user {user.name!r} has a blank password and can never open a CtAPI session",
                loaded.where("users", position, "password"),
                "remote ctOpen needs a non-blank password: set one",
                "user-password",
            )


def tag_rules(loaded: LoadedTopology) -> Iterator[Problem]:
    model = loaded.model
    clusters = [c.name for c in model.clusters]
    seen: dict[tuple[str | None, str], str] = {}
    servers = _Servers.of(model.server_processes)
    for position, tag in enumerate(model.tags):
        yield from _name(loaded, position, tag)
        cluster = yield from _cluster(loaded, position, tag, clusters)
        key = (cluster.casefold() if cluster else None, tag.name.casefold())
        if key in seen:
            yield error(
                f"tag {tag.name!r} is defined twice in "
                + (f"cluster {cluster!r}" if cluster else "the project")
                + " (names ignore case)",
                loaded.where("tags", position, "name"),
                f"remove one or rename it; the first ({seen[key]!r}) is the one CtAPI reads",
                "tag-duplicate",
            )
        else:
            seen[key] = tag.name
        yield from _io_server(loaded, position, tag, cluster, servers)
        yield from _array(loaded, position, tag)
        scaling_ok = yield from _scaling(loaded, position, tag)
        yield from _format(loaded, position, tag)
        if scaling_ok:
            yield from _initial(loaded, position, tag, cluster)


def _name(loaded: LoadedTopology, position: int, tag: Tag) -> Iterator[Problem]:
    if not TAG_NAME.match(tag.name):
        yield error(
            f"tag name {tag.name!r} is not one CtAPI can reference",
            loaded.where("tags", position, "name"),
            "use letters, digits and '_' only, starting with a letter or '_' "
            "('.' separates cluster, tag and element)",
            "tag-name",
        )
    elif len(tag.name) > TAG_NAME_MAX:
        yield error(
            f"tag name {tag.name!r} is longer than {TAG_NAME_MAX} characters",
            loaded.where("tags", position, "name"),
            "shorten it",
            "tag-name",
        )


def _cluster(
    loaded: LoadedTopology, position: int, tag: Tag, clusters: list[str]
) -> Generator[Problem, None, str | None]:
    """Problems of the tag's cluster; returns the cluster the tag belongs to."""
    where = loaded.where("tags", position, "cluster")
    if is_blank(tag.cluster):
        if len(clusters) > 1:
            yield error(
                f"tag {tag.name!r} names no cluster, and the project has {len(clusters)}",
                where,
                "set cluster to one of " + ", ".join(repr(c) for c in clusters),
                "tag-cluster",
            )
        return clusters[0] if len(clusters) == 1 else None
    assert tag.cluster is not None
    for name in clusters:
        if name.casefold() == tag.cluster.casefold():
            return name
    close = nearest(tag.cluster, clusters)
    yield error(
        f"tag {tag.name!r} names cluster {tag.cluster!r}, which is not defined",
        where,
        f"did you mean {close!r}?" if close else "add it to [[clusters]] or leave cluster out",
        "tag-cluster",
    )
    return None


@dataclass(frozen=True, slots=True)
class _Servers:
    """The server processes by case-folded name (the first of duplicates) and the I/O servers'
    names, once for all tags (each tag searched every process twice: quadratic)."""

    by_name: dict[str, ServerProcess]
    io_names: list[str]

    @classmethod
    def of(cls, processes: list[ServerProcess]) -> _Servers:
        by_name: dict[str, ServerProcess] = {}
        for process in processes:
            by_name.setdefault(process.name.casefold(), process)
        return cls(by_name, [p.name for p in processes if p.type == "io"])


def _io_server(
    loaded: LoadedTopology, position: int, tag: Tag, cluster: str | None, servers: _Servers
) -> Iterator[Problem]:
    if tag.io_server is None:
        return
    where = loaded.where("tags", position, "io_server")
    found = servers.by_name.get(tag.io_server.casefold())
    io_names = servers.io_names
    if found is None:
        close = nearest(tag.io_server, io_names)
        yield error(
            f"tag {tag.name!r} names I/O server {tag.io_server!r}, which is not defined",
            where,
            f"did you mean {close!r}?" if close else "add it to [[server_processes]] (type io)",
            "tag-io-server",
        )
    elif found.type != "io":
        yield error(
            f"tag {tag.name!r} names {found.name!r}, a {found.type} server, as its I/O server",
            where,
            "name a server process of type io" + (f": {', '.join(io_names)}" if io_names else ""),
            "tag-io-server",
        )
    elif cluster is not None and found.cluster and found.cluster.casefold() != cluster.casefold():
        yield error(
            f"tag {tag.name!r} is in cluster {cluster!r} but its I/O server {found.name!r} "
            f"is in {found.cluster!r}",
            where,
            "a tag is served by an I/O server of its own cluster",
            "tag-io-server",
        )


def _array(loaded: LoadedTopology, position: int, tag: Tag) -> Iterator[Problem]:
    if not 1 <= tag.array_size <= ARRAY_MAX:
        yield error(
            f"array_size {tag.array_size} is outside 1..{ARRAY_MAX}",
            loaded.where("tags", position, "array_size"),
            "1 is a plain tag; n > 1 makes items [0]..[n-1]",
            "tag-array",
        )


def _scaling(loaded: LoadedTopology, position: int, tag: Tag) -> Generator[Problem, None, bool]:
    """Problems of the raw and engineering ranges; returns whether they are usable."""
    ok = True
    pairs = (
        ("raw_zero", tag.raw_zero, "raw_full", tag.raw_full),
        ("eng_zero", tag.eng_zero, "eng_full", tag.eng_full),
    )
    given = [v is not None for v in (tag.raw_zero, tag.raw_full, tag.eng_zero, tag.eng_full)]
    if tag.type in ("digital", "string") and any(given):
        field = ("raw_zero", "raw_full", "eng_zero", "eng_full")[given.index(True)]
        yield error(
            f"a {tag.type} tag has no scaling, but {field} is set",
            loaded.where("tags", position, field),
            "remove raw_zero, raw_full, eng_zero and eng_full, or make the tag numeric",
            "tag-scaling",
        )
        return False
    for zero_name, zero, full_name, full in pairs:
        if (zero is None) != (full is None):
            missing = full_name if full is None else zero_name
            yield error(
                f"{zero_name if zero is not None else full_name} is set without {missing}",
                loaded.where("tags", position, missing),
                f"set both {zero_name} and {full_name}, or neither",
                "tag-scaling",
            )
            ok = False
        elif zero is not None and full is not None:
            if not (math.isfinite(zero) and math.isfinite(full)):
                yield error(
                    f"{zero_name} and {full_name} must be finite numbers",
                    loaded.where("tags", position, zero_name),
                    "inf and nan cannot scale a value",
                    "tag-scaling",
                )
                ok = False
            elif zero == full:
                yield error(
                    f"{zero_name} and {full_name} are both {zero:g}: the range is empty",
                    loaded.where("tags", position, full_name),
                    f"{full_name} is the value at full scale; make it differ from {zero_name}",
                    "tag-scaling",
                )
                ok = False
    if ok and tag.raw_zero is not None and tag.eng_zero is None:
        yield error(
            "raw_zero and raw_full are set without eng_zero and eng_full",
            loaded.where("tags", position, "raw_zero"),
            "scaling maps the raw range onto the engineering range: set eng_zero and eng_full",
            "tag-scaling",
        )
        ok = False
    if ok and tag.type in ("int", "long"):
        low, high = TYPE_RANGES[tag.type]
        for name, value in (("raw_zero", tag.raw_zero), ("raw_full", tag.raw_full)):
            if value is not None and not low <= value <= high:
                yield error(
                    f"{name} {value:g} does not fit an {tag.type.upper()} ({low:g}..{high:g})",
                    loaded.where("tags", position, name),
                    "the raw range is what the I/O device holds: keep it inside the type",
                    "tag-scaling",
                )
                ok = False
    return ok


def _format(loaded: LoadedTopology, position: int, tag: Tag) -> Iterator[Problem]:
    if tag.format is None:
        return
    where = loaded.where("tags", position, "format")
    if tag.type in ("digital", "string"):
        yield warning(
            f"a {tag.type} tag ignores its format",
            where,
            "remove format, or make the tag numeric",
            "tag-format",
        )
        return
    try:
        Format.parse(tag.format)
    except FormatError as exc:
        yield error(str(exc).split(": ")[0], where, FORMAT_HINT, "tag-format")


def _initial(
    loaded: LoadedTopology, position: int, tag: Tag, cluster: str | None
) -> Iterator[Problem]:
    if tag.initial is None:
        return
    where = loaded.where("tags", position, "initial")
    spec = TagSpec.from_config(tag, cluster)
    value = tag.initial
    if tag.type == "string":
        if not isinstance(value, str):
            yield error(
                f"the initial value of a string tag must be text, not {value!r}",
                where,
                'quote it: initial = "..."',
                "tag-initial",
            )
        elif len(value) > STRING_MAX:
            yield error(
                f"the initial value has {len(value)} characters (at most {STRING_MAX})",
                where,
                "shorten it",
                "tag-initial",
            )
        return
    if isinstance(value, str):
        yield error(
            f"the initial value of a {tag.type} tag must be a number, not {value!r}",
            where,
            "write it without quotes" + (" (true or false)" if tag.type == "digital" else ""),
            "tag-initial",
        )
        return
    try:
        spec.check_range(value)
        spec.raw_of(value)
    except TagValueError as exc:
        hint = (
            f"keep it within eng_zero..eng_full ({spec.eng_range[0]:g}..{spec.eng_range[1]:g})"
            if spec.eng_range
            else "keep it within the type's range"
        )
        yield error(f"initial value: {exc.detail}", where, hint, "tag-initial")
