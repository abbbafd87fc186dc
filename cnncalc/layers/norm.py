"""Normalisation layers: batch, layer and group norm."""
from __future__ import annotations

from .base import Args, Layer, ParamCount, Shape, numel, register


@register
class BatchNorm(Layer):
    """Per-channel normalisation; [C, ...] -> same. 2C weights (affine), 2C running stats."""

    kind = "batchnorm"
    aliases = ("batch_norm", "bn", "batchnorm1d", "batchnorm2d", "batchnorm3d")
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
    """Normalise groups of channels per sample; 2C affine weights, no running stats."""

    kind = "groupnorm"
    aliases = ("group_norm",)
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

