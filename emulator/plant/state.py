"""The shared plant state behind every process: tag values and the change feed.

Sans-IO: no sockets, no clock of its own (callers pass `now`). Documented in docs/plant.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from emulator.logs import get_logger
from emulator.plant.config import TagValue
from emulator.plant.refs import Element, Item, Reference, TagReferenceError, split_extension
from emulator.plant.tags import OUT_OF_RANGE as VALUE_OUT_OF_RANGE
from emulator.plant.tags import TagSpec, TagValueError
from emulator.protocol.errors import (
    INVALID_ARGUMENT,
    OUT_OF_RANGE,
    TAG_NOT_FOUND,
    TAG_READ_ONLY,
    ProtocolError,
)
from emulator.topology.names import nearest

if TYPE_CHECKING:
    from emulator.topology.model import Topology


class ChangeFeed:
    """Tells subscribers (the runtime's connections) that plant state changed."""

    def __init__(self) -> None:
        self._subscribers: dict[int, Callable[[], None]] = {}
        self._next = 0
        #: Counts notifications: a reader that saw this number has seen every change since.
        self.revision = 0

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Register `callback`; returns the function that unsubscribes it."""
        key = self._next
        self._next += 1
        self._subscribers[key] = callback

        def unsubscribe() -> None:
            self._subscribers.pop(key, None)

        return unsubscribe

    def notify(self) -> None:
        self.revision += 1
        for callback in list(self._subscribers.values()):
            callback()


# --- Quality (Plant SCADA QualityGetPart; docs.aveva.com .../page/1189266.html) -----------------
QUAL_BAD = 0
QUAL_UNCR = 1
QUAL_GOOD = 3

#: Tag Status element bits (Plant SCADA "Determine Tag Status").
STATUS_WRITE_SUCCESSFUL = 0x4
STATUS_WRITE_UNSUCCESSFUL = 0x8


@dataclass(frozen=True, slots=True)
class Quality:
    general: int = QUAL_GOOD
    substatus: int = 0
    limit: int = 0
    extended_substatus: int = 0
    datasource_error: int = 0
    override: bool = False
    control_inhibit: bool = False

    def to_json(self) -> dict[str, int | bool]:
        return {
            "general": self.general,
            "substatus": self.substatus,
            "limit": self.limit,
            "extended_substatus": self.extended_substatus,
            "datasource_error": self.datasource_error,
            "override": self.override,
            "control_inhibit": self.control_inhibit,
        }


#: A tag's quality until something sets another (frozen: one shared by every tag).
_GOOD = Quality()


class Reading(NamedTuple):
    """What a read returns: the text CtAPI shows, and what ctTagReadEx adds.

    A NamedTuple, not a frozen dataclass: one is built per read, at half the cost.
    """

    value: str
    quality: Quality
    timestamp: float
    value_timestamp: float
    quality_timestamp: float
    #: The engineering value as a number when the item is numeric (for deadbands), else None.
    number: float | None = None


#: Distinct values whose text a tag keeps, beyond one per array item (ours).
TEXT_CACHE = 16


class TagState:
    """One tag's live data: raw values (one per array item), elements, quality, timestamps."""

    __slots__ = (
        "control_mode",
        "field",
        "override",
        "override_mode",
        "quality",
        "quality_timestamp",
        "raw_texts",
        "source",
        "spec",
        "status",
        "texts",
        "timestamp",
        "valid",
        "value_timestamp",
        "version",
    )

    def __init__(self, spec: TagSpec, initial: TagValue, now: float) -> None:
        self.spec = spec
        self.field: list[TagValue] = [initial] * spec.array_size
        self.valid: list[TagValue] = list(self.field)
        self.override: list[TagValue] = [spec.zero()] * spec.array_size
        self.override_mode = 0
        self.control_mode = 0
        self.status = 0
        self.quality = _GOOD
        self.timestamp = now
        self.value_timestamp = now
        self.quality_timestamp = now
        #: Bumped on every change of value, quality or element: what lists compare.
        self.version = 0
        #: Set when an engine computes this tag's value when it is read (Plant.refresh).
        self.source: object | None = None
        #: Formatted text by raw value (engineering and raw mode): see `text_of`; made at the
        #: first read (most tags of a large plant are never read).
        self.texts: dict[TagValue, str] | None = None
        self.raw_texts: dict[TagValue, str] | None = None

    def text_of(self, value: TagValue, raw: bool) -> str:
        """A raw value as a read shows it, formatted once per value: reads far outnumber changes.

        Keyed by the value itself, so no write path can leave a stale text: the spec is frozen,
        and values equal as keys (1, 1.0, True; 0.0, -0.0) format alike. Bounded per tag.
        """
        texts = self.raw_texts if raw else self.texts
        if texts is None:
            texts = {}
            if raw:
                self.raw_texts = texts
            else:
                self.texts = texts
        text = texts.get(value)
        if text is None:
            spec = self.spec
            text = spec.raw_text(value) if raw else spec.text(spec.eng(value))
            if len(texts) >= TEXT_CACHE + spec.array_size:
                texts.clear()
            texts[value] = text
        return text

    def current_quality(self) -> Quality:
        """The quality with the override and control-inhibit flags of the current modes (the
        stored one when they agree already: a read should not build a copy)."""
        override, inhibit = self.override_mode != 0, self.control_mode != 0
        quality = self.quality
        if quality.override == override and quality.control_inhibit == inhibit:
            return quality
        return replace(quality, override=override, control_inhibit=inhibit)


_Resolved = tuple[TagState, Element | None, Item, int | None]


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved reference: which tag, element, item and array index."""

    state: TagState
    element: Element
    item: Item
    index: int | None


#: "Did you mean" is looked for among at most this many tags, and remembered for this many names.
SUGGEST_MAX_TAGS = 1000
SUGGEST_CACHE = 1024
#: Resolved references remembered by their text (the tags never change while a plant runs).
RESOLVE_CACHE = 4096
_MODE_MAX = 32767

#: Told of every write to the device: a client's write, the control API's set, a timeline
#: `set_tag`, a restore; never a generator's own value. Given the tag, the element written
#: (FIELD, OVERRIDE, OVERRIDE_MODE or CONTROL_MODE), the array index and `now`.
WriteListener = Callable[[TagState, Element, int, float], None]

_log = get_logger("emulator.plant")


def iso(timestamp: float) -> str:
    """A timestamp item as text: ISO 8601 UTC with milliseconds (ours)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Plant:
    """Every tag of the topology with its live value: what CtAPI, alarms and trends share.

    Callers pass `now`; every change notifies the ChangeFeed. Names are case-insensitive and
    may be cluster-qualified (`CLUSTER1.TAG`). Errors are ProtocolError with a CtAPI code.
    """

    def __init__(
        self, topology: Topology, *, changes: ChangeFeed | None = None, now: float = 0.0
    ) -> None:
        self.changes = changes if changes is not None else ChangeFeed()
        self.revision = 0
        self.clusters: dict[str, str] = {c.name.casefold(): c.name for c in topology.clusters}
        only = topology.clusters[0].name if len(topology.clusters) == 1 else None
        self._tags: list[TagState] = []
        self._by_cluster: dict[str | None, dict[str, TagState]] = {}
        self._by_name: dict[str, list[TagState]] = {}
        self._suggestions: dict[str, str] = {}
        #: Each remembered reference's targets: without and with the tag in override mode.
        self._resolved: dict[str, tuple[Target, Target]] = {}
        self._write_listeners: list[WriteListener] = []
        #: References the engines read on every scan or tick (a fixed, configured set): kept
        #: when the cache above is cleared, however many they are.
        self._kept: set[str] = set()
        #: Inside `changing()`: how deep, and whether a change is still to be told.
        self._quiet = 0
        self._unheard = False
        #: Brings a tag with a `source` up to date before it is read (the scenario runner's
        #: timed generators: a large plant's tags are computed when read, not at every tick).
        self.refresh: Callable[[TagState], None] | None = None
        for tag in topology.tags:
            cluster = self.clusters.get((tag.cluster or "").casefold(), only)
            names = self._by_cluster.setdefault(cluster, {})
            if tag.name.casefold() in names:
                continue  # a duplicate: the compile reports it; the first one wins
            spec = TagSpec.from_config(tag, cluster)
            state = TagState(spec, _initial(spec, tag.initial), now)
            names[tag.name.casefold()] = state
            self._by_name.setdefault(tag.name.casefold(), []).append(state)
            self._tags.append(state)

    # --- lookup -------------------------------------------------------------------------------
    @property
    def tags(self) -> tuple[TagState, ...]:
        return tuple(self._tags)

    def tag(self, name: str) -> TagState:
        """The tag named `name` or `Cluster.name`; ProtocolError(tag_not_found) when none."""
        target = self.resolve(name)
        return target.state

    def named(self, name: str) -> TagState:
        """`tag(name)`, without parsing or remembering a bare tag name: for an engine that
        looks each of its many tags up once and holds them."""
        found = self._by_name.get(name.casefold())
        if found is not None and len(found) == 1 and "." not in name and "[" not in name:
            return found[0]
        return self.tag(name)

    def resolve(self, text: str, *, suggest: bool = True) -> Target:
        """Which tag, element, item and index a reference means."""
        targets = self._resolved.get(text)
        if targets is None:
            state, element, item, index = self._parse(text, suggest)
            # The default element follows the tag's override mode, so both are kept (a
            # Target is frozen: handing the same one out again is safe, and cheaper).
            targets = (
                Target(state, Element.FIELD if element is None else element, item, index),
                Target(state, Element.OVERRIDE if element is None else element, item, index),
            )
            if len(self._resolved) >= RESOLVE_CACHE + len(self._kept):
                kept = self._resolved
                self._resolved = {k: kept[k] for k in self._kept if k in kept}
            self._resolved[text] = targets
        field, override = targets
        state = field.state
        if state.source is not None and self.refresh is not None:
            self.refresh(state)
        return override if state.override_mode else field

    def keep(self, texts: Iterable[str]) -> None:
        """Keep these references resolved for good: an engine reads them again and again, and
        a large plant's engines read more of them than RESOLVE_CACHE holds (each read parsed its
        reference anew: most of an idle 20,000-tag plant's CPU)."""
        self._kept.update(texts)

    def _parse(self, text: str, suggest: bool) -> _Resolved:
        """What `resolve` remembers: the tag, the element written (if any), item and index."""
        try:
            ref = Reference.parse(text)
        except TagReferenceError as exc:
            raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None
        parts = ref.parts
        state: TagState | None = None
        rest = parts[1:]
        if len(parts) >= 2 and parts[0].casefold() in self.clusters:
            cluster = self.clusters[parts[0].casefold()]
            state = self._by_cluster.get(cluster, {}).get(parts[1].casefold())
            if state is not None:
                rest = parts[2:]
            elif parts[0].casefold() not in self._by_name:  # not a tag named like the cluster
                raise ProtocolError(TAG_NOT_FOUND, f"no tag {parts[1]!r} in cluster {cluster!r}")
        if state is None:
            found = self._by_name.get(parts[0].casefold(), [])
            if not found:
                raise ProtocolError(
                    TAG_NOT_FOUND,
                    f"no tag {parts[0]!r}" + (self._suggestion(parts[0]) if suggest else ""),
                )
            if len(found) > 1:
                raise ProtocolError(
                    TAG_NOT_FOUND,
                    f"{parts[0]!r} is a tag of several clusters: write Cluster.{parts[0]}",
                )
            state = found[0]
        try:
            element, item = split_extension(rest)
        except TagReferenceError as exc:
            raise ProtocolError(INVALID_ARGUMENT, str(exc)) from None
        if ref.index is not None and ref.index >= state.spec.array_size:
            raise ProtocolError(
                OUT_OF_RANGE,
                f"{state.spec.name}[{ref.index}]: the tag has {state.spec.array_size} "
                f"item{'s' * (state.spec.array_size != 1)} (0..{state.spec.array_size - 1})",
            )
        return state, element, item or Item.VALUE, ref.index

    def _suggestion(self, name: str) -> str:
        """' (did you mean ...?)' for a near miss; bounded in cost and cached (ours)."""
        key = name.casefold()
        if key not in self._suggestions:
            close = None
            if len(self._by_name) <= SUGGEST_MAX_TAGS:
                close = nearest(name, [states[0].spec.name for states in self._by_name.values()])
            if len(self._suggestions) >= SUGGEST_CACHE:
                self._suggestions.clear()
            self._suggestions[key] = f" (did you mean {close!r}?)" if close else ""
        return self._suggestions[key]

    # --- reads --------------------------------------------------------------------------------
    def read(self, text: str, *, raw: bool = False, suggest: bool = True) -> Reading:
        """A reference's value as CtAPI shows it (engineering units, formatted; or raw).

        `suggest=False` skips the "did you mean" of an unknown name (tag lists read many).
        """
        target = self.resolve(text, suggest=suggest)
        state = target.state
        value, number = self._text(target, raw)
        return Reading(
            value=value,
            quality=state.current_quality(),
            timestamp=state.timestamp,
            value_timestamp=state.value_timestamp,
            quality_timestamp=state.quality_timestamp,
            number=number,
        )

    def value(self, text: str) -> TagValue:
        """A reference's value typed (engineering units): for Cicode, alarms and trends.

        Digital tags give bool; an array without `[n]` gives its first item; quality items give
        the general quality; timestamp items give seconds since 1970.
        """
        target = self.resolve(text)
        state = target.state
        item = _item(target)
        if item is not None:
            return item
        values = self._values(target)
        if values is None:
            return self._mode(target)
        return state.spec.eng(values[target.index or 0])

    def fresh(self, state: TagState) -> TagState:
        """A tag held by its state, brought up to date as a read by name would."""
        if state.source is not None and self.refresh is not None:
            self.refresh(state)
        return state

    def touch(self) -> None:
        """Tell the change feed that tags computed when read may have changed (a tick of their
        engine): lists and subscriptions read them again, which computes them."""
        self.revision += 1
        if self._quiet:
            self._unheard = True
        else:
            self.changes.notify()

    def value_of(self, state: TagState) -> TagValue:
        """`value(name)` of a tag held by its state (its first item, override mode followed)."""
        values = state.override if state.override_mode else state.field
        return state.spec.eng(values[0])

    def _values(self, target: Target) -> list[TagValue] | None:
        state = target.state
        match target.element:
            case Element.FIELD:
                return state.field
            case Element.VALID:
                return state.valid
            case Element.OVERRIDE:
                return state.override
        return None

    def _mode(self, target: Target) -> int:
        state = target.state
        match target.element:
            case Element.OVERRIDE_MODE:
                return state.override_mode
            case Element.CONTROL_MODE:
                return state.control_mode
        return state.status

    def _text(self, target: Target, raw: bool) -> tuple[str, float | None]:
        state = target.state
        spec = state.spec
        item = _item(target)
        if target.item is Item.QUALITY:
            return str(state.quality.general), float(state.quality.general)
        if item is not None:
            return iso(item), None
        values = self._values(target)
        if values is None:
            mode = self._mode(target)
            return str(mode), float(mode)
        chosen = values if target.index is None else (values[target.index],)
        if len(chosen) == 1:
            text = state.text_of(chosen[0], raw)
        else:
            text = ",".join([state.text_of(v, raw) for v in chosen])
        first = spec.eng(chosen[0])
        number = float(first) if not isinstance(first, str) else None
        return text, number

    # --- writes -------------------------------------------------------------------------------
    def write(self, text: str, value: str, now: float, user: str | None = None) -> None:
        """A CtAPI write: a string in engineering units, checked as a runtime checks it."""
        target = self.resolve(text)
        state = target.state
        spec = state.spec
        if target.item is not Item.VALUE:
            raise ProtocolError(
                TAG_READ_ONLY, f"the {target.item.name.lower()} item of a tag is read-only"
            )
        if target.element in (Element.OVERRIDE_MODE, Element.CONTROL_MODE):
            self._write_mode(target, value, now)
        elif target.element in (Element.VALID, Element.STATUS):
            raise ProtocolError(
                TAG_READ_ONLY, f"the {target.element.name.title()} element is read-only"
            )
        else:
            if target.element is Element.FIELD:
                if not spec.writable:
                    raise ProtocolError(TAG_READ_ONLY, f"{spec.name} is not writable")
                if state.control_mode:
                    raise ProtocolError(
                        TAG_READ_ONLY, f"{spec.name} is in control inhibit mode (ControlMode)"
                    )
            if target.index is None and spec.array_size > 1:
                raise ProtocolError(
                    INVALID_ARGUMENT,
                    f"{spec.name} is an array: write one item, {spec.name}[n]",
                )
            raw = _checked_raw(spec, value)
            values = state.field if target.element is Element.FIELD else state.override
            self._store(state, values, target.index or 0, raw, now)
        state.status = STATUS_WRITE_SUCCESSFUL
        _log.info("tag.write", tag=spec.name, element=str(target.element), value=value, user=user)
        self._written(state, target.element, target.index or 0, now)

    def _write_mode(self, target: Target, value: str, now: float) -> None:
        state = target.state
        try:
            mode = int(value.strip())
        except ValueError:
            raise ProtocolError(INVALID_ARGUMENT, f"{value!r} is not an integer") from None
        if not 0 <= mode <= _MODE_MAX:
            raise ProtocolError(OUT_OF_RANGE, f"{mode} is outside 0..{_MODE_MAX}")
        if target.element is Element.OVERRIDE_MODE:
            changed = state.override_mode != mode
            state.override_mode = mode
        else:
            changed = state.control_mode != mode
            state.control_mode = mode
        state.timestamp = now
        if changed:
            state.quality_timestamp = now
            self._changed(state)

    # --- generators and other engines ---------------------------------------------------------
    def set_value(
        self,
        name: str,
        value: TagValue,
        now: float,
        *,
        index: int = 0,
        quality: int | None = None,
        write: bool = False,
    ) -> bool:
        """Set a tag's field value in engineering units, as the I/O device would report it.

        No writability or range check (a plant may run out of range); the value must still fit
        the type (TagValueError otherwise). `write`: the value is written to the device (the
        control API, a timeline event), so the write listeners hear of it and the tag's
        generator honours it (docs/scenarios.md, "Writes"); a generator's own values are not.
        Returns whether anything changed.
        """
        state = self.tag(name)
        if not 0 <= index < state.spec.array_size:
            raise ProtocolError(OUT_OF_RANGE, f"{state.spec.name}[{index}]")
        raw = state.spec.raw_of(value)
        changed = False
        if quality is not None:
            changed = self.set_quality(name, quality, now)
        changed = self._store(state, state.field, index, raw, now) or changed
        if write:
            self._written(state, Element.FIELD, index, now)
        return changed

    def restore(self, name: str, element: Element, index: int, value: TagValue, now: float) -> None:
        """Put back a write the device held before a restart (emulator.plant.devices): a field
        or override value in engineering units, or a mode. Heard as a write, so a generator
        takes it up. ProtocolError or TagValueError when it no longer fits the tag."""
        state = self.tag(name)
        if element is Element.FIELD:
            self.set_value(name, value, now, index=index, write=True)
            return
        if element in (Element.OVERRIDE_MODE, Element.CONTROL_MODE):
            text = str(int(value)) if isinstance(value, bool | int) else str(value)
            self._write_mode(Target(state, element, Item.VALUE, None), text, now)
        elif element is Element.OVERRIDE and 0 <= index < state.spec.array_size:
            self._store(state, state.override, index, state.spec.raw_of(value), now)
        else:
            raise ProtocolError(INVALID_ARGUMENT, f"{state.spec.name}: cannot restore {element}")
        self._written(state, element, index, now)

    def on_write(self, listener: WriteListener) -> Callable[[], None]:
        """Hear of every write to the device (WriteListener); returns the unsubscribe."""
        self._write_listeners.append(listener)
        return lambda: self._write_listeners.remove(listener)

    def _written(self, state: TagState, element: Element, index: int, now: float) -> None:
        for listener in list(self._write_listeners):
            listener(state, element, index, now)

    def set_field(self, state: TagState, value: TagValue, now: float) -> bool:
        """`set_value(name, value, now)` of a tag held by its state (its first item)."""
        return self._store(state, state.field, 0, state.spec.raw_of(value), now)

    def settle(self, state: TagState, value: TagValue, now: float) -> bool:
        """`set_field` of a value computed when read (Plant.refresh), told to no one: the
        `touch` of the tick that made it was the news (telling it again woke every subscriber,
        and every alarm server scanned again, at each read of such a tag)."""
        return self._store(state, state.field, 0, state.spec.raw_of(value), now, told=True)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Many changes, one notification of the change feed at the end (a generator tick of a
        large plant changes every tag: one notification per tag woke every subscriber each
        time)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
            if not self._quiet and self._unheard:
                self._unheard = False
                self.changes.notify()

    def set_quality(self, name: str, general: int, now: float, *, substatus: int = 0) -> bool:
        """Set a tag's quality (QUAL_GOOD, QUAL_UNCR, QUAL_BAD); returns whether it changed."""
        if general not in (QUAL_BAD, QUAL_UNCR, QUAL_GOOD):
            raise ValueError(f"general quality {general!r}: use QUAL_BAD, QUAL_UNCR or QUAL_GOOD")
        state = self.tag(name)
        quality = Quality(general=general, substatus=substatus)
        state.timestamp = now
        if quality == state.quality:
            return False
        state.quality = quality
        state.quality_timestamp = now
        if general == QUAL_GOOD:
            state.valid = list(state.field)
        self._changed(state)
        return True

    def _store(
        self,
        state: TagState,
        values: list[TagValue],
        index: int,
        raw: TagValue,
        now: float,
        *,
        told: bool = False,
    ) -> bool:
        state.timestamp = now
        if values is state.field and state.quality.general == QUAL_GOOD:
            state.valid[index] = raw
        if values[index] == raw and type(values[index]) is type(raw):
            return False
        values[index] = raw
        state.value_timestamp = now
        if told:
            state.version += 1
        else:
            self._changed(state)
        return True

    def _changed(self, state: TagState) -> None:
        state.version += 1
        self.revision += 1
        if self._quiet:
            self._unheard = True
        else:
            self.changes.notify()


def _item(target: Target) -> int | float | None:
    """The quality or timestamp a Q, VT, QT or T item reads; None for the value item."""
    state = target.state
    match target.item:
        case Item.QUALITY:
            return state.quality.general
        case Item.VALUE_TIMESTAMP:
            return state.value_timestamp
        case Item.QUALITY_TIMESTAMP:
            return state.quality_timestamp
        case Item.TIMESTAMP:
            return state.timestamp
    return None


def _checked_raw(spec: TagSpec, text: str) -> TagValue:
    try:
        eng = spec.parse(text)
        spec.check_range(eng)
        return spec.raw_of(eng)
    except TagValueError as exc:
        error = OUT_OF_RANGE if exc.kind == VALUE_OUT_OF_RANGE else INVALID_ARGUMENT
        raise ProtocolError(error, f"{spec.name}: {exc.detail}") from None


def _initial(spec: TagSpec, initial: TagValue | None) -> TagValue:
    """The raw start value; a bad initial value (the compile reports it) starts at zero."""
    if initial is None:
        return spec.zero()
    try:
        if spec.type == "string":
            return spec.raw_of(str(initial))
        return spec.raw_of(initial)
    except TagValueError:
        return spec.zero()
