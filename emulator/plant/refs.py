"""Tag references as CtAPI and Cicode write them: `[Cluster.]Tag[.Element][.Item][[n]]`.

Syntax from Plant SCADA "Tag Extensions" (docs.aveva.com .../page/1064764.html); element and item
names from "Tag Elements" (.../1064762.html). Splitting the text is pure; which part is a cluster
and which a tag is decided by the plant (emulator.plant.state.Plant.resolve), which knows both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Element(StrEnum):
    FIELD = "field"
    VALID = "valid"
    OVERRIDE = "override"
    OVERRIDE_MODE = "overridemode"
    CONTROL_MODE = "controlmode"
    STATUS = "status"


class Item(StrEnum):
    VALUE = "v"
    VALUE_TIMESTAMP = "vt"
    QUALITY = "q"
    QUALITY_TIMESTAMP = "qt"
    TIMESTAMP = "t"


ELEMENTS = {e.value: e for e in Element}
ITEMS = {i.value: i for i in Item}

#: Longest reference accepted (Plant SCADA limits tag names to 254 characters).
MAX_REFERENCE = 512

_INDEX = re.compile(r"\[\s*(\d{1,9})\s*\]$")
_PART = re.compile(r"^[A-Za-z0-9_]+$")


class TagReferenceError(Exception):
    """The text is not a tag reference."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A split reference: dot-separated parts (cluster? tag element? item?) and an index."""

    parts: tuple[str, ...]
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        if len(text) > MAX_REFERENCE:
            raise TagReferenceError(f"a tag reference is at most {MAX_REFERENCE} characters")
        body = text.strip()
        index = None
        match = _INDEX.search(body)
        if match:
            index = int(match.group(1))
            body = body[: match.start()].rstrip()
        parts = tuple(p.strip() for p in body.split("."))
        if not body or any(not _PART.match(p) for p in parts):
            raise TagReferenceError(
                f"{text!r} is not a tag reference: write [Cluster.]Tag[.Element][.Item][[n]]"
            )
        if len(parts) > 4:
            raise TagReferenceError(f"{text!r} has too many parts")
        return cls(parts, index)


def split_extension(rest: tuple[str, ...]) -> tuple[Element | None, Item | None]:
    """The element and item after the tag name; TagReferenceError for unknown names."""
    element: Element | None = None
    item: Item | None = None
    remaining = list(rest)
    if remaining and remaining[0].casefold() in ELEMENTS:
        element = ELEMENTS[remaining.pop(0).casefold()]
    if remaining and remaining[0].casefold() in ITEMS:
        item = ITEMS[remaining.pop(0).casefold()]
    if remaining:
        raise TagReferenceError(
            f"unknown element or item {remaining[0]!r}: elements are "
            + ", ".join(e.name.title().replace("_", "") for e in Element)
            + "; items are "
            + ", ".join(i.value.upper() for i in Item)
        )
    return element, item
