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

from .base import Args, Argument, Layer, ParamCount, Shape, need_spatial, numel, register

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
    """The rectified linear unit, max(x, 0): negatives become 0, the rest pass unchanged. No
    arguments, no weights."""

    kind = "relu"
    pytorch = "nn.ReLU()"
    keras = "layers.ReLU() (or activation='relu')"
    is_rectifier = True
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.maximum(x, 0, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return saved > 0


@register
class Relu6(Elementwise):
    """ReLU capped at 6, min(max(x, 0), 6), as MobileNet uses it; PyTorch's nn.ReLU6 is
    nn.Hardtanh(0, 6). No arguments, no weights."""

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
    """The logistic function 1 / (1 + exp(-x)), squashing every value into (0, 1). No
    arguments, no weights."""

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
    """The hyperbolic tangent tanh(x), squashing every value into (-1, 1). No arguments, no
    weights."""

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
    """The Gaussian error linear unit x Phi(x), Phi the standard normal CDF, computed
    exactly (not the tanh approximation), as PyTorch's default. No arguments, no weights."""

    kind = "gelu"
    pytorch = "nn.GELU()"
    keras = "layers.Activation('gelu') (keras.activations.gelu(approximate=False))"
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * normal_cdf(np, x)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return normal_cdf(np, saved) + saved * normal_pdf(np, saved)


@register
class Silu(Elementwise):
    """The sigmoid linear unit (swish) x sigmoid(x), smooth and dipping to about -0.28. No
    arguments, no weights."""

    kind = "silu"
    pytorch = "nn.SiLU()"
    keras = "layers.Activation('silu') (or 'swish')"
    aliases = ("swish",)
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * sigmoid(np, x)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        s = sigmoid(np, saved)
        return s * (1 + saved * (1 - s))


@register
class Hardswish(Elementwise):
    """The piecewise-linear swish of MobileNetV3, x min(max(x/6 + 1/2, 0), 1). No arguments,
    no weights."""

    kind = "hardswish"
    pytorch = "nn.Hardswish()"
    keras = "layers.Activation('hard_swish') (Keras 3)"
    aliases = ("hard_swish",)
    is_rectifier = True

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * np.clip(x / 6 + 0.5, 0, 1)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        x = saved  # PyTorch's slope: 0 below -3, x/3 + 1/2 up to 3 (inclusive), then 1
        return np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0)).astype(x.dtype)


@register
class Hardsigmoid(Elementwise):
    """The piecewise-linear sigmoid min(max(x/6 + 1/2, 0), 1), as PyTorch defines it (Keras
    2 used x/5). No arguments, no weights."""

    kind = "hardsigmoid"
    pytorch = "nn.Hardsigmoid()"
    keras = "layers.Activation('hard_sigmoid') (Keras 3: x/6 + 1/2)"
    aliases = ("hard_sigmoid",)
    is_non_negative = True
    derivative_reads = "output"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.clip(x / 6 + 0.5, 0, 1, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return ((saved > 0) & (saved < 1)) / 6


@register
class LeakyRelu(Elementwise):
    """ReLU with a small fixed slope for negatives: max(x, 0) + negative_slope min(x, 0).
    No weights."""

    kind = "leaky_relu"
    examples = (("", (3, 4)),)
    arguments = (Argument("negative_slope", "number", "0.01",
                          "the slope below 0; Keras' `negative_slope` (Keras 2 `alpha`, "
                          "default 0.3)"),)
    pytorch = "nn.LeakyReLU(negative_slope=0.01)"
    keras = "layers.LeakyReLU(negative_slope=0.01)"
    aliases = ("leakyrelu",)
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
    """The exponential linear unit: x for x > 0, else alpha (exp(x) - 1), saturating at
    -alpha. No weights."""

    kind = "elu"
    examples = (("", (3, 4)),)
    arguments = (Argument("alpha", "number", "1.0", "the negative saturation value is "
                                                     "-alpha"),)
    pytorch = "nn.ELU(alpha=1.0)"
    keras = "layers.ELU(alpha=1.0)"
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


# SELU's constants, as PyTorch writes them (Klambauer et al. 2017, eq. 14)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@register
class Selu(Elementwise):
    """Scaled ELU, self-normalising: scale x for x > 0, else scale alpha (exp(x) - 1), with
    PyTorch's fixed alpha 1.6733 and scale 1.0507. No arguments, no weights."""

    kind = "selu"
    is_rectifier = True  # bends the negative half towards -scale alpha (about -1.76)
    pytorch = "nn.SELU()"
    keras = "layers.Activation('selu')"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return (SELU_SCALE * np.where(saved > 0, 1.0, SELU_ALPHA * np.exp(
            np.minimum(saved, 0)))).astype(saved.dtype)


@register
class Celu(Elementwise):
    """Continuously differentiable ELU: x for x > 0, else alpha (exp(x / alpha) - 1), as
    PyTorch's nn.CELU. No weights; alpha 0 is refused (PyTorch refuses it too)."""

    kind = "celu"
    is_rectifier = True
    arguments = (Argument("alpha", "number, not 0", "1.0",
                          "the negative saturation value is -alpha"),)
    pytorch = "nn.CELU(alpha=1.0)"
    keras = "layers.Activation('celu') (alpha 1 only; Keras 3)"

    alpha: float = 1.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        alpha = args.number("alpha", 1.0, minimum=-1e9, maximum=1e9)
        if alpha == 0:  # PyTorch: "ZeroDivisionError: alpha cannot be 0 for CELU"
            raise args.fail("alpha", "'alpha' must not be 0 (CELU divides by it; PyTorch "
                                     "refuses it too); found 0")
        args.finish(())
        return cls(input_shape, alpha)

    def describe(self) -> str:
        return f"alpha {self.alpha:g}"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0) / self.alpha))

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return np.where(saved > 0, 1.0, np.exp(np.minimum(saved, 0) / self.alpha)).astype(
            saved.dtype)


@register
class Softplus(Elementwise):
    """A smooth ReLU: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold
    (PyTorch's nn.Softplus, for numerical stability). Always positive; no weights."""

    kind = "softplus"
    is_rectifier = True      # bends the negative half towards 0
    is_non_negative = True   # > 0 everywhere: beta > 0 and threshold >= 0 are required
    arguments = (Argument("beta", "number > 0", "1.0", "sharpness: log(1 + exp(beta x)) / "
                                                        "beta"),
                 Argument("threshold", "number >= 0", "20.0",
                          "above beta x > threshold the output is x itself"))
    pytorch = "nn.Softplus(beta=1.0, threshold=20.0)"
    keras = "layers.Activation('softplus') (beta 1, no threshold)"

    beta: float = 1.0
    threshold: float = 20.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        beta = args.number("beta", 1.0, maximum=1e9)
        if beta == 0:  # PyTorch divides by it: inf and NaN
            raise args.fail("beta", "'beta' must be a number > 0 (softplus divides by it); "
                                    "found 0")
        # PyTorch takes a negative threshold, but then returns x itself (negative) for
        # every x above it: no longer a softplus, and no longer non-negative
        threshold = args.number("threshold", 20.0, maximum=1e9)
        args.finish(())
        return cls(input_shape, beta, threshold)

    def describe(self) -> str:
        return f"beta {self.beta:g}, threshold {self.threshold:g}"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        scaled = x * self.beta
        return np.where(scaled > self.threshold, x, np.logaddexp(0, scaled) / self.beta
                        ).astype(x.dtype, copy=False)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        scaled = saved * self.beta
        return np.where(scaled > self.threshold, 1.0, sigmoid(np, scaled)).astype(
            saved.dtype, copy=False)


@register
class Mish(Elementwise):
    """x tanh(softplus(x)) (Misra 2019): smooth, non-monotonic, dipping to about -0.31 near
    x = -1.19. No arguments, no weights."""

    kind = "mish"
    is_rectifier = True
    pytorch = "nn.Mish()"
    keras = "layers.Activation('mish') (Keras 3)"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return x * np.tanh(np.logaddexp(0, x))

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        # d/dx = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x), as PyTorch
        t = np.tanh(np.logaddexp(0, saved))
        return t + saved * sigmoid(np, saved) * (1 - t * t)


@register
class Hardtanh(Elementwise):
    """Clip to [min_val, max_val] (default [-1, 1]); the slope is 1 strictly inside and 0
    outside. `relu6` is hardtanh with min_val 0 and max_val 6. No weights."""

    kind = "hardtanh"
    aliases = ("hard_tanh",)
    # clips the negative half at min_val; with the default -1 its output can be negative
    is_rectifier = True
    derivative_reads = "output"  # strictly inside the bounds iff the input was
    arguments = (Argument("min_val", "number", "-1.0", "the lower bound"),
                 Argument("max_val", "number > min_val", "1.0", "the upper bound"))
    pytorch = "nn.Hardtanh(min_val=-1.0, max_val=1.0)"
    keras = "layers.Activation('hard_tanh') (bounds -1 and 1 only; Keras 3)"

    min_val: float = -1.0
    max_val: float = 1.0

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        low = args.number("min_val", -1.0, minimum=-1e9, maximum=1e9)
        high = args.number("max_val", 1.0, minimum=-1e9, maximum=1e9)
        if high <= low:  # PyTorch: "max_val (..) must be greater than min_val (..)"
            raise args.fail("max_val", f"'max_val' must be greater than 'min_val' ({low:g}; "
                                       f"PyTorch refuses it too); found {high:g}")
        args.finish(())
        return cls(input_shape, low, high)

    def describe(self) -> str:
        return f"[{self.min_val:g}, {self.max_val:g}]"

    def forward(self, np: ModuleType, x: Array, out: Array | None = None) -> Array:
        return np.clip(x, self.min_val, self.max_val, out=out)

    def derivative(self, np: ModuleType, saved: Array) -> Array:
        return (saved > self.min_val) & (saved < self.max_val)


@register
class Prelu(Activation):
    """Leaky ReLU with learned slopes: x for x > 0, else a x, with one slope a for every
    channel (`num_parameters` = C) or one for all (1), as PyTorch's nn.PReLU; the slopes are
    trainable weights, initialised to `init`."""

    kind = "prelu"
    is_rectifier = True  # learned slopes: nothing guarantees non-negative outputs
    arguments = (Argument("num_parameters", "int: 1 or the channels", "1",
                          "how many slopes: one shared, or one per channel"),
                 Argument("init", "number", "0.25", "the slopes' initial value"))
    pytorch = "nn.PReLU(num_parameters=1, init=0.25)"
    keras = "layers.PReLU(shared_axes=[1, 2]) (one slope per channel; Keras' default " \
            "learns one per element)"

    num_parameters: int = 1
    init: float = 0.25

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        count = args.integer("num_parameters", 1)
        channels = input_shape[0]
        if count not in (1, channels):  # PyTorch: "Mismatch of parameter numbers and
            raise args.fail("num_parameters",  # input channel size"
                            f"'num_parameters' must be 1 or the input's channels "
                            f"({channels}), as PyTorch requires; found {count}")
        init = args.number("init", 0.25, minimum=-1e9, maximum=1e9)
        args.finish(())
        return cls(input_shape, count, init)

    def params(self) -> ParamCount:
        return ParamCount(self.num_parameters)

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.num_parameters,)}

    def describe(self) -> str:
        return "per channel" if self.num_parameters > 1 else ""


@register
class Softmax(Activation):
    """Softmax over one axis of the sample (0 = channels): exp(x - max) divided by its sum,
    a probability distribution along that axis. No weights."""

    kind = "softmax"
    examples = (("", (5,)), ("{axis: -1}", (3, 4, 4)))
    arguments = (Argument("axis", "int", "0", "the sample's axis it normalises over (0 = "
                                              "channels; alias `dim`, also without the batch: "
                                              "PyTorch's dim is axis + 1)"),)
    pytorch = "nn.Softmax(dim=1)"
    keras = "layers.Softmax(axis=-1) (channels-last: its axis -1 is the channels)"
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
class LogSoftmax(Softmax):
    """The log of softmax over one axis of the sample (0 = channels): x - max - log(sum(exp(
    x - max))), a log-distribution, as PyTorch's nn.LogSoftmax before nn.NLLLoss."""

    kind = "log_softmax"
    aliases = ("logsoftmax",)
    # Like softmax it normalises over an axis: the head, not a nonlinearity. Its values are
    # log-probabilities, all <= 0: not probabilities (makes_probabilities stays false, so
    # nothing treats them as values in [0, 1]) and not non-negative. It ends a classifier
    # as softmax does, so it has its own trait: the executor's loss takes the negative
    # log-likelihood of such a head where it takes the log of a softmax's output.
    is_non_negative = False
    makes_probabilities = False
    makes_log_probabilities = True
    arguments = (Argument("axis", "int", "0", "the sample's axis it normalises over (0 = "
                                              "channels; alias `dim`, also without the batch: "
                                              "PyTorch's dim is axis + 1)"),)
    pytorch = "nn.LogSoftmax(dim=1)"
    keras = "layers.Activation('log_softmax') (last axis)"
    # ops: as softmax's, 3 per element (exp, sum, subtract)


@register
class Dropout(Layer):
    """Zero each element with probability p in training and scale the rest by 1/(1-p);
    the identity at inference. Shape unchanged, no weights."""

    kind = "dropout"
    examples = (("", (3, 4, 4)),)
    arguments = (Argument("p", "number in [0, 1)", "0.5",
                          "the probability of dropping an element; Keras' `rate`"),)
    pytorch = "nn.Dropout(p=0.5)"
    keras = "layers.Dropout(rate=0.5)"
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



@register
class SpatialDropout(Dropout):
    """Zero whole channels in training: each sample's channel is dropped with probability p
    at every position at once, the kept ones scaled by 1/(1-p) (PyTorch's nn.Dropout2d,
    Keras' SpatialDropout2D); eval is the identity. Needs a spatial input [C, *S]."""

    kind = "spatial_dropout"
    aliases = ("dropout1d", "dropout2d", "dropout3d", "spatial_dropout1d",
               "spatial_dropout2d", "spatial_dropout3d")
    arguments = (Argument("p", "number in [0, 1)", "0.5",
                          "the probability of dropping a channel; Keras' `rate`"),)
    pytorch = "nn.Dropout2d(p=0.5) (nn.Dropout1d, nn.Dropout3d by the spatial axes)"
    keras = "layers.SpatialDropout2D(rate=0.5) (1D, 3D by the spatial axes)"

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        # a flat [C] would be (N, C), which PyTorch's Dropout1d reads as one unbatched
        # sample of C positions: refused, as Keras' SpatialDropout1D refuses it
        need_spatial(args, input_shape)
        return super().build(args, input_shape)
