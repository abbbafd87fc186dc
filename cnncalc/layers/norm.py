"""Normalisation layers: batch, layer and group norm."""
from __future__ import annotations

from .base import Args, Argument, Layer, ParamCount, Shape, numel, register


@register
class BatchNorm(Layer):
    """Normalise each channel over the batch and the spatial positions; the shape is
    unchanged. 2C weights (the affine scale and shift) and 2C running statistics."""

    kind = "batchnorm"
    aliases = ("batch_norm", "bn", "batchnorm1d", "batchnorm2d", "batchnorm3d")
    arguments = (
        Argument("affine", "bool", "true",
                 "learn a scale and a shift per channel (Keras' scale and center)"),
        Argument("track_running_stats", "bool", "true",
                 "keep the running mean and variance (2C buffers)"),
        Argument("eps", "number", "1.0e-5",
                 "added to the variance (Keras' epsilon, default 1e-3 there)"),
        Argument("momentum", "number", "0.1",
                 "PyTorch's update weight of the running statistics; Keras' momentum is "
                 "1 minus it (0.9 for 0.1)"),
    )
    pytorch = ("nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, "
               "track_running_stats=True)")
    keras = "layers.BatchNormalization(momentum=0.9, epsilon=1e-05)"
    examples = (("", (4, 3, 3)),)
    family = "norm"
    normalises_channels = True  # per channel over the batch: a bias before it cancels

    input_shape: Shape
    affine: bool = True
    track_running_stats: bool = True
    eps: float = 1e-5
    momentum: float = 0.1

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        affine = args.boolean("affine", True)
        track = args.boolean("track_running_stats", True)
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
class LayerNorm(Layer):
    """Normalise each sample over all its axes (`over: all`, nn.LayerNorm([C, H, W])) or over
    channels at each position (`over: channels`, ConvNeXt's LayerNorm2d)."""

    kind = "layernorm"
    aliases = ("layer_norm",)
    arguments = (
        Argument("over", "one of all, channels", "all",
                 "all: every axis of the sample (nn.LayerNorm([C, H, W])); channels: the "
                 "channels at each position (ConvNeXt's LayerNorm2d)"),
        Argument("affine", "bool", "true",
                 "learn a scale and a shift per normalised element (PyTorch's "
                 "elementwise_affine)"),
        Argument("eps", "number", "1.0e-5",
                 "added to the variance (Keras' epsilon, default 1e-3 there)"),
    )
    pytorch = ("nn.LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True): "
               "[C, H, W] for over: all")
    keras = ("layers.LayerNormalization(axis=-1, epsilon=1e-05) for over: channels; "
             "axis=[1, 2, 3] for over: all")
    examples = (("", (4, 3, 3)), ("{over: channels}", (4, 3, 3)))
    family = "norm"

    input_shape: Shape
    over: str = "all"
    affine: bool = True
    eps: float = 1e-5

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        over = args.choice("over", ("all", "channels"), "all")
        affine = args.boolean("affine", True, )
        eps = args.number("eps", 1e-5)
        args.finish(())
        return cls(input_shape, over, affine, eps)

    def normalized_shape(self) -> Shape:
        return self.input_shape if self.over == "all" else self.input_shape[:1]

    def params(self) -> ParamCount:
        return ParamCount(2 * numel(self.normalized_shape()) * self.affine)

    def param_shapes(self) -> dict[str, Shape]:
        shape = self.normalized_shape()
        return {"weight": shape, "bias": shape} if self.affine else {}

    def ops(self) -> int:
        return 2 * numel(self.input_shape)


@register
class GroupNorm(Layer):
    """Normalise each group of channels per sample over the group's channels and positions;
    the shape is unchanged. 2C affine weights, no running statistics."""

    kind = "groupnorm"
    aliases = ("group_norm",)
    arguments = (
        Argument("groups", "int", "required",
                 "channel groups, each normalised per sample (PyTorch's num_groups, also "
                 "accepted); must divide the channels"),
        Argument("affine", "bool", "true", "learn a scale and a shift per channel"),
        Argument("eps", "number", "1.0e-5",
                 "added to the variance (Keras' epsilon, default 1e-3 there)"),
    )
    pytorch = "nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True)"
    keras = "layers.GroupNormalization(groups, epsilon=1e-05)"
    examples = (("{groups: 2}", (4, 3, 3)),)
    family = "norm"

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

