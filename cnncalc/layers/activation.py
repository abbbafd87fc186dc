"""Elementwise activations and dropout: the output has the input's shape, no weights."""
from __future__ import annotations

from .base import Args, Layer, Shape, numel, register


class Activation(Layer):
    """An elementwise nonlinearity: [...] -> [...], one operation per element."""

    family = "activation"
    input_shape: Shape


def _simple(kind: str, *aliases: str) -> type[Activation]:
    cls = type(kind.title().replace("_", ""), (Activation,),
               {"kind": kind, "aliases": aliases, "__doc__": f"The {kind} activation."})
    return register(cls)  # no new fields: Activation's dataclass methods serve


for _kind, *_aliases in (("relu",), ("relu6",), ("sigmoid",), ("tanh",), ("gelu",),
                         ("silu", "swish"), ("hardswish", "hard_swish"),
                         ("hardsigmoid", "hard_sigmoid")):
    _simple(_kind, *_aliases)


@register
class LeakyRelu(Activation):
    """max(x, 0) + negative_slope * min(x, 0)."""

    kind = "leaky_relu"
    aliases = ("leakyrelu",)

    negative_slope: float = 0.01

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        slope = args.number("negative_slope", 0.01, minimum=-1e9, maximum=1e9)
        args.finish(())
        return cls(input_shape, slope)


@register
class Softmax(Activation):
    """Softmax over one axis of the sample (0 = channels): exp, sum and divide."""

    kind = "softmax"
    axis: int = 0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        axis = args.integer("axis", 0, minimum=-len(input_shape), aliases=("dim",))
        if axis >= len(input_shape):
            raise args.fail("axis", f"'axis' must be below {len(input_shape)} for input of "
                                    f"{len(input_shape)} axes; found {axis}")
        args.finish(())
        return cls(input_shape, axis % len(input_shape))

    def ops(self) -> int:
        return 3 * numel(self.input_shape)


@register
class Dropout(Layer):
    """Zero a fraction p of the elements in training (scaled by 1/(1-p)); shape unchanged."""

    kind = "dropout"
    aliases = ("dropout1d", "dropout2d", "dropout3d")
    family = "regularization"

    input_shape: Shape
    p: float = 0.5

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        p = args.number("p", 0.5, maximum=1.0, )
        if p >= 1.0:
            raise args.fail("p", f"'p' must be below 1 (1 drops everything); found {p}")
        args.finish(())
        return cls(input_shape, p)

    def ops(self) -> int:
        return 0  # free at inference

