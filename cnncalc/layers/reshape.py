"""Layers that move, resize or pass on values without weights: flatten, upsample,
zero padding, identity."""
from __future__ import annotations

import math

from ..receptive import Field
from .base import Args, Layer, Shape, need_spatial, numel, parse_padding, register


@register
class Flatten(Layer):
    """[C, *S] -> [C * prod(S)]. Everything after it sees the whole input."""

    kind = "flatten"
    family = "reshape"
    keeps_sign = True
    input_shape: Shape

    def output_shape(self) -> Shape:
        return (numel(self.input_shape),)

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        spatial = self.input_shape[1:]
        if not spatial:
            return field
        return tuple(f.through_window(n, n, 0) for f, n in zip(field, spatial))


@register
class Identity(Layer):
    """Passes its input on unchanged."""

    kind = "identity"
    family = "reshape"
    keeps_sign = True
    input_shape: Shape

    def ops(self) -> int:
        return 0


@register
class ZeroPad(Layer):
    """Pads zeros around each spatial axis: N -> N + before + after."""

    kind = "zeropad"
    aliases = ("zero_padding", "pad", "zeropad2d")
    family = "reshape"
    keeps_sign = True

    input_shape: Shape
    padding: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        padding = parse_padding(args.raw("padding"), ndim,
                                lambda msg: args.fail("padding", msg))
        args.finish(())
        return cls(input_shape, padding)

    def output_shape(self) -> Shape:
        return (self.input_shape[0],
                *(n + b + a for n, (b, a) in zip(self.input_shape[1:], self.padding)))

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        return tuple(f.through_window(1, 1, b) for f, (b, _) in zip(field, self.padding))


_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


@register
class Upsample(Layer):
    """Resize each spatial axis to `size`, or floor(N * scale), by nearest or linear
    interpolation (PyTorch's nn.Upsample)."""

    kind = "upsample"
    aliases = ("interpolate", "upsampling2d")
    family = "reshape"
    keeps_sign = True  # nearest copies; linear takes convex combinations

    input_shape: Shape
    size: tuple[int, ...]
    scale: tuple[float, ...] | None
    mode: str
    align_corners: bool

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
                    for v in values):
                raise args.fail("scale", f"'scale' must be a positive number or a list of "
                                         f"{ndim}; found {value!r}")
            scale = tuple(values)
            size = tuple(math.floor(n * s) for n, s in zip(input_shape[1:], scale))
        modes = ("nearest", "linear", "bilinear", "trilinear")
        mode = args.choice("mode", modes, "nearest")
        if mode != "nearest" and mode != "linear" and mode != _LINEAR_MODES[ndim]:
            raise args.fail("mode", f"mode '{mode}' needs {modes.index(mode)} spatial axes; "
                                    f"this input has {ndim} (use '{_LINEAR_MODES[ndim]}')")
        if mode == "linear":
            mode = _LINEAR_MODES[ndim]
        align = args.boolean("align_corners", False)
        if align and mode == "nearest":
            raise args.fail("align_corners", "align_corners applies to linear modes only")
        args.finish(())
        layer = cls(input_shape, size, scale, mode, align)
        if any(n <= 0 for n in size):
            raise args.fail("scale", f"the output would be empty ({list(size)})")
        return layer

    def output_shape(self) -> Shape:
        return (self.input_shape[0], *self.size)

    def ops(self) -> int:
        taps = 1 if self.mode == "nearest" else 2 ** (len(self.input_shape) - 1)
        return numel(self.output_shape()) * taps

    def receptive_field(self, field: Field) -> Field:
        from fractions import Fraction

        result = []
        for axis, f in enumerate(field):
            n, m = self.input_shape[1 + axis], self.size[axis]
            # output/input scale: PyTorch's scale_factor when given, else the size ratio
            scale = Fraction(self.scale[axis]).limit_denominator(1 << 20) if self.scale \
                else Fraction(m, n)
            if self.mode == "nearest":
                result.append(f.through_nearest(scale))
            elif self.align_corners:
                result.append(f.through_linear(Fraction(n - 1, max(m - 1, 1)), Fraction(0)))
            else:  # samples at (j + 0.5)/scale - 0.5
                result.append(f.through_linear(1 / scale, (1 / scale - 1) / 2))
        return tuple(result)

    def describe(self) -> str:
        how = ("x" + "x".join(f"{s:g}" for s in self.scale)) if self.scale else "to " + \
            "x".join(str(s) for s in self.size)
        return f"{self.mode} {how}"
