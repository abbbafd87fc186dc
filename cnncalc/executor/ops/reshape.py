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
    """PyTorch's nn.Upsample: nearest takes floor(dst * scale), linear modes interpolate
    between two taps per axis (align_corners or half-pixel centers); scale is 1/scale_factor
    when one was given, else in/out."""

    def matrices(self, dtype: np.dtype) -> list[Array]:
        layer = self.layer
        maps = []
        for axis, (size, out) in enumerate(zip(layer.input_shape[1:], layer.size)):
            given = layer.scale[axis] if layer.scale else None
            m = np.zeros((out, size))
            dst = np.arange(out)
            if layer.mode == "nearest":
                if out == size:
                    src = dst
                elif out == 2 * size:
                    src = dst // 2
                else:  # PyTorch computes this scale in float32
                    scale = np.float32(1.0 / given) if given else np.float32(size) / np.float32(
                        out)
                    src = np.minimum(np.floor(dst.astype(np.float32) * scale).astype(int),
                                     size - 1)
                m[dst, src] = 1.0
            else:
                if layer.align_corners:
                    scale = (size - 1) / (out - 1) if out > 1 else 0.0
                    src = dst * scale
                else:
                    scale = 1.0 / given if given else size / out
                    src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
                low = np.floor(src).astype(int)
                high = np.minimum(low + 1, size - 1)
                frac = src - low
                np.add.at(m, (dst, low), 1 - frac)
                np.add.at(m, (dst, high), frac)
            maps.append(m.astype(dtype))
        return maps
