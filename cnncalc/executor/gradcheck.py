"""Analytic gradients of one op against central finite differences, in float64.

Each op is checked on its own, on fresh standard-normal inputs of its input shapes (real
activations would put ReLU zeros into max-pool windows: ties, where the derivative does not
exist). The loss is L = sum(g * op(x)) for a fixed random g, so dL/dy = g.

The error of one checked coordinate is |numeric - analytic| / max(|numeric|, |analytic|,
1e-3 * the largest analytic entry of that tensor): relative, except that entries a thousand
times smaller than the tensor's largest are judged against that scale, not against zero.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .ops import AnyOp, MergeOp

STEP = 1e-5
PASS_BELOW = 1e-6
Inputs = np.ndarray | list[np.ndarray]


def worst_error(op: AnyOp, inputs: Inputs, rng: np.random.Generator,
                coordinates: int = 6) -> float:
    """The worst relative error over up to `coordinates` entries (the largest, and random
    others) of the input gradient(s) and of every parameter gradient. `inputs` is a list
    for a merge op, one array for any other."""
    arrays = inputs if isinstance(inputs, list) else [inputs]

    def output() -> np.ndarray:
        copies = [x.copy() for x in arrays]
        return op.forward(copies) if isinstance(op, MergeOp) else op.forward(copies[0])

    g = rng.standard_normal(output().shape)
    dxs = op.backward(g.copy()) if isinstance(op, MergeOp) else [op.backward(g.copy())]
    checked = list(zip(arrays, dxs))
    checked += [(op.params[name], op.grads[name]) for name in op.params]
    worst = 0.0
    for tensor, analytic in checked:
        scale = float(np.abs(analytic).max()) if analytic.size else 0.0
        picks = {int(np.abs(analytic).argmax())} | set(
            rng.integers(0, tensor.size, size=min(coordinates, tensor.size)).tolist())
        for index in sorted(picks):
            numeric = _central_difference(tensor, index, output, g)
            exact = float(analytic.flat[index])
            floor = max(1e-3 * scale, 1e-12)
            worst = max(worst, abs(numeric - exact) / max(abs(numeric), abs(exact), floor))
    return worst


def _central_difference(tensor: np.ndarray, index: int, output: Callable[[], np.ndarray],
                        g: np.ndarray) -> float:
    """dL/dtensor[index] = sum(g * (y(t + h) - y(t - h))) / 2h. The outputs are subtracted
    before the sum: summing first would lose the O(h) difference in the rounding of a sum
    over every output."""
    old = tensor.flat[index]
    tensor.flat[index] = old + STEP
    above = output()
    tensor.flat[index] = old - STEP
    below = output()
    tensor.flat[index] = old
    return float(np.sum(g * (above - below))) / (2 * STEP)
