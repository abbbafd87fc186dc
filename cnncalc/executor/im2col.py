"""im2col and col2im through stride tricks, for 1-D, 2-D and 3-D inputs in NCHW layout.

A conv or window pool sees its input as a stack of windows; `im2col` copies them into a
matrix so that a convolution is one matrix product, and `col2im` adds a matrix of window
gradients back onto the input. The window counts come from the layer (`Layer.windows()`,
that is `geometry`): nothing here rounds a size. Naive loop versions are kept for the tests
to compare the fast ones against.

Shapes, with S the spatial sizes, K the kernel sizes and O the output (window) counts:
    x                 (N, C, *S)
    layout 'batch'    (N, C * prod(K), prod(O))     one matrix per sample
    layout 'channel'  (C * prod(K), N * prod(O))    one matrix for the whole batch
Rows are ordered channel-major then kernel offset (c, k0, k1, ...), PyTorch's weight layout.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..geometry import Window

LAYOUTS = ("batch", "channel")


@dataclass(frozen=True)
class Sliding:
    """One spatial axis of a sliding window, resolved for execution: `out` windows of
    `kernel` taps spaced `dilation` apart, every `stride` pixels, starting `pad_before`
    pixels before the input."""

    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    out: int

    @classmethod
    def of(cls, window: Window) -> "Sliding":
        """From a layer's window; its size rule (ceil, floor, a dropped last window) gave
        `count`, which is the only place a window count is decided."""
        return cls(window.size, window.kernel, window.stride, window.dilation,
                   window.pad_before, window.count)

    @property
    def reach(self) -> int:
        """Padded length the windows read: up to the end of the last window. It may be
        shorter than pad_before + size (floor rounding leaves a tail unread) or longer (a
        ceil-rounded last window hangs past the declared padding: implicit padding)."""
        return (self.out - 1) * self.stride + self.dilation * (self.kernel - 1) + 1

    def taps(self, offset: int) -> slice:
        """The padded positions that kernel tap `offset` reads, one per window."""
        start = offset * self.dilation
        return slice(start, start + (self.out - 1) * self.stride + 1, self.stride)


def pad(x: np.ndarray, axes: Sequence[Sliding], fill: float = 0.0) -> np.ndarray:
    """x (N, C, *S) -> (N, C, *reach): padded before, padded or cut after.

    Returns x itself (no copy) when no axis needs padding before and every window fits.
    """
    if all(a.pad_before == 0 and a.reach <= a.size for a in axes):
        return x
    out = np.full((*x.shape[:2], *(a.reach for a in axes)), fill, dtype=x.dtype)
    out[_inside(axes)] = x[_kept(axes)]
    return out


def unpad(xp: np.ndarray, axes: Sequence[Sliding]) -> np.ndarray:
    """The inverse view of `pad` for gradients: (N, C, *reach) -> (N, C, *S), where the
    input pixels no window reached get zero."""
    if all(a.pad_before == 0 and a.reach == a.size for a in axes):
        return xp
    if all(a.pad_before + a.size <= a.reach for a in axes):
        return np.ascontiguousarray(xp[_inside(axes)])
    x = np.zeros((*xp.shape[:2], *(a.size for a in axes)), dtype=xp.dtype)
    x[_kept(axes)] = xp[_inside(axes)]
    return x


def _inside(axes: Sequence[Sliding]) -> tuple[slice, ...]:
    """Where the input's kept pixels sit in the padded array."""
    return (slice(None), slice(None), *(
        slice(a.pad_before, min(a.pad_before + a.size, a.reach)) for a in axes))


def _kept(axes: Sequence[Sliding]) -> tuple[slice, ...]:
    """The input pixels that lie inside the padded array."""
    return (slice(None), slice(None), *(
        slice(0, min(a.size, a.reach - a.pad_before)) for a in axes))


def window_view(xp: np.ndarray, axes: Sequence[Sliding], layout: str = "batch") -> np.ndarray:
    """A read-only strided view of every window of a padded input; no copy.

    xp (N, C, *reach) -> 'batch' (N, C, *K, *O) or 'channel' (C, *K, N, *O).
    """
    n, c = xp.shape[:2]
    stride_n, stride_c, *spatial = xp.strides
    taps = tuple(a.dilation * s for a, s in zip(axes, spatial))
    steps = tuple(a.stride * s for a, s in zip(axes, spatial))
    kernel = tuple(a.kernel for a in axes)
    out = tuple(a.out for a in axes)
    if layout == "batch":
        return as_strided(xp, (n, c, *kernel, *out), (stride_n, stride_c, *taps, *steps),
                          writeable=False)
    return as_strided(xp, (c, *kernel, n, *out), (stride_c, *taps, stride_n, *steps),
                      writeable=False)


def im2col(x: np.ndarray, axes: Sequence[Sliding], layout: str = "batch",
           fill: float = 0.0) -> np.ndarray:
    """x (N, C, *S) -> columns: 'batch' (N, C*prod(K), prod(O)) or 'channel'
    (C*prod(K), N*prod(O)). Padding (and implicit padding) reads `fill`."""
    n, c = x.shape[:2]
    view = window_view(pad(x, axes, fill), axes, layout)
    rows = c * math.prod(a.kernel for a in axes)
    positions = math.prod(a.out for a in axes)
    if layout == "batch":
        return np.ascontiguousarray(view).reshape(n, rows, positions)
    return np.ascontiguousarray(view).reshape(rows, n * positions)


def col2im(cols: np.ndarray, shape: tuple[int, ...], axes: Sequence[Sliding],
           layout: str = "batch") -> np.ndarray:
    """Columns -> x (N, C, *S): the adjoint of `im2col` (overlapping windows add up; taps
    that read padding are dropped). `shape` is x's shape."""
    n, c = shape[:2]
    kernel = tuple(a.kernel for a in axes)
    out = tuple(a.out for a in axes)
    xp = np.zeros((n, c, *(a.reach for a in axes)), dtype=cols.dtype)
    if layout == "batch":
        windows = cols.reshape(n, c, *kernel, *out)
    else:  # (C, *K, N, *O) -> (N, C, *K, *O) as a view
        windows = np.moveaxis(cols.reshape(c, *kernel, n, *out), 1 + len(kernel), 0)
    # one strided add per kernel tap (9 for a 3x3 kernel), never per pixel or channel
    for offset in itertools.product(*(range(k) for k in kernel)):
        xp[(slice(None), slice(None), *(a.taps(o) for a, o in zip(axes, offset)))] += \
            windows[(slice(None), slice(None), *offset)]
    return unpad(xp, axes)


def im2col_naive(x: np.ndarray, axes: Sequence[Sliding], fill: float = 0.0) -> np.ndarray:
    """Reference for tests: loops over every sample, channel, window and tap.
    x (N, C, *S) -> (N, C*prod(K), prod(O)), the 'batch' layout."""
    n, c = x.shape[:2]
    kernel = [a.kernel for a in axes]
    windows = list(itertools.product(*(range(a.out) for a in axes)))
    taps = list(itertools.product(*(range(k) for k in kernel)))
    cols = np.empty((n, c * len(taps), len(windows)), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for t, tap in enumerate(taps):
                for w, window in enumerate(windows):
                    where = [o * a.stride + k * a.dilation - a.pad_before
                             for o, k, a in zip(window, tap, axes)]
                    inside = all(0 <= i < a.size for i, a in zip(where, axes))
                    cols[b, ch * len(taps) + t, w] = x[(b, ch, *where)] if inside else fill
    return cols


def col2im_naive(cols: np.ndarray, shape: tuple[int, ...], axes: Sequence[Sliding]
                 ) -> np.ndarray:
    """Reference for tests: the loop adjoint of `im2col_naive`. cols (N, C*prod(K), prod(O))
    -> x of `shape` (N, C, *S)."""
    n, c = shape[:2]
    windows = list(itertools.product(*(range(a.out) for a in axes)))
    taps = list(itertools.product(*(range(a.kernel) for a in axes)))
    x = np.zeros(shape, dtype=cols.dtype)
    for b in range(n):
        for ch in range(c):
            for t, tap in enumerate(taps):
                for w, window in enumerate(windows):
                    where = [o * a.stride + k * a.dilation - a.pad_before
                             for o, k, a in zip(window, tap, axes)]
                    if all(0 <= i < a.size for i, a in zip(where, axes)):
                        x[(b, ch, *where)] += cols[b, ch * len(taps) + t, w]
    return x
