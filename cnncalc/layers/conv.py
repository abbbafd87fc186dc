"""Convolutions: conv (grouped, depthwise, dilated) and transposed conv."""
from __future__ import annotations

import math

from ..geometry import CEIL, SizeRule, rule_for, transposed_size
from ..receptive import Field
from .base import (
    Args,
    Argument,
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
    """Convolution: each of `filters` learned filters slides over the input, a weighted sum
    of K x C/groups inputs (plus a bias) at each position. [C, *S] -> [filters, *S'], S'
    from the layer's size rule."""

    kind = "conv"
    aliases = ("conv1d", "conv2d", "conv3d")
    arguments = (
        Argument("filters", "int", "required",
                 "output channels (PyTorch's out_channels, also accepted); with depthwise "
                 "it defaults to the input channels"),
        Argument("kernel", "int or list per axis", "required",
                 "the filter's size per spatial axis (also kernel_size)"),
        Argument("stride", "int or list per axis", "1", "step between windows"),
        Argument("padding", "int, list per axis, [before, after] per axis, same or valid", "0",
                 "zeros around each spatial axis; same: ceil(N / stride) outputs, the "
                 "extra pixel after (TensorFlow's rule); valid: none"),
        Argument("dilation", "int or list per axis", "1",
                 "spacing of the filter's taps (Keras' dilation_rate)"),
        Argument("groups", "int", "1",
                 "channel groups; each filter reads input channels / groups"),
        Argument("depthwise", "bool", "false",
                 "groups = input channels (Keras' DepthwiseConv2D with depth_multiplier "
                 "filters / channels)"),
        Argument("bias", "bool", "true", "add a learned bias per filter (Keras' use_bias)"),
    )
    pytorch = ("nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, "
               "dilation=1, groups=1, bias=True) (Conv1d, Conv3d by the input)")
    keras = ("layers.Conv2D(filters, kernel_size, strides=1, padding='valid', "
             "dilation_rate=1, groups=1, use_bias=True); depthwise: layers.DepthwiseConv2D")
    examples = (("{filters: 4, kernel: 3}", (2, 8, 8)),
                ("{kernel: 3, depthwise: true, padding: 1, bias: false}", (4, 8, 8)))

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
    """Transposed convolution ("deconvolution", the gradient of a conv): each input value
    adds its filters, scaled, into the output. Each axis: (N - 1)s - pb - pa + d(K - 1) +
    output_padding + 1."""

    kind = "conv_transpose"
    is_transposed = True
    aliases = ("deconv", "transposed_conv", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")
    arguments = (
        Argument("filters", "int", "required",
                 "output channels (PyTorch's out_channels, also accepted)"),
        Argument("kernel", "int or list per axis", "required",
                 "the filter's size per spatial axis (also kernel_size)"),
        Argument("stride", "int or list per axis", "1",
                 "spacing of the inputs' copies in the output (the upsampling factor)"),
        Argument("padding", "int, list per axis or [before, after] per axis", "0",
                 "removed from each end of the output (PyTorch's meaning; not 'same' or "
                 "'valid')"),
        Argument("output_padding", "int or list per axis", "0",
                 "added to the end of each axis, below the stride or the dilation"),
        Argument("dilation", "int or list per axis", "1", "spacing of the filter's taps"),
        Argument("groups", "int", "1", "channel groups"),
        Argument("bias", "bool", "true", "add a learned bias per filter (Keras' use_bias)"),
    )
    pytorch = ("nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, "
               "padding=0, output_padding=0, groups=1, bias=True, dilation=1)")
    keras = ("layers.Conv2DTranspose(filters, kernel_size, strides=1, padding='valid', "
             "output_padding=None, dilation_rate=1, use_bias=True) (its padding is "
             "'same' or 'valid', not PyTorch's cropping)")
    examples = (("{filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
                 (2, 5, 5)), ("{filters: 2, kernel: 2}", (4, 3, 3)))

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

