"""Convolutions: conv (grouped, depthwise, dilated) and transposed conv."""
from __future__ import annotations

import math
from typing import ClassVar

from ..geometry import CEIL, PAD_MODES, SizeRule, Window, pad_refusal, rule_for, transposed_size
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
    """Convolution: `filters` learned kernels slide over the input, [C, *S] -> [filters,
    *S'], each output summing K x C/groups products (+ bias); S' follows the layer's size
    rule."""

    kind = "conv"
    # annotated, or mypy holds DepthwiseConv's examples to this value's type (a 2-tuple)
    examples: ClassVar[tuple[tuple[str, Shape], ...]] = (
        ("{filters: 4, kernel: 3}", (2, 8, 8)),
        ("{kernel: 3, depthwise: true, padding: 1, bias: false}", (4, 8, 8)))
    aliases = ("conv1d", "conv2d", "conv3d")
    pytorch = ("nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, "
               "groups, bias, padding_mode)")
    keras = "layers.Conv2D(filters, kernel_size, strides, padding, dilation_rate, groups)"

    rule: SizeRule = CEIL
    padding_rule: str = "explicit"  # how padding was given: explicit, same or valid
    padding_mode: str = "zeros"     # PyTorch's: what the padding holds (PAD_MODES)

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
        return cls._build_windows(args, input_shape, ndim, filters, groups)

    @classmethod
    def _build_windows(cls, args: Args, input_shape: Shape, ndim: int, filters: int,
                       groups: int) -> Layer:
        """The arguments every convolution kind shares, once filters and groups are known:
        kernel, stride, dilation, padding (and what it holds), bias."""
        kernel = args.per_axis("kernel", ndim, aliases=("kernel_size",))
        stride = args.per_axis("stride", ndim, 1, aliases=("strides",))
        dilation = args.per_axis("dilation", ndim, 1, aliases=("dilation_rate",))
        padding, rule_name = args.padding("padding", ndim, input_shape[1:], kernel, stride,
                                          dilation)
        padding_mode = read_padding_mode(args, input_shape, padding)
        ctx = args.ctx
        rule = rule_for("conv", ctx.framework, ctx.rounding)
        bias = args.boolean("bias", True)
        args.finish(())
        return check_output(args, cls(input_shape, filters, kernel, stride, padding,
                                      dilation, groups, bias, rule, rule_name, padding_mode))

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
        text += "" if self.padding_mode == "zeros" else f" {self.padding_mode}"
        return text + ("" if self.bias else " nobias")


def read_padding_mode(args: Args, input_shape: Shape,
                      padding: tuple[tuple[int, int], ...]) -> str:
    """PyTorch's padding_mode: zeros, or padding copied from the input (reflect, replicate,
    circular), refused where F.pad refuses it (reflect: padding >= the size; circular:
    padding > the size), whatever the framework, since the copy is then undefined."""
    mode = args.choice("padding_mode", PAD_MODES, "zeros")
    if mode != "zeros":
        for axis, (n, (before, after)) in enumerate(zip(input_shape[1:], padding)):
            why = pad_refusal(n, before, after, mode)
            if why:
                raise args.fail("padding_mode", f"{why} (spatial axis {axis + 1}; PyTorch "
                                                f"refuses it too)")
    return mode


_WINDOW_ARGUMENTS = (
    Argument("kernel", "int or list per axis", "required", "alias kernel_size"),
    Argument("stride", "int or list per axis", "1", "alias strides (Keras)"),
    Argument("padding", "int, list per axis, pairs, same or valid", "0",
             "pixels added before and after each spatial axis"),
    Argument("padding_mode", "one of zeros, reflect, replicate, circular", "zeros",
             "what the padding holds (PyTorch's padding_mode)"),
    Argument("dilation", "int or list per axis", "1", "alias dilation_rate (Keras)"),
)


Conv.arguments = (
    Argument("filters", "int", "required (in_channels when depthwise)",
             "output channels; alias out_channels"),
    *_WINDOW_ARGUMENTS,
    Argument("groups", "int", "1", "split channels into groups convolved apart"),
    Argument("depthwise", "bool", "false", "groups = in_channels"),
    Argument("bias", "bool", "true", "a learned bias per filter (Keras calls it use_bias)"),
)


@register
class DepthwiseConv(Conv):
    """Keras' depthwise convolution: each input channel convolved on its own with
    `depth_multiplier` filters, so groups = in_channels and filters = in_channels x
    depth_multiplier."""

    kind = "depthwise_conv"
    examples = (("{kernel: 3, depth_multiplier: 2, stride: 2, padding: 1, dilation: 1, bias: false, padding_mode: reflect}", (2, 8, 8)),)
    aliases = ("depthwise_conv1d", "depthwise_conv2d", "depthwise_conv3d")
    arguments = (
        Argument("depth_multiplier", "int", "1", "filters per input channel"),
        *_WINDOW_ARGUMENTS,
        Argument("bias", "bool", "true", "a learned bias per filter (Keras calls it use_bias)"),
    )
    pytorch = "nn.Conv2d(C, C * depth_multiplier, kernel_size, groups=C, ...)"
    keras = "layers.DepthwiseConv2D(kernel_size, strides, padding, depth_multiplier, ...)"

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        channels = input_shape[0]
        multiplier = args.integer("depth_multiplier", 1)
        return cls._build_windows(args, input_shape, ndim, channels * multiplier, channels)

    def describe(self) -> str:
        multiplier = self.filters // self.input_shape[0]
        return super().describe() + (f" x{multiplier}" if multiplier > 1 else "")


@register
class SeparableConv(Layer):
    """Keras' separable convolution: a depthwise convolution (depth_multiplier filters per
    input channel, no bias) then a 1x1 pointwise convolution to `filters` channels (with
    the bias)."""

    kind = "separable_conv"
    examples = (("{filters: 4, kernel: 3, depth_multiplier: 2, stride: 1, padding: 1, dilation: 1, bias: true, padding_mode: zeros}", (2, 8, 8)),)
    aliases = ("separable_conv1d", "separable_conv2d")
    family = "conv"
    is_affine_map = True
    arguments = (
        Argument("filters", "int", "required", "pointwise output channels; alias out_channels"),
        Argument("depth_multiplier", "int", "1", "depthwise filters per input channel"),
        *_WINDOW_ARGUMENTS,
        Argument("bias", "bool", "true", "the pointwise conv's bias (Keras calls it use_bias)"),
    )
    pytorch = ("nn.Sequential(nn.Conv2d(C, C * m, kernel_size, groups=C, bias=False), "
               "nn.Conv2d(C * m, filters, 1))")
    keras = "layers.SeparableConv2D(filters, kernel_size, strides, padding, depth_multiplier)"

    input_shape: Shape
    depthwise: Conv   # (C*m, 1, *K) weights, no bias
    pointwise: Conv   # (filters, C*m, 1, ...) weights and the bias

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        channels = input_shape[0]
        filters = args.integer("filters", aliases=("out_channels",))
        multiplier = args.integer("depth_multiplier", 1)
        spatial = Conv._build_windows(args, input_shape, ndim, channels * multiplier,
                                      channels)
        assert isinstance(spatial, Conv)
        depthwise = spatial.replace(bias=False)
        ones = (1,) * ndim
        pointwise = Conv(depthwise.output_shape(), filters, ones, ones, ((0, 0),) * ndim,
                         ones, 1, spatial.bias, spatial.rule)
        return cls(input_shape, depthwise, pointwise)

    def output_shape(self) -> Shape:
        return self.pointwise.output_shape()

    def params(self) -> ParamCount:
        return ParamCount(self.depthwise.params().weights + self.pointwise.params().weights)

    def param_shapes(self) -> dict[str, Shape]:
        pointwise = self.pointwise.param_shapes()
        shapes = {"depthwise_weight": self.depthwise.param_shapes()["weight"],
                  "pointwise_weight": pointwise["weight"]}
        return shapes | ({"bias": pointwise["bias"]} if "bias" in pointwise else {})

    def macs(self) -> int:
        return self.depthwise.macs() + self.pointwise.macs()

    def ops(self) -> int:
        return self.pointwise.ops()

    def receptive_field(self, field: Field) -> Field:
        return self.depthwise.receptive_field(field)  # the 1x1 conv reads one position

    def windows(self) -> tuple[Window, ...]:
        return self.depthwise.windows()

    @property
    def padding_rule(self) -> str:
        """How the depthwise conv's padding was given (explicit, same, valid), for lint."""
        return self.depthwise.padding_rule

    def describe(self) -> str:
        multiplier = self.depthwise.filters // self.input_shape[0]
        text = _axes_text(self.depthwise.kernel, self.depthwise.stride,
                          self.depthwise.padding, self.depthwise.dilation)
        return text + (f" x{multiplier}" if multiplier > 1 else "") + \
            ("" if self.pointwise.bias else " nobias")


def _padding_for_size(args: Args, input_shape: Shape, kernel: tuple[int, ...],
                      stride: tuple[int, ...], padding: tuple[tuple[int, int], ...],
                      dilation: tuple[int, ...]) -> tuple[int, ...]:
    """PyTorch's ConvTranspose forward(output_size=...): the output_padding that gives each
    spatial size, which must lie between the size without it and that plus stride - 1
    (`_ConvTransposeNd._output_padding` refuses any other)."""
    sizes = args.per_axis("output_size", len(kernel))
    chosen = []
    for axis, (n, size, k, s, (pb, pa), d) in enumerate(
            zip(input_shape[1:], sizes, kernel, stride, padding, dilation)):
        smallest = transposed_size(n, k, s, pb, pa, d, 0)
        if not smallest <= size <= smallest + s - 1:
            raise args.fail("output_size", f"output_size {size} on spatial axis {axis + 1} "
                                           f"is out of reach: the valid sizes are {smallest} "
                                           f"to {smallest + s - 1} (PyTorch refuses it too)")
        chosen.append(size - smallest)
    return tuple(chosen)


@register
class ConvTranspose(Filtered):
    """Transposed convolution, the adjoint of a conv: each input pixel scatters a kernel's
    worth of outputs, each axis (N - 1)s - pb - pa + d(K - 1) + output_padding + 1 long."""

    arguments = (
        Argument("filters", "int", "required", "output channels; alias out_channels"),
        Argument("kernel", "int or list per axis", "required", "alias kernel_size"),
        Argument("stride", "int or list per axis", "1", "the input's spacing in the output"),
        Argument("padding", "int, list per axis or pairs", "0",
                 "pixels removed from each end of the output (PyTorch's meaning)"),
        Argument("output_padding", "int or list per axis", "0",
                 "pixels added after the output, below the stride or the dilation"),
        Argument("output_size", "int or list per axis", "not given",
                 "PyTorch's forward(x, output_size=...): chooses output_padding"),
        Argument("dilation", "int or list per axis", "1", "spacing of the kernel's taps"),
        Argument("groups", "int", "1", "split channels into groups convolved apart"),
        Argument("bias", "bool", "true", "a learned bias per filter"),
    )
    pytorch = ("nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, "
               "output_padding, groups, bias, dilation)")
    keras = "layers.Conv2DTranspose(filters, kernel_size, strides, padding, output_padding)"

    kind = "conv_transpose"
    examples = (("{filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
                 (2, 5, 5)), ("{filters: 2, kernel: 2}", (4, 3, 3)))
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
        if args.raw("output_size", None) is not None:
            if args.has("output_padding"):
                raise args.fail("output_size", "give output_size or output_padding, not "
                                               "both (output_size chooses the padding)")
            output_padding = _padding_for_size(args, input_shape, kernel, stride, padding,
                                               dilation)
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

