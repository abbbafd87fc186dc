"""Activations, element by element, and softmax and dropout (as in `layers.activation`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ...layers import Layer
from .. import parallel
from ..special import normal_cdf, normal_pdf
from .base import Array, Op, register


class Elementwise(NamedTuple):
    """An activation: y = forward(x), and dy/dx from what it saves (its input or output)."""

    forward: Callable[[Array, Layer, Array | None], Array]   # (x, layer, out) -> y
    derivative: Callable[[Array, Layer], Array]              # (saved, layer) -> dy/dx
    saves: str                                               # "input" or "output"


def _sigmoid(x: Array, out: Array | None = None) -> Array:
    # 1/(1 + exp(-x)) overflows for very negative x in float32; exp(-|x|) never does
    z = np.exp(-np.abs(x))
    return np.divide(np.where(x >= 0, 1.0, z), 1.0 + z, out=out)


def _hardswish_slope(x: Array, layer: Layer) -> Array:
    return np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0)).astype(x.dtype)


def _gelu_slope(x: Array, layer: Layer) -> Array:
    return normal_cdf(x) + x * normal_pdf(x)


def _silu_slope(x: Array, layer: Layer) -> Array:
    s = _sigmoid(x)
    return s * (1 + x * (1 - s))


ACTIVATIONS: dict[str, Elementwise] = {
    "relu": Elementwise(lambda x, _, out: np.maximum(x, 0, out=out),
                        lambda y, _: y > 0, "output"),
    "relu6": Elementwise(lambda x, _, out: np.clip(x, 0, 6, out=out),
                         lambda y, _: (y > 0) & (y < 6), "output"),
    "sigmoid": Elementwise(lambda x, _, out: _sigmoid(x, out),
                           lambda y, _: y * (1 - y), "output"),
    "tanh": Elementwise(lambda x, _, out: np.tanh(x, out=out),
                        lambda y, _: 1 - y * y, "output"),
    "hardsigmoid": Elementwise(lambda x, _, out: np.clip(x / 6 + 0.5, 0, 1, out=out),
                               lambda y, _: ((y > 0) & (y < 1)) / 6, "output"),
    "hardswish": Elementwise(lambda x, _, out: x * np.clip(x / 6 + 0.5, 0, 1),
                             _hardswish_slope, "input"),
    "gelu": Elementwise(lambda x, _, out: x * normal_cdf(x), _gelu_slope, "input"),
    "silu": Elementwise(lambda x, _, out: x * _sigmoid(x), _silu_slope, "input"),
    "leaky_relu": Elementwise(
        lambda x, layer, out: np.where(x > 0, x, x * layer.negative_slope),
        lambda x, layer: np.where(x > 0, 1.0, layer.negative_slope).astype(x.dtype),
        "input"),
}


@register(*ACTIVATIONS)
class ActivationOp(Op):
    """y = f(x) element by element; dx = dy f'(x), f' read from the saved input or output.
    Activations that save their output may write it over their input."""

    def __init__(self, layer: Layer):
        super().__init__(layer)
        self.fn = ACTIVATIONS[layer.kind]

    @property
    def keeps_output(self) -> bool:  # type: ignore[override]
        return self.fn.saves == "output"

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        if self.fn.saves == "input":  # these build their result from temporaries
            self.saved = x
            return self.fn.forward(x, self.layer, None)
        y = x if inplace else np.empty_like(x)

        def channels(start: int, stop: int) -> None:
            self.fn.forward(x[:, start:stop], self.layer, y[:, start:stop])

        parallel.split(channels, x.shape[1], x.size)
        self.saved = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        saved, self.saved = self.saved, None
        dx = dy if inplace else np.empty_like(dy)

        def channels(start: int, stop: int) -> None:
            slope = self.fn.derivative(saved[:, start:stop], self.layer)
            np.multiply(dy[:, start:stop], slope, out=dx[:, start:stop], dtype=dy.dtype)

        parallel.split(channels, dy.shape[1], dy.size)
        return dx


@register("softmax")
class SoftmaxOp(Op):
    """exp(x - max) / sum over one axis of the sample; dx = y (dy - sum(dy y))."""

    keeps_output = True

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        axis = 1 + self.layer.axis
        y = np.exp(x - x.max(axis=axis, keepdims=True))
        y /= y.sum(axis=axis, keepdims=True)
        self.y = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        y, self.y = self.y, None
        return y * (dy - np.sum(dy * y, axis=1 + self.layer.axis, keepdims=True))


@register("dropout")
class DropoutOp(Op):
    """Training: zero each element with probability p, scale the rest by 1/(1 - p). The mask
    comes from a generator seeded per op, so repeated forwards (the gradient check) agree.
    Eval, or p = 0: the identity."""

    seed = 0

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        p = self.layer.p
        if not train or p == 0:
            self.mask = None
            return x
        keep = np.random.default_rng(self.seed).random(x.shape) >= p
        self.mask = (keep / (1 - p)).astype(x.dtype)
        return x * self.mask

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy if self.mask is None else dy * self.mask
