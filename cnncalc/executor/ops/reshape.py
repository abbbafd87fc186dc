"""Reshaping and resampling: identity, flatten, reshape, permute, zero padding, upsampling,
pixel shuffle and unshuffle."""
from __future__ import annotations

import numpy as np

from ...layers.pad import ZeroPad
from ...layers.reshape import Flatten, Identity, Permute, Reshape, Upsample
from ...layers.shuffle import MaxUnpool, PixelShuffle, PixelUnshuffle
from .base import AnyOp, Array, MergeOp, Op, SeparableOp, register
from .pool import MaxPoolOp


@register("identity")
class IdentityOp(Op[Identity]):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        return x

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy


@register("flatten", "reshape")
class FlattenOp(Op[Flatten | Reshape]):
    """Flatten and reshape: (N, C, *S) -> (N, *output shape) in PyTorch's row-major order
    (a view where NumPy can give one); backward reshapes back."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        return x.reshape(x.shape[0], *self.layer.output_shape())

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy.reshape(self.shape)


@register("permute")
class PermuteOp(Op[Permute]):
    """Axes reordered after the batch; backward applies the inverse permutation."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        dims = self.layer.dims
        return np.ascontiguousarray(x.transpose(0, *(d + 1 for d in dims)))

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        inverse = np.argsort(self.layer.dims)
        return np.ascontiguousarray(dy.transpose(0, *(int(d) + 1 for d in inverse)))


@register("zeropad")
class ZeroPadOp(Op[ZeroPad]):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.region = (slice(None), slice(None), *(
            slice(b, b + n) for (b, _), n in zip(self.layer.padding, x.shape[2:])))
        y = np.zeros((x.shape[0], *self.layer.output_shape()), dtype=x.dtype)
        y[self.region] = x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return np.ascontiguousarray(dy[self.region])


@register("upsample")
class UpsampleOp(SeparableOp[Upsample]):
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
            m = np.zeros((rule.out, size))
            for j, taps in enumerate(rule.taps(precision)):
                for index, weight in taps:
                    m[j, index] += weight
            maps.append(m.astype(dtype))
        self._maps = maps
        return maps


@register("pixel_shuffle")
class PixelShuffleOp(Op[PixelShuffle]):
    """(N, C r², H, W) -> (N, C, H r, W r), PyTorch's channel order; backward is the
    inverse rearrangement."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        n, c, h, w = x.shape
        r = self.layer.factor
        y = x.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
        return np.ascontiguousarray(y).reshape(n, c // (r * r), h * r, w * r)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c, h, w = dy.shape
        r = self.layer.factor
        dx = dy.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4)
        return np.ascontiguousarray(dx).reshape(n, c * r * r, h // r, w // r)


@register("pixel_unshuffle")
class PixelUnshuffleOp(Op[PixelUnshuffle]):
    """(N, C, H r, W r) -> (N, C r², H, W), the inverse of pixel shuffle."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        n, c, h, w = x.shape
        r = self.layer.factor
        y = x.reshape(n, c, h // r, r, w // r, r).transpose(0, 1, 3, 5, 2, 4)
        return np.ascontiguousarray(y).reshape(n, c * r * r, h // r, w // r)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c, h, w = dy.shape
        r = self.layer.factor
        dx = dy.reshape(n, c // (r * r), r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
        return np.ascontiguousarray(dx).reshape(n, c // (r * r), h * r, w * r)


@register("maxunpool")
class MaxUnpoolOp(MergeOp[MaxUnpool]):
    """Reads [values, the pool's output]; the places come from the pool's op (`link`), whose
    argmax is flat per channel plane. Where windows overlap, two values may be sent to one
    place: the later one stays, as in PyTorch's CPU loop. Backward is the adjoint of that:
    each value gets the gradient of the place it kept (PyTorch's backward gathers at every
    index, so it differs only for an overwritten value); the pool's output gets none."""

    def link(self, sources: list[AnyOp | None]) -> None:
        """The ops of the values this one reads: the second is the max pool (which build
        made sure of: 'indices' must name a maxpool)."""
        pool = sources[1]
        assert isinstance(pool, MaxPoolOp), "maxunpool reads a maxpool's argmax"
        self.pool = pool

    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        values = xs[0]
        n, c = values.shape[:2]
        self.index = self.pool.argmax().reshape(n, c, -1)
        plane = int(np.prod(self.layer.output_shape()[1:]))
        y = np.zeros((n, c, plane), values.dtype)
        np.put_along_axis(y, self.index, values.reshape(n, c, -1), axis=2)
        # which value each place kept: the last one sent there
        order = np.broadcast_to(np.arange(self.index.shape[2]), self.index.shape)
        owner = np.full((n, c, plane), -1, np.int64)
        np.put_along_axis(owner, self.index, order, axis=2)
        self.kept = np.take_along_axis(owner, self.index, axis=2) == order
        self.shapes = (values.shape, xs[1].shape)
        return y.reshape(n, c, *self.layer.output_shape()[1:])

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        n, c = dy.shape[:2]
        dv = np.take_along_axis(dy.reshape(n, c, -1), self.index, axis=2) * self.kept
        return [dv.reshape(self.shapes[0]), np.zeros(self.shapes[1], dy.dtype)]
