"""Padding (zeros, or real pixels: reflect, replicate, circular) and Keras' cropping.

Padding is given per spatial axis in the input's axis order ([[before, after] per axis], as
for zeropad), not in torch.nn.functional.pad's last-axis-first order. Receptive field:
as in Distill, padding counts like pixels, so a padding layer shifts the field by the
padding before, whatever pixels it copies there (reflect, replicate and circular padding
read real pixels near the edge: the figures are those of the padded coordinates).
"""
from __future__ import annotations

from typing import Any, ClassVar

from ..errors import SpecError, show
from ..geometry import pad_refusal
from ..limits import MAX_AXIS
from ..receptive import Field
from .base import (
    Args,
    Argument,
    Layer,
    Shape,
    check_output,
    need_spatial,
    parse_padding,
    register,
)


def _pairs_text(pairs: tuple[tuple[int, int], ...]) -> str:
    """'1' when every side is 1, else per axis '1' (symmetric) or '1/0' (before/after)."""
    if len(set(pairs)) == 1 and pairs[0][0] == pairs[0][1]:
        return str(pairs[0][0])
    return ",".join(f"{b}/{a}" if b != a else str(b) for b, a in pairs)


class ModePad(Layer):
    """Pads each spatial axis with zeros or pixels copied from the input (`mode`):
    N -> N + before + after."""

    family = "reshape"
    keeps_sign = True
    mode: ClassVar[str] = ""

    input_shape: Shape
    padding: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        padding = parse_padding(args.raw("padding"), ndim,
                                lambda msg: args.fail("padding", msg))
        for axis, (n, (before, after)) in enumerate(zip(input_shape[1:], padding)):
            why = pad_refusal(n, before, after, cls.mode)
            if why:
                raise args.fail("padding", f"{why} (spatial axis {axis + 1}; PyTorch "
                                           f"refuses it too)")
        args.finish(())
        return cls(input_shape, padding)

    def output_shape(self) -> Shape:
        return (self.input_shape[0],
                *(n + b + a for n, (b, a) in zip(self.input_shape[1:], self.padding)))

    def ops(self) -> int:
        return 0  # copies only

    def receptive_field(self, field: Field) -> Field:
        # padded coordinates (Distill): output i reads padded position i - before
        return tuple(f.through_window(1, 1, b) for f, (b, _) in zip(field, self.padding))

    def describe(self) -> str:
        return "p" + _pairs_text(self.padding)


@register
class ZeroPad(ModePad):
    """Pads zeros around each spatial axis: N -> N + before + after."""

    kind = "zeropad"
    aliases = ("zero_padding", "pad", "zeropad2d")
    examples = (("{padding: [[1, 2], [0, 3]]}", (2, 4, 4)),)
    mode = "zeros"
    arguments = (
        Argument("padding", "int, list per axis or [before, after] per axis", "required",
                 "zeros added at each end of each spatial axis, first axis first (PyTorch's "
                 "ZeroPad2d takes left, right, top, bottom)"),
    )
    pytorch = "nn.ZeroPad2d(padding)"
    keras = "layers.ZeroPadding2D(padding)"


_PAD_ARGUMENTS = (
    Argument("padding", "int, list per axis or [before, after] pairs per axis", "required",
             "pixels added before and after each spatial axis (input axis order, not "
             "F.pad's last-axis-first)"),
)


@register
class ReflectionPad(ModePad):
    """Pads each spatial axis with its mirror image about the edge pixel (which is not
    repeated): ...2 1 | 0 1 2 ... Each side's padding must be smaller than the axis."""

    kind = "reflection_pad"
    examples = (("{padding: 1}", (2, 5, 5)),)
    aliases = ("reflection_pad1d", "reflection_pad2d", "reflection_pad3d", "reflect_pad")
    mode = "reflect"
    arguments = _PAD_ARGUMENTS
    pytorch = "nn.ReflectionPad2d(padding)"
    keras = ""


@register
class ReplicationPad(ModePad):
    """Pads each spatial axis by repeating its edge pixel: 0 0 | 0 1 2 ... N-1 | N-1."""

    kind = "replication_pad"
    examples = (("{padding: 1}", (2, 5, 5)),)
    aliases = ("replication_pad1d", "replication_pad2d", "replication_pad3d",
               "replicate_pad")
    mode = "replicate"
    arguments = _PAD_ARGUMENTS
    pytorch = "nn.ReplicationPad2d(padding)"
    keras = ""


@register
class CircularPad(ModePad):
    """Pads each spatial axis by wrapping it around: N-1 | 0 1 ... N-1 | 0. Each side's
    padding must be at most the axis' size."""

    kind = "circular_pad"
    examples = (("{padding: 1}", (2, 5, 5)),)
    aliases = ("circular_pad1d", "circular_pad2d", "circular_pad3d")
    mode = "circular"
    arguments = _PAD_ARGUMENTS
    pytorch = "nn.CircularPad2d(padding)"
    keras = ""


def _cropping(args: Args, ndim: int) -> tuple[tuple[int, int], ...]:
    """Keras' cropping: an int (every side), one int per axis, or [before, after] pairs."""
    value: Any = args.raw("cropping")

    def fail(_: str) -> SpecError:
        return args.fail("cropping", f"'cropping' must be an integer >= 0, a list of {ndim} "
                                     f"(one per axis) or of {ndim} [before, after] pairs; "
                                     f"found {show(value)}")
    if isinstance(value, list) and ndim == 1 and len(value) == 2 and \
            all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        value = [value]  # Keras' Cropping1D((before, after))
    pairs = parse_padding(value, ndim, fail)
    if any(b > MAX_AXIS or a > MAX_AXIS for b, a in pairs):
        raise fail("")
    return pairs


@register
class Cropping(Layer):
    """Keras' cropping: removes pixels from both ends of each spatial axis, N -> N - before
    - after, e.g. U-Net's cropped skip connections."""

    kind = "cropping"
    examples = (("{cropping: [[1, 0], 2]}", (2, 8, 8)),)
    aliases = ("cropping1d", "cropping2d", "cropping3d", "crop")
    family = "reshape"
    keeps_sign = True
    arguments = (
        Argument("cropping", "int, list per axis or [before, after] pairs per axis",
                 "required", "pixels removed from the start and end of each spatial axis "
                 "(Cropping1D's (before, after) is one pair)"),
    )
    pytorch = "x[..., top:H - bottom, left:W - right] (slicing)"
    keras = "layers.Cropping2D(cropping)"

    input_shape: Shape
    cropping: tuple[tuple[int, int], ...]

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        ndim = need_spatial(args, input_shape)
        cropping = _cropping(args, ndim)
        args.finish(())
        return check_output(args, cls(input_shape, cropping))

    def output_shape(self) -> Shape:
        return (self.input_shape[0],
                *(n - b - a for n, (b, a) in zip(self.input_shape[1:], self.cropping)))

    def ops(self) -> int:
        return 0

    def receptive_field(self, field: Field) -> Field:
        # output i is input pixel i + before: the field starts `before` pixels later
        return tuple(f.through_window(1, 1, -b) for f, (b, _) in zip(field, self.cropping))

    def describe(self) -> str:
        return "c" + _pairs_text(self.cropping)


__all__ = ["CircularPad", "Cropping", "ModePad", "ReflectionPad", "ReplicationPad"]
