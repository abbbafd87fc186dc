"""The fully connected layer."""
from __future__ import annotations

import numpy as np

from ...layers.dense import Dense
from .base import Array, Op, he_normal, register


@register("dense")
class DenseOp(Op[Dense]):
    """y = x W^T + b on the last axis: (..., F) -> (..., units)."""

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":
            return he_normal(shape, shape[1], rng, dtype)
        return np.zeros(shape, dtype)

    # The products are written W x^T and x^T dy: with a large weight, numpy's x W^T and
    # dy^T x leave OpenBLAS's fast path (several times slower, measured on VGG-16's fc6).
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        rows = x.reshape(-1, x.shape[-1])
        y = np.ascontiguousarray((self.params["weight"] @ rows.T).T)
        if "bias" in self.params:
            y += self.params["bias"]
        return y.reshape(*x.shape[:-1], -1)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x = self.x
        del self.x  # its only reader: free the input with this step
        dy2 = dy.reshape(-1, dy.shape[-1])
        self.grads["weight"] = (x.reshape(-1, x.shape[-1]).T @ dy2).T
        if "bias" in self.params:
            self.grads["bias"] = dy2.sum(axis=0)
        return dy @ self.params["weight"]
