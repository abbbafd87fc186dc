"""Layers that move, resize or pass on values without weights: flatten, upsample,
zero padding, identity."""
from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Any

from ..errors import show
from ..limits import MAX_AXIS
from ..receptive import Field
from ..values import Compared
from .base import (
    Args,
    Argument,
    Layer,
    Shape,
    need_spatial,
    numel,
    register,
    shape_str,
)

if TYPE_CHECKING:
    from fractions import Fraction


def _whole(field: Field, spatial: Shape, mixed: bool = True) -> Field:
    """The field after a layer that mixes the spatial positions into one another (flatten,
    and a reshape or permute that does not keep the spatial axes in place): every output
    is taken to read the whole extent of its input along every axis, a window of the full
    size. Exact for a flatten to a vector (no spatial neighbours are left). Where spatial
    axes remain but are `mixed` (a reshape, a permute, a partial flatten), which position an
    output reads depends on the mixed axes, which the per-axis field cannot say: the size
    is then a bound, and every axis is marked global (reported as +g: unknown, may reach
    every input pixel)."""
    # an axis with no spatial counterpart here (a flat input, already read whole) passes on
    whole = tuple(f.through_window(spatial[i], spatial[i], 0) if i < len(spatial) else f
                  for i, f in enumerate(field))
    return tuple(f.seeing_all() for f in whole) if mixed else whole


@register
class Flatten(Layer):
    """Merges the axes from `start_dim` to `end_dim` into one, numbered as PyTorch's
    nn.Flatten does (the batch is axis 0, so the default start_dim 1 gives [C, *S] ->
    [C * prod(S)]). Values only move; everything after a flattened spatial axis sees its
    whole extent."""

    kind = "flatten"
    family = "reshape"
    keeps_sign = True
    arguments = (
        Argument("start_dim", "int", "1", "the first axis merged, counting the batch as 0 "
                                          "(as nn.Flatten); 0 is refused"),
        Argument("end_dim", "int", "-1", "the last axis merged, counting the batch as 0; "
                                         "negative counts from the end"),
    )
    pytorch = "nn.Flatten(start_dim=1, end_dim=-1)"
    keras = "layers.Flatten() (start_dim 1 only; Keras flattens channels-last)"

    input_shape: Shape
    start_dim: int = 1
    end_dim: int = -1   # resolved by build: 1 <= start_dim <= end_dim <= len(input_shape)

    @property
    def last(self) -> int:
        """end_dim counted from the front (-1: the last axis)."""
        return self.end_dim if self.end_dim > 0 else len(self.input_shape) + 1 + self.end_dim

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        rank = len(input_shape)  # without the batch; axes 1 ... rank
        start = args.raw("start_dim", 1)
        end = args.raw("end_dim", -1)
        resolved = []
        for key, value in (("start_dim", start), ("end_dim", end)):
            if not isinstance(value, int) or isinstance(value, bool) or \
                    not -rank - 1 <= value <= rank:
                raise args.fail(key, f"'{key}' must be an integer from {-rank - 1} to {rank}"
                                     f" (the batch is axis 0); found {show(value)}")
            resolved.append(value + rank + 1 if value < 0 else value)
        if resolved[0] == 0 or resolved[1] == 0:
            raise args.fail("start_dim", "flatten never merges the batch axis (0); "
                                         "start_dim counts it, so the channels are 1")
        if resolved[0] > resolved[1]:
            raise args.fail("start_dim", f"start_dim ({resolved[0]}) comes after end_dim "
                                         f"({resolved[1]}) once resolved")
        args.finish(())
        return cls(input_shape, resolved[0], resolved[1])

    def output_shape(self) -> Shape:
        s = self.input_shape
        a, b = self.start_dim - 1, self.last
        return (*s[:a], numel(s[a:b]), *s[b:])

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        if self.start_dim == self.last:  # nothing merged
            return field
        return _whole(field, self.input_shape[1:], mixed=len(self.output_shape()) > 1)

    def describe(self) -> str:
        if self.start_dim == 1 and self.last == len(self.input_shape):
            return ""
        return f"dims {self.start_dim}..{self.end_dim}"


@register
class Reshape(Layer):
    """Gives the values a new shape (without the batch), read and written in row-major
    order as PyTorch's reshape; one size may be -1, found from the rest. Values only move;
    a reshape that changes the spatial sizes mixes positions, and the receptive field is
    then taken as the whole extent of every axis (a bound)."""

    kind = "reshape"
    examples = (("{shape: [3, -1]}", (3, 4, 5)),)
    aliases = ("view", "unflatten")
    family = "reshape"
    keeps_sign = True
    arguments = (Argument("shape", "list of ints", "required",
                          "the new shape without the batch; one entry may be -1 "
                          "(Keras' target_shape)"),)
    pytorch = "x.reshape(x.shape[0], *shape) (nn.Unflatten(1, shape) from flat)"
    keras = "layers.Reshape(target_shape) (same numbers, but Keras orders channels last)"

    input_shape: Shape
    shape: Shape

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        value = args.raw("shape", aliases=("target_shape",))
        if not isinstance(value, list) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and (v >= 1 or v == -1)
                for v in value) or value.count(-1) > 1:
            raise args.fail("shape", "'shape' must be a list of integers >= 1 (the batch left "
                                     f"out), one of them -1 at most; found {show(value)}")
        total = numel(input_shape)
        known = numel(tuple(v for v in value if v != -1))
        if -1 in value:
            if total % known:
                raise args.fail("shape", f"{shape_str(input_shape)} holds {total:,} values, "
                                         f"which do not divide by {known:,}")
            value = [total // known if v == -1 else v for v in value]
        elif known != total:
            raise args.fail("shape", f"{shape_str(tuple(value))} holds {known:,} values; "
                                     f"the input {shape_str(input_shape)} holds {total:,}")
        if max(value) > MAX_AXIS:
            raise args.fail("shape", f"an axis of {max(value):,}; the limit is {MAX_AXIS:,}")
        args.finish(())
        return cls(input_shape, tuple(value))

    def output_shape(self) -> Shape:
        return self.shape

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        if self.shape == self.input_shape:
            return field
        return _whole(field, self.input_shape[1:])

    def describe(self) -> str:
        return "to " + shape_str(self.shape)


@register
class Permute(Layer):
    """Reorders the axes (without the batch): output axis k is input axis dims[k], with the
    channels as axis 0, as PyTorch's permute with the batch kept first. Values only move;
    a permute that moves a spatial axis mixes what the per-axis receptive field means, so
    it is then taken as the whole extent of every axis (a bound)."""

    kind = "permute"
    examples = (("{dims: [0, 2, 1]}", (3, 4, 5)),)
    aliases = ("transpose",)
    family = "reshape"
    keeps_sign = True
    arguments = (Argument("dims", "list of ints", "required",
                          "a permutation of 0 ... rank - 1, the channels being 0 (Keras "
                          "numbers the same axes from 1)"),)
    pytorch = "x.permute(0, *(d + 1 for d in dims))"
    keras = "layers.Permute([d + 1 for d in dims]) (on Keras' own, channels-last, axes)"

    input_shape: Shape
    dims: tuple[int, ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        value = args.raw("dims")
        rank = len(input_shape)
        if not isinstance(value, list) or sorted(
                v if isinstance(v, int) and not isinstance(v, bool) else -1
                for v in value) != list(range(rank)):
            raise args.fail("dims", f"'dims' must list 0 ... {rank - 1} once each (axes "
                                    f"without the batch, channels 0); found {show(value)}")
        args.finish(())
        return cls(input_shape, tuple(value))

    def output_shape(self) -> Shape:
        return tuple(self.input_shape[d] for d in self.dims)

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        if self.dims[1:] == tuple(range(1, len(self.dims))):  # spatial axes stay in place
            return field
        return _whole(field, self.input_shape[1:])

    def describe(self) -> str:
        return "dims " + ",".join(str(d) for d in self.dims)


@register
class Identity(Layer):
    """Passes its input on unchanged: no weights, no operations."""

    kind = "identity"
    pytorch = "nn.Identity()"
    keras = "layers.Identity()"
    family = "reshape"
    keeps_sign = True
    input_shape: Shape

    def ops(self) -> int:
        return 0


_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _f32(value: float) -> float:
    """`value` rounded to the nearest float32. An operation on float32 operands done in
    float64 and then rounded this way gives exactly the float32 result (53 >= 2*24 + 2)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _same(value: float) -> float:
    return value


_CUBIC_A = -0.75  # PyTorch's (and Keys') bicubic parameter


def _cubic_near(x: float) -> float:
    """Keys' cubic convolution weight of a tap at distance x <= 1."""
    a = _CUBIC_A
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_far(x: float) -> float:
    """Keys' cubic convolution weight of a tap at distance 1 < x < 2."""
    a = _CUBIC_A
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


class Sampling(Compared):
    """How one axis of an upsample reads its input: PyTorch's rule (ATen's UpSample.h and
    UpSampleKernel.cpp), checked position by position against torch 2.14 in
    tests/test_upsample.py.

    - linear: `compute_source_index_and_lambda`. An axis that keeps its size is copied. Else
      the source position is ratio * j (align_corners, ratio (N-1)/(M-1)) or
      ratio * (j + 0.5) - 0.5 clipped at 0 (half-pixel, ratio 1/scale_factor when a scale
      was given, else N/M), in the input's precision; output j mixes floor(src) and the next
      pixel, the next one weighted by src - floor(src).
    - nearest, 2-D (`nearest_idx`): a kept axis is copied, a doubled one reads j >> 1, else
      floor(j * ratio) in float32 whatever the input's precision.
    - nearest, 1-D and 3-D (`HelperInterpNearest`): floor(j * ratio) in the input's
      precision, rounded to float32 before the floor (`floorf`); no copy or doubling
      shortcut, so scale 1.1 on 7 reads 0, 0, 1, ..., 5.
    - nearest-exact (`nearest_neighbor_exact_compute_source_index`): floor((j + 0.5) *
      ratio), the ratio and the product's precision as for nearest (float32 in 2-D), never
      a shortcut: scale 1.1 on 7 reads 0, 1, 2, 3, 4, 5, 5 (checked against torch 2.14 on
      sizes 1..39, 1-D to 3-D, both precisions, in tests/test_upsample_modes.py).
    - area: adaptive average pooling (F.interpolate calls adaptive_avg_pool): output j
      averages input floor(j N / M) ... ceil((j + 1) N / M) - 1.
    - cubic (2-D bicubic, `upsample_bicubic2d`): the source position as for linear but
      never clipped at 0; output j mixes the four pixels floor(src) - 1 ... floor(src) + 2
      (each index clamped into 0 ... N - 1) with Keys' cubic convolution weights, a = -0.75,
      of t = src - floor(src); no copy shortcut (checked against torch 2.14 on sizes 1..11,
      scales and sizes, align_corners and recompute_scale_factor, both precisions).
    In every case the index is capped at N - 1. `scale` is the user's scale factor (PyTorch
    uses it, not M/N, unless recompute_scale_factor is set); None when a size was given.
    """

    size: int
    out: int
    mode: str               # "nearest", "nearest-exact", "linear", "cubic" or "area"
    scale: float | None
    align_corners: bool
    shortcuts: bool         # the 2-D kernel: a float32 ratio for both nearest modes, and
                            # nearest_idx's copy and doubling (nearest only)

    @property
    def copies(self) -> bool:
        """Output j reads input j alone."""
        return self.out == self.size and (self.mode in ("linear", "area") or (
            self.mode == "nearest" and self.shortcuts))

    @property
    def doubles(self) -> bool:
        """2-D nearest's shortcut: an axis grown to twice its size reads j >> 1."""
        return self.mode == "nearest" and self.shortcuts and self.out == 2 * self.size

    def ratio(self, precision: str = "float32") -> float:
        """Input positions per output position, as the rule multiplies by (1 for a copy,
        1/2 for 2-D nearest's doubling, whatever scale was given)."""
        if self.copies:
            return 1.0
        if self.doubles:
            return 0.5
        real = _f32 if precision == "float32" or (
            self.mode.startswith("nearest") and self.shortcuts) else _same
        n, m = self.size, self.out
        if self.mode in ("linear", "cubic") and self.align_corners:
            return real((n - 1) / (m - 1)) if m > 1 else 0.0
        return real(1.0 / self.scale) if self.scale else real(n / m)

    def exact_ratio(self) -> Fraction:
        """The ratio the rule means, as a fraction: N/M, (N-1)/(M-1) with align_corners,
        or 1/scale with the scale as written (1.1 is 11/10). `ratio()` is its float32
        rounding, which the executor multiplies by. The receptive field repeats after the
        exact ratio's denominator: it unrolls that many outputs of `reads`, or takes the
        closed form when that is more than the receptive module's PERIOD_CAP."""
        from fractions import Fraction

        if self.copies:
            return Fraction(1)
        n, m = self.size, self.out
        if self.doubles:
            return Fraction(1, 2)
        if self.mode == "area":
            return Fraction(n, m)
        if self.mode in ("linear", "cubic") and self.align_corners:
            return Fraction(n - 1, m - 1) if m > 1 else Fraction(0)
        if self.scale:
            return 1 / Fraction(repr(float(self.scale)))
        return Fraction(n, m)

    def source(self, j: int, precision: str = "float32", edges: bool = True
               ) -> tuple[int, int, float]:
        """(first, second, weight): output j is (1 - weight) x[first] + weight x[second].
        `precision` is the input's dtype, "float32" or "float64". With `edges` false the
        rule runs as if the input went on forever (no clip at 0, no cap at N - 1): the
        receptive field's view, in which padding counts like pixels."""
        n = self.size
        if self.copies:
            return j, j, 0.0
        if self.mode in ("area", "cubic"):
            raise ValueError(f"{self.mode} sampling reads more than two pixels: see `taps`")
        if self.mode in ("nearest", "nearest-exact"):
            if self.doubles:
                return j >> 1, j >> 1, 0.0
            real = _f32 if precision == "float32" or self.shortcuts else _same
            at = j + 0.5 if self.mode == "nearest-exact" else j
            index = math.floor(_f32(real(at * self.ratio(precision))))
            index = min(index, n - 1) if edges else index
            return index, index, 0.0
        real = _f32 if precision == "float32" else _same
        ratio = self.ratio(precision)
        if self.align_corners:
            src = real(ratio * j)
        else:
            src = real(real(ratio * real(j + 0.5)) - 0.5)
            src = max(src, 0.0) if edges else src
        first = math.floor(_f32(src))
        if not edges:
            return first, first + 1, src - first
        first = min(first, n - 1)
        weight = min(max(real(src - first), 0.0), 1.0)
        return first, first + (first < n - 1), weight

    def reads(self, j: int) -> tuple[int, int]:
        """The first and last input pixel output j reads with a nonzero weight (float32),
        the input taken as unbounded."""
        if self.mode == "cubic":  # four taps, or one where the source is whole (t = 0)
            src = self.cubic_source(j)
            low = math.floor(src)
            return (low - 1, low + 2) if src != low else (low, low)
        first, second, weight = self.source(j, edges=False)
        return first, second if weight > 0 else first

    def cubic_source(self, j: int, precision: str = "float32") -> float:
        """Bicubic's source position of output j (`area_pixel_compute_source_index` with
        cubic true: no clip at 0), in the input's precision."""
        real = _f32 if precision == "float32" else _same
        ratio = self.ratio(precision)
        if self.align_corners:
            return real(ratio * j)
        return real(real(ratio * real(j + 0.5)) - 0.5)

    def table(self, precision: str = "float32") -> tuple[list[int], list[int], list[float]]:
        """`source` for every output: firsts, seconds, weights."""
        rows = [self.source(j, precision) for j in range(self.out)]
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    def taps(self, precision: str = "float32") -> list[list[tuple[int, float]]]:
        """Per output, the (input index, weight) pairs it sums: what the executor's matrix
        holds. Area averages its adaptive window; every other mode mixes two pixels."""
        if self.mode == "cubic":
            real = _f32 if precision == "float32" else _same
            rows = []
            for j in range(self.out):
                src = self.cubic_source(j, precision)
                low = math.floor(src)
                t = real(src - low)
                weights = (_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t),
                           _cubic_far(2 - t))
                rows.append([(min(max(low - 1 + k, 0), self.size - 1), w)
                             for k, w in enumerate(weights)])
            return rows
        if self.mode == "area" and not self.copies:
            from ..geometry import adaptive_window

            rows = []
            for j in range(self.out):
                start, stop = adaptive_window(j, self.size, self.out)
                rows.append([(k, 1.0 / (stop - start)) for k in range(start, stop)])
            return rows
        return [[(first, 1.0 - weight), (second, weight)]
                for first, second, weight in zip(*self.table(precision))]


@register
class Upsample(Layer):
    """Resize each spatial axis to `size`, or floor(N * scale), by nearest, nearest-exact or
    linear interpolation, or by averaging (area), as PyTorch's nn.Upsample and
    F.interpolate. PyTorch samples by the given scale, not by the size ratio, unless
    `recompute_scale_factor` is true."""

    kind = "upsample"
    examples = (("{scale: 2, mode: linear, align_corners: true}", (2, 4, 4)),
                ("{scale: 1.5, recompute_scale_factor: true}", (2, 4, 4)),
                ("{size: [6, 7]}", (2, 4, 4)))
    aliases = ("interpolate", "upsampling2d")
    family = "reshape"
    keeps_sign = True  # nearest copies; linear and area take convex combinations
    arguments = (
        Argument("scale", "number or list per axis", "required unless size",
                 "the factor per spatial axis (PyTorch's scale_factor); output floor(N * s)"),
        Argument("size", "int or list per axis", "required unless scale",
                 "the output's spatial size"),
        Argument("mode", "one of nearest, nearest-exact, area, linear, bilinear, trilinear, "
                         "bicubic", "nearest",
                 "linear follows the input's axes (bilinear in 2-D); area is adaptive "
                 "average pooling; bicubic (2-D) is Keys' cubic with a = -0.75"),
        Argument("align_corners", "bool", "false", "linear modes and bicubic only: the "
                                                   "corner pixels' centers line up"),
        Argument("recompute_scale_factor", "bool", "false",
                 "with scale: sample by the size ratio N / M instead of 1/scale"),
    )
    pytorch = "nn.Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor)"
    keras = "layers.UpSampling2D(size, interpolation) (integer factors, nearest/bilinear)"

    input_shape: Shape
    size: tuple[int, ...]
    scale: tuple[float, ...] | None
    mode: str
    align_corners: bool
    recompute_scale_factor: bool = False

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        if args.has("scale") == args.has("size"):
            raise args.fail("scale" if args.has("scale") else "size",
                            "give exactly one of 'scale' (a number or one per axis) "
                            "and 'size' (an int or one per axis)")
        if args.has("size"):
            size = args.per_axis("size", ndim)
            scale = None
        else:
            value = args.raw("scale", aliases=("scale_factor",))
            values = value if isinstance(value, list) else [value] * ndim
            if len(values) != ndim or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                    and math.isfinite(v) for v in values):
                raise args.fail("scale", f"'scale' must be a positive finite number or a "
                                         f"list of {ndim}; found {value!r}")
            scale = tuple(values)
            size = tuple(math.floor(n * s) for n, s in zip(input_shape[1:], scale))
        modes = ("nearest", "nearest-exact", "area", "linear", "bilinear", "trilinear",
                 "bicubic")
        mode = args.choice("mode", modes, "nearest")
        if mode in ("bilinear", "trilinear") and mode != _LINEAR_MODES[ndim]:
            raise args.fail("mode", f"mode '{mode}' needs {modes.index(mode) - 2} spatial "
                                    f"axes; this input has {ndim} (use "
                                    f"'{_LINEAR_MODES[ndim]}')")
        if mode == "bicubic" and ndim != 2:
            raise args.fail("mode", f"mode 'bicubic' needs 2 spatial axes (PyTorch's "
                                    f"upsample_bicubic2d); this input has {ndim}")
        if mode == "linear":
            mode = _LINEAR_MODES[ndim]
        align = args.boolean("align_corners", False)
        if align and mode in ("nearest", "nearest-exact", "area"):
            raise args.fail("align_corners", "align_corners applies to linear modes and "
                                             "bicubic only")
        recompute = args.boolean("recompute_scale_factor", False)
        if recompute and scale is None:
            raise args.fail("recompute_scale_factor", "recompute_scale_factor applies to "
                                                      "'scale' only (a size is its own ratio)")
        args.finish(())
        layer = cls(input_shape, size, scale, mode, align, recompute)
        if any(n <= 0 for n in size):
            raise args.fail("scale", f"the output would be empty ({list(size)})")
        return layer

    def output_shape(self) -> Shape:
        return (self.input_shape[0], *self.size)

    def __getattribute__(self, name: str) -> Any:
        # bicubic's negative weights overshoot: [0, 1, 0] gives values below 0, so this
        # layer (not the kind) keeps the sign only in the other modes; lint reads the trait
        # from the layer
        if name == "keeps_sign":
            return object.__getattribute__(self, "mode") != "bicubic"
        return object.__getattribute__(self, name)

    def ops(self) -> int:
        if self.mode == "area":  # as adaptive average pooling: every window's pixels
            return self.input_shape[0] * math.prod(
                n + o - math.gcd(n, o) for n, o in zip(self.input_shape[1:], self.size))
        per_axis = 1 if self.mode.startswith("nearest") else 4 if self.mode == "bicubic" \
            else 2
        return numel(self.output_shape()) * per_axis ** (len(self.input_shape) - 1)

    def sampling(self, axis: int) -> Sampling:
        """The sampling rule of spatial axis `axis`: the one source for the executor's
        matrices and the receptive field."""
        linear = self.mode in _LINEAR_MODES.values()
        return Sampling(self.input_shape[1 + axis], self.size[axis],
                        "linear" if linear else "cubic" if self.mode == "bicubic"
                        else self.mode,
                        self.scale[axis] if self.scale and not self.recompute_scale_factor
                        else None, self.align_corners,
                        not linear and len(self.size) == 2)

    def receptive_field(self, field: Field) -> Field:
        from fractions import Fraction

        from .. import receptive

        result = []
        for axis, f in enumerate(field):
            rule = self.sampling(axis)
            if rule.copies:
                result.append(f)
                continue
            if rule.mode == "area":  # adaptive average pooling's windows
                result.append(f.through_adaptive(rule.size, rule.out))
                continue
            ratio = rule.exact_ratio()
            if ratio.denominator > receptive.PERIOD_CAP:
                # too long a period to unroll: the closed forms of the exact ratio
                if rule.mode == "cubic":
                    # floor(c) - j r lies in (o - 1, o], c = j r + o: four taps around it
                    o = 0.0 if rule.align_corners else float((ratio - 1) / 2)
                    result.append(f.through(rule.reads, ratio.denominator, ratio.numerator,
                                            (o - 2, o), (o, o + 2)))
                elif rule.mode == "nearest-exact":
                    # floor((j + 0.5) r) - j r lies in (r/2 - 1, r/2]: bounded, not unrolled
                    half = float(ratio) / 2
                    result.append(f.through(rule.reads, ratio.denominator, ratio.numerator,
                                            (half - 1, half), (half - 1, half)))
                elif rule.mode == "nearest":
                    result.append(f.through_nearest(1 / ratio))
                else:
                    offset = Fraction(0) if rule.align_corners else (ratio - 1) / 2
                    result.append(f.through_linear(ratio, offset))
                continue
            # output j + period reads what output j reads, `step` inputs on
            period, step = ratio.denominator, ratio.numerator
            first = [rule.reads(j) for j in range(period)]

            def reads(j: int, first: list[tuple[int, int]] = first, period: int = period,
                      step: int = step) -> tuple[int, int]:
                turns, k = divmod(j, period)
                return first[k][0] + turns * step, first[k][1] + turns * step
            result.append(f.through(reads, period, step))
        return tuple(result)

    def describe(self) -> str:
        how = ("x" + "x".join(f"{s:g}" for s in self.scale)) if self.scale else "to " + \
            "x".join(str(s) for s in self.size)
        return f"{self.mode} {how}"
