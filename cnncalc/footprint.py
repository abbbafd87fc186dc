"""Memory of a training step, in torchinfo's manner, and the per-sample totals scaled to a
batch. Computes; never prints.

torchinfo (`ModelStatistics`, v1.8.0 and its main branch) sums, over the leaf modules that
own parameters, twice each one's output bytes (the output kept for forward, and its
gradient for backward); layers without parameters (activations, pooling, merges) are not
counted. Its params size is `parameters()` only: running statistics, which are buffers, are
not in it. Every figure here is in bytes; the batch multiplies the input and every layer's
output, never the parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import Analysis
from .layers import numel


@dataclass(frozen=True)
class Footprint:
    """Bytes of one training step at `batch` samples of `dtype`, and the per-sample totals
    times the batch."""

    batch: int
    dtype: str
    input_bytes: int              # every network input, batch included
    forward_backward_bytes: int   # 2 x the outputs of the layers with parameters
    param_bytes: int              # parameters() only (torchinfo's "Params size")
    macs: int                     # conv + dense multiply-accumulates for the batch
    ops: int
    activations: int              # every layer's output elements for the batch
    activation_bytes: int

    @property
    def total_bytes(self) -> int:
        """torchinfo's "Estimated Total Size": input + forward/backward + params."""
        return self.input_bytes + self.forward_backward_bytes + self.param_bytes


def footprint(analysis: Analysis, batch: int = 1) -> Footprint:
    """The memory figures at `batch` samples, in the spec's dtype (`--dtype` replaces it)."""
    if batch < 1:
        raise ValueError(f"a batch holds at least one sample; found {batch}")
    width = analysis.spec.dtype_bytes
    totals = analysis.totals
    inputs = sum(numel(i.shape) for i in analysis.network.inputs)
    kept = sum(r.activations for r in analysis.rows if r.weights > 0)
    return Footprint(
        batch=batch,
        dtype=analysis.spec.dtype,
        input_bytes=inputs * batch * width,
        forward_backward_bytes=2 * kept * batch * width,
        param_bytes=totals.params * width,
        macs=totals.macs * batch,
        ops=totals.ops * batch,
        activations=totals.activations * batch,
        activation_bytes=totals.activation_bytes * batch,
    )


__all__ = ["Footprint", "footprint"]
