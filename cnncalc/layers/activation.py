"""Elementwise activations and dropout: the output has the input's shape, no weights."""
from __future__ import annotations

from .base import Args, Layer, Shape, numel, register


class Activation(Layer):
    """An elementwise nonlinearity: [...] -> [...], one operation per element."""

    family = "activation"
    is_activation = True
    input_shape: Shape


def _simple(kind: str, *aliases: str, **traits: bool) -> type[Activation]:
    cls = type(kind.title().replace("_", ""), (Activation,),
               {"kind": kind, "aliases": aliases, "__doc__": f"The {kind} activation.",
                **traits})
    return register(cls)  # no new fields: Activation's dataclass methods serve


# rectifiers clip or bend the negative half; the non-negative never give a value below 0
_RECTIFIER = {"is_rectifier": True}
for _kind, _aliases, _traits in (
        ("relu", (), {**_RECTIFIER, "is_non_negative": True}),
        ("relu6", (), {**_RECTIFIER, "is_non_negative": True}),
        ("sigmoid", (), {"is_non_negative": True}),
        ("tanh", (), {}),
        ("gelu", (), _RECTIFIER),
        ("silu", ("swish",), _RECTIFIER),
        ("hardswish", ("hard_swish",), _RECTIFIER),
        ("hardsigmoid", ("hard_sigmoid",), {"is_non_negative": True})):
    _simple(_kind, *_aliases, **_traits)


@register
class LeakyRelu(Activation):
    """max(x, 0) + negative_slope * min(x, 0)."""

    kind = "leaky_relu"
    aliases = ("leakyrelu",)
    is_rectifier = True

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
    is_activation = False  # it normalises over an axis: the head, not a nonlinearity
    is_non_negative = True
    makes_probabilities = True
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
    drops_in_training = True
    keeps_sign = True

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

