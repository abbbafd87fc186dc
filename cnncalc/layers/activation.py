"""Elementwise activations and dropout: the output has the input's shape, no weights.

An elementwise activation carries its own math (`Elementwise`): `forward(np, x)` and
`derivative(np, saved)`, with NumPy passed in so that the calculator never imports it. The
executor runs any layer that declares them; a new activation is one class here (and one row
in tests/activation_table.py, its PyTorch reference).
"""
from __future__ import annotations

import math
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from .base import Args, Argument, Layer, Shape, numel, register

if TYPE_CHECKING:
    from numpy import ndarray as Array


class Activation(Layer):
    """An elementwise nonlinearity: [...] -> [...], one operation per element."""

    family = "activation"
    is_activation = True
    input_shape: Shape


class Elementwise(Activation):
    """An activation with its math: y = forward(np, x) and dy/dx = derivative(np, saved).

    Arrays are any shape (the executor passes (N, C, *S) slices) in a float dtype, and the
    results keep it. `derivative_reads` says what `saved` is: "input" (x) or "output" (y);
    an activation whose derivative reads its output may write y over x, and `forward` is
    then given `out` (x itself or a new array) to write into. A derivative may be boolean
    (a mask): the executor multiplies it into dy in dy's dtype.
    """

    elementwise: ClassVar[bool] = True   # the executor's trait: run by `forward`/`derivative`
    derivative_reads: ClassVar[str] = "input"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        raise NotImplementedError(f"{self.kind} declares no forward")

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        raise NotImplementedError(f"{self.kind} declares no derivative")


def sigmoid(np: ModuleType, x: Array, out: Array | None = None) -> Array:
    """1/(1 + exp(-x)), which overflows for very negative x in float32; exp(-|x|) never does."""
    z = np.exp(-np.abs(x))
    return np.divide(np.where(x >= 0, 1.0, z), 1.0 + z, out=out)


# The normal distribution's CDF for exact GELU, accurate to ~1e-10 relative (~1e-15 where
# |x| < 4). NumPy has no erf, and a short rational approximation (1e-7) would fail the 1e-6
# gradient check and the 1e-5 comparison with PyTorch. Two classical expansions cover the line:
#     erf(z)  = 2/sqrt(pi) exp(-z^2) sum_n (2z^2)^n z / (1*3*...*(2n+1))     |z| < 3
#     erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))  z >= 3
# The series has only positive terms (no cancellation); the continued fraction keeps the
# relative accuracy of the tiny tail that GELU multiplies by large negative inputs.
_SERIES_TERMS = 60
_FRACTION_DEPTH = 60
_SWITCH = 3.0


def _erf_series(np: ModuleType, z: Array) -> Array:
    z2 = z * z
    term = z.copy()
    total = z.copy()
    for n in range(1, _SERIES_TERMS):
        term *= 2 * z2 / (2 * n + 1)
        total += term
    return 2 / math.sqrt(math.pi) * np.exp(-z2) * total


def _erfc_fraction(np: ModuleType, z: Array) -> Array:
    """erfc for z >= 3, evaluated from the bottom of the fraction up."""
    t = z.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        t = z + (k / 2) / t
    return np.exp(-z * z) / math.sqrt(math.pi) / t


def erfc(np: ModuleType, z: Array) -> Array:
    """Complementary error function, elementwise, in float64."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    small = np.abs(z) < _SWITCH
    out[small] = 1.0 - _erf_series(np, z[small])
    high = z >= _SWITCH
    out[high] = _erfc_fraction(np, z[high])
    low = z <= -_SWITCH
    out[low] = 2.0 - _erfc_fraction(np, -z[low])
    return out


def normal_cdf(np: ModuleType, x: Array) -> Array:
    """Phi(x) = erfc(-x / sqrt(2)) / 2, in x's dtype."""
    return (0.5 * erfc(np, -np.asarray(x, dtype=np.float64) / math.sqrt(2))).astype(
        np.asarray(x).dtype, copy=False)


def normal_pdf(np: ModuleType, x: Array) -> Array:
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi), in x's dtype."""
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


# rectifiers clip or bend the negative half; the non-negative never give a value below 0

@register
class Relu(Elementwise):
    """Rectified linear unit: max(x, 0), elementwise."""

    kind = "relu"
    pytorch = "nn.ReLU()"
    keras = "layers.ReLU()"
    is_rectifier = True
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.maximum(x, 0, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return saved > 0


@register
class Relu6(Elementwise):
    """ReLU capped at 6: min(max(x, 0), 6), elementwise."""

    kind = "relu6"
    pytorch = "nn.ReLU6()"
    keras = "layers.ReLU(max_value=6)"
    is_rectifier = True
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.clip(x, 0, 6, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return (saved > 0) & (saved < 6)


@register
class Sigmoid(Elementwise):
    """Logistic sigmoid: 1 / (1 + exp(-x)), elementwise."""

    kind = "sigmoid"
    pytorch = "nn.Sigmoid()"
    keras = "layers.Activation('sigmoid')"
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return sigmoid(np, x, out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return saved * (1 - saved)


@register
class Tanh(Elementwise):
    """Hyperbolic tangent: tanh(x), elementwise."""

    kind = "tanh"
    pytorch = "nn.Tanh()"
    keras = "layers.Activation('tanh')"
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.tanh(x, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return 1 - saved * saved


@register
class Gelu(Elementwise):
    """Gaussian error linear unit: x Phi(x), Phi the standard normal CDF (exact, not the tanh
    approximation)."""

    kind = "gelu"
    pytorch = "nn.GELU()"
    keras = "layers.Activation('gelu')"
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * normal_cdf(np, x)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return normal_cdf(np, saved) + saved * normal_pdf(np, saved)


@register
class Silu(Elementwise):
    """Sigmoid linear unit (swish): x sigmoid(x), elementwise."""

    kind = "silu"
    aliases = ("swish",)
    pytorch = "nn.SiLU()"
    keras = "layers.Activation('swish')"
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * sigmoid(np, x)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        s = sigmoid(np, saved)
        return s * (1 + saved * (1 - s))


@register
class Hardswish(Elementwise):
    """Hard swish (MobileNetV3): x min(max(x/6 + 1/2, 0), 1), elementwise."""

    kind = "hardswish"
    aliases = ("hard_swish",)
    pytorch = "nn.Hardswish()"
    keras = "layers.Activation('hard_swish') (Keras 3)"
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * np.clip(x / 6 + 0.5, 0, 1)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        x = saved  # PyTorch's slope: 0 below -3, x/3 + 1/2 up to 3 (inclusive), then 1
        return np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0)).astype(x.dtype)


@register
class Hardsigmoid(Elementwise):
    """Hard sigmoid (MobileNetV3): min(max(x/6 + 1/2, 0), 1), elementwise."""

    kind = "hardsigmoid"
    aliases = ("hard_sigmoid",)
    pytorch = "nn.Hardsigmoid()"
    keras = "layers.Activation('hard_sigmoid') (Keras 3; Keras 2's was 0.2x + 0.5)"
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.clip(x / 6 + 0.5, 0, 1, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return ((saved > 0) & (saved < 1)) / 6


@register
class LeakyRelu(Elementwise):
    """Leaky ReLU: max(x, 0) + negative_slope * min(x, 0), elementwise."""

    kind = "leaky_relu"
    aliases = ("leakyrelu",)
    arguments = (
        Argument("negative_slope", "number", "0.01",
                 "the slope for x < 0 (PyTorch's default; Keras' is 0.3)"),
    )
    pytorch = "nn.LeakyReLU(negative_slope=0.01)"
    keras = "layers.LeakyReLU(negative_slope=0.01) (Keras 3; Keras 2: alpha)"
    examples = (("", (3, 4)),)
    is_rectifier = True

    negative_slope: float = 0.01

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        slope = args.number("negative_slope", 0.01, minimum=-1e9, maximum=1e9)
        args.finish(())
        return cls(input_shape, slope)

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.where(x > 0, x, x * self.negative_slope)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return np.where(saved > 0, 1.0, self.negative_slope).astype(saved.dtype)


@register
class Elu(Elementwise):
    """Exponential linear unit: x for x > 0, else alpha (exp(x) - 1), elementwise."""

    kind = "elu"
    arguments = (
        Argument("alpha", "number", "1.0", "the value approached as x -> -inf is -alpha"),
    )
    pytorch = "nn.ELU(alpha=1.0)"
    keras = "layers.ELU(alpha=1.0)"
    examples = (("", (3, 4)),)
    is_rectifier = True

    alpha: float = 1.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        alpha = args.number("alpha", 1.0, minimum=-1e9, maximum=1e9)
        args.finish(())
        return cls(input_shape, alpha)

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return np.where(saved > 0, 1.0, self.alpha * np.exp(np.minimum(saved, 0))).astype(
            saved.dtype)


@register
class Softmax(Activation):
    """Softmax over one axis of the sample (0 = channels): exp, sum and divide, so the values
    along that axis are positive and sum to 1."""

    kind = "softmax"
    arguments = (
        Argument("axis", "int", "0",
                 "the axis of the sample, without the batch: 0 is the channels, -1 the last "
                 "(also dim, counted the same way: PyTorch's dim is this + 1)"),
    )
    pytorch = "nn.Softmax(dim=1)"
    keras = "layers.Softmax(axis=-1) (channels last)"
    examples = (("", (5,)), ("{axis: -1}", (3, 4, 4)))
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
    """Zero a fraction p of the elements in training (the rest scaled by 1/(1-p)); the
    identity at inference. The shape is unchanged."""

    kind = "dropout"
    aliases = ("dropout1d", "dropout2d", "dropout3d")
    arguments = (
        Argument("p", "number", "0.5",
                 "the fraction zeroed, from 0 up to (not including) 1 (Keras' rate)"),
    )
    pytorch = "nn.Dropout(p=0.5)"
    keras = "layers.Dropout(rate=0.5)"
    examples = (("", (3, 4, 4)),)
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

