"""Convolutions: conv (grouped, depthwise, dilated) and transposed conv."""
from __future__ import annotations

import math

from ..geometry import CEIL, SizeRule, rule_for, transposed_size
from ..receptive import Field
from .base import (
    Args,
    Layer,
    ParamCount,
    Shape,
    Windowed,
    check_output,
    need_spatial,
    numel,
    register,
)


def _axes_text(kernel: tuple[int, ...], stride: tuple[int, ...],
               padding: tuple[tuple[int, int], ...], dilation: tuple[int, ...]) -> str:
    def join(values: tuple) -> str:
        return "x".join(str(v) for v in values) if len(set(values)) > 1 else str(values[0])
    text = join(kernel) if len(set(kernel)) > 1 else "x".join([str(kernel[0])] * len(kernel))
    if any(s != 1 for s in stride):
        text += f" s{join(stride)}"
    flat = tuple(p for pair in padding for p in pair)
    if any(flat):
        symmetric = all(b == a for b, a in padding)
        text += f" p{join(tuple(b for b, _ in padding))}" if symmetric else \
            " p" + ",".join(f"{b}/{a}" for b, a in padding)
    if any(d != 1 for d in dilation):
        text += f" d{join(dilation)}"
    return text


def _channels_in_groups(args: Args, channels: int, filters: int, groups: int) -> None:
    if channels % groups:
        raise args.fail("groups", f"groups ({groups}) must divide the input channels "
                                  f"({channels})")
    if filters % groups:
        raise args.fail("groups", f"groups ({groups}) must divide the filters ({filters})")


class Filtered(Layer):
    """What conv and transposed conv share: filters of K x C/groups weights (+1 bias)."""

    family = "conv"
    is_affine_map = True

    input_shape: Shape
    filters: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int
    bias: bool

    def params(self) -> ParamCount:
        per_filter = self.input_shape[0] // self.groups * math.prod(self.kernel) + self.bias
        return ParamCount(per_filter * self.filters, 0, per_filter, self.filters)

    def ops(self) -> int:
        return numel(self.output_shape()) if self.bias else 0  # the bias adds


@register
class Conv(Filtered, Windowed):
    """Convolution. Input [C, *S] -> output [filters, *S'], S' from the layer's size rule."""

    kind = "conv"
    aliases = ("conv1d", "conv2d", "conv3d")

    rule: SizeRule = CEIL
    padding_mode: str = "explicit"

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        channels = input_shape[0]
        depthwise = args.boolean("depthwise", False)
        filters = args.integer("filters", channels if depthwise else Args.REQUIRED,
                               aliases=("out_channels",))
        groups = args.integer("groups", 1)
        if depthwise:
            if args.has("groups") and groups != channels:
                raise args.fail("groups", f"depthwise means groups = input channels "
                                          f"({channels}); found groups {groups}")
            groups = channels
        _channels_in_groups(args, channels, filters, groups)
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size",))
        stride = args.per_axis("stride", ndim, 1)
        dilation = args.per_axis("dilation", ndim, 1)
        padding, mode = args.padding("padding", ndim, input_shape[1:], kernel, stride,
                                     dilation)
        ctx = args.ctx
        rule = rule_for("conv", ctx.framework, ctx.rounding)
        bias = args.boolean("bias", True)
        args.finish(())
        return check_output(args, cls(input_shape, filters, kernel, stride, padding,
                                      dilation, groups, bias, rule, mode))

    def output_channels(self) -> int:
        return self.filters

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.filters, self.input_shape[0] // self.groups, *self.kernel)}
        return shapes | ({"bias": (self.filters,)} if self.bias else {})

    def macs(self) -> int:
        return numel(self.output_shape()) * (self.input_shape[0] // self.groups) * math.prod(
            self.kernel)

    def describe(self) -> str:
        text = _axes_text(self.kernel, self.stride, self.padding, self.dilation)
        if self.groups == self.input_shape[0] and self.groups > 1:
            text += " dw"
        elif self.groups > 1:
            text += f" g{self.groups}"
        return text + ("" if self.bias else " nobias")


@register
class ConvTranspose(Filtered):
    """Transposed convolution: each axis (N - 1)s - pb - pa + d(K - 1) + output_padding + 1."""

    kind = "conv_transpose"
    is_transposed = True
    aliases = ("deconv", "transposed_conv", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")

    output_padding: tuple[int, ...] = ()

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        filters = args.integer("filters", aliases=("out_channels",))
        groups = args.integer("groups", 1)
        _channels_in_groups(args, input_shape[0], filters, groups)
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size",))
        stride = args.per_axis("stride", ndim, 1)
        dilation = args.per_axis("dilation", ndim, 1)
        value = args.raw("padding", 0)
        if value in ("same", "valid"):
            raise args.fail("padding", "a transposed conv takes integer padding (PyTorch's "
                                       f"meaning: removed from the output); found {value!r}")
        padding, _ = args.padding("padding", ndim, input_shape[1:], kernel, stride, dilation)
        output_padding = args.per_axis("output_padding", ndim, 0, minimum=0)
        for op, s, d, axis in zip(output_padding, stride, dilation, range(ndim)):
            if op >= max(s, d):
                raise args.fail("output_padding", f"output_padding ({op}) must be smaller "
                                                  f"than the stride or the dilation "
                                                  f"({max(s, d)}) on axis {axis}")
        bias = args.boolean("bias", True)
        args.finish(())
        return check_output(args, cls(input_shape, filters, kernel, stride, padding,
                                      dilation, groups, bias, output_padding))

    def output_shape(self) -> Shape:
        spatial = tuple(
            transposed_size(n, k, s, pb, pa, d, op) for n, k, s, (pb, pa), d, op in
            zip(self.input_shape[1:], self.kernel, self.stride, self.padding, self.dilation,
                self.output_padding))
        return (self.filters, *spatial)

    def param_shapes(self) -> dict[str, Shape]:
        weight = (self.input_shape[0], self.filters // self.groups, *self.kernel)
        return {"weight": weight} | ({"bias": (self.filters,)} if self.bias else {})

    def macs(self) -> int:
        # every input element is multiplied into K x filters/groups outputs
        return numel(self.input_shape) * (self.filters // self.groups) * math.prod(self.kernel)

    def receptive_field(self, field: Field) -> Field:
        return tuple(f.through_transposed(k, s, pb, d) for f, k, s, (pb, _), d in
                     zip(field, self.kernel, self.stride, self.padding, self.dilation))

    def describe(self) -> str:
        text = _axes_text(self.kernel, self.stride, self.padding, self.dilation)
        if any(self.output_padding):
            text += " op" + "x".join(str(o) for o in self.output_padding)
        return text + ("" if self.bias else " nobias")

