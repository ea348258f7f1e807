"""The per-tag text cache of a read: whatever changes a value, a read shows what a fresh
formatting of that value shows (docs/performance.md, "Formatting")."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.plant.config import Tag, TagValue
from emulator.plant.refs import Element, Item
from emulator.plant.state import QUAL_BAD, QUAL_GOOD, QUAL_UNCR, TEXT_CACHE, Plant
from emulator.plant.tags import TagValueError
from emulator.protocol.errors import ProtocolError
from emulator.topology.model import Cluster, Topology

NOW = 1_767_225_600.0

TOPOLOGY = Topology(
    clusters=[Cluster(name="C1"), Cluster(name="C2")],
    tags=[
        Tag(name="I", cluster="C1", type="int", format="0000", initial=7),
        Tag(name="R", cluster="C1", type="real", format="###.## EU", eng_units="m", initial=2.675),
        Tag(
            name="S",
            cluster="C1",
            type="int",
            raw_zero=0,
            raw_full=4095,
            eng_zero=0,
            eng_full=100,
            format="###.#",
        ),
        Tag(name="P", cluster="C1", type="real", initial=0.1),
        Tag(name="D", cluster="C1", type="digital"),
        Tag(name="X", cluster="C1", type="string", initial="A"),
        Tag(name="A", cluster="C1", type="real", array_size=3, format="#.#", initial=1.25),
        Tag(name="T", cluster="C1", type="real", initial=1.0),
        Tag(name="T", cluster="C2", type="long", initial=2),
    ],
)

NAMES = ["C1.I", "R", "s", "P", "D", "X", "C1.A", "C1.T", "C2.T"]
ELEMENTS = ["", ".Field", ".Field.V", ".V", ".Valid", ".Override"]
MODES = [".OverrideMode", ".ControlMode"]
INDEXES = ["", "[0]", "[2]"]

values = st.one_of(
    st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.005, -0.005, 2.675, 1e-9, -1e-9]),
    st.integers(min_value=-100_000, max_value=100_000),
    st.booleans(),
    st.text(max_size=4),
)
names = st.sampled_from(NAMES)
references = st.builds(
    lambda name, element, index: name + element + (index if name.endswith("A") else ""),
    names,
    st.sampled_from(ELEMENTS),
    st.sampled_from(INDEXES),
)


@dataclass(frozen=True)
class Write:
    reference: str
    text: str


@dataclass(frozen=True)
class SetValue:
    name: str
    value: TagValue
    index: int
    quality: int | None


@dataclass(frozen=True)
class SetQuality:
    name: str
    general: int


@dataclass(frozen=True)
class Read:
    reference: str
    raw: bool


qualities = st.sampled_from([QUAL_BAD, QUAL_UNCR, QUAL_GOOD])
operations = st.one_of(
    st.builds(Write, references, values.map(str)),
    st.builds(Write, st.builds(str.__add__, names, st.sampled_from(MODES)), st.sampled_from("01")),
    st.builds(SetValue, names, values, st.integers(0, 2), st.none() | qualities),
    st.builds(SetQuality, names, qualities),
    st.builds(Read, references, st.booleans()),
)


def fresh(plant: Plant, reference: str, raw: bool) -> tuple[str, float | None]:
    """What a read shows, formatted now with no cache: the formatter called directly."""
    target = plant.resolve(reference)
    state = target.state
    spec = state.spec
    assert target.item is Item.VALUE
    chosen = {
        Element.FIELD: state.field,
        Element.VALID: state.valid,
        Element.OVERRIDE: state.override,
    }[target.element]
    if target.index is not None:
        chosen = [chosen[target.index]]
    text = ",".join(spec.raw_text(v) if raw else spec.text(spec.eng(v)) for v in chosen)
    first = spec.eng(chosen[0])
    return text, None if isinstance(first, str) else float(first)


def apply(plant: Plant, operation: Write | SetValue | SetQuality, now: float) -> None:
    try:
        match operation:
            case Write(reference, text):
                plant.write(reference, text, now)
            case SetValue(name, value, index, quality):
                plant.set_value(name, value, now, index=index, quality=quality)
            case SetQuality(name, general):
                plant.set_quality(name, general, now)
    except (ProtocolError, TagValueError):
        pass  # refused: the state stays as it was, which the next reads check


def check(plant: Plant, reference: str, raw: bool) -> None:
    reading = plant.read(reference, raw=raw)
    assert (reading.value, reading.number) == fresh(plant, reference, raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(operations, max_size=40))
def test_every_read_shows_a_fresh_formatting_of_its_value(
    steps: list[Write | SetValue | SetQuality | Read],
) -> None:
    plant = Plant(TOPOLOGY, now=NOW)
    for number, step in enumerate(steps):
        if isinstance(step, Read):
            check(plant, step.reference, step.raw)
        else:
            apply(plant, step, NOW + number)
        for name in NAMES:  # every tag, both modes, after every step
            check(plant, name, False)
            check(plant, name, True)
    for state in plant.tags:
        assert len(state.texts or {}) <= TEXT_CACHE + state.spec.array_size
        assert len(state.raw_texts or {}) <= TEXT_CACHE + state.spec.array_size


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), max_size=60))
def test_a_tag_keeps_a_bounded_number_of_texts(numbers: list[float]) -> None:
    plant = Plant(TOPOLOGY, now=NOW)
    for number, value in enumerate(numbers):
        plant.set_value("R", value, NOW + number)
        check(plant, "R", False)
    assert len(plant.tag("R").texts or {}) <= TEXT_CACHE + 1


def test_equal_keys_of_other_types_format_alike() -> None:
    """The cache keys by value: 1, 1.0 and True (and 0.0, -0.0) share an entry."""
    plant = Plant(TOPOLOGY, now=NOW)
    for name in ("C1.I", "R", "S", "P", "D", "C2.T"):
        spec = plant.tag(name).spec
        for group in ((1, 1.0, True), (0, 0.0, -0.0, False)):
            assert len({spec.text(spec.eng(v)) for v in group}) == 1, name
            assert len({spec.raw_text(v) for v in group}) == 1, name
