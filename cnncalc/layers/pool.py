"""Pooling: windowed max/average, global, and adaptive. None has weights."""
from __future__ import annotations

import math
from typing import ClassVar

from ..errors import SpecError, show
from ..geometry import SizeRule, adaptive_window, fractional_first, rule_for
from ..limits import MAX_AXIS
from ..receptive import Field, Field1
from .base import (
    Args,
    Argument,
    Layer,
    Shape,
    Windowed,
    check_output,
    need_spatial,
    numel,
    register,
)
from .conv import _axes_text


class WindowPool(Windowed):
    """Max or average over sliding windows: [C, *S] -> [C, *S'], stride defaults to kernel."""

    family = "pool"
    is_pool = True
    keeps_sign = True
    # which of PyTorch's arguments the kind takes: max pooling's taps may be spaced apart;
    # average pooling chooses whether the declared padding counts in its divisor
    takes_dilation: ClassVar[bool] = False
    takes_count_include_pad: ClassVar[bool] = False

    input_shape: Shape
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    rule: SizeRule
    padding_rule: str = "explicit"  # how padding was given: explicit, same or valid
    count_include_pad: bool = True
    ceil_mode: bool = False  # as written: what PyTorch would do with this layer
    divisor_override: int | None = None  # average pooling: every window's divisor

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size", "pool_size"))
        stride = args.per_axis("stride", ndim, list(kernel), aliases=("strides",))
        dilation = args.per_axis("dilation", ndim, 1) if cls.takes_dilation else (1,) * ndim
        padding, mode = args.padding("padding", ndim, input_shape[1:], kernel, stride,
                                     dilation)
        ceil_mode = args.boolean("ceil_mode", False)
        # TensorFlow's average pooling divides by the pixels inside the input only
        keras = args.ctx.framework in ("tensorflow", "keras")
        include = args.boolean("count_include_pad", not keras) \
            if cls.takes_count_include_pad else True
        divisor = None
        if cls.takes_count_include_pad and args.has("divisor_override"):
            divisor = args.integer("divisor_override")
            if ndim == 1 and args.ctx.framework == "pytorch":
                raise args.fail("divisor_override", "PyTorch's AvgPool1d takes no "
                                                    "divisor_override (AvgPool2d and 3d do)")
        elif cls.takes_count_include_pad:
            args.raw("divisor_override", None)  # named among the arguments it takes
        ctx = args.ctx
        rule = rule_for("pool", ctx.framework, ctx.rounding, ceil_mode)
        args.finish(())
        return check_output(args, cls(input_shape, kernel, stride, padding, dilation, rule,
                                      mode, include, ceil_mode, divisor))

    def ops(self) -> int:
        return numel(self.output_shape()) * math.prod(self.kernel)

    def describe(self) -> str:
        text = _axes_text(self.kernel, self.stride, self.padding, self.dilation)
        text += f" {self.rule.name}" if self.rule.drop.value != "never" else ""
        return text + (f" /{self.divisor_override}" if self.divisor_override else "")


_POOL_WINDOW = (
    Argument("kernel", "int or list per axis", "required",
             "aliases kernel_size, pool_size (Keras)"),
    Argument("stride", "int or list per axis", "the kernel", "alias strides (Keras)"),
    Argument("padding", "int, list per axis, pairs, same or valid", "0",
             "pixels added before and after each spatial axis"),
)
_CEIL_MODE = Argument("ceil_mode", "bool", "false", "round the output size up (PyTorch's)")


@register
class MaxPool(WindowPool):
    """Maximum over sliding windows; padding never wins (it reads as -inf)."""

    kind = "maxpool"
    examples = (("{kernel: 3, stride: 2, padding: 1, dilation: 1, ceil_mode: true}",
                 (2, 9, 9)),)
    aliases = ("max_pool", "maxpool1d", "maxpool2d", "maxpool3d")
    takes_dilation = True
    arguments = (*_POOL_WINDOW,
                 Argument("dilation", "int or list per axis", "1", "spacing of the taps"),
                 _CEIL_MODE)
    pytorch = "nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)"
    keras = "layers.MaxPooling2D(pool_size, strides, padding)"


@register
class AvgPool(WindowPool):
    """Mean over sliding windows; count_include_pad decides the divisor at the border, and
    divisor_override, when given, replaces every window's divisor."""

    kind = "avgpool"
    examples = (("{kernel: 3, stride: 2, padding: 1, count_include_pad: false}",
                 (2, 9, 9)),)
    aliases = ("avg_pool", "avgpool1d", "avgpool2d", "avgpool3d")
    takes_count_include_pad = True
    arguments = (*_POOL_WINDOW, _CEIL_MODE,
                 Argument("count_include_pad", "bool", "true (false under tensorflow, keras)",
                          "the declared padding counts in the divisor"),
                 Argument("divisor_override", "int", "not given", "every window's divisor (2-D, 3-D)"))
    pytorch = ("nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, "
               "divisor_override)")
    keras = "layers.AveragePooling2D(pool_size, strides, padding)"


@register
class LPPool(WindowPool):
    """Power-average pooling: (sum over the window of x^p)^(1/p), no padding. As PyTorch
    computes it, (K x the average of x^p)^(1/p), so a ceil-rounded window clipped at the
    input's end is scaled up to K taps."""

    kind = "lppool"
    examples = (("{norm_type: 2, kernel: 2, stride: 2, ceil_mode: true}", (2, 7, 7)),)
    aliases = ("lp_pool", "lppool1d", "lppool2d", "lppool3d")
    arguments = (
        Argument("norm_type", "number", "required", "the power p, > 0 and finite"),
        Argument("kernel", "int or list per axis", "required", "alias kernel_size"),
        Argument("stride", "int or list per axis", "the kernel", "the windows' spacing"),
        Argument("ceil_mode", "bool", "false", "keep a last window that hangs past the input"),
    )
    pytorch = "nn.LPPool2d(norm_type, kernel_size, stride, ceil_mode)"
    keras = ""

    norm_type: float = 2.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        norm_type = args.number("norm_type")
        if norm_type == 0:  # PyTorch refuses 0; a negative p is not a norm (refused here)
            raise args.fail("norm_type", "'norm_type' must be a number > 0 (PyTorch refuses "
                                         "0); found 0")
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size",))
        stride = args.per_axis("stride", ndim, list(kernel))
        ceil_mode = args.boolean("ceil_mode", False)
        ctx = args.ctx
        rule = rule_for("pool", ctx.framework, ctx.rounding, ceil_mode)
        args.finish(())
        ones, zeros = (1,) * ndim, ((0, 0),) * ndim
        return check_output(args, cls(input_shape, kernel, stride, zeros, ones, rule,
                                      "explicit", True, ceil_mode, None, norm_type))

    def ops(self) -> int:
        """x^p per input pixel, K adds per output, and the scale and root per output."""
        return numel(self.input_shape) + numel(self.output_shape()) * (
            math.prod(self.kernel) + 1)

    def describe(self) -> str:
        return f"p{self.norm_type:g} " + super().describe()


@register
class FractionalMaxPool(Layer):
    """Fractional max pooling (Graham 2014): the maximum over K-pixel windows whose starts
    advance by (N - K)/(o - 1) on average, irregularly: each sample and channel draws its
    own offsets at random. The receptive field depends on that draw: cnncalc gives a bound,
    K + 1 pixels per axis (window i starts at floor(i (N - K)/(o - 1)) or one later). An
    empty output, which PyTorch gives for a small output_ratio, is refused."""

    kind = "fractional_maxpool"
    examples = (("{kernel: 2, output_size: 3}", (2, 8, 8)), ("{kernel: 2, output_ratio: 0.5}", (2, 8, 8)))
    aliases = ("fractional_max_pool", "fractional_maxpool2d", "fractional_maxpool3d")
    family = "pool"
    is_pool = True
    keeps_sign = True
    arguments = (
        Argument("kernel", "int or list per axis", "required", "alias kernel_size"),
        Argument("output_size", "int or list per axis", "not given", "the output's spatial size "
                 "(give this or output_ratio)"),
        Argument("output_ratio", "number or list per axis", "not given", "output size = "
                 "int(N x ratio), ratio in (0, 1)"),
    )
    pytorch = "nn.FractionalMaxPool2d(kernel_size, output_size, output_ratio)"
    keras = ""

    input_shape: Shape
    kernel: tuple[int, ...]
    output_size: tuple[int, ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        if ndim not in (2, 3):
            raise SpecError.at(args.ctx.location, f"{args.ctx.label}: fractional max "
                               f"pooling takes 2 or 3 spatial axes (PyTorch's "
                               f"FractionalMaxPool2d and 3d); found {ndim}")
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size",))
        given = args.raw("output_size", None), args.raw("output_ratio", None)
        if (given[0] is None) == (given[1] is None):
            raise args.fail("output_size" if args.has("output_size") else "kernel",
                            "give one of output_size and output_ratio (PyTorch takes "
                            "exactly one)")
        if given[0] is not None:
            size = args.per_axis("output_size", ndim)
        else:
            value = args.raw("output_ratio")
            ratios = list(value) if isinstance(value, list) else [value] * ndim
            if len(ratios) != ndim or not all(
                    isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r < 1
                    for r in ratios):
                raise args.fail("output_ratio", f"'output_ratio' must be a number between 0 "
                                                f"and 1 (exclusive) or a list of {ndim}; "
                                                f"found {show(value)}")
            size = tuple(int(n * r) for n, r in zip(input_shape[1:], ratios))
        args.finish(())
        layer = check_output(args, cls(input_shape, kernel, size))
        # ATen checks output + kernel - 1 <= input in 2-D, but < input in 3-D
        reach = "<=" if ndim == 2 else "<"
        for axis, (n, k, o) in enumerate(zip(input_shape[1:], kernel, size)):
            if o + k - 1 > n or ndim == 3 and o + k - 1 == n:
                raise args.fail("kernel", f"kernel {k} is too large for output size {o} "
                                          f"from {n} pixels on spatial axis {axis + 1}: "
                                          f"PyTorch needs output + kernel - 1 {reach} input")
        return layer

    def output_shape(self) -> Shape:
        return (self.input_shape[0], *self.output_size)

    def ops(self) -> int:
        return numel(self.output_shape()) * math.prod(self.kernel)

    def receptive_field(self, field: Field) -> Field:
        return tuple(_fractional_field(f, n, k, o) for f, n, k, o in
                     zip(field, self.input_shape[1:], self.kernel, self.output_size))

    def describe(self) -> str:
        return "x".join(str(k) for k in self.kernel) + " to " + \
            "x".join(str(o) for o in self.output_size)


def _fractional_field(field: Field1, size: int, kernel: int, out: int) -> Field1:
    """A bound on fractional max pooling's field along one axis: window i starts at
    floor(i (N - K)/(o - 1)) or one pixel later, whatever the random draw, so it reads
    within floor(i (N - K)/(o - 1)) ... that + K (K + 1 pixels; the last window, at
    N - K, exactly K). One window (o = 1) reads N - K ... N - 1 exactly."""
    if out == 1:
        return field.through_window(kernel, 1, kernel - size)
    turn = math.gcd(size - kernel, out - 1)
    period, step = (out - 1) // turn, (size - kernel) // turn  # reads(i + period) moves step
    return field.through(lambda i: (fractional_first(i, size, out, kernel),
                                    fractional_first(i, size, out, kernel) + kernel),
                         period, step, (-1.0, 0.0), (kernel - 1.0, float(kernel)))


class GlobalPool(Layer):
    """Pool every spatial position: [C, *S] -> [C, 1, ...] (keepdims, PyTorch) or [C]."""

    family = "pool"
    is_pool = True
    is_global = True
    keeps_sign = True

    arguments = (Argument("keepdims", "bool", "true",
                          "[C, 1, 1] as PyTorch; false gives [C] as Keras"),)

    input_shape: Shape
    keepdims: bool = True

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        need_spatial(args, input_shape)
        keepdims = args.boolean("keepdims", True)
        args.finish(())
        return cls(input_shape, keepdims)

    def output_shape(self) -> Shape:
        ones = (1,) * (len(self.input_shape) - 1) if self.keepdims else ()
        return (self.input_shape[0], *ones)

    def ops(self) -> int:
        return numel(self.input_shape)

    def receptive_field(self, field: Field) -> Field:
        return tuple(f.through_window(n, n, 0) for f, n in zip(field, self.input_shape[1:]))


@register
class GlobalAvgPool(GlobalPool):
    """Mean over every spatial position, one value per channel."""

    kind = "global_avgpool"
    examples = (("", (4, 5, 5)),)
    aliases = ("global_avg_pool", "global_average_pooling")
    pytorch = "nn.AdaptiveAvgPool2d(1)"
    keras = "layers.GlobalAveragePooling2D(keepdims)"


@register
class GlobalMaxPool(GlobalPool):
    """Maximum over every spatial position, one value per channel."""

    kind = "global_maxpool"
    examples = (("", (4, 5, 5)),)
    aliases = ("global_max_pool", "global_max_pooling")
    pytorch = "nn.AdaptiveMaxPool2d(1)"
    keras = "layers.GlobalMaxPooling2D(keepdims)"


class AdaptivePool(Layer):
    """PyTorch's adaptive pooling: window i spans [floor(iN/o), ceil((i+1)N/o))."""

    family = "pool"
    is_pool = True
    keeps_sign = True

    arguments = (Argument("output_size", "int or list per axis (null keeps the axis)",
                          "required", "the output's spatial size"),)

    input_shape: Shape
    output_size: tuple[int, ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        value = args.raw("output_size")
        values = list(value) if isinstance(value, list) else [value] * ndim
        if len(values) != ndim or not all(
                v is None and isinstance(value, list) or isinstance(v, int)
                and not isinstance(v, bool) and 1 <= v <= MAX_AXIS for v in values):
            raise args.fail("output_size", f"'output_size' must be an integer >= 1 or a list "
                                           f"of {ndim} (one per spatial axis), each an "
                                           f"integer >= 1 or null (keep that axis' size); "
                                           f"found {show(value)}")
        # PyTorch's None (YAML null): that axis keeps the input's size
        size = tuple(n if v is None else v for v, n in zip(values, input_shape[1:]))
        args.finish(())
        return cls(input_shape, size)

    def output_shape(self) -> Shape:
        return (self.input_shape[0], *self.output_size)

    def window_sizes(self, axis: int) -> list[int]:
        """Every window's length along `axis` (one per output: for small sizes only)."""
        n, o = self.input_shape[1 + axis], self.output_size[axis]
        return [stop - start for start, stop in (adaptive_window(i, n, o) for i in range(o))]

    def window_total(self, axis: int) -> int:
        """The sum of the window lengths along `axis`, in closed form: N + o - gcd(N, o).
        (Window i ends at ceil((i+1)N/o) and starts at floor(iN/o); the ends exceed the
        starts, summed, by N, and each of the o - gcd(N, o) fractional boundaries is
        counted by two windows.)"""
        n, o = self.input_shape[1 + axis], self.output_size[axis]
        return n + o - math.gcd(n, o)

    def ops(self) -> int:
        per_channel = math.prod(self.window_total(a) for a in range(len(self.output_size)))
        return self.input_shape[0] * per_channel

    def receptive_field(self, field: Field) -> Field:
        return tuple(f.through_adaptive(n, o) for f, n, o in
                     zip(field, self.input_shape[1:], self.output_size))

    def describe(self) -> str:
        return "to " + "x".join(str(o) for o in self.output_size)


@register
class AdaptiveAvgPool(AdaptivePool):
    """Mean over PyTorch's adaptive windows, to a fixed output size."""

    kind = "adaptive_avgpool"
    examples = (("{output_size: [2, 3]}", (4, 7, 7)),)
    aliases = ("adaptive_avg_pool",)
    pytorch = "nn.AdaptiveAvgPool2d(output_size)"


@register
class AdaptiveMaxPool(AdaptivePool):
    """Maximum over PyTorch's adaptive windows, to a fixed output size."""

    kind = "adaptive_maxpool"
    examples = (("{output_size: 2}", (4, 7, 7)),)
    aliases = ("adaptive_max_pool",)
    pytorch = "nn.AdaptiveMaxPool2d(output_size)"
