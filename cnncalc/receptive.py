"""Receptive-field algebra, one axis at a time (Araujo, Norris & Sim, Distill 2019).

A field is measured in input pixels, whose centers sit at 0, 1, 2, ... Output position i of a
layer reads the input pixels from lo(i) to hi(i). Both are exact integers and periodic: after
`period` outputs they move on by `advance` input pixels,

    lo(i) = lows[i % period] + (i // period) * advance

For plain conv and pooling stacks the period is 1 and this is Distill's closed form; upsampling
and transposed convs make it longer (the field of neighbouring outputs differs), and the
figures below stay exact per position. As in Distill, the input is taken as unbounded, so
padding positions count like pixels.

An output may read no input at all: a transposed conv whose kernel is shorter than its stride
leaves outputs that only its bias reaches. Such a position is marked empty (hi < lo); a later
window skips it when it takes the lowest lo and highest hi over the positions it reads, and
`size` is taken over the positions that read something.

- size: the most input pixels any output reads (the local field, what the spatial path reads);
- jump: advance / period, the distance between neighbouring outputs (effective stride);
- start: the center of output 0's field (of the first output that reads input, moved back by
  its index times the jump, when output 0 reads none). Distill's effective padding is
  (size - 1)/2 - start;
- sees_all: a global path (squeeze-and-excitation's gate, a global pool broadcast back) makes
  every output depend on every input pixel along this axis. It is reported beside the local
  size, never mixed into it, so the size does not depend on the input's size.

Bounded work: unrolling a period costs one step per position. When a layer would make the
period longer than PERIOD_CAP, the field becomes a `WideField`: a slope (the jump) and bands
that bound lo(i) - i*jump and hi(i) - i*jump. From a period-1 field, adaptive pooling,
transposed convs and upsampling are computed in closed form and stay exact (size, start and
the average center); past a wide field the size is an upper bound (`exact` is False).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from .values import Compared

if TYPE_CHECKING:  # fractions (and decimal) load only when upsampling needs them
    from fractions import Fraction

Reads = Callable[[int], tuple[int, int]]
Band = tuple[float, float]  # (lowest, highest) offset from the line i * jump

PERIOD_CAP = 10_000  # positions unrolled per layer at most; past it, WideField
TAPS_SCANNED = 100_000  # a transposed conv's tap classes searched for its first output


def _tidy(value: float) -> float | int:
    """An integral value as int, so figures print as 195, not 195.0."""
    return int(value) if float(value).is_integer() else float(value)


class _Figures:
    """What both kinds of field report, from their size, jump, start and global flag."""

    if TYPE_CHECKING:  # a field of one kind, a property of the other: read-only here
        @property
        def size(self) -> int: ...
        @property
        def jump(self) -> float: ...
        @property
        def start(self) -> float: ...
    sees_all: bool

    @property
    def effective_padding(self) -> float:
        return (self.size - 1) / 2 - self.start

    def as_dict(self) -> dict[str, float | int | bool]:
        return {"size": self.size, "jump": _tidy(self.jump), "start": _tidy(self.start),
                "global": self.sees_all}


class AxisField(_Figures, Compared):
    """The receptive field along one spatial axis of the input (see the module docstring).

    A position whose high end lies below its low end reads no input.
    """

    lows: tuple[int, ...] = (0,)
    highs: tuple[int, ...] = (0,)
    advance: int = 1
    sees_all: bool = False

    exact = True

    @property
    def period(self) -> int:
        return len(self.lows)

    def lo(self, i: int) -> int:
        turns, offset = divmod(i, len(self.lows))
        return self.lows[offset] + turns * self.advance

    def hi(self, i: int) -> int:
        turns, offset = divmod(i, len(self.highs))
        return self.highs[offset] + turns * self.advance

    def reads_input(self, i: int) -> bool:
        offset = i % len(self.lows)
        return self.highs[offset] >= self.lows[offset]

    def _reading(self) -> list[int]:
        """The offsets within a period whose outputs read input."""
        return [k for k, (lo, hi) in enumerate(zip(self.lows, self.highs)) if hi >= lo]

    @property
    def has_empty(self) -> bool:
        return any(hi < lo for lo, hi in zip(self.lows, self.highs))

    @property
    def size(self) -> int:
        return max((h - lo for lo, h in zip(self.lows, self.highs) if h >= lo), default=-1) + 1

    @property
    def jump(self) -> float:
        return self.advance / len(self.lows)

    @property
    def start(self) -> float:
        reading = self._reading()
        if not reading:
            return 0.0
        k = reading[0]
        return (self.lows[k] + self.highs[k]) / 2 - k * self.jump

    @property
    def center_offset(self) -> float:
        """Where the fields' centers sit relative to a regular grid of `jump`, on average
        over the outputs of a period that read input: (lo(i) + hi(i))/2 - i * jump. Equal
        to `start` when the period is 1; after upsampling the centers wobble around it."""
        reading = self._reading()
        if not reading:
            return 0.0
        jump = self.jump
        return sum((self.lows[k] + self.highs[k]) / 2 - k * jump for k in reading) / len(
            reading)

    def bands(self) -> tuple[Band, Band]:
        """The lowest and highest lo(i) - i*jump and hi(i) - i*jump over reading outputs."""
        reading = self._reading() or [0]
        jump = self.jump
        los = [self.lows[k] - k * jump for k in reading]
        his = [self.highs[k] - k * jump for k in reading]
        return (min(los), max(los)), (min(his), max(his))

    # --- layers -----------------------------------------------------------------------

    def through(self, reads: Reads, period: int, step: int, first: Band | None = None,
                last: Band | None = None, skips: bool = False) -> Field1:
        """After a layer whose output i reads inputs reads(i) = (first, last) (first > last:
        none), with reads(i + period) = reads(i) shifted by `step` inputs. `first` and
        `last` bound reads(i) - i*step/period, and `skips` says whether some outputs read
        nothing, for when the period is too long to unroll (found from one period of
        reads when not given)."""
        turns = len(self.lows) // math.gcd(step, len(self.lows))  # until inputs realign
        outputs = period * turns
        if outputs > PERIOD_CAP:
            if first is None or last is None:
                first, last, skips = _bands_of(reads, period, step)
            return WideField.of(self).through_bands(step, period, first, last, skips)
        reading = self._reading()
        if not reading:  # nothing upstream reads input: nor does anything here
            return AxisField((0,) * outputs, (-1,) * outputs,
                             self.advance * step * turns // len(self.lows), self.sees_all)
        after, before = self._next_reading(reading)
        lows, highs = [], []
        for i in range(outputs):
            first_read, last_read = reads(i)
            if first_read <= last_read:
                first_read += after[first_read % len(self.lows)]
                last_read -= before[last_read % len(self.lows)]
            if first_read > last_read:  # reads no position that reads input
                lows.append(0)
                highs.append(-1)
            else:
                lows.append(self.lo(first_read))
                highs.append(self.hi(last_read))
        return AxisField(tuple(lows), tuple(highs), self.advance * step * turns // len(
            self.lows), self.sees_all)

    def _next_reading(self, reading: list[int]) -> tuple[list[int], list[int]]:
        """Per offset, how far on the next reading position is, and how far back the last."""
        period = len(self.lows)
        if len(reading) == period:
            return [0] * period, [0] * period
        after, before = [0] * period, [0] * period
        marks = set(reading)
        gap = 0
        for k in reversed(range(2 * period)):  # two turns so the gaps wrap around
            gap = 0 if k % period in marks else gap + 1
            if k < period:
                after[k] = gap
        gap = 0
        for k in range(2 * period):
            gap = 0 if k % period in marks else gap + 1
            if k >= period:
                before[k - period] = gap
        return after, before

    def through_window(self, extent: int, stride: int, pad_before: int) -> Field1:
        """Conv or pooling: output i reads i*s - pb ... i*s - pb + F - 1."""
        if len(self.lows) == 1 and self.highs[0] >= self.lows[0]:  # the closed form
            return AxisField((self.lows[0] - pad_before * self.advance,),
                             (self.highs[0] + (extent - 1 - pad_before) * self.advance,),
                             self.advance * stride, self.sees_all)
        return self.through(lambda i: (i * stride - pad_before,
                                       i * stride - pad_before + extent - 1), 1, stride,
                            (-pad_before, -pad_before), (extent - 1 - pad_before,) * 2)

    def through_transposed(self, kernel: int, stride: int, pad_before: int,
                           dilation: int = 1) -> Field1:
        """Transposed conv: output j reads every input i with i*s + t*d = j + pb, t < K.
        When the kernel is shorter than the stride, some outputs read no input at all."""
        taps = _Taps(kernel, stride, dilation)
        if stride > PERIOD_CAP and self._plain():
            return WideField.transposed(self, taps, pad_before)
        return self.through(lambda j: taps.reads(j + pad_before), stride, 1,
                            *taps.bands(pad_before), taps.classes < stride)

    def through_nearest(self, scale: Fraction) -> Field1:
        """Nearest upsampling by scale a/b: output j reads input floor(j * b / a)."""
        a, b = scale.numerator, scale.denominator
        if a > PERIOD_CAP and self._plain():
            return WideField.nearest(self, a, b)
        return self.through(lambda j: (j * b // a, j * b // a), a, b,
                            ((1 - a) / a, 0), ((1 - a) / a, 0))

    def through_linear(self, ratio: Fraction, offset: Fraction) -> Field1:
        """Linear interpolation: output j samples input position c = j * ratio + offset and
        reads floor(c) and the next pixel (only floor(c) when c is whole)."""
        if ratio.denominator > PERIOD_CAP and self._plain():
            return WideField.linear(self, ratio, offset)

        def reads(j: int) -> tuple[int, int]:
            c = j * ratio + offset
            low = math.floor(c)
            return low, low + (c != low)
        return self.through(reads, ratio.denominator, ratio.numerator,
                            (float(offset) - 1, float(offset)), (float(offset), float(offset) + 1))

    def through_adaptive(self, size: int, out: int) -> Field1:
        """PyTorch's adaptive pooling: window i spans floor(iN/o) ... ceil((i+1)N/o) - 1."""
        if size % out == 0:  # evenly divided: a plain window of N/o
            return self.through_window(size // out, size // out, 0)
        from .geometry import adaptive_window

        turn = math.gcd(size, out)  # after out/g windows they have moved on N/g pixels
        if out // turn > PERIOD_CAP and self._plain():
            return WideField.adaptive(self, size, out)

        def reads(i: int) -> tuple[int, int]:
            start, stop = adaptive_window(i, size, out)
            return start, stop - 1
        wobble = (out // turn - 1) / (out // turn)
        return self.through(reads, out // turn, size // turn, (-wobble, 0),
                            (size / out - 1, size / out - 1 + wobble))

    def _plain(self) -> bool:
        """Period 1 and reading input: the closed forms apply."""
        return len(self.lows) == 1 and self.highs[0] >= self.lows[0]

    def seeing_all(self) -> AxisField:
        return self if self.sees_all else self.replace(sees_all=True)

    def extent(self) -> tuple[int, int]:
        """The interval output 0 reads (empty: hi < lo)."""
        return self.lows[0], self.highs[0]


def _bands_of(reads: Reads, period: int, step: int) -> tuple[Band, Band, bool]:
    """The bands of reads(i) - i*step/period over one period (the caller's own bound on
    `period` bounds this), and whether some output reads nothing."""
    pairs = [(reads(i), i * step / period) for i in range(period)]
    firsts = [f - line for (f, la), line in pairs if f <= la] or [0.0]
    lasts = [la - line for (f, la), line in pairs if f <= la] or [0.0]
    skips = any(f > la for (f, la), _ in pairs)
    return (min(firsts), max(firsts)), (min(lasts), max(lasts)), skips


class _Taps:
    """Which kernel taps t < K of a transposed conv land on an output: t*d = j + pb (mod s).

    With g = gcd(d, s) and m = s/g, the taps that reach one output form a residue class
    mod m; an output reads input i = (j + pb - t*d)/s for each tap of its class."""

    def __init__(self, kernel: int, stride: int, dilation: int):
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.g = math.gcd(dilation, stride)
        self.m = stride // self.g
        self.inverse = pow(dilation // self.g, -1, self.m) if self.m > 1 else 0

    def reads(self, position: int) -> tuple[int, int]:
        """(first, last) input read by the output at `position` = j + pb; first > last if
        no tap lands on it. O(1): the class's lowest and highest tap."""
        if position % self.g:
            return 1, 0
        low_tap = (position // self.g) * self.inverse % self.m if self.m > 1 else 0
        if low_tap >= self.kernel:
            return 1, 0
        high_tap = low_tap + (self.kernel - 1 - low_tap) // self.m * self.m
        return ((position - high_tap * self.dilation) // self.stride,
                (position - low_tap * self.dilation) // self.stride)

    def bands(self, pad_before: int) -> tuple[Band, Band]:
        low = (pad_before - (self.kernel - 1) * self.dilation) / self.stride
        return (low, pad_before / self.stride), (low, pad_before / self.stride)

    @property
    def classes(self) -> int:
        """Outputs per period of s that read input: one per tap class with a tap."""
        return min(self.m, self.kernel)

    @property
    def widest(self) -> int:
        """The largest spread last - first of inputs any output reads, in input steps."""
        return (-(-self.kernel // self.m) - 1) * (self.dilation // self.g)

    @property
    def mean_taps(self) -> float:
        """The mean over reading outputs of (lowest + highest tap)."""
        n = self.classes
        return (n * (n - 1) + self.m * max(self.kernel - self.m, 0)) / n


class WideField(_Figures, Compared):
    """A field whose period is too long to unroll (see the module docstring): outputs step
    by `jump` = advance/period input pixels; lo(i) - i*jump lies in `lo_band` and
    hi(i) - i*jump in `hi_band` for every output that reads input. `size`, `start` and
    `center_offset` are exact when `exact`, else `size` is an upper bound and the other
    two are taken at the middle of the bands."""

    advance: int
    period: int
    lo_band: Band
    hi_band: Band
    size: int
    start: float
    center_offset: float
    exact: bool
    has_empty: bool
    sees_all: bool = False

    @property
    def jump(self) -> float:
        return self.advance / self.period

    def bands(self) -> tuple[Band, Band]:
        return self.lo_band, self.hi_band

    @classmethod
    def of(cls, field: AxisField) -> WideField:
        lo, hi = field.bands()
        return cls(field.advance, field.period, lo, hi, field.size, field.start,
                   field.center_offset, True, field.has_empty, field.sees_all)

    @classmethod
    def _plain(cls, field: AxisField) -> tuple[int, int, int]:
        return field.lows[0], field.highs[0], field.advance

    @classmethod
    def transposed(cls, field: AxisField, taps: _Taps, pad_before: int) -> WideField:
        """Exact from a period-1 field: output j's field is [L + A*first, H + A*last]."""
        low, high, a = cls._plain(field)
        s = taps.stride
        first, last = taps.bands(pad_before)
        mid = (low + high) / 2 + a * pad_before / s
        offset = mid - a * taps.dilation * taps.mean_taps / (2 * s)
        # the first output that reads input: the least (t*d - pb) mod s over the tap
        # classes t < min(m, K) (beyond TAPS_SCANNED, the mean center stands in)
        start = offset
        if taps.classes <= TAPS_SCANNED:
            j = min((t * taps.dilation - pad_before) % s for t in range(taps.classes))
            f, la = taps.reads(j + pad_before)
            start = (low + high + a * (f + la)) / 2 - j * a / s
        return cls(a, s, (low + a * first[0], low + a * first[1]),
                   (high + a * last[0], high + a * last[1]), high - low + 1 + a * taps.widest,
                   start, offset, True, taps.classes < s, field.sees_all)

    @classmethod
    def adaptive(cls, field: AxisField, size: int, out: int) -> WideField:
        """Exact from a period-1 field. With N' = N/g, o' = o/g, the windows hold
        floor(N/o) + 1 or + 2 pixels, at most ceil((N' + o' - 1)/o')."""
        low, high, a = cls._plain(field)
        g = math.gcd(size, out)
        n, o = size // g, out // g
        longest = -(-(n + o - 1) // o)
        wobble = a * (o - 1) / o
        ratio = size / out
        return cls(a * n, o, (low - wobble, low),
                   (high + a * (ratio - 1), high + a * (ratio - 1) + wobble),
                   high - low + 1 + a * (longest - 1),
                   (low + high + a * (-(-size // out) - 1)) / 2,
                   (low + high) / 2 + a * (ratio - 1) / 2, True, False, field.sees_all)

    @classmethod
    def nearest(cls, field: AxisField, a_: int, b: int) -> WideField:
        """Exact from a period-1 field: every output reads one input, floor(j b / a)."""
        low, high, a = cls._plain(field)
        wobble = a * (a_ - 1) / a_
        return cls(a * b, a_, (low - wobble, low), (high - wobble, high), high - low + 1,
                   (low + high) / 2, (low + high) / 2 - wobble / 2, True, False,
                   field.sees_all)

    @classmethod
    def linear(cls, field: AxisField, ratio: Fraction, offset: Fraction) -> WideField:
        """Exact from a period-1 field: output j samples c = j*ratio + offset and reads
        floor(c) and, unless c is whole, the next pixel. With q the ratio's denominator, the
        fractional parts of c over a period are (k + {u})/q, k < q, u = offset*q; the mean
        of (floor(c) + ceil(c))/2 - c over them is (1/2 - {u})/q, or 0 when u is whole."""
        low, high, a = cls._plain(field)
        q = ratio.denominator
        u = offset * q
        whole = u.denominator == 1
        mean = 0.0 if whole else float(0.5 - (u - math.floor(u))) / q
        c0 = math.floor(offset)
        return cls(a * ratio.numerator, q, (low + a * (float(offset) - 1), low + a * float(offset)),
                   (high + a * float(offset), high + a * (float(offset) + 1)),
                   high - low + 1 + a * (q > 1 or not whole),
                   (low + high + a * (2 * c0 + (offset != c0))) / 2,
                   (low + high) / 2 + a * (float(offset) + mean), True, False, field.sees_all)

    def through_bands(self, step: int, period: int, first: Band, last: Band,
                      skips: bool = False) -> WideField:
        """A layer whose output i reads inputs first(i) ... last(i), each within its band
        of i*step/period (`skips`: some read none). Conservative: the size is bounded by
        the bands."""
        jump = self.jump
        empty = self.has_empty or skips
        lo_band = (jump * first[0] + self.lo_band[0],
                   jump * (last[1] if empty else first[1]) + self.lo_band[1])
        hi_band = (jump * (first[0] if empty else last[0]) + self.hi_band[0],
                   jump * last[1] + self.hi_band[1])
        size = math.floor(hi_band[1] - lo_band[0] + 1e-9) + 1
        middle = (sum(lo_band) + sum(hi_band)) / 4
        return WideField(self.advance * step, self.period * period, lo_band, hi_band, size,
                         middle, middle, False, empty, self.sees_all)

    def through(self, reads: Reads, period: int, step: int, first: Band | None = None,
                last: Band | None = None, skips: bool = False) -> WideField:
        if first is None or last is None:
            first, last, skips = _bands_of(reads, period, step)
        return self.through_bands(step, period, first, last, skips)

    def through_window(self, extent: int, stride: int, pad_before: int) -> WideField:
        return self.through_bands(stride, 1, (-pad_before, -pad_before),
                                  (extent - 1 - pad_before,) * 2)

    def through_transposed(self, kernel: int, stride: int, pad_before: int,
                           dilation: int = 1) -> WideField:
        taps = _Taps(kernel, stride, dilation)
        return self.through_bands(1, stride, *taps.bands(pad_before), taps.classes < stride)

    def through_nearest(self, scale: Fraction) -> WideField:
        a, b = scale.numerator, scale.denominator
        return self.through_bands(b, a, ((1 - a) / a, 0), ((1 - a) / a, 0))

    def through_linear(self, ratio: Fraction, offset: Fraction) -> WideField:
        return self.through_bands(ratio.numerator, ratio.denominator,
                                  (float(offset) - 1, float(offset)),
                                  (float(offset), float(offset) + 1))

    def through_adaptive(self, size: int, out: int) -> WideField:
        g = math.gcd(size, out)
        wobble = (out // g - 1) / (out // g)
        return self.through_bands(size // g, out // g, (-wobble, 0),
                                  (size / out - 1, size / out - 1 + wobble))

    def seeing_all(self) -> WideField:
        return self if self.sees_all else self.replace(sees_all=True)

    def extent(self) -> tuple[int, int]:
        """Bounds on the interval output 0 reads."""
        return math.floor(self.lo_band[0]), math.ceil(self.hi_band[1])


Field1 = AxisField | WideField
Field = tuple[Field1, ...]


def merge_fields(fields: list[Field], broadcast: AbstractSet[int] = frozenset(),
                 input_size: tuple[int, ...] | None = None) -> tuple[Field, bool]:
    """Where branches meet: each output reads what any branch reads.

    Branches agree ("aligned") when their jumps match and their centers sit on the same grid
    (on average over a period, so an upsampled path can align with its skip); then the
    merged field is exact per position. When they disagree, the widest branch's field is
    kept and the merge is reported. A broadcast branch (a [C, 1, 1] squeeze-and-excitation
    gate) reaches every position but adds nothing to the local field: the merge sees every
    input pixel along an axis (`sees_all`) when the gate's field there covers the input
    (`input_size`: the net's input, pixels 0 ... N - 1) or already sees all.
    """
    spatial = [f for i, f in enumerate(fields) if i not in broadcast] or fields[:1]
    gates = [f for i, f in enumerate(fields) if i in broadcast and f is not spatial[0]]
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
        if any(p.sees_all for p in parts) or any(
                _covers(gate[axis], input_size[axis] if input_size else None)
                for gate in gates):
            result = result.seeing_all()
        merged.append(result)
    return tuple(merged), aligned


def _covers(gate: Field1, size: int | None) -> bool:
    if gate.sees_all:
        return True
    lo, hi = gate.extent()
    return size is not None and hi >= lo and lo <= 0 and hi >= size - 1


def _union(parts: list[Field1]) -> Field1:
    sees_all = any(p.sees_all for p in parts)
    exact = [p for p in parts if isinstance(p, AxisField)]
    if len(exact) == len(parts):
        period = math.lcm(*(p.period for p in exact))
        if period <= PERIOD_CAP:
            lows, highs = [], []
            for i in range(period):
                reading = [p for p in exact if p.reads_input(i)]
                lows.append(min((p.lo(i) for p in reading), default=0))
                highs.append(max((p.hi(i) for p in reading), default=-1))
            advance = exact[0].advance * period // exact[0].period
            return AxisField(tuple(lows), tuple(highs), advance, sees_all)
    # too long to unroll: the bands of the union, the size bounded by them
    wide = [p if isinstance(p, WideField) else WideField.of(p) for p in parts]
    empty = all(p.has_empty for p in wide)
    los = [p.lo_band for p in wide]
    his = [p.hi_band for p in wide]
    lo_band = (min(b[0] for b in los), (max if empty else min)(b[1] for b in los))
    hi_band = ((min if empty else max)(b[0] for b in his), max(b[1] for b in his))
    size = max(max(p.size for p in wide), math.floor(hi_band[1] - lo_band[0] + 1e-9) + 1)
    middle = (sum(lo_band) + sum(hi_band)) / 4
    return WideField(wide[0].advance, wide[0].period, lo_band, hi_band, size, middle, middle,
                     False, empty, sees_all)
