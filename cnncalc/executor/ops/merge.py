"""Where branches meet: add, concat, multiply."""
from __future__ import annotations

import numpy as np

from .base import Array, MergeOp, register


@register("add")
class AddOp(MergeOp):
    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        self.count = len(xs)
        free = [i for i, mine in enumerate(owned) if mine and xs[i].shape == xs[0].shape]
        first = free[0] if free else None
        y = xs[first] if first is not None else xs[0] + xs[1]
        for i, x in enumerate(xs):
            if i != first and (first is not None or i > 1):
                y += x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        return [dy] * self.count


@register("concat")
class ConcatOp(MergeOp):
    """Along channels; backward hands each branch its slice."""

    def forward(self, xs: list[Array], train: bool = True, owned: tuple[bool, ...] = ()
                ) -> Array:
        self.splits = np.cumsum([x.shape[1] for x in xs])[:-1]
        return np.concatenate(xs, axis=1)

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        return [np.ascontiguousarray(part) for part in np.split(dy, self.splits, axis=1)]


@register("multiply")
class MultiplyOp(MergeOp):
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
            spread = tuple(a for a in range(g.ndim) if x.shape[a] == 1 and g.shape[a] > 1)
            grads.append(g.sum(axis=spread, keepdims=True) if spread else g)
        return grads
