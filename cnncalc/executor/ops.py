"""Forward and backward of every layer kind, in NumPy, chosen by the layer's YAML kind.

An op wraps one built layer (`cnncalc.layers`). `forward` computes the output and keeps
what `backward` needs, as micrograd's operations do; `backward` takes the gradient of the
loss with respect to the output and returns the gradient with respect to the input, leaving
the parameter gradients in `grads` (same names and shapes as `params`, which follow
`Layer.param_shapes()`, PyTorch's layout).

Shapes carry the batch first: x (N, C, *S) for spatial layers, (N, F) for flat ones.

Layout: arrays have NCHW shapes, but a conv's output (and its input's gradient) is stored
channel-major, (C, N, *S) in memory, because that is what its matrix product gives; batch
norm, activations and pooling keep the layout they are given (NumPy's elementwise results
follow their input's memory order), so a ResNet's activations never pay a transposing copy.
Every op accepts any memory order; the layout only decides which copies are needed.

Memory: an op keeps only what its backward reads (a conv keeps its input, not its columns;
batch norm keeps the normalised input). `inplace=True` tells an op that nobody else reads its
input, so it may write its output over it; ops whose backward reads their own output say so
in `keeps_output`, and the runner then does not let the next op overwrite it.
"""
from __future__ import annotations

import math
from typing import Callable, ClassVar, NamedTuple

import numpy as np

from ..geometry import adaptive_window, transposed_size
from ..layers import Layer
from . import parallel
from .im2col import (
    Scratch,
    Sliding,
    col2im,
    im2col,
    is_channel_major,
    pad,
    phase_pad,
    phase_unpad,
    phased_shape,
    tap,
    unpad,
    window_view,
)
from .special import normal_cdf, normal_pdf

Array = np.ndarray


class Op:
    """One layer's forward and backward, with its parameters and their gradients."""

    keeps_output: ClassVar[bool] = False

    def __init__(self, layer: Layer):
        self.layer = layer
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.buffers: dict[str, Array] = {}
        # temporaries that die within a call; the runner hands every op the same one
        self.scratch = Scratch()

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Fresh parameters, one array per `Layer.param_shapes()` entry."""
        self.params = {name: self.initial(name, shape, rng, np.dtype(dtype))
                       for name, shape in self.layer.param_shapes().items()}

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        """Weights 1 and biases 0 (norms); conv and dense override with He init."""
        return np.ones(shape, dtype) if name == "weight" else np.zeros(shape, dtype)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        raise NotImplementedError

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        raise NotImplementedError

    def workspace(self, batch: int) -> int:
        """Elements of the largest temporary this op allocates beyond its output."""
        return 0


class MergeOp(Op):
    """Where branches meet: several inputs, one output, no parameters."""

    def forward(self, xs: list[Array], train: bool = True,  # type: ignore[override]
                owned: tuple[bool, ...] = ()) -> Array:
        """`owned[i]`: nobody else reads xs[i], so the output may be written over it."""
        raise NotImplementedError

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:  # type: ignore
        raise NotImplementedError


OPS: dict[str, type[Op]] = {}


def register(*kinds: str) -> Callable[[type], type]:
    """Make an op class the executor of the layers of these YAML kinds."""
    def add(cls: type) -> type:
        for kind in kinds:
            assert kind not in OPS, f"op for '{kind}' registered twice"
            OPS[kind] = cls
        return cls
    return add


class UnsupportedKind(Exception):
    """A layer kind the calculator knows but the executor cannot run."""


def op_for(layer: Layer) -> Op:
    """The op that executes `layer`, found by its kind (never by its class name)."""
    cls = OPS.get(layer.kind)
    if cls is None:
        raise UnsupportedKind(f"the executor has no op for layer kind '{layer.kind}'")
    return cls(layer)


def _he_normal(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator,
               dtype: np.dtype) -> Array:
    """Kaiming He normal init for ReLU nets: N(0, 2 / fan_in), drawn in the run's dtype."""
    weight = rng.standard_normal(shape, dtype=dtype)
    weight *= math.sqrt(2.0 / fan_in)
    return weight


def _channel_view(vector: Array, ndim: int) -> Array:
    """A per-channel vector (C,) shaped to broadcast over (N, C, *S)."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def _spatial_axes(x: Array) -> tuple[int, ...]:
    return tuple(range(2, x.ndim))


# --- convolutions -----------------------------------------------------------------------

@register("conv")
class ConvOp(Op):
    """y = W * x + b with im2col: one matrix product forward, two backward.

    The columns use the 'channel' layout (C*K, N*L), so each product is a single 2-D BLAS
    call over the whole batch (OpenBLAS runs one large product several times faster than a
    batch of per-sample ones). The product's (F, N*L) result is returned as it is, an
    (N, F, *O) view of channel-major memory (see the module's docstring); dy and dx likewise
    need no transposing copy when they are channel-major. Backward rebuilds the columns
    rather than keeping them: they are K times the input's size.

    With stride 1 the input's gradient is itself a convolution: of dy, padded by
    d(K - 1) - p before, with the kernel flipped and its in and out channels swapped
    (dx[h] = sum_k dy[h + p - k d] W[k]). That is an im2col copy and one product whose
    inner size is F K rather than F; it ran 15-30% faster here than the product and col2im's
    strided adds, which the other convs (and `backward_by_col2im`, for the tests) use. The
    same columns of dy, multiplied by x itself, give the weight's gradient, so a stride-1
    conv's backward builds no columns of x at all.
    """

    def __init__(self, layer: Layer):
        super().__init__(layer)
        self.axes = tuple(Sliding.of(w) for w in layer.windows())
        self.x: Array | None = None
        # the adjoint conv's windows: over dy (size O), one per input pixel (count S)
        self.adjoint_axes = tuple(
            Sliding(a.out, a.kernel, 1, a.dilation, a.dilation * (a.kernel - 1) - a.pad_before,
                    a.size) for a in self.axes)
        self.by_adjoint = layer.groups == 1 and all(
            a.stride == 1 and b.pad_before >= 0 for a, b in zip(self.axes, self.adjoint_axes))

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":
            return _he_normal(shape, math.prod(shape[1:]), rng, dtype)
        return np.zeros(shape, dtype)

    def workspace(self, batch: int) -> int:
        """The scratch buffers at their largest: the columns (of x, N C K L, or for the
        adjoint backward of dy, N F K S) and the phased padded array they are copied from,
        counted twice for the gradient arrays made beside them."""
        layer, kernel = self.layer, math.prod(a.kernel for a in self.axes)
        channels, sizes = layer.input_shape[0], layer.input_shape[1:]
        columns = batch * channels * kernel * math.prod(a.out for a in self.axes)
        padded = math.prod(phased_shape((batch, channels, *sizes), self.axes))
        if self.by_adjoint:
            outputs = tuple(a.out for a in self.axes)
            columns = max(columns, batch * layer.filters * kernel * math.prod(sizes))
            padded = max(padded, math.prod(phased_shape((batch, layer.filters, *outputs),
                                                        self.adjoint_axes)))
        return 2 * (columns + padded)

    def _grouped_weight(self) -> Array:
        w = self.params["weight"]
        return w.reshape(self.layer.groups, w.shape[0] // self.layer.groups, -1)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        n, groups, filters = x.shape[0], self.layer.groups, self.layer.filters
        cols = im2col(x, self.axes, "channel", scratch=self.scratch)   # (C*K, N*L)
        w = self._grouped_weight()                               # (g, F/g, C/g*K)
        if groups == 1:
            out = w[0] @ cols                                    # (F, N*L)
        else:
            out = np.matmul(w, cols.reshape(groups, -1, cols.shape[1]))
        del cols
        out = out.reshape(filters, n, *(a.out for a in self.axes))  # (F, N, *O)
        if "bias" in self.params:
            out += _channel_view(self.params["bias"], out.ndim).swapaxes(0, 1)
        return out.swapaxes(0, 1)                                # (N, F, *O), channel-major

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        if not self.by_adjoint:
            return self.backward_by_col2im(dy)
        x, self.x = self.x, None
        n, c = x.shape[:2]
        weight = self.params["weight"]
        spatial = tuple(range(2, weight.ndim))
        if "bias" in self.params:
            self.grads["bias"] = dy.sum(axis=(0, *spatial))
        dcols = im2col(dy, self.adjoint_axes, "channel", scratch=self.scratch)  # (F*K, N*S)
        # dy's columns give the weight's gradient too, against x itself (C, N*S), a view
        # when x is channel-major: row (f, k') of dcols is dy read at tap k = K-1-k', so
        # sum_(n,s) dcols[(f, k'), (n, s)] x[c, n, s] = dW[f, c, K-1-k']; no columns of x
        x2d = x.swapaxes(0, 1).reshape(c, -1)
        dw = (dcols @ x2d.T).reshape(weight.shape[0], *weight.shape[2:], c)  # (F, *K', C)
        dw = np.flip(dw, tuple(range(1, weight.ndim - 1)))      # taps back in kernel order
        # a strided (F, C, *K) view: copying it contiguous cost ~2.5 ms in layer4 for nothing
        self.grads["weight"] = np.moveaxis(dw, -1, 1)
        flipped = np.flip(weight, spatial).swapaxes(0, 1)        # (C, F, *K)
        flipped = np.ascontiguousarray(flipped).reshape(c, -1)
        dxt = None
        if inplace and dy.shape == x.shape and dy.dtype == x.dtype and is_channel_major(dy):
            # dy is dead once copied into the columns: dx takes its pages, not fresh ones
            dxt = dy.swapaxes(0, 1).reshape(c, -1)
        dxt = np.matmul(flipped, dcols, out=dxt)                 # (C, N*S)
        return dxt.reshape(c, n, *x.shape[2:]).swapaxes(0, 1)

    def backward_by_col2im(self, dy: Array) -> Array:
        """Backward for any stride and groups: the columns' gradient W^T dy, then col2im."""
        x, cols, dyt = self._columns_and_dy(dy)
        self._weight_gradient(cols, dyt)
        # the columns' gradient is written over the columns, dead once the weight's
        # gradient is made: no second array of that size (and no fresh pages to fault in)
        groups = self.layer.groups
        np.matmul(self._grouped_weight().transpose(0, 2, 1),      # (g, C/g*K, F/g)
                  dyt.reshape(groups, -1, dyt.shape[-1]),          # (g, F/g, N*L)
                  out=cols.reshape(groups, -1, cols.shape[-1]))
        return col2im(cols, x.shape, self.axes, "channel", self.scratch)

    def _columns_and_dy(self, dy: Array) -> tuple[Array, Array, Array]:
        """Backward's common start: x, its columns (C*K, N*L) rebuilt in the scratch
        buffer, and dy as (F, N*L); leaves the bias's gradient."""
        x, self.x = self.x, None
        n, filters = x.shape[0], self.layer.filters
        cols = im2col(x, self.axes, "channel", scratch=self.scratch)
        dyt = np.ascontiguousarray(dy.reshape(n, filters, -1).transpose(1, 0, 2)).reshape(
            filters, -1)
        if "bias" in self.params:
            self.grads["bias"] = dyt.sum(axis=1)
        return x, cols, dyt

    def _weight_gradient(self, cols: Array, dyt: Array) -> None:
        """dW = dy cols^T per group, from cols (C*K, N*L) and dyt (F, N*L)."""
        groups, weight = self.layer.groups, self.params["weight"]
        if groups == 1:
            # (cols dy^T)^T: this operand order keeps OpenBLAS on its fast path
            self.grads["weight"] = (cols @ dyt.T).T.reshape(weight.shape)
            return
        dyg = dyt.reshape(groups, -1, dyt.shape[-1])               # (g, F/g, N*L)
        colg = cols.reshape(groups, -1, cols.shape[-1])            # (g, C/g*K, N*L)
        self.grads["weight"] = np.matmul(dyg, colg.transpose(0, 2, 1)).reshape(weight.shape)


@register("conv_transpose")
class ConvTransposeOp(Op):
    """The adjoint of a conv: col2im of W^T x, then the padding cut from the border.

    Weight (C_in, F/g, *K). Before the cut each axis is `full` = (N - 1)s + d(K - 1) + 1
    long; output_padding adds zeros after it; `padding` removes pixels from both ends.
    """

    def __init__(self, layer: Layer):
        super().__init__(layer)
        spatial = layer.input_shape[1:]
        self.full = tuple(transposed_size(n, k, s, 0, 0, d, 0) for n, s, d, k in
                          zip(spatial, layer.stride, layer.dilation, layer.kernel))
        # the windows of the equivalent conv: one per input pixel, over the uncut output
        self.axes = tuple(Sliding(f, k, s, d, 0, n) for f, k, s, d, n in
                          zip(self.full, layer.kernel, layer.stride, layer.dilation, spatial))
        out = layer.output_shape()[1:]
        self.kept = tuple(max(0, min(o, f - pb)) for o, f, (pb, _) in
                          zip(out, self.full, layer.padding))
        self.x: Array | None = None

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":  # PyTorch's fan_in for a transposed conv: dim 1 times the kernel
            return _he_normal(shape, math.prod(shape[1:]), rng, dtype)
        return np.zeros(shape, dtype)

    def workspace(self, batch: int) -> int:
        """The columns, the uncut output and their gradients."""
        rows = self.layer.filters * math.prod(self.layer.kernel)
        cols = batch * rows * math.prod(self.layer.input_shape[1:])
        return 2 * cols + 2 * batch * self.layer.filters * math.prod(self.full)

    def _cut(self) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
        """(where in the uncut output, where in the output) of the kept pixels."""
        uncut = tuple(slice(pb, pb + k) for (pb, _), k in zip(self.layer.padding, self.kept))
        kept = tuple(slice(0, k) for k in self.kept)
        return (slice(None), slice(None), *uncut), (slice(None), slice(None), *kept)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        layer = self.layer
        n, groups = x.shape[0], layer.groups
        w = self.params["weight"]
        wg = w.reshape(groups, w.shape[0] // groups, -1)          # (g, C/g, F/g*K)
        xg = x.reshape(n, groups, w.shape[0] // groups, -1)       # (N, g, C/g, L)
        cols = np.matmul(wg.transpose(0, 2, 1), xg)                # (N, g, F/g*K, L)
        cols = cols.reshape(n, -1, cols.shape[-1])
        uncut = col2im(cols, (n, layer.filters, *self.full), self.axes, "batch")
        source, target = self._cut()
        y = np.zeros((n, *layer.output_shape()), dtype=x.dtype)
        y[target] = uncut[source]
        if "bias" in self.params:
            y += _channel_view(self.params["bias"], y.ndim)
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x, self.x = self.x, None
        layer = self.layer
        n, groups = x.shape[0], layer.groups
        source, target = self._cut()
        duncut = np.zeros((n, layer.filters, *self.full), dtype=dy.dtype)
        duncut[source] = dy[target]
        cols = im2col(duncut, self.axes, "channel")                # (F*K, N*L)
        colg = cols.reshape(groups, -1, cols.shape[-1])            # (g, F/g*K, N*L)
        w = self.params["weight"]
        c = w.shape[0]
        xt = x.reshape(n, c, -1).transpose(1, 0, 2).reshape(groups, c // groups, -1)
        self.grads["weight"] = np.matmul(xt, colg.transpose(0, 2, 1)).reshape(w.shape)
        if "bias" in self.params:
            self.grads["bias"] = dy.sum(axis=(0, *_spatial_axes(dy)))
        dxt = np.matmul(w.reshape(groups, c // groups, -1), colg)  # (g, C/g, N*L)
        return dxt.reshape(c, n, *x.shape[2:]).swapaxes(0, 1).copy()


@register("dense")
class DenseOp(Op):
    """y = x W^T + b on the last axis: (..., F) -> (..., units)."""

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":
            return _he_normal(shape, shape[1], rng, dtype)
        return np.zeros(shape, dtype)

    # The products are written W x^T and x^T dy: with a large weight, numpy's x W^T and
    # dy^T x leave OpenBLAS's fast path (several times slower, measured on VGG-16's fc6).
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.x = x
        rows = x.reshape(-1, x.shape[-1])
        y = np.ascontiguousarray((self.params["weight"] @ rows.T).T)
        if "bias" in self.params:
            y += self.params["bias"]
        return y.reshape(*x.shape[:-1], -1)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x, self.x = self.x, None
        dy2 = dy.reshape(-1, dy.shape[-1])
        self.grads["weight"] = (x.reshape(-1, x.shape[-1]).T @ dy2).T
        if "bias" in self.params:
            self.grads["bias"] = dy2.sum(axis=0)
        return dy @ self.params["weight"]


# --- pooling ----------------------------------------------------------------------------

def _tap_offsets(axes: tuple[Sliding, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(i) for i in t) for t in np.ndindex(*(a.kernel for a in axes))]


def _tap_region(axes: tuple[Sliding, ...], offset: tuple[int, ...]) -> tuple[slice, ...]:
    return (slice(None), slice(None), *(a.taps(o) for a, o in zip(axes, offset)))


@register("maxpool")
class MaxPoolOp(Op):
    """Max over each window; padding (declared or implicit) never wins, as in PyTorch.

    The winner's tap index is kept per output (the first maximum, PyTorch's tie rule);
    backward adds each output's gradient at its winning tap, one strided add per tap. The
    taps are read from the phased padded input (`im2col.phase_pad`), unit-stride.
    """

    def __init__(self, layer: Layer):
        super().__init__(layer)
        self.axes = tuple(Sliding.of(w) for w in layer.windows())
        self.offsets = _tap_offsets(self.axes)
        # windows are in order, so one wholly in padding exists only if the first ends
        # before the input or the last starts after it
        self.padding_only_windows = any(
            a.dilation * (a.kernel - 1) < a.pad_before
            or (a.out - 1) * a.stride >= a.pad_before + a.size for a in self.axes)

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
        if self.padding_only_windows:
            # a window wholly in padding (the plain ceil rule allows one) reads 0
            np.copyto(best, 0, where=np.isneginf(best))
        return best

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        dxq = self.scratch.array("padded", phased_shape(self.shape, self.axes), dy.dtype,
                                 is_channel_major(dy))
        winner, self.winner = self.winner, None

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
class AvgPoolOp(Op):
    """Mean over each window. The divisor follows PyTorch: the taps inside the input and the
    declared padding (count_include_pad) or inside the input only; the implicit padding past
    a ceil-rounded edge never counts."""

    def __init__(self, layer: Layer):
        super().__init__(layer)
        self.axes = tuple(Sliding.of(w) for w in layer.windows())
        self.offsets = _tap_offsets(self.axes)
        self.divisor = self._divisor()

    def _divisor(self) -> Array | float:
        counts = []
        for a, (_, pad_after) in zip(self.axes, self.layer.padding):
            start = np.arange(a.out) * a.stride
            end = start + a.kernel
            if self.layer.count_include_pad:
                counts.append(np.minimum(end, a.pad_before + a.size + pad_after) - start)
            else:
                counts.append(np.maximum(np.minimum(end, a.pad_before + a.size)
                                         - np.maximum(start, a.pad_before), 1))
        divisor = counts[0]
        for more in counts[1:]:
            divisor = np.multiply.outer(divisor, more)
        if np.all(divisor == len(self.offsets)):
            return float(len(self.offsets))
        return divisor.astype(np.float64)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        windows = window_view(pad(x, self.axes), self.axes)
        total = windows[(slice(None), slice(None), *self.offsets[0])].copy()
        for offset in self.offsets[1:]:
            total += windows[(slice(None), slice(None), *offset)]
        total /= np.asarray(self.divisor, dtype=x.dtype)
        return total

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        share = dy / np.asarray(self.divisor, dtype=dy.dtype)
        dxp = np.zeros((n, c, *(a.reach for a in self.axes)), dtype=dy.dtype)
        for offset in self.offsets:
            dxp[_tap_region(self.axes, offset)] += share
        return unpad(dxp, self.axes)


@register("global_avgpool")
class GlobalAvgPoolOp(Op):
    """Mean over every spatial position: (N, C, *S) -> (N, C, 1, ...) or (N, C)."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        return x.mean(axis=_spatial_axes(x), keepdims=self.layer.keepdims)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        n, c = self.shape[:2]
        share = dy.reshape(n, c, *(1,) * (len(self.shape) - 2)) / math.prod(self.shape[2:])
        return np.broadcast_to(share, self.shape).copy()


@register("global_maxpool")
class GlobalMaxPoolOp(Op):
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


def _along(x: Array, axis: int, matrix: Array) -> Array:
    """Apply a linear map (out, in) to one axis of x."""
    if axis == x.ndim - 1:
        return x @ matrix.T
    shape = x.shape
    y = np.matmul(matrix, x.reshape(*shape[:axis + 1], -1))
    return y.reshape(*shape[:axis], matrix.shape[0], *shape[axis + 1:])


class SeparableOp(Op):
    """A linear map applied axis by axis: adaptive average pooling and upsampling.

    Each spatial axis gets a matrix (out, in); backward applies the transposes.
    """

    def matrices(self, dtype: np.dtype) -> list[Array]:
        raise NotImplementedError

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.maps = self.matrices(x.dtype)
        for axis, m in enumerate(self.maps):
            x = _along(x, 2 + axis, m)
        return x

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        for axis, m in enumerate(self.maps):
            dy = _along(dy, 2 + axis, m.T)
        return dy


def _adaptive_windows(size: int, out: int) -> tuple[Array, Array]:
    """Every adaptive window's [start, stop), from geometry's one rule."""
    return adaptive_window(np.arange(out), size, out)


@register("adaptive_avgpool")
class AdaptiveAvgPoolOp(SeparableOp):
    def matrices(self, dtype: np.dtype) -> list[Array]:
        maps = []
        for size, out in zip(self.layer.input_shape[1:], self.layer.output_size):
            start, end = _adaptive_windows(size, out)
            j = np.arange(size)
            inside = (j >= start[:, None]) & (j < end[:, None])
            maps.append((inside / (end - start)[:, None]).astype(dtype))
        return maps


@register("adaptive_maxpool")
class AdaptiveMaxPoolOp(Op):
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


# --- normalisation ----------------------------------------------------------------------

def normalize(x: Array, axes: tuple[int, ...], eps: float) -> tuple[Array, Array, Array, Array]:
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance, as every framework).
    Returns x_hat, 1/std, mean, var; the last three keep dims for broadcasting."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = np.mean(np.square(centered), axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    centered *= inv_std
    return centered, inv_std, mean, var


def normalize_backward(dxhat: Array, xhat: Array, inv_std: Array, axes: tuple[int, ...]
                       ) -> Array:
    """Gradient through `normalize`: inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat))."""
    mean_d = dxhat.mean(axis=axes, keepdims=True)
    mean_dx = np.mean(dxhat * xhat, axis=axes, keepdims=True)
    return inv_std * (dxhat - mean_d - xhat * mean_dx)


def _channel_dot(a: Array, b: Array) -> Array:
    """sum(a * b) per channel without the product's temporary: a, b (N, C, S) -> (C,)."""
    if hasattr(np, "vecdot"):  # NumPy >= 2.0: a SIMD dot per row, 2-3x faster than einsum
        return np.vecdot(a, b).sum(axis=0)
    return np.einsum("ncs,ncs->c", a, b)


@register("batchnorm")
class BatchNormOp(Op):
    """Per channel over (N, *S). Training uses the batch's statistics and updates the running
    ones (unbiased variance, PyTorch's momentum); eval uses the running ones."""

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().init(rng, dtype)
        c = self.layer.input_shape[0]
        if self.layer.track_running_stats:
            self.buffers = {"running_mean": np.zeros(c, dtype), "running_var": np.ones(c, dtype)}

    @property
    def keeps_output(self) -> bool:  # type: ignore[override]
        return not self.layer.affine  # then the output is x_hat itself

    # Batch norm is memory-bound, so the code counts passes over the batch: the statistics
    # are a sum and a dot product per channel (no squared temporary), x_hat is kept as
    # centered * s (s = 1/std, or 1 once scaled in place) so that forward never scales it
    # separately, and the affine map is one multiply and one add. Channels are independent,
    # so each thread (`parallel`) takes a share of them through every pass.
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        """x (N, C, *S) -> y of the same shape; statistics per channel over (N, *S)."""
        layer = self.layer
        n, c = x.shape[:2]
        x3 = x.reshape(n, c, -1)                                  # (N, C, S)
        count = x3.shape[0] * x3.shape[2]
        batch_stats = self.batch_stats = train or not layer.track_running_stats
        update = train and layer.track_running_stats
        centered = np.empty_like(x3)                              # x3's memory order
        # y over x when nobody else reads x: one fresh array fewer (fresh pages cost faults)
        y = (x3 if inplace else np.empty_like(x3)) if layer.affine else centered
        inv_std = np.empty(c, dtype=x.dtype)

        def channels(start: int, stop: int) -> None:
            part, mine = x3[:, start:stop], centered[:, start:stop]
            if batch_stats:
                mean = part.sum(axis=(0, 2)) / count              # (C,)
                np.subtract(part, mean[:, None], out=mine)
                var = _channel_dot(mine, mine) / count
                if update:
                    m = layer.momentum
                    running_mean = self.buffers["running_mean"][start:stop]
                    running_mean *= 1 - m
                    running_mean += m * mean
                    running_var = self.buffers["running_var"][start:stop]
                    running_var *= 1 - m
                    running_var += m * var * count / max(count - 1, 1)
            else:
                np.subtract(part, self.buffers["running_mean"][start:stop, None], out=mine)
                var = self.buffers["running_var"][start:stop]
            inv_std[start:stop] = 1.0 / np.sqrt(var + layer.eps)
            if not layer.affine:  # the output is x_hat: scale in place
                mine *= inv_std[start:stop, None]
                return
            scale = self.params["weight"][start:stop] * inv_std[start:stop]
            np.multiply(mine, scale[:, None], out=y[:, start:stop])
            y[:, start:stop] += self.params["bias"][start:stop, None]

        parallel.split(channels, c, x3.size)
        self.centered, self.inv_std = centered, inv_std
        self.to_xhat = inv_std if layer.affine else np.ones_like(inv_std)
        return y.reshape(x.shape)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        centered, to_xhat, inv_std = self.centered, self.to_xhat, self.inv_std
        self.centered = None
        n, c = dy.shape[:2]
        dy3 = dy.reshape(n, c, -1)
        count = dy3.shape[0] * dy3.shape[2]
        affine = self.layer.affine
        scale = self.params["weight"] * inv_std if affine else inv_std
        dgamma, dbeta = np.empty_like(inv_std), np.empty_like(inv_std)
        dx = centered  # written over x_hat's share as it is last read: no fresh array

        def channels(start: int, stop: int) -> None:
            grad, mine, out = dy3[:, start:stop], centered[:, start:stop], dx[:, start:stop]
            dbeta[start:stop] = grad.sum(axis=(0, 2))
            dgamma[start:stop] = _channel_dot(grad, mine) * to_xhat[start:stop]  # sum dy x_hat
            if not self.batch_stats:
                np.multiply(grad, scale[start:stop, None], out=out)
                return
            # scale (dy - mean(dy) - x_hat mean(dy x_hat)), dgamma and dbeta being those sums
            coefficient = -to_xhat[start:stop] * dgamma[start:stop] / count
            np.multiply(mine, coefficient[:, None], out=out)
            out += grad
            out -= dbeta[start:stop, None] / count
            out *= scale[start:stop, None]

        parallel.split(channels, c, dy3.size)
        if affine:
            self.grads = {"weight": dgamma, "bias": dbeta}
        return dx.reshape(dy.shape)


class GroupedNormOp(Op):
    """Layer and group norm: statistics per sample over some axes, affine per channel or
    per element."""

    keeps_output: ClassVar[bool] = False

    def grouped(self, x: Array) -> tuple[Array, tuple[int, ...]]:
        """x reshaped for the statistics, and the axes they run over."""
        raise NotImplementedError

    def affine_view(self, values: Array, ndim: int) -> Array:
        raise NotImplementedError

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        grouped, axes = self.grouped(x)
        xhat, inv_std, _, _ = normalize(grouped, axes, self.layer.eps)
        self.xhat, self.inv_std, self.axes, self.shape = xhat, inv_std, axes, x.shape
        xhat = xhat.reshape(x.shape)
        if not self.layer.affine:
            return xhat.copy()
        return xhat * self.affine_view(self.params["weight"], x.ndim) + self.affine_view(
            self.params["bias"], x.ndim)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        xhat = self.xhat.reshape(self.shape)
        if self.layer.affine:
            weight = self.params["weight"]
            summed = tuple(a for a in range(dy.ndim)
                           if self.affine_view(weight, dy.ndim).shape[a] == 1)
            self.grads = {"weight": np.sum(dy * xhat, axis=summed).reshape(weight.shape),
                          "bias": dy.sum(axis=summed).reshape(weight.shape)}
            dy = dy * self.affine_view(weight, dy.ndim)
        dgrouped = normalize_backward(dy.reshape(self.xhat.shape), self.xhat, self.inv_std,
                                      self.axes)
        self.xhat = None
        return dgrouped.reshape(self.shape)


@register("layernorm")
class LayerNormOp(GroupedNormOp):
    """`over: all` normalises each sample over (C, *S) with element-wise affine weights;
    `over: channels` normalises over C at each position, affine per channel."""

    def grouped(self, x: Array) -> tuple[Array, tuple[int, ...]]:
        if self.layer.over == "all":
            return x, tuple(range(1, x.ndim))
        return x, (1,)

    def affine_view(self, values: Array, ndim: int) -> Array:
        if self.layer.over == "all":
            return values[None]
        return _channel_view(values, ndim)


@register("groupnorm")
class GroupNormOp(GroupedNormOp):
    """Per sample over each group of C/groups channels and all positions."""

    def grouped(self, x: Array) -> tuple[Array, tuple[int, ...]]:
        return x.reshape(x.shape[0], self.layer.groups, -1), (2,)

    def affine_view(self, values: Array, ndim: int) -> Array:
        return _channel_view(values, ndim)


# --- activations ------------------------------------------------------------------------

class Elementwise(NamedTuple):
    """An activation: y = forward(x), and dy/dx from what it saves (its input or output)."""

    forward: Callable[[Array, Layer, Array | None], Array]   # (x, layer, out) -> y
    derivative: Callable[[Array, Layer], Array]              # (saved, layer) -> dy/dx
    saves: str                                               # "input" or "output"


def _sigmoid(x: Array, out: Array | None = None) -> Array:
    # 1/(1 + exp(-x)) overflows for very negative x in float32; exp(-|x|) never does
    z = np.exp(-np.abs(x))
    return np.divide(np.where(x >= 0, 1.0, z), 1.0 + z, out=out)


def _hardswish_slope(x: Array, layer: Layer) -> Array:
    return np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0)).astype(x.dtype)


def _gelu_slope(x: Array, layer: Layer) -> Array:
    return normal_cdf(x) + x * normal_pdf(x)


def _silu_slope(x: Array, layer: Layer) -> Array:
    s = _sigmoid(x)
    return s * (1 + x * (1 - s))


ACTIVATIONS: dict[str, Elementwise] = {
    "relu": Elementwise(lambda x, _, out: np.maximum(x, 0, out=out),
                        lambda y, _: y > 0, "output"),
    "relu6": Elementwise(lambda x, _, out: np.clip(x, 0, 6, out=out),
                         lambda y, _: (y > 0) & (y < 6), "output"),
    "sigmoid": Elementwise(lambda x, _, out: _sigmoid(x, out),
                           lambda y, _: y * (1 - y), "output"),
    "tanh": Elementwise(lambda x, _, out: np.tanh(x, out=out),
                        lambda y, _: 1 - y * y, "output"),
    "hardsigmoid": Elementwise(lambda x, _, out: np.clip(x / 6 + 0.5, 0, 1, out=out),
                               lambda y, _: ((y > 0) & (y < 1)) / 6, "output"),
    "hardswish": Elementwise(lambda x, _, out: x * np.clip(x / 6 + 0.5, 0, 1),
                             _hardswish_slope, "input"),
    "gelu": Elementwise(lambda x, _, out: x * normal_cdf(x), _gelu_slope, "input"),
    "silu": Elementwise(lambda x, _, out: x * _sigmoid(x), _silu_slope, "input"),
    "leaky_relu": Elementwise(
        lambda x, layer, out: np.where(x > 0, x, x * layer.negative_slope),
        lambda x, layer: np.where(x > 0, 1.0, layer.negative_slope).astype(x.dtype),
        "input"),
}


@register(*ACTIVATIONS)
class ActivationOp(Op):
    """y = f(x) element by element; dx = dy f'(x), f' read from the saved input or output.
    Activations that save their output may write it over their input."""

    def __init__(self, layer: Layer):
        super().__init__(layer)
        self.fn = ACTIVATIONS[layer.kind]

    @property
    def keeps_output(self) -> bool:  # type: ignore[override]
        return self.fn.saves == "output"

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        if self.fn.saves == "input":  # these build their result from temporaries
            self.saved = x
            return self.fn.forward(x, self.layer, None)
        y = x if inplace else np.empty_like(x)

        def channels(start: int, stop: int) -> None:
            self.fn.forward(x[:, start:stop], self.layer, y[:, start:stop])

        parallel.split(channels, x.shape[1], x.size)
        self.saved = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        saved, self.saved = self.saved, None
        dx = dy if inplace else np.empty_like(dy)

        def channels(start: int, stop: int) -> None:
            slope = self.fn.derivative(saved[:, start:stop], self.layer)
            np.multiply(dy[:, start:stop], slope, out=dx[:, start:stop], dtype=dy.dtype)

        parallel.split(channels, dy.shape[1], dy.size)
        return dx


@register("softmax")
class SoftmaxOp(Op):
    """exp(x - max) / sum over one axis of the sample; dx = y (dy - sum(dy y))."""

    keeps_output = True

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        axis = 1 + self.layer.axis
        y = np.exp(x - x.max(axis=axis, keepdims=True))
        y /= y.sum(axis=axis, keepdims=True)
        self.y = y
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        y, self.y = self.y, None
        return y * (dy - np.sum(dy * y, axis=1 + self.layer.axis, keepdims=True))


@register("dropout")
class DropoutOp(Op):
    """Training: zero each element with probability p, scale the rest by 1/(1 - p). The mask
    comes from a generator seeded per op, so repeated forwards (the gradient check) agree.
    Eval, or p = 0: the identity."""

    seed = 0

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        p = self.layer.p
        if not train or p == 0:
            self.mask = None
            return x
        keep = np.random.default_rng(self.seed).random(x.shape) >= p
        self.mask = (keep / (1 - p)).astype(x.dtype)
        return x * self.mask

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy if self.mask is None else dy * self.mask


# --- reshaping and resampling -----------------------------------------------------------

@register("identity")
class IdentityOp(Op):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        return x

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy


@register("flatten")
class FlattenOp(Op):
    """(N, C, *S) -> (N, C * prod(S)), PyTorch's channel-major order."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return dy.reshape(self.shape)


@register("zeropad")
class ZeroPadOp(Op):
    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.region = (slice(None), slice(None), *(
            slice(b, b + n) for (b, _), n in zip(self.layer.padding, x.shape[2:])))
        y = np.zeros((x.shape[0], *self.layer.output_shape()), dtype=x.dtype)
        y[self.region] = x
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return np.ascontiguousarray(dy[self.region])


@register("upsample")
class UpsampleOp(SeparableOp):
    """PyTorch's nn.Upsample: nearest takes floor(dst * scale), linear modes interpolate
    between two taps per axis (align_corners or half-pixel centers); scale is 1/scale_factor
    when one was given, else in/out."""

    def matrices(self, dtype: np.dtype) -> list[Array]:
        layer = self.layer
        maps = []
        for axis, (size, out) in enumerate(zip(layer.input_shape[1:], layer.size)):
            given = layer.scale[axis] if layer.scale else None
            m = np.zeros((out, size))
            dst = np.arange(out)
            if layer.mode == "nearest":
                if out == size:
                    src = dst
                elif out == 2 * size:
                    src = dst // 2
                else:  # PyTorch computes this scale in float32
                    scale = np.float32(1.0 / given) if given else np.float32(size) / np.float32(
                        out)
                    src = np.minimum(np.floor(dst.astype(np.float32) * scale).astype(int),
                                     size - 1)
                m[dst, src] = 1.0
            else:
                if layer.align_corners:
                    scale = (size - 1) / (out - 1) if out > 1 else 0.0
                    src = dst * scale
                else:
                    scale = 1.0 / given if given else size / out
                    src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
                low = np.floor(src).astype(int)
                high = np.minimum(low + 1, size - 1)
                frac = src - low
                np.add.at(m, (dst, low), 1 - frac)
                np.add.at(m, (dst, high), frac)
            maps.append(m.astype(dtype))
        return maps


# --- merges -----------------------------------------------------------------------------

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
