"""A run's peak memory, estimated from the calculator's figures before anything is allocated.

The model, in bytes of the run's dtype (per-sample figures from `analyze`, times the batch):
    activations  every layer's output, since backward needs nearly all of them (a conv keeps
                 its input, batch norm its normalised input, an activation its output)
    parameters   the weights, their gradients (with backward) and the running statistics
    workspace    the largest single layer's temporaries (im2col columns and their gradient)
                 plus two activation-sized gradient arrays in flight
It errs high: an in-place activation shares its input's memory, which it counts twice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..analysis import Analysis
from ..errors import show
from ..units import BYTE_FORMS, UnitError, parse_bytes


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run is expected to hold at its peak, by what holds them."""

    activations: int
    parameters: int
    workspace: int

    @property
    def total(self) -> int:
        return self.activations + self.parameters + self.workspace


def estimate(analysis: Analysis, batch: int, itemsize: int, workspace_elements: int,
             backward: bool) -> MemoryEstimate:
    """Peak bytes of a run of `analysis`'s network at `batch`; `workspace_elements` is the
    largest layer's temporary (from the ops, computed without allocating)."""
    totals = analysis.totals
    inputs = batch * _numel(analysis.input_shape)
    largest = max((r.activations for r in analysis.rows), default=0) * batch
    activations = (batch * totals.activations + inputs) * itemsize
    parameters = (totals.params * (2 if backward else 1) + totals.buffers) * itemsize
    in_flight = 2 * largest if backward else largest
    return MemoryEstimate(activations, parameters,
                          (workspace_elements + in_flight) * itemsize)


def default_limit() -> int:
    """Half the machine's physical memory (4 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 4 * 2 ** 30


MAX_BYTES = 2 ** 60  # 1 EiB: any limit above it means no limit on a real machine


def parse_memory_limit(text: str) -> int:
    """'512M' (= 512 MiB), '4G', '2GiB', '1.5GB', '1000000' -> bytes, read as every byte
    size is (see `units`); ValueError (a UnitError) outside 1 byte to 1 EiB."""
    size = parse_bytes(text)
    if not 1 <= size <= MAX_BYTES:
        raise UnitError(f"a size from 1 byte to 1 EiB (2^60): {BYTE_FORMS}",
                        show(text))
    return size


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count
