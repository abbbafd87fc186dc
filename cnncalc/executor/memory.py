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
import re
from dataclasses import dataclass

from ..analysis import Analysis


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


_DECIMAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)(E\+?[0-9]+)?")
_UNITS = {"": 1, "B": 1, "K": 2 ** 10, "KB": 10 ** 3, "KIB": 2 ** 10, "M": 2 ** 20,
          "MB": 10 ** 6, "MIB": 2 ** 20, "G": 2 ** 30, "GB": 10 ** 9, "GIB": 2 ** 30,
          "T": 2 ** 40, "TB": 10 ** 12, "TIB": 2 ** 40}


MAX_BYTES = 2 ** 60  # 1 EiB: any limit above it means no limit on a real machine


def parse_bytes(text: str) -> int:
    """'512M', '4G', '2GiB', '1.5GB', '1000000' -> bytes; ValueError otherwise.
    A bare K, M, G or T is binary (GiB), as `free -h` prints them. The number is a plain
    decimal, perhaps with an exponent (no sign, inf or nan), from 1 byte to 1 EiB."""
    value = text.strip().upper().replace(" ", "")
    digits = value.rstrip("KMGTIB")
    unit = value[len(digits):]
    if unit not in _UNITS or not _DECIMAL.fullmatch(digits):
        raise ValueError(f"expected a size like 512M, 4G or 2GiB; found {text!r}")
    size = float(digits) * _UNITS[unit]
    if not 1 <= size <= MAX_BYTES:
        raise ValueError(f"expected a size from 1 byte to 1 EiB (2**60); found {text!r}")
    return int(size)


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count
