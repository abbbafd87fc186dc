"""Reshaping and resampling: identity, flatten, zero padding, upsampling."""
from __future__ import annotations

import numpy as np

from .base import Array, Op, SeparableOp, register


@register("identity")
class IdentityOp(Op):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        return x

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy


@register("flatten")
class FlattenOp(Op):
    """(N, C, *S) -> (N, C * prod(S)), PyTorch's channel-major order."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy.reshape(self.shape)


@register("zeropad")
class ZeroPadOp(Op):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.region = (slice(None), slice(None), *(
            slice(b, b + n) for (b, _), n in zip(self.layer.padding, x.shape[2:])))
        y = np.zeros((x.shape[0], *self.layer.output_shape()), dtype=x.dtype)
        y[self.region] = x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return np.ascontiguousarray(dy[self.region])


@register("upsample")
class UpsampleOp(SeparableOp):
    """PyTorch's nn.Upsample as one (out, in) matrix per axis, built from the layer's
    sampling rule (`Upsample.sampling`, the one place it is written), in the run's precision.
    The matrices are built once per dtype: forward and backward only multiply."""

    def matrices(self, dtype: np.dtype) -> list[Array]:
        cached = getattr(self, "_maps", None)
        if cached is not None and cached[0].dtype == dtype:
            return cached
        precision = "float32" if np.dtype(dtype) == np.float32 else "float64"
        maps = []
        for axis, size in enumerate(self.layer.input_shape[1:]):
            rule = self.layer.sampling(axis)
            first, second, weight = (np.asarray(v) for v in rule.table(precision))
            m = np.zeros((rule.out, size))
            rows = np.arange(rule.out)
            np.add.at(m, (rows, first), 1 - weight)
            np.add.at(m, (rows, second), weight)
            maps.append(m.astype(dtype))
        self._maps = maps
        return maps
