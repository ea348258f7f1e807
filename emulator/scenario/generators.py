"""Generated tag values: every generator computed on one fixed grid of ticks. Pure.

Values depend only on the seed, the tick and the elapsed plant time (and, for expressions, on the
tags they read), never on when or how often `advance` is called: the same scenario with the same
seed and clock gives the same values.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from emulator.plant.config import TagType, TagValue
from emulator.scenario.config import Generator
from emulator.scenario.duration import seconds
from emulator.scenario.expression import Expression, ExpressionError, compile_expression

#: Ticks computed by one `advance` at most; a clock that jumps further skips ahead.
MAX_TICKS_PER_ADVANCE = 100_000
#: Kinds whose value at a tick is a function of that tick alone, noise included: they can be
#: computed when something reads the tag instead of at every tick (`value_now`).
TIMED_KINDS = frozenset({"constant", "sine", "square", "ramp", "steps"})
#: Kinds computed when read too, though each value depends on the one before: a random walk no
#: expression reads is stepped from the tick it was last computed at, when read (`value_now`),
#: with the same draws (indexed by tick) and clamps, so the values do not depend on the reads.
WALKED_KINDS = frozenset({"random_walk"})


_MASK64 = (1 << 64) - 1


class Normal:
    """A generator's own normal draws, from the scenario seed and its parts (the same text
    every run, so the same draws): `at(n)` is the n-th, a function of those and n alone
    (SplitMix64, then Box-Muller), so a generator's value at a tick can be computed without
    the ticks before it, and its random source is one integer (a random.Random holds 2.5 KiB
    of state: one per generator was a quarter of a large plant's memory).
    """

    __slots__ = ("key",)

    def __init__(self, seed: int, *parts: object) -> None:
        text = ":".join([str(seed), *(str(p) for p in parts)]).encode()
        self.key = int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")

    def at(self, n: int, mu: float, sigma: float) -> float:
        """The n-th draw of N(mu, sigma^2)."""
        bits = _mix(self.key + n)  # two 32-bit uniforms from one mix: half the work
        u1 = ((bits >> 32) + 1) / 4294967296.0  # (0, 1]
        u2 = (bits & 0xFFFFFFFF) / 4294967296.0  # [0, 1)
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def _mix(z: int) -> int:
    """SplitMix64's output function of the state `z`."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def coerce(value: TagValue, tag_type: TagType) -> TagValue:
    """A generated value as the tag's type."""
    if tag_type == "string":
        return value if isinstance(value, str) else f"{value:g}"
    number = as_number(value)
    if tag_type == "digital":
        return round(number) != 0
    if tag_type in ("int", "long"):
        return round(number)
    return number


def as_number(value: TagValue | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return float(value)


@dataclass(slots=True)
class _Driven:
    """One generator at run time: its spec, parsed durations, random source and last value."""

    spec: Generator
    tag_type: TagType
    #: What seeds its random source (Normal), made at its first draw.
    seed: tuple[int, int, str]
    period: float
    phase: float
    steps: list[tuple[float, TagValue]]
    expression: Expression | None
    write_hold: float = 0.0
    value: float | None = None
    #: What a write to the device left (see `Generators.written`): a constant's new value, the
    #: plant time a hold ends, the step a steps generator holds a write through.
    setpoint: TagValue | None = None
    hold_until: float | None = None
    held_step: tuple[int, int] | None = None
    #: Its kind is timed (or walked) and no expression reads its tag: `value_now` gives it.
    timed: bool = False
    #: A walked generator: the tick `value` is at, its output then, the tick a write set it.
    at: int = 0
    out: TagValue | None = None
    written_at: int | None = None
    _rng: Normal | None = None

    @property
    def rng(self) -> Normal:
        if self._rng is None:
            self._rng = Normal(*self.seed)
        return self._rng


@dataclass
class Advance:
    """What one `advance` produced: the latest value of each tag, ticks skipped, and the
    expressions that could not be evaluated (the tag keeps its value)."""

    values: dict[str, TagValue] = field(default_factory=dict)
    time: float | None = None
    skipped: int = 0
    errors: dict[str, str] = field(default_factory=dict)


class Generators:
    """The generators of a scenario, stepped on the grid start + k * tick."""

    def __init__(
        self,
        specs: Sequence[Generator],
        *,
        seed: int,
        tick: float,
        start: float,
        types: Mapping[str, TagType],
    ) -> None:
        if not tick > 0:
            raise ValueError("the tick must be > 0 seconds")
        folded = {name.casefold(): kind for name, kind in types.items()}
        self.tick = tick
        self.start = start
        self._ticks = 0
        self._errors: dict[str, str] = {}
        durations: dict[tuple[type, float | str], float] = {}  # a plant repeats a few periods

        def duration(value: float | str) -> float:
            key = (type(value), value)
            known = durations.get(key)
            if known is None:
                known = durations[key] = seconds(value)
            return known

        self._driven = [
            _Driven(
                spec=spec,
                tag_type=folded.get(spec.tag.casefold(), "real"),
                seed=(seed, index, spec.tag.casefold()),
                period=duration(spec.period),
                phase=duration(spec.phase),
                steps=_sorted_steps(spec),
                write_hold=duration(spec.write_hold),
                expression=(
                    compile_expression(spec.expression)
                    if spec.kind == "expression" and spec.expression is not None
                    else None
                ),
            )
            for index, spec in enumerate(specs)
        ]
        self._by_tag: dict[str, _Driven] = {}
        for driven in self._driven:
            self._by_tag.setdefault(driven.spec.tag.casefold(), driven)

        expressions = [d.expression.names for d in self._driven if d.expression is not None]
        read = set().union(*expressions)
        for d in self._driven:
            d.timed = d.spec.kind in TIMED_KINDS | WALKED_KINDS and d.seed[2] not in read
        self._timed = {d.seed[2]: d for d in self._driven if d.timed}
        #: The walks computed when read that have not started yet (their first tick does).
        self._unstarted_walks = [d for d in self._timed.values() if self._unstarted(d)]

    def __len__(self) -> int:
        return len(self._driven)

    @property
    def reads(self) -> set[str]:
        """The tags (casefolded) whose values `advance` needs in `current`: what the stepped
        generators carry from tick to tick and what expressions read (a timed one needs none; a
        walked one only until its first tick, which starts it from the tag's value)."""
        names = {d.seed[2] for d in self._driven if not d.timed or self._unstarted(d)}
        for d in self._driven:
            if d.expression is not None:
                names |= d.expression.names
        return names

    def written(self, tag: str, value: TagValue, now: float) -> None:
        """A write to the device of `tag` at plant time `now` (the plant holds `value` now):
        what the tag's generator does next depends on its kind (docs/scenarios.md, "Writes").

        constant: `value` becomes the constant. random_walk, integrating expression: they go on
        from `value`. steps: `value` holds until the next step. sine, square, ramp, expression:
        `value` holds for `write_hold` seconds of plant time, then the function takes over.
        """
        d = self._by_tag.get(tag.casefold())
        if d is None:
            return
        match d.spec.kind:
            case "constant":
                d.setpoint = value
            case "random_walk":
                d.value = as_number(value)
                d.at = d.written_at = self._ticks  # the write holds until the next tick
            case "expression" if d.spec.integrate:
                d.value = as_number(value)
            case "steps":
                d.held_step = _step_position(d, now - self.start + d.phase)
            case _:
                d.hold_until = now + d.write_hold

    def _holds(self, d: _Driven, elapsed: float) -> bool:
        """Whether a write still holds the tag at `elapsed` (the generator leaves it alone)."""
        if d.hold_until is not None:
            if self.start + elapsed < d.hold_until - 1e-9:
                return True
            d.hold_until = None
        if d.held_step is not None:
            if _step_position(d, elapsed + d.phase) == d.held_step:
                return True
            d.held_step = None
        return False

    @property
    def timed(self) -> list[str]:
        """The tags (as written) of the generators `value_now` computes."""
        return [d.spec.tag for d in self._timed.values()]

    def value_now(self, tag: str) -> TagValue | None:
        """A timed generator's value at the last tick `advance` reached (the same as `advance`
        gave then); None before the first tick, or when it has none to give."""
        d = self._timed.get(tag.casefold())
        if d is None or self._ticks == 0:
            return None
        if d.spec.kind in WALKED_KINDS:
            return self._walk(d)
        raw = self._step(d, self._ticks * self.tick, {})
        return None if raw is None else coerce(raw, d.tag_type)

    def _unstarted(self, d: _Driven) -> bool:
        return d.spec.kind in WALKED_KINDS and d.value is None

    def _walk(self, d: _Driven, until: int | None = None) -> TagValue | None:
        """A walked generator stepped from its tick `at` to `until` (the last tick), as
        `_step` steps it at each of those ticks; its output at `until` (None: a write holds)."""
        n = self._ticks if until is None else until
        if n <= d.at:
            return None if d.written_at == d.at else d.out
        spec = d.spec
        sigma = spec.step * math.sqrt(self.tick)
        rng = d.rng
        value = d.value if d.value is not None else 0.0
        raw = value
        for k in range(d.at + 1, n + 1):
            raw = value + rng.at(2 * k, 0.0, sigma)
            value = _clamp(raw, spec)
        if spec.noise > 0:
            raw += rng.at(2 * n + 1, 0.0, spec.noise)
        d.value, d.at, d.written_at = value, n, None
        d.out = coerce(_clamp(raw, spec), d.tag_type)
        return d.out

    @property
    def ticks(self) -> int:
        """The ticks stepped so far."""
        return self._ticks

    def tick_time(self) -> float:
        """The plant time of the last tick stepped."""
        return self.start + self._ticks * self.tick

    def next_tick(self) -> float:
        """The plant time of the next tick."""
        return self.start + (self._ticks + 1) * self.tick

    def due(self, now: float) -> int:
        """How many ticks `advance(now, ...)` would step."""
        return math.floor((now - self.start) / self.tick + 1e-9) - self._ticks

    def advance(
        self, now: float, current: Mapping[str, TagValue], *, skip_timed: bool = False
    ) -> Advance:
        """Step every tick up to `now`; `current` is the plant's values (keys casefolded).
        `skip_timed`: leave out the timed generators (their tags are computed when read)."""
        result = Advance()
        due = self.due(now)
        if due <= 0:
            return result
        if due > MAX_TICKS_PER_ADVANCE:
            result.skipped = due - MAX_TICKS_PER_ADVANCE
            if skip_timed:  # the walks skip the same ticks as stepped ones would
                for d in self._timed.values():
                    if d.spec.kind in WALKED_KINDS and d.value is not None:
                        self._walk(d, self._ticks)
                        d.at = self._ticks + result.skipped
            self._ticks += result.skipped
            due = MAX_TICKS_PER_ADVANCE
        view = dict(current)
        stepped = [d for d in self._driven if not d.timed] if skip_timed else self._driven
        if skip_timed and self._unstarted_walks:  # from the tag's value at its first tick
            for d in self._unstarted_walks:
                if self._unstarted(d):  # not written since
                    d.value, d.at = as_number(view.get(d.seed[2])), self._ticks
            self._unstarted_walks = []
        for _ in range(due):
            self._ticks += 1
            elapsed = self._ticks * self.tick
            for driven in stepped:
                raw = self._step(driven, elapsed, view)
                if raw is None:
                    continue
                value = coerce(raw, driven.tag_type)
                view[driven.spec.tag.casefold()] = value
                result.values[driven.spec.tag] = value
        result.time = self.start + self._ticks * self.tick
        result.errors, self._errors = self._errors, {}
        return result

    def _step(self, d: _Driven, elapsed: float, view: Mapping[str, TagValue]) -> TagValue | None:
        spec = d.spec
        if d.value is None:
            d.value = as_number(view.get(spec.tag.casefold()))
        if self._holds(d, elapsed):
            return None
        raw = self._raw(d, elapsed, view)
        if raw is None or isinstance(raw, str):
            return raw
        raw = float(raw)
        if spec.kind in ("random_walk", "expression"):
            d.value = _clamp(raw, spec)  # the state carried to the next tick excludes noise
        if spec.noise > 0:
            raw += d.rng.at(2 * self._ticks + 1, 0.0, spec.noise)
        out = _clamp(raw, spec)
        if spec.kind == "random_walk":
            d.at, d.out, d.written_at = self._ticks, coerce(out, d.tag_type), None
        return out

    def _raw(self, d: _Driven, elapsed: float, view: Mapping[str, TagValue]) -> TagValue | None:
        spec = d.spec
        t = elapsed + d.phase
        match spec.kind:
            case "constant":
                return spec.value if d.setpoint is None else d.setpoint
            case "sine":
                return spec.offset + spec.amplitude * math.sin(2 * math.pi * t / d.period)
            case "square":
                high = (t % d.period) < spec.duty * d.period
                return spec.offset + (spec.amplitude if high else -spec.amplitude)
            case "ramp":
                return _ramp(spec, t)
            case "random_walk":
                base = d.value if d.value is not None else 0.0
                return base + d.rng.at(2 * self._ticks, 0.0, spec.step * math.sqrt(self.tick))
            case "steps":
                return _step_value(d, t)
            case "expression":
                assert d.expression is not None
                try:
                    result = d.expression.evaluate(view)
                except ExpressionError as exc:
                    self._errors.setdefault(spec.tag, str(exc))
                    return None
                if spec.integrate:
                    base = d.value if d.value is not None else 0.0
                    return base + result * self.tick
                return result
        return None


def _sorted_steps(spec: Generator) -> list[tuple[float, TagValue]]:
    if not spec.steps:
        return []
    return sorted(((seconds(s.at), s.value) for s in spec.steps), key=lambda s: s[0])


def _ramp(spec: Generator, elapsed: float) -> float:
    value = spec.start + spec.rate * elapsed
    if spec.end is None or spec.end == spec.start:
        return value
    span = spec.end - spec.start
    if spec.hold:
        return spec.end if (value - spec.start) / span >= 1 else value
    return spec.start + math.fmod(value - spec.start, span)


def _step_value(d: _Driven, elapsed: float) -> TagValue | None:
    if not d.steps:
        return None
    t = elapsed % d.period if d.spec.repeat and d.period > 0 else elapsed
    chosen: TagValue | None = None
    for at, value in d.steps:
        if at <= t:
            chosen = value
    if chosen is None:
        # Before the first step of a repeating cycle the last step still holds.
        if not d.spec.repeat or elapsed < d.period:
            return None
        chosen = d.steps[-1][1]
    return chosen


def _step_position(d: _Driven, t: float) -> tuple[int, int]:
    """Which step is in force at `t`: (cycle, steps begun in it); changes at every step."""
    cycle = 0
    if d.spec.repeat and d.period > 0:
        cycle, t = int(t // d.period), t % d.period
    return cycle, sum(1 for at, _ in d.steps if at <= t)


def _clamp(value: float, spec: Generator) -> float:
    if spec.min is not None and value < spec.min:
        value = spec.min
    if spec.max is not None and value > spec.max:
        value = spec.max
    return value
