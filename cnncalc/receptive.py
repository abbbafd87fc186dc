"""Receptive-field algebra, one axis at a time (Araujo, Norris & Sim, Distill 2019).

A field is measured in input pixels, whose centers sit at 0, 1, 2, ... Output position i of a
layer reads the input pixels from lo(i) to hi(i). Both are exact integers and periodic: after
`period` outputs they move on by `advance` input pixels,

    lo(i) = lows[i % period] + (i // period) * advance

For plain conv and pooling stacks the period is 1 and this is Distill's closed form; upsampling
and transposed convs make it longer (the field of neighbouring outputs differs), and the
figures below stay exact per position. As in Distill, the input is taken as unbounded, so
padding positions count like pixels.

- size: the most input pixels any output reads;
- jump: advance / period, the distance between neighbouring outputs (effective stride);
- start: the center of output 0's field. Distill's effective padding is (size - 1)/2 - start.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fractions (and decimal) load only when upsampling needs them
    from fractions import Fraction

Reads = Callable[[int], tuple[int, int]]


def _tidy(value: float) -> float | int:
    """An integral value as int, so figures print as 195, not 195.0."""
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class AxisField:
    """The receptive field along one spatial axis of the input (see the module docstring).

    `context` is an interval every output also reads: the global context that a broadcast
    branch (squeeze-and-excitation) mixes into every position.
    """

    lows: tuple[int, ...] = (0,)
    highs: tuple[int, ...] = (0,)
    advance: int = 1
    context: tuple[int, int] | None = None

    @property
    def period(self) -> int:
        return len(self.lows)

    def lo(self, i: int) -> int:
        turns, offset = divmod(i, len(self.lows))
        return self.lows[offset] + turns * self.advance

    def hi(self, i: int) -> int:
        turns, offset = divmod(i, len(self.highs))
        return self.highs[offset] + turns * self.advance

    @property
    def size(self) -> int:
        if self.context is None:
            return max(h - lo for lo, h in zip(self.lows, self.highs)) + 1
        c_lo, c_hi = self.context
        return max(max(h, c_hi) - min(lo, c_lo) for lo, h in zip(self.lows, self.highs)) + 1

    @property
    def jump(self) -> float:
        return self.advance / len(self.lows)

    @property
    def start(self) -> float:
        return (self.lows[0] + self.highs[0]) / 2

    @property
    def center_offset(self) -> float:
        """Where the fields' centers sit relative to a regular grid of `jump`, on average
        over a period: (lo(i) + hi(i))/2 - i * jump. Equal to `start` when the period is 1;
        after upsampling the centers wobble around this line."""
        period = len(self.lows)
        return sum((lo + hi) / 2 - i * self.advance / period
                   for i, (lo, hi) in enumerate(zip(self.lows, self.highs))) / period

    @property
    def effective_padding(self) -> float:
        return (self.size - 1) / 2 - self.start

    def as_dict(self) -> dict[str, float | int]:
        return {"size": self.size, "jump": _tidy(self.jump), "start": _tidy(self.start)}

    def through(self, reads: Reads, period: int, step: int) -> AxisField:
        """After a layer whose output i reads inputs reads(i) = (first, last), with
        reads(i + period) = reads(i) shifted by `step` inputs."""
        turns = len(self.lows) // math.gcd(step, len(self.lows))  # until inputs realign
        outputs = period * turns
        lows, highs = [], []
        for i in range(outputs):
            first, last = reads(i)
            lows.append(self.lo(first))
            highs.append(self.hi(last))
        return AxisField(tuple(lows), tuple(highs), self.advance * step * turns // len(
            self.lows), self.context)

    def through_window(self, extent: int, stride: int, pad_before: int) -> AxisField:
        """Conv or pooling: output i reads i*s - pb ... i*s - pb + F - 1."""
        if len(self.lows) == 1:  # the closed form: no period to unroll
            return AxisField((self.lows[0] - pad_before * self.advance,),
                             (self.highs[0] + (extent - 1 - pad_before) * self.advance,),
                             self.advance * stride, self.context)
        return self.through(lambda i: (i * stride - pad_before,
                                       i * stride - pad_before + extent - 1), 1, stride)

    def through_transposed(self, kernel: int, stride: int, pad_before: int,
                           dilation: int = 1) -> AxisField:
        """Transposed conv: output j reads every input i with i*s + t*d = j + pb, t < K."""
        def reads(j: int) -> tuple[int, int]:
            hits = [(j + pad_before - t * dilation) // stride for t in range(kernel)
                    if (j + pad_before - t * dilation) % stride == 0]
            if not hits:  # kernel shorter than stride: this output reads no input at all
                nearest = (j + pad_before) // stride
                return nearest, nearest - 1
            return min(hits), max(hits)
        return self._nonempty(self.through(reads, stride, 1), stride)

    def _nonempty(self, field: AxisField, stride: int) -> AxisField:
        # outputs that read nothing (marked hi < lo) take no part in size; keep them out
        pairs = [(lo, hi) for lo, hi in zip(field.lows, field.highs) if hi >= lo]
        if len(pairs) == len(field.lows) or not pairs:
            return field
        lows = tuple(lo if hi >= lo else pairs[0][0] for lo, hi in zip(field.lows, field.highs))
        highs = tuple(hi if hi >= lo else lows[k] for k, (lo, hi) in enumerate(
            zip(field.lows, field.highs)))
        return AxisField(lows, highs, field.advance, field.context)

    def through_nearest(self, scale: Fraction) -> AxisField:
        """Nearest upsampling by scale a/b: output j reads input floor(j * b / a)."""
        a, b = scale.numerator, scale.denominator
        return self.through(lambda j: (j * b // a, j * b // a), a, b)

    def through_linear(self, ratio: Fraction, offset: Fraction) -> AxisField:
        """Linear interpolation: output j samples input position c = j * ratio + offset and
        reads floor(c) and the next pixel (only floor(c) when c is whole)."""
        def reads(j: int) -> tuple[int, int]:
            c = j * ratio + offset
            low = math.floor(c)
            return low, low + (c != low)
        return self.through(reads, ratio.denominator, ratio.numerator)

    def through_adaptive(self, size: int, out: int) -> AxisField:
        """PyTorch's adaptive pooling: window i spans floor(iN/o) ... ceil((i+1)N/o) - 1."""
        if size % out == 0:  # evenly divided: a plain window of N/o
            return self.through_window(size // out, size // out, 0)
        from .geometry import adaptive_window

        def reads(i: int) -> tuple[int, int]:
            start, stop = adaptive_window(i, size, out)
            return start, stop - 1
        turn = math.gcd(size, out)  # after out/g windows they have moved on N/g pixels
        return self.through(reads, out // turn, size // turn)

    def with_context(self, context: tuple[int, int] | None) -> AxisField:
        if context is None:
            return self
        if self.context is not None:
            context = (min(context[0], self.context[0]), max(context[1], self.context[1]))
        return AxisField(self.lows, self.highs, self.advance, context)

    def extent(self) -> tuple[int, int]:
        """The interval output 0 reads, its context included."""
        lo, hi = self.lows[0], self.highs[0]
        if self.context:
            lo, hi = min(lo, self.context[0]), max(hi, self.context[1])
        return lo, hi


Field = tuple[AxisField, ...]


def merge_fields(fields: list[Field], broadcast: set[int] = frozenset()) -> tuple[Field, bool]:
    """Where branches meet: each output reads what any branch reads.

    Branches agree ("aligned") when their jumps match and their centers sit on the same grid
    (on average over a period, so an upsampled path can align with its skip); then the
    merged field is exact per position. When they disagree, the widest branch's field is
    kept and the merge is reported. A broadcast branch (a [C, 1, 1] squeeze-and-excitation
    gate) reaches every position: it joins as context.
    """
    spatial = [f for i, f in enumerate(fields) if i not in broadcast] or fields[:1]
    contexts = [f for i, f in enumerate(fields) if i in broadcast and f is not spatial[0]]
    aligned = True
    merged = []
    for axis in range(len(fields[0])):
        parts = [f[axis] for f in spatial]
        first = parts[0]
        same = all(math.isclose(p.jump, first.jump) and math.isclose(
            p.center_offset, first.center_offset) for p in parts[1:])
        aligned &= same
        if same and len(parts) > 1:
            result = _union(parts)
        else:
            result = max(parts, key=lambda p: p.size)
        for other in contexts:
            result = result.with_context(other[axis].extent())
        merged.append(result)
    return tuple(merged), aligned


def _union(parts: list[AxisField]) -> AxisField:
    period = math.lcm(*(p.period for p in parts))
    lows = tuple(min(p.lo(i) for p in parts) for i in range(period))
    highs = tuple(max(p.hi(i) for p in parts) for i in range(period))
    advance = parts[0].advance * period // parts[0].period
    context = None
    for p in parts:
        if p.context:
            context = p.context if context is None else (
                min(context[0], p.context[0]), max(context[1], p.context[1]))
    return AxisField(lows, highs, advance, context)
