"""One tag's conversions: scaling raw <-> engineering, parsing written text, ranges."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emulator.plant.config import Tag, TagType
from emulator.plant.tags import MALFORMED, OUT_OF_RANGE, Scale, TagSpec, TagValueError

spans = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(spans, spans, spans, spans, spans)
def test_scaling_round_trips(
    raw_zero: float, raw_full: float, eng_zero: float, eng_full: float, eng: float
) -> None:
    assume(abs(raw_full - raw_zero) > 1e-3 and abs(eng_full - eng_zero) > 1e-3)
    scale = Scale(raw_zero, raw_full, eng_zero, eng_full)
    back = scale.to_eng(scale.to_raw(eng))
    assert math.isclose(back, eng, rel_tol=1e-6, abs_tol=1e-6 * (abs(eng_full) + abs(eng_zero) + 1))
    assert math.isclose(scale.to_eng(raw_zero), eng_zero, abs_tol=1e-6 * (abs(eng_zero) + 1))


def spec(type_: TagType = "real", **fields: object) -> TagSpec:
    return TagSpec.from_config(Tag(name="T", type=type_, **fields), None)  # type: ignore[arg-type]


def test_an_int_tag_stores_rounded_raw_counts() -> None:
    speed = spec("int", raw_zero=0, raw_full=32000, eng_zero=0, eng_full=1500, format="####")
    assert speed.raw_of(1200.0) == 25600
    assert speed.raw_of(1000.0) == 21333
    assert speed.text(speed.eng(21333)) == "1000"


@pytest.mark.parametrize(
    ("type_", "text", "value"),
    [
        ("digital", " on ", True),
        ("digital", "FALSE", False),
        ("digital", "1", True),
        ("int", "12.6", 13),
        ("int", "-12.5", -13),
        ("real", "1e3", 1000.0),
        ("string", " keep spaces ", " keep spaces "),
    ],
)
def test_written_text_parses_per_type(type_: TagType, text: str, value: object) -> None:
    assert spec(type_).parse(text) == value


@pytest.mark.parametrize(
    ("type_", "text"),
    [("digital", "2"), ("real", "abc"), ("real", "nan"), ("int", "inf"), ("long", "")],
)
def test_malformed_text_is_refused(type_: TagType, text: str) -> None:
    with pytest.raises(TagValueError) as caught:
        spec(type_).parse(text)
    assert caught.value.kind == MALFORMED


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (spec("int"), 40000),
        (spec("long"), 2**31),
        (spec("real"), 1e39),
        (spec("digital"), 2),
        (spec("string"), "x" * 256),
    ],
)
def test_values_outside_the_type_are_out_of_range(tag: TagSpec, value: float | str) -> None:
    with pytest.raises(TagValueError) as caught:
        tag.raw_of(value)
    assert caught.value.kind == OUT_OF_RANGE


def test_the_engineering_range_bounds_writes() -> None:
    level = spec("real", eng_zero=0, eng_full=100, eng_units="%")
    level.check_range(100.0)
    with pytest.raises(TagValueError, match=r"outside 0\.\.100 %"):
        level.check_range(100.5)


@given(st.integers(min_value=-32768, max_value=32767))
def test_an_unscaled_int_reads_back_what_was_written(value: int) -> None:
    tag = spec("int")
    assert tag.text(tag.eng(tag.raw_of(tag.parse(str(value))))) == str(value)
