"""Normalisation layers: batch, layer, group and instance norm, local response norm."""
from __future__ import annotations

from typing import Any, ClassVar

from ..errors import show
from .base import Args, Argument, Layer, ParamCount, Shape, need_spatial, numel, register, shape_str


class _ChannelNorm(Layer):
    """What batch and instance norm share: a scale and shift per channel (`affine`, 2C
    weights) and running mean and variance (`track_running_stats`, 2C buffers); the
    defaults are each kind's own."""

    needs_spatial: ClassVar[bool] = False

    input_shape: Shape
    affine: bool = True
    track_running_stats: bool = True
    eps: float = 1e-5
    momentum: float = 0.1

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        if cls.needs_spatial:
            need_spatial(args, input_shape)
        affine = args.boolean("affine", cls.affine)
        track = args.boolean("track_running_stats", cls.track_running_stats)
        eps = args.number("eps", 1e-5)
        momentum = args.number("momentum", 0.1, maximum=1.0)
        args.finish(())
        return cls(input_shape, affine, track, eps, momentum)

    def params(self) -> ParamCount:
        channels = self.input_shape[0]
        return ParamCount(2 * channels * self.affine, 2 * channels * self.track_running_stats)

    def param_shapes(self) -> dict[str, Shape]:
        c = (self.input_shape[0],)
        return {"weight": c, "bias": c} if self.affine else {}

    def ops(self) -> int:
        return 2 * numel(self.input_shape)  # normalise, then scale and shift


@register
class BatchNorm(_ChannelNorm):
    """Normalise each channel over the batch and positions, then scale and shift it: 2C
    weights (affine) and 2C running statistics (mean and variance, used in eval mode)."""

    kind = "batchnorm"
    examples = (("", (4, 3, 3)),)
    aliases = ("batch_norm", "bn", "batchnorm1d", "batchnorm2d", "batchnorm3d")
    family = "norm"
    arguments = (
        Argument("affine", "bool", "true", "learn a scale and shift per channel"),
        Argument("track_running_stats", "bool", "true",
                 "keep running mean and variance, used in eval mode"),
        Argument("eps", "number", "1e-5", "added to the variance (Keras' epsilon, default "
                                          "1e-3)"),
        Argument("momentum", "number in [0, 1]", "0.1",
                 "the running statistics' update (Keras' momentum is 1 - this)"),
    )
    pytorch = "nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, " \
              "track_running_stats=True) (1d, 3d by the spatial axes)"
    keras = "layers.BatchNormalization(momentum=0.9, epsilon=1e-5)"
    normalises_channels = True  # per channel over the batch: a bias before it cancels


@register
class LayerNorm(Layer):
    """Normalise each sample over its last axes: all of them (`over: all`, nn.LayerNorm([C, H,
    W])), the last N given by `normalized_shape` as PyTorch, or over channels at each position
    (`over: channels`, ConvNeXt's LayerNorm2d); a learned scale and shift per normalised
    element (or per channel), the shift optional (`bias: false`)."""

    kind = "layernorm"
    examples = (("", (4, 3, 3)), ("{over: channels}", (4, 3, 3)))
    aliases = ("layer_norm",)
    family = "norm"
    arguments = (
        Argument("over", "one of all, channels", "all",
                 "all: every axis of the sample; channels: C at each position (ConvNeXt)"),
        Argument("normalized_shape", "int or list", "(the whole sample)",
                 "the sizes of the last axes normalised, as PyTorch's; must equal the "
                 "input's last axes; instead of `over`"),
        Argument("affine", "bool", "true", "learn a scale (and shift); PyTorch's "
                                           "elementwise_affine"),
        Argument("bias", "bool", "true", "learn the shift too (with affine); PyTorch's bias, "
                                         "Keras' center"),
        Argument("eps", "number", "1e-5", "added to the variance"),
    )
    pytorch = "nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)"
    keras = "layers.LayerNormalization(axis=-1, epsilon=1e-5, center=True, scale=True) " \
            "(channels-last: its axis -1 is the channels)"

    input_shape: Shape
    over: str = "all"
    affine: bool = True
    eps: float = 1e-5
    bias: bool = True
    axes: int = 0  # with over: last, how many trailing axes are normalised

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        over = args.choice("over", ("all", "channels"), "all")
        shape = args.raw("normalized_shape", None)
        axes = 0
        if shape is not None:
            if args.has("over"):
                raise args.fail("normalized_shape", "'over' and 'normalized_shape' both say "
                                                    "which axes are normalised; give one")
            axes = _trailing_axes(args, shape, input_shape)
            over = "all" if axes == len(input_shape) else "last"
        affine = args.boolean("affine", True)
        bias = args.boolean("bias", True)
        eps = args.number("eps", 1e-5)
        args.finish(())
        return cls(input_shape, over, affine, eps, bias, axes)

    def normalized_shape(self) -> Shape:
        if self.over == "last":
            return self.input_shape[-self.axes:]
        return self.input_shape if self.over == "all" else self.input_shape[:1]

    def params(self) -> ParamCount:
        return ParamCount(numel(self.normalized_shape()) * self.affine * (1 + self.bias))

    def param_shapes(self) -> dict[str, Shape]:
        shape = self.normalized_shape()
        if not self.affine:
            return {}
        return {"weight": shape, "bias": shape} if self.bias else {"weight": shape}

    def ops(self) -> int:
        return 2 * numel(self.input_shape)

    def describe(self) -> str:
        return f"over {shape_str(self.normalized_shape())}" if self.over == "last" else ""


def _trailing_axes(args: Args, value: Any, input_shape: Shape) -> int:
    """How many trailing axes `normalized_shape` names; it must equal the input's last axes
    (PyTorch: "Given normalized_shape=[..], expected input with shape [*, ..]")."""
    sizes = value if isinstance(value, list) else [value]
    if not sizes or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                            for n in sizes):
        raise args.fail("normalized_shape", f"'normalized_shape' must be an integer >= 1 or "
                                            f"a list of them; found {show(value)}")
    if len(sizes) > len(input_shape) or tuple(sizes) != input_shape[-len(sizes):]:
        raise args.fail("normalized_shape",
                        f"'normalized_shape' {shape_str(tuple(sizes))} must equal the last "
                        f"axes of the input {shape_str(input_shape)} (batch excluded), as "
                        f"PyTorch requires")
    return len(sizes)


@register
class GroupNorm(Layer):
    """Normalise each sample over groups of C/groups channels and all positions (Wu & He
    2018), then scale and shift per channel: 2C weights (affine), no running statistics."""

    kind = "groupnorm"
    examples = (("{groups: 2}", (4, 3, 3)),)
    aliases = ("group_norm",)
    family = "norm"
    arguments = (
        Argument("groups", "int dividing the channels", "required",
                 "how many groups; alias num_groups"),
        Argument("affine", "bool", "true", "learn a scale and shift per channel"),
        Argument("eps", "number", "1e-5", "added to the variance"),
    )
    pytorch = "nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)"
    keras = "layers.GroupNormalization(groups, epsilon=1e-5)"

    input_shape: Shape
    groups: int
    affine: bool = True
    eps: float = 1e-5

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        groups = args.integer("groups", aliases=("num_groups",))
        if input_shape[0] % groups:
            raise args.fail("groups", f"groups ({groups}) must divide the channels "
                                      f"({input_shape[0]})")
        affine = args.boolean("affine", True)
        eps = args.number("eps", 1e-5)
        args.finish(())
        return cls(input_shape, groups, affine, eps)

    def params(self) -> ParamCount:
        return ParamCount(2 * self.input_shape[0] * self.affine)

    def param_shapes(self) -> dict[str, Shape]:
        c = (self.input_shape[0],)
        return {"weight": c, "bias": c} if self.affine else {}

    def ops(self) -> int:
        return 2 * numel(self.input_shape)



@register
class InstanceNorm(_ChannelNorm):
    """Normalise each sample's channel over its positions (Ulyanov et al. 2016), as PyTorch's
    nn.InstanceNorm1d/2d/3d: no learned scale and shift unless `affine` (2C weights), no
    running statistics unless `track_running_stats` (2C buffers, used in eval mode)."""

    kind = "instancenorm"
    aliases = ("instance_norm", "instancenorm1d", "instancenorm2d", "instancenorm3d")
    family = "norm"
    # subtracts each channel's mean (per sample): a conv bias before it cancels, as before
    # batch norm
    normalises_channels = True
    arguments = (
        Argument("affine", "bool", "false", "learn a scale and shift per channel"),
        Argument("track_running_stats", "bool", "false",
                 "keep running mean and variance, used in eval mode"),
        Argument("eps", "number", "1e-5", "added to the variance"),
        Argument("momentum", "number in [0, 1]", "0.1", "the running statistics' update"),
    )
    pytorch = "nn.InstanceNorm2d(num_features, eps=1e-5, momentum=0.1, affine=False, " \
              "track_running_stats=False) (1d, 3d by the spatial axes)"
    keras = "layers.GroupNormalization(groups=-1) (affine, no running statistics)"

    # a flat [C] would be (N, C): PyTorch's InstanceNorm1d reads it as one unbatched
    # sample of C positions, not C channels
    needs_spatial = True

    affine: bool = False
    track_running_stats: bool = False

    def describe(self) -> str:
        return ", ".join(name for name, on in (("affine", self.affine),
                                               ("running stats", self.track_running_stats))
                         if on)


@register
class LocalResponseNorm(Layer):
    """Divide each value by (k + alpha/size * the sum of squares over `size` neighbouring
    channels) ** beta, as PyTorch's nn.LocalResponseNorm (AlexNet, GoogLeNet): alpha is
    divided by size, exactly as PyTorch does. No weights; spatially pointwise."""

    kind = "local_response_norm"
    examples = (("{size: 5}", (6, 3, 3)),
                ("{size: 2, alpha: 0.001, beta: 0.5, k: 2.0}", (4, 3, 3)))
    aliases = ("lrn",)
    family = "norm"
    arguments = (
        Argument("size", "int", "required", "channels in the window: c - size//2 to "
                                            "c + (size-1)//2, zero beyond the edges"),
        Argument("alpha", "number", "1e-4", "scale of the sum of squares, divided by size "
                                            "(PyTorch's convention)"),
        Argument("beta", "number", "0.75", "the exponent"),
        Argument("k", "number", "1.0", "the additive constant"),
    )
    pytorch = "nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0)"
    keras = ""  # tf.nn.local_response_normalization is an op (depth_radius, alpha not / size)

    input_shape: Shape
    size: int
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        # PyTorch refuses a flat input: "Expected 3D or higher dimensionality input"
        need_spatial(args, input_shape)
        size = args.integer("size")
        alpha = args.number("alpha", 1e-4, minimum=-1e9, maximum=1e9)
        beta = args.number("beta", 0.75, minimum=-1e9, maximum=1e9)
        k = args.number("k", 1.0, minimum=-1e9, maximum=1e9)
        args.finish(())
        return cls(input_shape, size, alpha, beta, k)

    def ops(self) -> int:
        # per value: a square, a window sum of `size` terms, scale and add k, a power and a
        # division
        return (self.size + 5) * numel(self.input_shape)

    def describe(self) -> str:
        return f"size {self.size}"
