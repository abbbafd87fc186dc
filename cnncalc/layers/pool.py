"""Pooling: windowed max/average, global, and adaptive. None has weights."""
from __future__ import annotations

import math
from typing import ClassVar

from ..geometry import SizeRule, adaptive_window, rule_for
from ..receptive import Field
from .base import Args, Layer, Shape, Windowed, check_output, need_spatial, numel, register
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

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size", "pool_size"))
        stride = args.per_axis("stride", ndim, list(kernel), aliases=("strides",))
        dilation = args.per_axis("dilation", ndim, 1) if cls.takes_dilation else (1,) * ndim
        padding, mode = args.padding("padding", ndim, input_shape[1:], kernel, stride,
                                     dilation)
        ceil_mode = args.boolean("ceil_mode", False)
        include = args.boolean("count_include_pad", True) if cls.takes_count_include_pad \
            else True
        ctx = args.ctx
        rule = rule_for("pool", ctx.framework, ctx.rounding, ceil_mode)
        args.finish(())
        return check_output(args, cls(input_shape, kernel, stride, padding, dilation, rule,
                                      mode, include, ceil_mode))

    def ops(self) -> int:
        return numel(self.output_shape()) * math.prod(self.kernel)

    def describe(self) -> str:
        text = _axes_text(self.kernel, self.stride, self.padding, self.dilation)
        return text + (f" {self.rule.name}" if self.rule.drop.value != "never" else "")


@register
class MaxPool(WindowPool):
    """Maximum over sliding windows (padding never wins: it reads as -inf)."""

    kind = "maxpool"
    aliases = ("max_pool", "maxpool1d", "maxpool2d", "maxpool3d")
    takes_dilation = True


@register
class AvgPool(WindowPool):
    """Mean over sliding windows; count_include_pad decides the divisor at the border."""

    kind = "avgpool"
    aliases = ("avg_pool", "avgpool1d", "avgpool2d", "avgpool3d")
    takes_count_include_pad = True


class GlobalPool(Layer):
    """Pool every spatial position: [C, *S] -> [C, 1, ...] (keepdims, PyTorch) or [C]."""

    family = "pool"
    is_pool = True
    is_global = True
    keeps_sign = True

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
    """Mean over every spatial position."""

    kind = "global_avgpool"
    aliases = ("global_avg_pool", "global_average_pooling")


@register
class GlobalMaxPool(GlobalPool):
    """Maximum over every spatial position."""

    kind = "global_maxpool"
    aliases = ("global_max_pool", "global_max_pooling")


class AdaptivePool(Layer):
    """PyTorch's adaptive pooling: window i spans [floor(iN/o), ceil((i+1)N/o))."""

    family = "pool"
    is_pool = True
    keeps_sign = True

    input_shape: Shape
    output_size: tuple[int, ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        size = args.per_axis("output_size", ndim)
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
    aliases = ("adaptive_avg_pool",)


@register
class AdaptiveMaxPool(AdaptivePool):
    """Maximum over PyTorch's adaptive windows, to a fixed output size."""

    kind = "adaptive_maxpool"
    aliases = ("adaptive_max_pool",)
