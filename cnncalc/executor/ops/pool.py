"""Pooling: windowed max and mean, global, and PyTorch's adaptive windows."""
from __future__ import annotations

import itertools
import math

import numpy as np

from ...geometry import Window, adaptive_window, fractional_alpha, fractional_start
from ...layers.pool import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    FractionalMaxPool,
    GlobalAvgPool,
    GlobalMaxPool,
    LPPool,
    MaxPool,
    WindowPool,
)
from .. import parallel
from ..im2col import (
    Index,
    is_channel_major,
    pad,
    phase_pad,
    phase_unpad,
    phased_shape,
    tap,
    unpad,
    window_view,
)
from .base import Array, Op, SeparableOp, register, spatial_axes


def padding_only_window(windows: tuple[Window, ...]) -> tuple[int, int] | None:
    """The first (axis, window index) whose taps along that axis all miss the input, or
    None (`Window.reads_input`). A window of several axes reads an input pixel only if it
    does along every axis."""
    for axis, w in enumerate(windows):
        hits = w.reads_input(np.arange(w.count))
        if not hits.all():
            return axis, int(np.argmin(hits))
    return None


def _tap_offsets(axes: tuple[Window, ...]) -> list[tuple[int, ...]]:
    """The kernel taps that read an input pixel in some window, in kernel order. A tap that
    reads only padding adds nothing to a sum and never wins a max, so it is skipped: a
    kernel far larger than its input (100,000 wide on 33 pixels) costs the taps that land
    on the input, not the kernel's size."""
    live = [[k for k in range(a.kernel) if _reads(a, k)] for a in axes]
    return [tuple(int(i) for i in t) for t in itertools.product(*live)]


def _reads(axis: Window, tap: int) -> bool:
    windows, _ = axis.tap_inside(tap)
    return windows.stop > windows.start


def _tap_region(axes: tuple[Window, ...], offset: tuple[int, ...]) -> tuple[slice, ...]:
    return (slice(None), slice(None), *(a.taps(o) for a, o in zip(axes, offset)))


@register("maxpool")
class MaxPoolOp(Op[MaxPool]):
    """Max over each window; padding (declared or implicit) never wins, as in PyTorch.

    The winner's tap index is kept per output (the first maximum, PyTorch's tie rule);
    backward adds each output's gradient at its winning tap, one strided add per tap. The
    taps are read from the phased padded input (`im2col.phase_pad`), unit-stride.
    """

    def __init__(self, layer: MaxPool):
        super().__init__(layer)
        self.axes = layer.windows()
        self.offsets = _tap_offsets(self.axes)
        kernel = tuple(a.kernel for a in self.axes)  # each kept tap's index in the kernel
        self.flat = np.array([np.ravel_multi_index(o, kernel) for o in self.offsets],
                             dtype=np.int64)

    def workspace(self, batch: int) -> int:
        """The phased padded input (its reach per axis, however large the kernel) and its
        gradient, and the winners: the memory guard must see a kernel far beyond the
        input before anything is allocated."""
        shape = (batch, self.layer.input_shape[0], *(a.size for a in self.axes))
        return 2 * math.prod(phased_shape(shape, self.axes)) + \
            batch * math.prod(self.layer.output_shape())

    def refusal(self, batch: int, train: bool) -> str | None:
        """A window whose taps all fall in padding has no defined maximum: PyTorch outputs
        -inf there (e.g. kernel 2, dilation 2, padding 1 on length 1, which it accepts), and
        the plain ceil rule keeps last windows that start past the input. Refused, naming
        the window."""
        found = padding_only_window(self.axes)
        if found is None:
            return None
        axis, index = found
        a = self.axes[axis]
        taps = ", ".join(str(index * a.stride + t * a.dilation - a.pad_before)
                         for t in range(min(a.kernel, 4))) + (", ..." if a.kernel > 4 else "")
        where = f" along spatial axis {axis + 1}" if len(self.axes) > 1 else ""
        past = index * a.stride >= a.pad_before + a.size
        framework = ("PyTorch's ceil_mode and Caffe drop a window that starts past the input "
                     "(framework: pytorch)" if past else "PyTorch outputs -inf there")
        return (f"window {index}{where} reads only padding (its taps fall at {taps}; the "
                f"input spans 0..{a.size - 1}), so its maximum is undefined ({framework}); "
                f"change the padding, dilation or stride, or the rounding rule")

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        xq = phase_pad(x, self.axes, -np.inf, is_channel_major(x), self.scratch)
        best = tap(xq, self.axes, self.offsets[0]).copy(order="K")   # (N, C, *O), xq's order
        # the *_like arrays follow best's memory order, so the loops run in one order
        winner = np.zeros_like(best, dtype=np.uint8 if len(self.offsets) < 256 else np.int32)

        def channels(start: int, stop: int) -> None:
            part, won = best[:, start:stop], winner[:, start:stop]
            better = np.empty_like(part, dtype=bool)
            marked = np.empty_like(won)
            for index, offset in enumerate(self.offsets[1:], start=1):
                candidate = tap(xq[:, start:stop], self.axes, offset)
                np.greater(candidate, part, out=better)
                np.maximum(part, candidate, out=part)
                # won = index where better: the taps come in rising index order, so a max
                # does it, and arithmetic runs several times faster than np.copyto(where=)
                np.multiply(better, won.dtype.type(index), out=marked)
                np.maximum(won, marked, out=won)

        parallel.split(channels, x.shape[1], xq.size)
        self.winner = winner
        return best

    def argmax(self) -> Array:
        """Per output (N, C, *O), the flat index of its maximum in its channel's input plane
        (PyTorch's return_indices), for a max unpool; read between forward and backward."""
        taps = np.unravel_index(self.flat[self.winner], tuple(a.kernel for a in self.axes))
        flat: Array | int = 0
        for axis, (a, t) in enumerate(zip(self.axes, taps)):
            at = np.arange(a.count).reshape((-1,) + (1,) * (len(self.axes) - 1 - axis))
            flat = flat * a.size + at * a.stride - a.pad_before + t.astype(np.int64) * a.dilation
        return np.asarray(flat)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        dxq = self.scratch.array("padded", phased_shape(self.shape, self.axes), dy.dtype,
                                 is_channel_major(dy))
        winner = self.winner
        del self.winner  # backward is its only reader: freed with this step

        def channels(start: int, stop: int) -> None:
            part, grad = dxq[:, start:stop], dy[:, start:stop]
            part.fill(0)
            won = np.empty_like(grad, dtype=bool)
            share = np.empty_like(grad)
            for index, offset in enumerate(self.offsets):
                np.equal(winner[:, start:stop], index, out=won)
                np.multiply(grad, won, out=share)
                target = tap(part, self.axes, offset)
                target += share

        parallel.split(channels, dy.shape[1], dxq.size)
        return phase_unpad(dxq, self.axes, self.shape)


@register("avgpool")
class AvgPoolOp(Op[WindowPool]):
    """Mean over each window. The divisor follows PyTorch: the taps inside the input and the
    declared padding (count_include_pad) or inside the input only; the implicit padding past
    a ceil-rounded edge never counts."""

    def __init__(self, layer: WindowPool):
        super().__init__(layer)
        self.axes = layer.windows()
        self.offsets = _tap_offsets(self.axes)
        self.divisor = self._divisor()

    def workspace(self, batch: int) -> int:
        """The padded input (its reach per axis) and the padded gradient."""
        return 2 * batch * self.layer.input_shape[0] * math.prod(a.reach for a in self.axes)

    def _divisor(self) -> Array | float:
        if self.layer.divisor_override:
            return float(self.layer.divisor_override)
        # per axis, each window's pixels inside the input (and, with count_include_pad, the
        # declared padding: Caffe's pool_size); the product over axes is the divisor
        counts = [w.inside(np.arange(w.count), self.layer.count_include_pad)
                  for w in self.axes]
        divisor = counts[0]
        for more in counts[1:]:
            divisor = np.multiply.outer(divisor, more)
        taps = math.prod(a.kernel for a in self.axes)
        if np.all(divisor == taps):
            return float(taps)
        return divisor.astype(np.float64)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        windows = window_view(pad(x, self.axes), self.axes)
        if not self.offsets:  # every window reads only padding: its sum is 0
            return np.zeros(windows.shape[:2 + len(self.axes)], dtype=x.dtype)
        taps: list[Index] = [(slice(None), slice(None), *offset) for offset in self.offsets]
        total = windows[taps[0]].copy()
        for index in taps[1:]:
            total += windows[index]
        total /= np.asarray(self.divisor, dtype=x.dtype)
        return total

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        share = dy / np.asarray(self.divisor, dtype=dy.dtype)
        dxp = np.zeros((n, c, *(a.reach for a in self.axes)), dtype=dy.dtype)
        for offset in self.offsets:
            dxp[_tap_region(self.axes, offset)] += share
        return unpad(dxp, self.axes)


@register("lppool")
class LPPoolOp(Op[LPPool]):
    """PyTorch's power-average pooling: y = (K avgpool(x^p))^(1/p), the average pool's
    divisor as PyTorch's (a window clipped at the input's end divides by its taps inside,
    then is scaled by all K). Where the pooled sum is 0 the gradient is 0, as in PyTorch."""

    def __init__(self, layer: LPPool):
        super().__init__(layer)
        self.pool = AvgPoolOp(layer)  # the layer's windows, padding 0, divisor included
        self.taps = float(math.prod(layer.kernel))
        self.p = float(layer.norm_type)

    def workspace(self, batch: int) -> int:
        """x^p and the pool's padded copy (input-sized), the kept x; the pooled sum and the
        output; backward the same again."""
        layer = self.layer
        return self.pool.workspace(batch) + batch * (
            4 * math.prod(layer.input_shape) + 3 * math.prod(layer.output_shape()))

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        self.s = self.pool.forward(x ** self.p) * self.taps
        self.y = np.power(self.s, 1.0 / self.p)  # NaN where a negative sum has no root
        return self.y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x, s, y = self.x, self.s, self.y
        del self.x, self.s, self.y  # backward is their only reader: freed with this step
        nonzero = s != 0
        ds = np.where(nonzero, dy * y / (self.p * np.where(nonzero, s, 1.0)), 0.0)
        dpow = self.pool.backward(ds * self.taps)
        return dpow * self.p * x ** (self.p - 1)


@register("fractional_maxpool")
class FractionalMaxPoolOp(Op[FractionalMaxPool]):
    """Max over fractional max pooling's windows, PyTorch's rule (`geometry.fractional_start`)
    from one random sample per batch element, channel and axis: `buffers['samples']`,
    (N, C, axes) in [0, 1) like PyTorch's `_random_samples` (whose last axis lists, in 2-D,
    the width's sample first, in 3-D depth, height, width). Drawn at the first forward of a
    batch size and kept, so repeated forwards (the gradient check) use the same windows;
    set it to reproduce PyTorch's. The first maximum in a window wins (PyTorch's tie rule)."""

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().init(rng, dtype)
        self.rng = np.random.default_rng(int(rng.integers(2 ** 62)))
        axes = len(self.layer.input_shape) - 1
        self.buffers = {"samples": np.zeros((0, self.layer.input_shape[0], axes), dtype)}

    def workspace(self, batch: int) -> int:
        """Every window's taps gathered, (N, C, *o, *K), and the winners' indices (int64,
        counted twice for their size beside a float32 run) with their offsets per axis;
        backward, the float64 sums of bincount and their copy, input-sized."""
        layer = self.layer
        out = math.prod(layer.output_shape())
        return batch * (out * math.prod(layer.kernel) + (4 + 2 * len(layer.kernel)) * out
                        + 4 * math.prod(layer.input_shape))

    def _samples(self, n: int, dtype: np.dtype) -> Array:
        samples = self.buffers.get("samples")
        if samples is None or samples.shape[0] != n:
            if not hasattr(self, "rng"):
                self.rng = np.random.default_rng(0)
            shape = (n, self.layer.input_shape[0], len(self.layer.input_shape) - 1)
            samples = self.rng.random(shape, dtype=np.float64).astype(dtype)
            self.buffers["samples"] = samples
        return samples.astype(dtype, copy=False)

    def _starts(self, samples: Array) -> list[Array]:
        """Per spatial axis, every window's start, (N, C, o) integers."""
        layer = self.layer
        ndim = len(layer.kernel)
        column = (1, 0) if ndim == 2 else tuple(range(ndim))  # ATen's sample order
        real = samples.dtype.type
        starts = []
        for axis, (n, k, o) in enumerate(zip(layer.input_shape[1:], layer.kernel,
                                             layer.output_size)):
            u = samples[..., column[axis]][..., None]                  # (N, C, 1)
            last = np.full((*samples.shape[:2], 1), n - k, dtype=np.int64)
            if o == 1:
                starts.append(last)
                continue
            index = np.arange(o - 1, dtype=samples.dtype)
            first = fractional_start(index, u, fractional_alpha(n, o, k, real))
            starts.append(np.concatenate([first.astype(np.int64), last], axis=-1))
        return starts

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        layer = self.layer
        n, c = x.shape[:2]
        ndim = len(layer.kernel)
        starts = self._starts(self._samples(n, x.dtype))
        # per axis, the input position of (window, tap), shaped to broadcast as
        # (N, C, *outputs, *taps)
        positions = []
        for axis, (start, k) in enumerate(zip(starts, layer.kernel)):
            pos = start[..., None] + np.arange(k)                       # (N, C, o, k)
            shape = [n, c] + [1] * (2 * ndim)
            shape[2 + axis], shape[2 + ndim + axis] = pos.shape[2], k
            positions.append(pos.reshape(shape))
        batch = np.arange(n).reshape(n, 1, *[1] * (2 * ndim))
        channel = np.arange(c).reshape(1, c, *[1] * (2 * ndim))
        index = (batch, channel, *positions)
        windows = x[index]
        flat = windows.reshape(*windows.shape[:2 + ndim], -1)
        won = flat.argmax(axis=-1)[..., None]                           # first maximum
        y = np.take_along_axis(flat, won, axis=-1)[..., 0]
        # the winner's input position, flattened over the spatial axes
        taps = np.unravel_index(won[..., 0], layer.kernel)
        where = np.zeros(y.shape, dtype=np.int64)
        for axis, (start, tap_) in enumerate(zip(starts, taps)):
            shape = [n, c] + [1] * ndim
            shape[2 + axis] = start.shape[2]
            where = where * layer.input_shape[1 + axis] + start.reshape(shape) + tap_
        self.where, self.shape = where, x.shape
        return np.ascontiguousarray(y)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        plane = math.prod(self.shape[2:])
        rows = np.arange(n * c).reshape(n, c, *[1] * (dy.ndim - 2)) * plane
        grad = np.bincount((rows + self.where).ravel(), weights=dy.ravel(),
                           minlength=n * c * plane)
        return grad.reshape(self.shape).astype(dy.dtype)


@register("global_avgpool")
class GlobalAvgPoolOp(Op[GlobalAvgPool]):
    """Mean over every spatial position: (N, C, *S) -> (N, C, 1, ...) or (N, C)."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        return x.mean(axis=spatial_axes(x), keepdims=self.layer.keepdims)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        share = dy.reshape(n, c, *(1,) * (len(self.shape) - 2)) / math.prod(self.shape[2:])
        return np.broadcast_to(share, self.shape).copy()


@register("global_maxpool")
class GlobalMaxPoolOp(Op[GlobalMaxPool]):
    """Max over every spatial position; backward routes to the first maximum."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        flat = x.reshape(*x.shape[:2], -1)
        self.winner = flat.argmax(axis=2)[..., None]
        y = np.take_along_axis(flat, self.winner, axis=2)
        ones = (1,) * (x.ndim - 2) if self.layer.keepdims else ()
        return y.reshape(*x.shape[:2], *ones)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        dx = np.zeros((n, c, math.prod(self.shape[2:])), dtype=dy.dtype)
        np.put_along_axis(dx, self.winner, dy.reshape(n, c, 1), axis=2)
        return dx.reshape(self.shape)


def _adaptive_windows(size: int, out: int) -> tuple[Array, Array]:
    """Every adaptive window's [start, stop), from geometry's one rule."""
    return adaptive_window(np.arange(out), size, out)


@register("adaptive_avgpool")
class AdaptiveAvgPoolOp(SeparableOp[AdaptiveAvgPool]):
    def matrices(self, dtype: np.dtype) -> list[Array]:
        maps = []
        for size, out in zip(self.layer.input_shape[1:], self.layer.output_size):
            start, end = _adaptive_windows(size, out)
            j = np.arange(size)
            inside = (j >= start[:, None]) & (j < end[:, None])
            maps.append((inside / (end - start)[:, None]).astype(dtype))
        return maps


@register("adaptive_maxpool")
class AdaptiveMaxPoolOp(Op[AdaptiveMaxPool]):
    """Max over PyTorch's adaptive windows, one axis at a time (a max over a box is a max of
    maxes); each stage keeps its winners' positions for backward."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.stages = []
        for axis, out in enumerate(self.layer.output_size):
            x, winners = self._max_along(x, 2 + axis, out)
            self.stages.append((x.shape, 2 + axis, winners))
        return x

    @staticmethod
    def _max_along(x: Array, axis: int, out: int) -> tuple[Array, Array]:
        size = x.shape[axis]
        start, end = _adaptive_windows(size, out)
        width = int((end - start).max())
        taps = np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)  # (o, w)
        moved = np.moveaxis(x, axis, -1)
        best = moved[..., taps].argmax(axis=-1)                       # (..., o) in [0, w)
        winners = taps[np.arange(out), best]                           # (..., o) in [0, N)
        y = np.take_along_axis(moved, winners, axis=-1)
        return np.moveaxis(y, -1, axis), winners

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        shapes = [self.layer.input_shape[1:]] + [s[2:] for s, _, _ in self.stages[:-1]]
        for (_, axis, winners), before in zip(reversed(self.stages), reversed(shapes)):
            size = before[axis - 2]
            moved = np.moveaxis(dy, axis, -1)
            rows = math.prod(moved.shape[:-1])
            # scatter-add with bincount: adaptive windows may share a pixel
            flat = (np.arange(rows)[:, None] * size + winners.reshape(rows, -1)).ravel()
            grad = np.bincount(flat, weights=moved.reshape(-1), minlength=rows * size)
            dy = np.moveaxis(grad.reshape(*moved.shape[:-1], size).astype(dy.dtype), -1, axis)
        self.stages = []
        return np.ascontiguousarray(dy)
