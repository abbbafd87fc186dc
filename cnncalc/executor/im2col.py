"""im2col and col2im through stride tricks, for 1-D, 2-D and 3-D inputs in NCHW layout.

A conv or window pool sees its input as a stack of windows; `im2col` copies them into a
matrix so that a convolution is one matrix product, and `col2im` adds a matrix of window
gradients back onto the input. The axes are the layer's own windows (`Layer.windows()`,
`geometry.Window`): their count, reach and taps are asked there, and nothing here rounds a
size or measures a window. Naive loop versions are kept for the tests to compare the fast
ones against.

Shapes, with S the spatial sizes, K the kernel sizes and O the output (window) counts:
    x                 (N, C, *S)
    layout 'batch'    (N, C * prod(K), prod(O))     one matrix per sample
    layout 'channel'  (C * prod(K), N * prod(O))    one matrix for the whole batch
Rows are ordered channel-major then kernel offset (c, k0, k1, ...), PyTorch's weight layout.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..geometry import Window
from . import parallel

LAYOUTS = ("batch", "channel")
# An index into an array, built as a tuple before the subscript: x[(a, *b)] is Python 3.10
# syntax, but type checkers read it as 3.11's x[a, *b]
Index = tuple[slice | int, ...]


def pad(x: np.ndarray, axes: Sequence[Window], fill: float = 0.0) -> np.ndarray:
    """x (N, C, *S) -> (N, C, *reach): padded before, padded or cut after.

    Returns x itself (no copy) when no axis needs padding before and every window fits.
    """
    if all(a.pad_before == 0 and a.reach <= a.size for a in axes):
        return x
    out = np.full((*x.shape[:2], *(a.reach for a in axes)), fill, dtype=x.dtype)
    out[_inside(axes)] = x[_kept(axes)]
    return out


def unpad(xp: np.ndarray, axes: Sequence[Window]) -> np.ndarray:
    """The inverse view of `pad` for gradients: (N, C, *reach) -> (N, C, *S), where the
    input pixels no window reached get zero."""
    if all(a.pad_before == 0 and a.reach == a.size for a in axes):
        return xp
    if all(a.pad_before + a.size <= a.reach for a in axes):
        return np.ascontiguousarray(xp[_inside(axes)])
    x = np.zeros((*xp.shape[:2], *(a.size for a in axes)), dtype=xp.dtype)
    x[_kept(axes)] = xp[_inside(axes)]
    return x


def _inside(axes: Sequence[Window]) -> tuple[slice, ...]:
    """Where the input's kept pixels sit in the padded array."""
    return (slice(None), slice(None), *(
        slice(a.pad_before, min(a.pad_before + a.size, a.reach)) for a in axes))


def _kept(axes: Sequence[Window]) -> tuple[slice, ...]:
    """The input pixels that lie inside the padded array."""
    return (slice(None), slice(None), *(
        slice(0, min(a.size, a.reach - a.pad_before)) for a in axes))


def window_view(xp: np.ndarray, axes: Sequence[Window], layout: str = "batch") -> np.ndarray:
    """A read-only strided view of every window of a padded input; no copy.

    xp (N, C, *reach) -> 'batch' (N, C, *K, *O) or 'channel' (C, *K, N, *O).
    """
    n, c = xp.shape[:2]
    stride_n, stride_c, *spatial = xp.strides
    taps = tuple(a.dilation * s for a, s in zip(axes, spatial))
    steps = tuple(a.stride * s for a, s in zip(axes, spatial))
    kernel = tuple(a.kernel for a in axes)
    out = tuple(a.count for a in axes)
    if layout == "batch":
        return as_strided(xp, (n, c, *kernel, *out), (stride_n, stride_c, *taps, *steps),
                          writeable=False)
    return as_strided(xp, (c, *kernel, n, *out), (stride_c, *taps, stride_n, *steps),
                      writeable=False)


class Scratch:
    """Reusable buffers for the temporaries that live only inside one op call, one buffer per
    purpose: "columns" (im2col's columns and, in backward, their gradient) and "padded" (the
    phased padded input, or its gradient). A fresh array of tens of MB costs a page fault
    per 4 KiB page on first touch (measured: ResNet-18's layer1 columns took 10.7 ms to copy
    into a new array, 5.8 ms into a reused one), so the runner gives every op the same one.
    Whoever takes an array must be done with it before the next call for the same purpose."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, purpose: str, shape: tuple[int, ...], dtype: np.dtype,
              channel_major: bool = False) -> np.ndarray:
        """An uninitialised (N, C, ...) array over the purpose's buffer: C-contiguous, or
        stored as (C, N, ...) with `channel_major`."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if self._buffers.get(purpose, np.empty(0, np.uint8)).nbytes < nbytes:
            self._buffers.pop(purpose, None)  # let the old one go first
            self._buffers[purpose] = np.empty(nbytes, dtype=np.uint8)
        flat = self._buffers[purpose][:nbytes].view(dtype)
        if not channel_major:
            return flat.reshape(shape)
        return flat.reshape(shape[1], shape[0], *shape[2:]).swapaxes(0, 1)


# --- the phased padded input ------------------------------------------------------------
#
# NumPy vectorises its inner loops only over unit-stride data. A window with stride s > 1
# reads every s-th element of the last axis, and a strided copy or maximum ran 2.5 to 3 times
# slower than a unit-stride one here. So the padded input's last axis is stored split into
# s phases, (..., reach) -> (..., s, ceil(reach / s)) with phased[..., p, j] =
# padded[..., j * s + p]: one strided pass builds it, and then every kernel tap's view of the
# windows is unit-stride along the last axis. With stride 1 (or a kernel of 1 along the last
# axis, where there is one tap only) there is one phase and this is plain padding.

def phases(axis: Window) -> int:
    """How many phases the last axis is split into."""
    return axis.stride if axis.stride > 1 and axis.kernel > 1 else 1


def phased_shape(shape: tuple[int, ...], axes: Sequence[Window]) -> tuple[int, ...]:
    """(N, C, *S) -> (N, C, *reach[:-1], phases, ceil(reach[-1] / phases))."""
    last = axes[-1]
    count = phases(last)
    return (*shape[:2], *(a.reach for a in axes[:-1]), count, -(-last.reach // count))


def _phase_regions(axes: Sequence[Window]) -> list[tuple[Index, Index]]:
    """For each phase: (where in the phased array, which input pixels) of the kept pixels."""
    *lead, last = axes
    count = phases(last)
    inside = (slice(None), slice(None), *(
        slice(a.pad_before, max(a.pad_before, min(a.pad_before + a.size, a.reach)))
        for a in lead))
    kept = (slice(None), slice(None), *(
        slice(0, max(0, min(a.size, a.reach - a.pad_before))) for a in lead))
    end = max(0, min(last.size, last.reach - last.pad_before))
    regions: list[tuple[Index, Index]] = []
    for phase in range(count):
        first = (phase - last.pad_before) % count     # the first input pixel in this phase
        pixels = len(range(first, end, count))
        column = (first + last.pad_before) // count
        regions.append(((*inside, phase, slice(column, column + pixels)),
                        (*kept, slice(first, first + count * pixels, count))))
    return regions


def is_channel_major(x: np.ndarray) -> bool:
    """Whether x (N, C, ...) is stored as a C-contiguous (C, N, ...) array."""
    return x.ndim >= 2 and x.swapaxes(0, 1).flags.c_contiguous


def allocate(shape: tuple[int, ...], dtype: np.dtype, channel_major: bool,
             zero: bool = False) -> np.ndarray:
    """An (N, C, ...) array; channel_major stores it as (C, N, ...) and returns the view."""
    make = np.zeros if zero else np.empty
    if not channel_major:
        return make(shape, dtype=dtype)
    return make((shape[1], shape[0], *shape[2:]), dtype=dtype).swapaxes(0, 1)


def phase_pad(x: np.ndarray, axes: Sequence[Window], fill: float = 0.0,
              channel_major: bool = False, scratch: Scratch | None = None) -> np.ndarray:
    """x (N, C, *S) -> phased (N, C, *reach[:-1], P, Q), padding reading `fill`.

    `channel_major` stores the result as (C, N, ...) in memory (the 'channel' columns' order,
    so that copying taps into them runs in memory order). With one phase and no padding this
    is a view of x, not a copy; with `scratch` it lives in its "padded" buffer.
    """
    if phases(axes[-1]) == 1 and all(a.pad_before == 0 and a.reach <= a.size for a in axes):
        return x[..., None, :]
    xq = _temporary(phased_shape(x.shape, axes), x.dtype, channel_major, scratch, "padded")
    regions = _phase_regions(axes)

    def fill_channels(start: int, stop: int) -> None:
        part, source_part = xq[:, start:stop], x[:, start:stop]
        part.fill(fill)
        for target, source in regions:
            part[target] = source_part[source]

    parallel.split(fill_channels, x.shape[1], xq.size)
    return xq


def _temporary(shape: tuple[int, ...], dtype: np.dtype, channel_major: bool,
               scratch: Scratch | None, purpose: str) -> np.ndarray:
    if scratch is None:
        return allocate(shape, dtype, channel_major)
    return scratch.array(purpose, shape, dtype, channel_major)


def phase_unpad(dxq: np.ndarray, axes: Sequence[Window], shape: tuple[int, ...]
                ) -> np.ndarray:
    """The adjoint of `phase_pad` for gradients: phased -> (N, C, *S), stored in dxq's
    order (NCHW or channel-major); input pixels that no window reached get zero."""
    dx = allocate(shape, dxq.dtype, is_channel_major(dxq), zero=True)
    regions = _phase_regions(axes)

    def copy_channels(start: int, stop: int) -> None:
        part, source_part = dx[:, start:stop], dxq[:, start:stop]
        for target, source in regions:
            part[source] = source_part[target]

    parallel.split(copy_channels, shape[1], dx.size)
    return dx


def tap(xq: np.ndarray, axes: Sequence[Window], offset: Sequence[int]) -> np.ndarray:
    """The view (N, C, *O) of what kernel tap `offset` reads in every window of a phased
    array: unit-stride along the last axis when the array has one phase per stride."""
    *lead, last = axes
    count = phases(last)
    position = offset[-1] * last.dilation
    start, step = position // count, last.stride // count
    index: Index = (slice(None), slice(None), *(a.taps(o) for a, o in zip(lead, offset)),
                    position % count, slice(start, start + (last.count - 1) * step + 1, step))
    return xq[index]


def _tap_inside(axes: Sequence[Window], offset: Sequence[int]
                ) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """(which windows, which input pixels) of kernel tap `offset` lie inside the input, as
    index tuples over (N, C, *O) and (N, C, *S); per axis `Window.tap_inside`."""
    windows, pixels = [slice(None), slice(None)], [slice(None), slice(None)]
    for a, k in zip(axes, offset):
        inside, read = a.tap_inside(k)
        windows.append(inside)
        pixels.append(read)
    return tuple(windows), tuple(pixels)


def _offsets(axes: Sequence[Window]) -> list[tuple[int, ...]]:
    return list(itertools.product(*(range(a.kernel) for a in axes)))


def im2col(x: np.ndarray, axes: Sequence[Window], layout: str = "batch",
           fill: float = 0.0, scratch: Scratch | None = None) -> np.ndarray:
    """x (N, C, *S) -> columns: 'batch' (N, C*prod(K), prod(O)) or 'channel'
    (C*prod(K), N*prod(O)). Padding (and implicit padding) reads `fill`. With `scratch`
    the columns are written into its buffer (valid until its next use).

    One copy per kernel tap (9 for a 3x3 kernel), never per pixel or channel; the taps are
    shared out over threads (`parallel`).
    """
    n, c = x.shape[:2]
    channel = layout == "channel"
    kernel = tuple(a.kernel for a in axes)
    out = tuple(a.count for a in axes)
    shape = (c, *kernel, n, *out) if channel else (n, c, *kernel, *out)
    cols = _temporary(shape, x.dtype, False, scratch, "columns")
    offsets = _offsets(axes)
    # with one phase the taps read x itself, their padding filled in place: no padded copy
    xq = None if phases(axes[-1]) == 1 else phase_pad(x, axes, fill, channel, scratch)

    def copy_taps(start: int, stop: int) -> None:
        for offset in offsets[start:stop]:
            # the tap's (N, C, *O) slab of the columns, as a view
            index: Index = ((slice(None), *offset) if channel
                            else (slice(None), slice(None), *offset))
            slab = cols[index].swapaxes(0, 1) if channel else cols[index]
            if xq is not None:
                np.copyto(slab, tap(xq, axes, offset))
                continue
            inside, source = _tap_inside(axes, offset)
            np.copyto(slab[inside], x[source])
            for axis, (a, kept) in enumerate(zip(axes, inside[2:])):
                before = (slice(None),) * (2 + axis)
                slab[before + (slice(0, kept.start),)] = fill
                slab[before + (slice(kept.stop, a.count),)] = fill

    parallel.split(copy_taps, len(offsets), cols.size)
    rows, positions = c * math.prod(kernel), math.prod(out)
    return cols.reshape(rows, n * positions) if channel else cols.reshape(n, rows, positions)


def col2im(cols: np.ndarray, shape: tuple[int, ...], axes: Sequence[Window],
           layout: str = "batch", scratch: Scratch | None = None) -> np.ndarray:
    """Columns -> x (N, C, *S): the adjoint of `im2col` (overlapping windows add up; taps
    that read padding are dropped). `shape` is x's shape.

    One strided add per kernel tap into a zeroed phased array, stored in the columns' own
    channel order so that the adds run in memory order; one copy back out of it (the
    'channel' layout's result is channel-major, see `ops`).
    """
    n, c = shape[:2]
    kernel = tuple(a.kernel for a in axes)
    out = tuple(a.count for a in axes)
    channel = layout == "channel"
    dxq = _temporary(phased_shape(shape, axes), cols.dtype, channel, scratch, "padded")
    windows = cols.reshape((c, *kernel, n, *out) if channel else (n, c, *kernel, *out))
    offsets = _offsets(axes)

    # overlapping taps add into the same pixels, so the threads split samples or channels
    # (whichever are more: a first conv has 3 channels), never taps
    by_sample = n > c

    def add_share(start: int, stop: int) -> None:
        mine = slice(start, stop)
        part = dxq[mine] if by_sample else dxq[:, mine]
        part.fill(0)
        for offset in offsets:
            index: Index
            if channel:  # windows (C, *K, N, *O)
                index = (slice(None), *offset, mine) if by_sample else (mine, *offset)
                source = windows[index].swapaxes(0, 1)
            else:        # windows (N, C, *K, *O)
                index = ((mine, slice(None), *offset) if by_sample
                         else (slice(None), mine, *offset))
                source = windows[index]
            target = tap(part, axes, offset)
            target += source

    parallel.split(add_share, max(n, c), cols.size)
    return phase_unpad(dxq, axes, shape)


def im2col_naive(x: np.ndarray, axes: Sequence[Window], fill: float = 0.0) -> np.ndarray:
    """Reference for tests: loops over every sample, channel, window and tap.
    x (N, C, *S) -> (N, C*prod(K), prod(O)), the 'batch' layout."""
    n, c = x.shape[:2]
    kernel = [a.kernel for a in axes]
    windows = list(itertools.product(*(range(a.count) for a in axes)))
    taps = list(itertools.product(*(range(k) for k in kernel)))
    cols = np.empty((n, c * len(taps), len(windows)), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for t, tap in enumerate(taps):
                for w, window in enumerate(windows):
                    where = [o * a.stride + k * a.dilation - a.pad_before
                             for o, k, a in zip(window, tap, axes)]
                    inside = all(0 <= i < a.size for i, a in zip(where, axes))
                    pixel = (b, ch, *where)
                    cols[b, ch * len(taps) + t, w] = x[pixel] if inside else fill
    return cols


def col2im_naive(cols: np.ndarray, shape: tuple[int, ...], axes: Sequence[Window]
                 ) -> np.ndarray:
    """Reference for tests: the loop adjoint of `im2col_naive`. cols (N, C*prod(K), prod(O))
    -> x of `shape` (N, C, *S)."""
    n, c = shape[:2]
    windows = list(itertools.product(*(range(a.count) for a in axes)))
    taps = list(itertools.product(*(range(a.kernel) for a in axes)))
    x = np.zeros(shape, dtype=cols.dtype)
    for b in range(n):
        for ch in range(c):
            for t, tap in enumerate(taps):
                for w, window in enumerate(windows):
                    where = [o * a.stride + k * a.dilation - a.pad_before
                             for o, k, a in zip(window, tap, axes)]
                    pixel = (b, ch, *where)
                    if all(0 <= i < a.size for i, a in zip(where, axes)):
                        x[pixel] += cols[b, ch * len(taps) + t, w]
    return x
