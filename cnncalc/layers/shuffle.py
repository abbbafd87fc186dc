"""Layers that move pixels between channels and positions: pixel shuffle and unshuffle."""
from __future__ import annotations

from typing import ClassVar

from ..errors import SpecError
from ..receptive import Field
from .base import Args, Argument, Layer, Shape, register, shape_str


class _Shuffle(Layer):
    """What pixel shuffle and unshuffle share: a factor r and a [C, H, W] input."""

    family = "reshape"
    keeps_sign = True
    verb: ClassVar[str] = ""

    input_shape: Shape
    factor: int

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        factor = args.integer("factor", aliases=("upscale_factor", "downscale_factor",
                                                 "block_size"))
        args.finish(())
        if len(input_shape) != 3:
            raise SpecError.at(args.ctx.location,
                               f"{args.ctx.label}: {cls.kind} needs a [C, H, W] input (two "
                               f"spatial axes, as PyTorch's); found {shape_str(input_shape)}")
        cls.check(args, input_shape, factor)
        return cls(input_shape, factor)

    @classmethod
    def check(cls, args: Args, input_shape: Shape, factor: int) -> None:
        pass

    def ops(self) -> int:
        return 0

    def describe(self) -> str:
        return f"{self.verb} x{self.factor}"


@register
class PixelShuffle(_Shuffle):
    """Rearranges [C r², H, W] into [C, H r, W r]: output channel c at (h, w) is input channel
    c r² + (h mod r) r + (w mod r) at (h // r, w // r), PyTorch's nn.PixelShuffle (ESPCN's
    sub-pixel convolution). Nothing is computed or learned; values only move."""

    kind = "pixel_shuffle"
    aliases = ("depth_to_space",)
    verb = "up"
    arguments = (Argument("factor", "int", "required",
                          "r, the upscale factor (PyTorch's upscale_factor; Keras/TF's "
                          "block_size); the channels must divide by r²"),)
    pytorch = "nn.PixelShuffle(upscale_factor)"
    keras = "tf.nn.depth_to_space(x, block_size) (orders the channels differently: r, r, C)"

    @classmethod
    def check(cls, args: Args, input_shape: Shape, factor: int) -> None:
        if input_shape[0] % (factor * factor):
            raise args.fail("factor", f"{input_shape[0]} channels do not divide by "
                                      f"factor² = {factor * factor}")

    def output_shape(self) -> Shape:
        c, h, w = self.input_shape
        r = self.factor
        return (c // (r * r), h * r, w * r)

    def receptive_field(self, field: Field) -> Field:
        # output position j reads input position j // r (of one channel): the field repeats
        # every r outputs, moving on one input position
        r = self.factor
        return tuple(f.through(lambda j: (j // r, j // r), r, 1,
                               ((1 - r) / r, 0), ((1 - r) / r, 0)) for f in field)


@register
class PixelUnshuffle(_Shuffle):
    """Rearranges [C, H r, W r] into [C r², H, W], the inverse of pixel shuffle: output
    channel c r² + i r + j at (h, w) is input channel c at (h r + i, w r + j), PyTorch's
    nn.PixelUnshuffle. Nothing is computed or learned; values only move."""

    kind = "pixel_unshuffle"
    aliases = ("space_to_depth",)
    verb = "down"
    arguments = (Argument("factor", "int", "required",
                          "r, the downscale factor (PyTorch's downscale_factor; Keras/TF's "
                          "block_size); height and width must divide by r"),)
    pytorch = "nn.PixelUnshuffle(downscale_factor)"
    keras = "tf.nn.space_to_depth(x, block_size) (orders the channels differently: r, r, C)"

    @classmethod
    def check(cls, args: Args, input_shape: Shape, factor: int) -> None:
        _, h, w = input_shape
        if h % factor or w % factor:
            raise args.fail("factor", f"height and width {h}x{w} do not divide by factor "
                                      f"{factor}")

    def output_shape(self) -> Shape:
        c, h, w = self.input_shape
        r = self.factor
        return (c * r * r, h // r, w // r)

    def receptive_field(self, field: Field) -> Field:
        # output position h holds, across its r² channels, input positions h r ... h r + r - 1:
        # exactly a window of r at stride r
        return tuple(f.through_window(self.factor, self.factor, 0) for f in field)
