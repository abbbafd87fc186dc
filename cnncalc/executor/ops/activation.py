"""Activations, element by element, softmax, log-softmax, PReLU and dropout (as in
`layers.activation`).

The elementwise math lives in each activation's layer class (`forward`, `derivative`); the
op here runs any layer that declares it, whatever its kind.
"""
from __future__ import annotations

import numpy as np

from ...layers.activation import Dropout, Elementwise, LogSoftmax, Prelu, Softmax
from .. import parallel
from .base import Array, Op, register, register_trait


@register_trait("elementwise")
class ActivationOp(Op[Elementwise]):
    """y = f(x) element by element; dx = dy f'(x), f' read from the saved input or output
    (the layer's `derivative_reads`). Activations that save their output may write it over
    their input."""

    def __init__(self, layer: Elementwise):
        super().__init__(layer)
        self.reads_output = layer.derivative_reads == "output"

    @property
    def keeps_output(self) -> bool:
        return self.reads_output

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        layer = self.layer
        if not self.reads_output:  # these build their result from temporaries
            self.saved = x
            return layer.forward(np, x)
        y = x if inplace else np.empty_like(x)

        def channels(start: int, stop: int) -> None:
            layer.forward(np, x[:, start:stop], y[:, start:stop])

        parallel.split(channels, x.shape[1], x.size)
        self.saved = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        saved = self.saved
        del self.saved  # backward is its only reader: freed with this step
        dx = dy if inplace else np.empty_like(dy)

        def channels(start: int, stop: int) -> None:
            slope = self.layer.derivative(np, saved[:, start:stop])
            np.multiply(dy[:, start:stop], slope, out=dx[:, start:stop], dtype=dy.dtype)

        parallel.split(channels, dy.shape[1], dy.size)
        return dx


@register("softmax")
class SoftmaxOp(Op[Softmax]):
    """exp(x - max) / sum over one axis of the sample; dx = y (dy - sum(dy y))."""

    keeps_output = True

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        axis = 1 + self.layer.axis
        y = np.exp(x - x.max(axis=axis, keepdims=True))
        y /= y.sum(axis=axis, keepdims=True)
        self.y = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        y = self.y
        del self.y  # backward is its only reader: freed with this step
        return y * (dy - np.sum(dy * y, axis=1 + self.layer.axis, keepdims=True))


@register("dropout")
class DropoutOp(Op[Dropout]):
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


@register("log_softmax")
class LogSoftmaxOp(Op[LogSoftmax]):
    """y = x - max - log(sum(exp(x - max))) over one axis of the sample;
    dx = dy - exp(y) sum(dy)."""

    keeps_output = True

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        axis = 1 + self.layer.axis
        shifted = x - x.max(axis=axis, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.y = shifted
        return shifted

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        y = self.y
        del self.y  # backward is its only reader: freed with this step
        return dy - np.exp(y) * np.sum(dy, axis=1 + self.layer.axis, keepdims=True)


@register("prelu")
class PreluOp(Op[Prelu]):
    """y = x where x > 0, else a x, a per channel (or one for all); dx = dy (1 or a),
    da = the sum of dy x over the batch and positions where x <= 0 (per channel)."""

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        return np.full(shape, self.layer.init, dtype)

    def slopes(self, ndim: int) -> Array:
        weight = self.params["weight"]
        return weight.reshape((1, -1) + (1,) * (ndim - 2)) if weight.size > 1 else weight

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        return np.where(x > 0, x, x * self.slopes(x.ndim))

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x = self.x
        del self.x  # backward is its only reader: freed with this step
        positive = x > 0
        weight = self.params["weight"]
        negative_part = np.where(positive, 0, dy * x)
        if weight.size > 1:
            axes = (0, *range(2, x.ndim))
            self.grads = {"weight": negative_part.sum(axis=axes).astype(weight.dtype)}
        else:
            self.grads = {"weight": np.array([negative_part.sum()], dtype=weight.dtype)}
        return np.where(positive, dy, dy * self.slopes(dy.ndim))


@register("spatial_dropout")
class SpatialDropoutOp(DropoutOp):
    """Training: each sample's channel is kept with probability 1 - p, the same at every
    position, and scaled by 1/(1 - p) (PyTorch's Dropout2d); eval, or p = 0: the identity.
    Seeded per op as dropout is."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        p = self.layer.p
        if not train or p == 0:
            self.mask = None
            return x
        keep = np.random.default_rng(self.seed).random(x.shape[:2]) >= p
        self.mask = (keep / (1 - p)).astype(x.dtype).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
        return x * self.mask
