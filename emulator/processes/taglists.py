"""CtAPI tag lists of one connection: ctListNew/Add/Read/Data/Event/Delete/Free. Sans-IO.

A list reads all its tags at once (`read`), keeps the values of that read for `data`, and, in
CT_LIST_EVENT mode, remembers which tags changed for `event`. Documented in docs/protocol.md
("list.*") and docs/ctapi.md.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.plant.state import Reading
from emulator.protocol.ctapi_flags import (
    CT_LIST_EVENT,
    CT_LIST_EVENT_NEW,
    CT_LIST_EVENT_STATUS,
    CT_LIST_LIGHTWEIGHT_MODE,
)
from emulator.protocol.errors import (
    INVALID_ARGUMENT,
    NOT_READ,
    TAG_NOT_FOUND,
    UNKNOWN_HANDLE,
    ErrorCode,
    ProtocolError,
)
from emulator.protocol.messages import RequestId

if TYPE_CHECKING:
    from emulator.processes.references import References

LIST_MODES = int(CT_LIST_EVENT | CT_LIST_LIGHTWEIGHT_MODE)
EVENT_MODES = int(CT_LIST_EVENT_NEW | CT_LIST_EVENT_STATUS)
# Plain ints: a read of a big list combines them for every tag, and IntFlag operators cost.
_EVENT_LIST = int(CT_LIST_EVENT)
_NEW = int(CT_LIST_EVENT_NEW)
_STATUS = int(CT_LIST_EVENT_STATUS)
#: Internal: the value moved by more than the deadband (always reported by list.event).
_VALUE_CHANGED = 0x100

#: A tag of a list that could not be read: its handle and the error (details at list.data).
Failure = tuple[int, ErrorCode]

DEFAULT_POLL_PERIOD_MS = 500
#: Longest poll period accepted: one day (ours).
MAX_POLL_PERIOD_MS = 86_400_000
#: Most tags in one list, and lists on one connection (ours: Plant SCADA documents no limit;
#: a real client polls thousands of tags in one list).
MAX_LIST_TAGS = 10_000
MAX_LISTS = 100
#: A list.read reply names at most this many failed tags (and counts them all), so that it fits
#: one 64 KiB frame whatever the list holds; list.data of any handle gives its error.
MAX_FAILED_SHOWN = 100
#: The encoded size of the values one list.read or list.values reply carries at most (ours:
#: well inside the 64 KiB frame limit); the rest follow in list.values pages.
VALUES_PAGE_BYTES = 48 * 1024

#: ctListItem's items, as list.data's `item` field names them.
ITEMS = (
    "value",
    "timestamp",
    "value_timestamp",
    "quality_timestamp",
    "quality_general",
    "quality_substatus",
    "quality_limit",
    "quality_extended_substatus",
    "quality_datasource_error",
    "quality_override",
    "quality_control_mode",
)


@dataclass(slots=True)
class Sample:
    """One tag's outcome of a read: its reading, the raw form when the tag was added raw, or
    the error."""

    reading: Reading | None = None
    raw: str | None = None
    error: ProtocolError | None = None
    #: It can only change when the references' revision moves: a plant tag, or a name that
    #: is no tag nor alarm of the project (an alarm property follows its servers too).
    steady: bool = False


@dataclass(slots=True)
class ListTag:
    handle: int
    list_id: int
    reference: str
    raw: bool = False
    poll_period: float = DEFAULT_POLL_PERIOD_MS / 1000
    deadband: float = 0.0
    sample: Sample | None = None
    #: The engineering value last reported as an event: the deadband is measured from it.
    reported: float | None = None


@dataclass(slots=True)
class TagList:
    id: int
    mode: int
    tags: dict[int, ListTag] = field(default_factory=dict)
    #: Handles with events not yet taken, oldest first, with what happened to each.
    events: dict[int, int] = field(default_factory=dict)
    last_read: float | None = None
    #: The references' revision at the last read: nothing changed while it is the same.
    revision: int = -1
    pending: RequestId | None = None
    #: The pending read asked for the values in its reply (list.read `values`).
    pending_values: bool = False
    #: The failures of the last read when every one of its samples was steady (they can only
    #: change when the revision moves); None when one was not, or a tag came or went since.
    steady_failures: list[Failure] | None = None

    @property
    def poll_period(self) -> float:
        periods = [t.poll_period for t in self.tags.values()]
        return min(periods) if periods else DEFAULT_POLL_PERIOD_MS / 1000

    def due(self) -> float:
        """When a waiting read may complete at the earliest."""
        return (self.last_read or 0.0) + self.poll_period


def _sample(references: References, tag: ListTag, now: float) -> Sample:
    """Read the tag as tag.read would (an alarm property too: emulator.processes.references);
    its raw form too when it was added raw (list.data of another tag asks for that then)."""
    try:
        reading, steady = references.sample(tag.reference, now, suggest=False)
        raw = references.read(tag.reference, now, raw=True, suggest=False) if tag.raw else None
        return Sample(reading, None if raw is None else raw.value, steady=steady)
    except ProtocolError as exc:
        return Sample(error=exc, steady=exc.error is TAG_NOT_FOUND)


def _event_kinds(tag: ListTag, new: Sample) -> int:
    """What a fresh sample means for events: new tag, value moved, quality or error changed."""
    old = tag.sample
    if old is None:
        return _NEW
    kinds = 0
    old_error = old.error.error if old.error else None
    new_error = new.error.error if new.error else None
    if old_error is not new_error:
        kinds |= _STATUS
    if old.reading and new.reading:
        if old.reading.quality.general != new.reading.quality.general:
            kinds |= _STATUS
        if _moved(tag, old.reading, new.reading):
            kinds |= _VALUE_CHANGED
    return kinds


def _moved(tag: ListTag, old: Reading, new: Reading) -> bool:
    if new.number is not None and tag.reported is not None and tag.deadband > 0:
        return abs(new.number - tag.reported) > tag.deadband
    return new.value != old.value


class TagLists:
    """Every list of one connection; handles of lists and tags share one counter."""

    def __init__(self) -> None:
        self.lists: dict[int, TagList] = {}
        self.tags: dict[int, ListTag] = {}
        self._next = 1

    def _handle(self) -> int:
        handle = self._next
        self._next += 1
        return handle

    def get_list(self, list_id: int) -> TagList:
        found = self.lists.get(list_id)
        if found is None:
            raise ProtocolError(UNKNOWN_HANDLE, f"no list {list_id} (made by list.new?)")
        return found

    def get_tag(self, handle: int) -> ListTag:
        found = self.tags.get(handle)
        if found is None:
            raise ProtocolError(UNKNOWN_HANDLE, f"no tag handle {handle} (made by list.add?)")
        return found

    def new(self, mode: int) -> int:
        if mode & ~LIST_MODES:
            raise ProtocolError(
                INVALID_ARGUMENT, f"list mode {mode:#x}: only CT_LIST_EVENT 0x1, LIGHTWEIGHT 0x2"
            )
        if len(self.lists) >= MAX_LISTS:
            raise ProtocolError(INVALID_ARGUMENT, f"at most {MAX_LISTS} lists per connection")
        tag_list = TagList(self._handle(), mode)
        self.lists[tag_list.id] = tag_list
        return tag_list.id

    def add(
        self,
        list_id: int,
        reference: str,
        *,
        raw: bool = False,
        poll_period_ms: int = DEFAULT_POLL_PERIOD_MS,
        deadband: float = 0.0,
    ) -> int:
        """A handle for `reference`, even when no such tag exists (the error shows at read)."""
        tag_list = self.get_list(list_id)
        if not 0 <= poll_period_ms <= MAX_POLL_PERIOD_MS or not 0 <= deadband < math.inf:
            raise ProtocolError(
                INVALID_ARGUMENT,
                f"poll_period_ms must be 0..{MAX_POLL_PERIOD_MS} and deadband a number >= 0",
            )
        if len(tag_list.tags) >= MAX_LIST_TAGS:
            raise ProtocolError(INVALID_ARGUMENT, f"at most {MAX_LIST_TAGS} tags per list")
        tag = ListTag(
            self._handle(), list_id, reference, raw, poll_period_ms / 1000, float(deadband)
        )
        tag_list.tags[tag.handle] = tag
        tag_list.steady_failures = None  # the new tag is read at the next read
        self.tags[tag.handle] = tag
        return tag.handle

    def read(self, list_id: int, references: References, now: float) -> list[Failure]:
        """Read every tag now; the handles that failed, with their error."""
        return self.commit(self.get_list(list_id), references, now)

    def commit(self, tag_list: TagList, references: References, now: float) -> list[Failure]:
        if tag_list.steady_failures is not None and references.revision == tag_list.revision:
            # nothing the list shows has changed since the last read (the revision moves on
            # every change of a plant tag): the samples stand, no event is due, the same fail
            tag_list.last_read = now
            return list(tag_list.steady_failures)
        failed: list[Failure] = []
        steady = True
        for tag in tag_list.tags.values():
            sample = _sample(references, tag, now)
            kinds = _event_kinds(tag, sample)
            if kinds & (_VALUE_CHANGED | _NEW) and sample.reading:
                tag.reported = sample.reading.number
            tag.sample = sample
            if kinds and tag_list.mode & _EVENT_LIST:
                tag_list.events[tag.handle] = tag_list.events.pop(tag.handle, 0) | kinds
            if sample.error:
                failed.append((tag.handle, sample.error.error))
            steady = steady and sample.steady
        tag_list.last_read = now
        tag_list.revision = references.revision
        tag_list.steady_failures = list(failed) if steady else None
        return failed

    def values(self, tag_list: TagList, after: int = 0) -> tuple[list[list[int | str]], bool]:
        """The value of each tag read without error as of the last read, as list.data gives
        it, in handle order after `after`: one page of at most VALUES_PAGE_BYTES, and whether
        more follow. A client then answers ctListData itself (docs/protocol.md list.values)."""
        page: list[list[int | str]] = []
        size = 0
        handles = list(tag_list.tags)  # ascending: handles only grow
        for handle in handles[bisect.bisect_right(handles, after) :]:
            tag = tag_list.tags[handle]
            sample = tag.sample
            if sample is None or sample.reading is None:
                continue
            value = sample.raw if tag.raw and sample.raw is not None else sample.reading.value
            # an upper bound of its JSON: as it is, unless a character needs escaping (then
            # every one as \u00XX at worst)
            plain = value.isascii() and value.isprintable() and '"' not in value
            cost = 24 + (len(value) if plain and "\\" not in value else 6 * len(value))
            if page and size + cost > VALUES_PAGE_BYTES:
                return page, True
            page.append([handle, value])
            size += cost
        return page, False

    def ready(self, tag_list: TagList, references: References, now: float) -> bool:
        """A waiting read may complete: the poll period passed and something worth it changed."""
        if tag_list.last_read is None:
            return True
        if now < tag_list.due() or references.revision == tag_list.revision:
            return False
        return any(
            _event_kinds(tag, _sample(references, tag, now)) for tag in tag_list.tags.values()
        )

    def data(
        self,
        handle: int,
        references: References,
        now: float,
        *,
        raw: bool | None = None,
        item: str = "value",
    ) -> str:
        """The tag's item as of the last read. The raw form of a tag added without raw is read
        when asked (ours: a read of a big list does not pay for a form hardly anyone asks)."""
        tag = self.get_tag(handle)
        if item not in ITEMS:
            raise ProtocolError(INVALID_ARGUMENT, f"item {item!r}: one of {', '.join(ITEMS)}")
        sample = tag.sample
        if sample is None:
            raise ProtocolError(NOT_READ, f"handle {handle} ({tag.reference})")
        if sample.error is not None:
            raise ProtocolError(sample.error.error, sample.error.detail)
        reading = sample.reading
        assert reading is not None
        if item == "value":
            if not (tag.raw if raw is None else raw):
                return reading.value
            if sample.raw is not None:
                return sample.raw
            return references.read(tag.reference, now, raw=True, suggest=False).value
        quality = reading.quality
        values: dict[str, float | int | bool] = {
            "timestamp": reading.timestamp,
            "value_timestamp": reading.value_timestamp,
            "quality_timestamp": reading.quality_timestamp,
            "quality_general": quality.general,
            "quality_substatus": quality.substatus,
            "quality_limit": quality.limit,
            "quality_extended_substatus": quality.extended_substatus,
            "quality_datasource_error": quality.datasource_error,
            "quality_override": quality.override,
            "quality_control_mode": quality.control_inhibit,
        }
        value = values[item]
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)

    def event(self, list_id: int, mode: int) -> int | None:
        """The next handle that changed since its read (mode: NEW, STATUS), or None."""
        tag_list = self.get_list(list_id)
        if mode & ~EVENT_MODES:
            raise ProtocolError(
                INVALID_ARGUMENT, f"event mode {mode:#x}: only CT_LIST_EVENT_NEW 0x1, STATUS 0x2"
            )
        if not tag_list.mode & CT_LIST_EVENT:
            raise ProtocolError(INVALID_ARGUMENT, f"list {list_id} was not made with CT_LIST_EVENT")
        wanted = _VALUE_CHANGED | mode
        while tag_list.events:
            handle = next(iter(tag_list.events))
            kinds = tag_list.events.pop(handle)
            if kinds & wanted:
                return handle
        return None

    def delete(self, handle: int) -> None:
        tag = self.get_tag(handle)
        del self.tags[handle]
        tag_list = self.lists[tag.list_id]
        del tag_list.tags[handle]
        tag_list.steady_failures = None
        tag_list.events.pop(handle, None)

    def free(self, list_id: int) -> TagList:
        tag_list = self.get_list(list_id)
        for handle in tag_list.tags:
            del self.tags[handle]
        del self.lists[list_id]
        return tag_list
