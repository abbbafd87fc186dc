"""Convolutions: conv (im2col and one product) and its adjoint, the transposed conv."""
from __future__ import annotations

import math

import numpy as np

from ...geometry import FLOOR, Window, transposed_size
from ...layers.conv import Conv, ConvTranspose, SeparableConv
from ..im2col import col2im, im2col, is_channel_major, phased_shape
from .base import Array, Op, channel_view, he_normal, register, spatial_axes
from .pad import gather, padded_sources, scatter


@register("conv", "depthwise_conv")
class ConvOp(Op[Conv]):
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

    def __init__(self, layer: Conv):
        super().__init__(layer)
        self.axes = layer.windows()
        # padding that copies pixels (padding_mode reflect, replicate, circular): the input
        # is padded by a gather first, and the windows slide over it unpadded (same counts:
        # N + pb + pa - F is unchanged, and a conv's rule drops no window)
        self.sources: tuple[Array, ...] = ()
        if getattr(layer, "padding_mode", "zeros") != "zeros":
            self.sources = tuple(padded_sources(a.size, a.pad_before, a.pad_after,
                                                layer.padding_mode) for a in self.axes)
            self.axes = tuple(Window(a.size + a.pad_before + a.pad_after, a.kernel, a.stride,
                                     0, 0, a.dilation, a.rule) for a in self.axes)
        # the adjoint conv's windows: over dy (size O), one per input pixel (count S)
        stride_1 = all(a.stride == 1 for a in self.axes)
        self.adjoint_axes = tuple(a.adjoint() for a in self.axes) if stride_1 else ()
        self.by_adjoint = layer.groups == 1 and stride_1 and all(
            b.pad_before >= 0 for b in self.adjoint_axes)

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":
            return he_normal(shape, math.prod(shape[1:]), rng, dtype)
        return np.zeros(shape, dtype)

    def workspace(self, batch: int) -> int:
        """The scratch buffers at their largest: the columns (of x, N C K L, or for the
        adjoint backward of dy, N F K S) and the phased padded array they are copied from,
        counted twice for the gradient arrays made beside them."""
        layer, kernel = self.layer, math.prod(a.kernel for a in self.axes)
        channels, sizes = layer.input_shape[0], tuple(a.size for a in self.axes)
        columns = batch * channels * kernel * math.prod(a.count for a in self.axes)
        padded = math.prod(phased_shape((batch, channels, *sizes), self.axes))
        if self.by_adjoint:
            outputs = tuple(a.count for a in self.axes)
            columns = max(columns, batch * layer.filters * kernel * math.prod(sizes))
            padded = max(padded, math.prod(phased_shape((batch, layer.filters, *outputs),
                                                        self.adjoint_axes)))
        if self.sources:  # the gathered input kept for backward, and the scatter's copies
            padded += 2 * batch * channels * math.prod(sizes)
        return 2 * (columns + padded)

    def _grouped_weight(self) -> Array:
        w = self.params["weight"]
        return w.reshape(self.layer.groups, w.shape[0] // self.layer.groups, -1)

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        if self.sources:
            x = gather(x, self.sources)
        self.x = x
        n, groups, filters = x.shape[0], self.layer.groups, self.layer.filters
        cols = im2col(x, self.axes, "channel", scratch=self.scratch)   # (C*K, N*L)
        w = self._grouped_weight()                               # (g, F/g, C/g*K)
        if groups == 1:
            out = w[0] @ cols                                    # (F, N*L)
        else:
            out = np.matmul(w, cols.reshape(groups, -1, cols.shape[1]))
        del cols
        out = out.reshape(filters, n, *(a.count for a in self.axes))  # (F, N, *O)
        if "bias" in self.params:
            out += channel_view(self.params["bias"], out.ndim).swapaxes(0, 1)
        return out.swapaxes(0, 1)                                # (N, F, *O), channel-major

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        dx = self.backward_by_adjoint(dy, inplace) if self.by_adjoint else \
            self.backward_by_col2im(dy)
        if self.sources:  # back through the padding: each copied pixel's shares added
            return scatter(dx, self.sources, self.layer.input_shape[1:])
        return dx

    def backward_by_adjoint(self, dy: Array, inplace: bool = False) -> Array:
        """Stride 1, one group: dx is the conv of dy with the flipped kernel."""
        x = self.x
        del self.x  # backward is its only reader: freed with this step
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
        x = self.x
        del self.x  # backward is its only reader: freed with this step
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
class ConvTransposeOp(Op[ConvTranspose]):
    """The adjoint of a conv: col2im of W^T x, then the padding cut from the border.

    Weight (C_in, F/g, *K). Before the cut each axis is `full` = (N - 1)s + d(K - 1) + 1
    long; output_padding adds zeros after it; `padding` removes pixels from both ends.
    """

    def __init__(self, layer: ConvTranspose):
        super().__init__(layer)
        spatial = layer.input_shape[1:]
        self.full = tuple(transposed_size(n, k, s, 0, 0, d, 0) for n, s, d, k in
                          zip(spatial, layer.stride, layer.dilation, layer.kernel))
        # the windows of the equivalent conv: over the uncut output, one per input pixel
        # (floor counts (full - F)/s + 1 = N, exactly)
        self.axes = tuple(Window(f, k, s, 0, 0, d, FLOOR) for f, k, s, d in
                          zip(self.full, layer.kernel, layer.stride, layer.dilation))
        out = layer.output_shape()[1:]
        self.kept = tuple(max(0, min(o, f - pb)) for o, f, (pb, _) in
                          zip(out, self.full, layer.padding))

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name == "weight":  # PyTorch's fan_in for a transposed conv: dim 1 times the kernel
            return he_normal(shape, math.prod(shape[1:]), rng, dtype)
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
            y += channel_view(self.params["bias"], y.ndim)
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        x = self.x
        del self.x  # backward is its only reader: freed with this step
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
            self.grads["bias"] = dy.sum(axis=(0, *spatial_axes(dy)))
        dxt = np.matmul(w.reshape(groups, c // groups, -1), colg)  # (g, C/g, N*L)
        return dxt.reshape(c, n, *x.shape[2:]).swapaxes(0, 1).copy()


@register("separable_conv")
class SeparableConvOp(Op[SeparableConv]):
    """Keras' separable conv: the depthwise conv's op, then the 1x1 pointwise conv's, each
    the conv op of the layer's two parts, sharing this op's parameters."""

    def __init__(self, layer: SeparableConv):
        super().__init__(layer)
        self.depthwise = ConvOp(layer.depthwise)
        self.pointwise = ConvOp(layer.pointwise)

    def initial(self, name: str, shape: tuple[int, ...], rng: np.random.Generator,
                dtype: np.dtype) -> Array:
        if name.endswith("weight"):
            return he_normal(shape, math.prod(shape[1:]), rng, dtype)
        return np.zeros(shape, dtype)

    def workspace(self, batch: int) -> int:
        """The larger conv's, plus the depthwise output between them and its gradient."""
        middle = batch * math.prod(self.layer.depthwise.output_shape())
        return max(self.depthwise.workspace(batch), self.pointwise.workspace(batch)) + \
            2 * middle

    def _share(self) -> None:
        self.depthwise.scratch = self.pointwise.scratch = self.scratch
        self.depthwise.params = {"weight": self.params["depthwise_weight"]}
        self.pointwise.params = {"weight": self.params["pointwise_weight"]} | (
            {"bias": self.params["bias"]} if "bias" in self.params else {})

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self._share()
        return self.pointwise.forward(self.depthwise.forward(x, train), train)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        dmid = self.pointwise.backward(dy)
        dx = self.depthwise.backward(dmid, inplace=True)
        self.grads = {"depthwise_weight": self.depthwise.grads["weight"],
                      "pointwise_weight": self.pointwise.grads["weight"]}
        if "bias" in self.pointwise.grads:
            self.grads["bias"] = self.pointwise.grads["bias"]
        return dx
