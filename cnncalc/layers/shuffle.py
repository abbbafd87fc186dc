"""Layers that move pixels between channels and positions: pixel shuffle and unshuffle,
and max unpooling (values put back at an earlier max pool's argmax)."""
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
    pytorch_factor: ClassVar[str] = ""  # PyTorch's name for the factor, accepted as an alias

    input_shape: Shape
    factor: int

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        factor = args.integer("factor", aliases=(cls.pytorch_factor, "block_size"))
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
    examples = (("{factor: 2}", (8, 3, 3)),)
    aliases = ("depth_to_space",)
    verb = "up"
    arguments = (Argument("factor", "int", "required",
                          "r, the upscale factor (PyTorch's upscale_factor; Keras/TF's "
                          "block_size); the channels must divide by r²"),)
    pytorch = "nn.PixelShuffle(upscale_factor)"
    pytorch_factor = "upscale_factor"
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
    examples = (("{factor: 2}", (2, 4, 6)),)
    aliases = ("space_to_depth",)
    verb = "down"
    arguments = (Argument("factor", "int", "required",
                          "r, the downscale factor (PyTorch's downscale_factor; Keras/TF's "
                          "block_size); height and width must divide by r"),)
    pytorch = "nn.PixelUnshuffle(downscale_factor)"
    pytorch_factor = "downscale_factor"
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


@register
class MaxUnpool(Layer):
    """Puts each value back where an earlier max pool found its maximum, zeros elsewhere
    (SegNet's decoder; PyTorch's nn.MaxUnpool with that pool's indices). It reads two
    values: the ones to place (the previous entry's) and the pool named by `indices`,
    whose input size it restores. Nothing is learned."""

    kind = "maxunpool"
    aliases = ("max_unpool", "maxunpool1d", "maxunpool2d", "maxunpool3d")
    family = "reshape"
    keeps_sign = True  # copies values and fills zeros
    reads_layer: ClassVar[str] = "indices"  # build wires this layer as a second input
    arguments = (
        Argument("indices", "layer name", "required",
                 "the max pool whose argmax places the values (its output shape must be "
                 "this input's)"),
        Argument("output_size", "int or list per axis", "the pool's input size",
                 "PyTorch's output_size; only the pool's input size is accepted"),
    )
    pytorch = ("nn.MaxUnpool2d(kernel_size, stride, padding)(x, indices, output_size) with "
               "nn.MaxPool2d(..., return_indices=True)")
    keras = ""
    examples = (("{indices: pool1}", (3, 6, 6)), ("{indices: pool1, output_size: 6}", (3, 6, 6)))

    input_shape: Shape
    size: tuple[int, ...]        # the output's spatial size: the pool's input's
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad_before: tuple[int, ...]
    dilation: tuple[int, ...]

    @classmethod
    def build_reading(cls, args: Args, input_shape: Shape, pool: Layer) -> Layer:
        """Built from the values' shape and the pool layer `indices` names."""
        args.raw("indices")
        if pool.kind != "maxpool":
            raise args.fail("indices", f"'indices' must name a maxpool; it names a "
                                       f"{pool.kind}")
        if pool.output_shape() != input_shape:
            raise args.fail("indices", f"the pool's output {shape_str(pool.output_shape())} "
                                       f"differs from this input {shape_str(input_shape)}; "
                                       "the values must have the pool's shape")
        windows = pool.windows()
        size = pool.input_shape[1:]
        if args.has("output_size"):
            given = args.per_axis("output_size", len(size))
            if given != size:
                raise args.fail("output_size", f"output_size {list(given)} is not the "
                                               f"pool's input size {list(size)}: PyTorch "
                                               "would place its flat indices in a plane of "
                                               "another width, moving values to other rows; "
                                               "give the pool's input size or leave it out")
        args.finish(())
        if args.ctx.framework == "pytorch":
            for w in windows:  # MaxUnpool's bounds on output_size (_unpool_output_size)
                default = (w.count - 1) * w.stride - w.pad_before - w.pad_after + w.kernel
                if not default - w.stride < w.size < default + w.stride:
                    raise args.fail("indices", f"PyTorch's MaxUnpool refuses output size "
                                               f"{w.size} (it accepts {default - w.stride + 1}"
                                               f" ... {default + w.stride - 1} for this pool)")
        return cls(input_shape, size, tuple(w.kernel for w in windows),
                   tuple(w.stride for w in windows), tuple(w.pad_before for w in windows),
                   tuple(w.dilation for w in windows))

    def output_shape(self) -> Shape:
        return (self.input_shape[0], *self.size)

    def ops(self) -> int:
        return 0

    def receptive_fields(self, fields: list[Field], input_size: Shape) -> tuple[Field, bool]:
        """Output position p receives from every pooled window that contains it: pool
        output i covers inputs i s - pb + t d, t < K, the same relation as a transposed
        conv's, so each axis takes the transposed-window step with the pool's kernel,
        stride, padding and dilation. Which window wins depends on the pool's input there
        (the argmax), so the field is that of the values and of the pool's output, both
        taken through the step and merged. A position no window covers reads nothing (it
        is always 0)."""
        from ..receptive import merge_fields

        stepped = [tuple(f.through_transposed(k, s, p, d) for f, k, s, p, d in zip(
            field, self.kernel, self.stride, self.pad_before, self.dilation))
            for field in fields]
        return merge_fields(stepped, set(), input_size)

    def describe(self) -> str:
        return "x".join(str(k) for k in self.kernel) + " s" + "x".join(
            str(s) for s in self.stride)
