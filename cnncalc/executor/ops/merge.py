"""Where branches meet: add and multiply (broadcasting), concat (along any axis)."""
from __future__ import annotations

import numpy as np

from ...layers.merge import Add, Concat, Multiply
from .base import Array, MergeOp, register


@register("add")
class AddOp(MergeOp[Add]):
    """Sum with broadcasting of size-1 axes; a broadcast branch's gradient is summed over
    the axes it was spread along."""

    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        self.shapes = [x.shape for x in xs]
        out = np.broadcast_shapes(*self.shapes)
        free = [i for i, mine in enumerate(owned) if mine and xs[i].shape == out]
        first = free[0] if free else None
        y = xs[first] if first is not None else xs[0] + xs[1]
        for i, x in enumerate(xs):
            if i != first and (first is not None or i > 1):
                if y.shape == out:
                    y += x
                else:
                    y = y + x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        return [_unspread(dy, shape) for shape in self.shapes]


def _unspread(g: Array, shape: tuple[int, ...]) -> Array:
    """The gradient of a branch of `shape` broadcast to g's shape: summed where spread."""
    spread = tuple(a for a in range(g.ndim) if shape[a] == 1 and g.shape[a] > 1)
    return g.sum(axis=spread, keepdims=True) if spread else g


@register("concat")
class ConcatOp(MergeOp[Concat]):
    """Along the layer's axis (channels unless said); backward hands each branch its
    slice."""

    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        axis = 1 + self.layer.axis
        self.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        return [np.ascontiguousarray(part)
                for part in np.split(dy, self.splits, axis=1 + self.layer.axis)]


@register("multiply")
class MultiplyOp(MergeOp[Multiply]):
    """Elementwise product with broadcasting; a broadcast branch's gradient is summed over
    the axes it was spread along."""

    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        self.xs = xs
        y = xs[0] * xs[1]
        for x in xs[2:]:
            y = y * x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        xs, self.xs = self.xs, []
        grads = []
        for i, x in enumerate(xs):
            g = dy
            for j, other in enumerate(xs):
                if j != i:
                    g = g * other
            grads.append(_unspread(g, x.shape))
        return grads
