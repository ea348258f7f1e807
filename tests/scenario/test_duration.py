from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.scenario.duration import DurationError, seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        (" 2d ", 172800.0),
        ("1.5h", 5400.0),
    ],
)
def test_duration_text(text: str, expected: float) -> None:
    assert seconds(text) == pytest.approx(expected)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_numbers_are_seconds(value: float) -> None:
    assert seconds(value) == value


@pytest.mark.parametrize(
    "bad", ["", "soon", "5 minutes", "5m later", "-5s", float("nan"), -1, True]
)
def test_bad_durations_say_what_a_duration_is(bad: object) -> None:
    with pytest.raises(DurationError, match="duration"):
        seconds(bad)  # type: ignore[arg-type]


@given(st.text(max_size=20))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(DurationError):
        assert seconds(text) >= 0
