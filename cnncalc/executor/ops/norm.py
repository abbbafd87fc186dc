"""Normalisation: batch norm; layer, group and instance norm's per-sample statistics; local
response norm across neighbouring channels."""
from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from ...layers.norm import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm
from .. import parallel
from .base import Array, Op, channel_view, register

GroupedNorm = TypeVar("GroupedNorm", bound="LayerNorm | GroupNorm")


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
class BatchNormOp(Op[BatchNorm]):
    """Per channel over (N, *S). Training uses the batch's statistics and updates the running
    ones (unbiased variance, PyTorch's momentum); eval uses the running ones."""

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().init(rng, dtype)
        c = self.layer.input_shape[0]
        if self.layer.track_running_stats:
            self.buffers = {"running_mean": np.zeros(c, dtype), "running_var": np.ones(c, dtype)}

    @property
    def keeps_output(self) -> bool:
        return not self.layer.affine  # then the output is x_hat itself

    def refusal(self, batch: int, train: bool) -> str | None:
        """Batch statistics of one value per channel normalise every value to 0: PyTorch
        refuses them ("Expected more than 1 value per channel when training")."""
        spatial = self.layer.input_shape[1:]
        values = batch * math.prod(spatial)
        if values > 1 or not (train or not self.layer.track_running_stats):
            return None
        shape = "[" + ", ".join(str(n) for n in self.layer.input_shape) + "]"
        return (f"batch statistics need more than one value per channel; batch {batch} of "
                f"{shape} gives 1 and would output zeros (PyTorch refuses it: \"Expected "
                f"more than 1 value per channel when training\"); use --batch 2 or more, "
                f"or --eval")

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
        del self.centered  # dx is written over it
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


class GroupedNormOp(Op[GroupedNorm]):
    """Layer and group norm: statistics per sample over some axes, affine per channel or
    per element."""

    keeps_output = False

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
        y = xhat * self.affine_view(self.params["weight"], x.ndim)
        if "bias" in self.params:  # layer norm's bias: false keeps the scale only
            y += self.affine_view(self.params["bias"], x.ndim)
        return y

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        xhat = self.xhat.reshape(self.shape)
        if self.layer.affine:
            weight = self.params["weight"]
            summed = tuple(a for a in range(dy.ndim)
                           if self.affine_view(weight, dy.ndim).shape[a] == 1)
            self.grads = {"weight": np.sum(dy * xhat, axis=summed).reshape(weight.shape)}
            if "bias" in self.params:
                self.grads["bias"] = dy.sum(axis=summed).reshape(weight.shape)
            dy = dy * self.affine_view(weight, dy.ndim)
        dgrouped = normalize_backward(dy.reshape(self.xhat.shape), self.xhat, self.inv_std,
                                      self.axes)
        del self.xhat  # backward is its only reader: freed with this step
        return dgrouped.reshape(self.shape)


@register("layernorm")
class LayerNormOp(GroupedNormOp[LayerNorm]):
    """`over: all` normalises each sample over (C, *S) and `normalized_shape` over its last
    axes, with element-wise affine weights; `over: channels` normalises over C at each
    position, affine per channel."""

    def grouped(self, x: Array) -> tuple[Array, tuple[int, ...]]:
        if self.layer.over == "channels":
            return x, (1,)
        count = len(self.layer.normalized_shape())
        return x, tuple(range(x.ndim - count, x.ndim))

    def affine_view(self, values: Array, ndim: int) -> Array:
        if self.layer.over == "channels":
            return channel_view(values, ndim)
        return values.reshape((1,) * (ndim - values.ndim) + values.shape)


@register("groupnorm")
class GroupNormOp(GroupedNormOp[GroupNorm]):
    """Per sample over each group of C/groups channels and all positions."""

    def grouped(self, x: Array) -> tuple[Array, tuple[int, ...]]:
        return x.reshape(x.shape[0], self.layer.groups, -1), (2,)

    def affine_view(self, values: Array, ndim: int) -> Array:
        return channel_view(values, ndim)


@register("instancenorm")
class InstanceNormOp(Op[InstanceNorm]):
    """Per sample and channel over the positions. Training, or without running statistics:
    the instance's statistics, and (tracked) the running ones updated as PyTorch does, with
    the mean over the batch of each instance's mean and unbiased variance; eval with running
    statistics: those."""

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        super().init(rng, dtype)
        c = self.layer.input_shape[0]
        if self.layer.track_running_stats:
            self.buffers = {"running_mean": np.zeros(c, dtype), "running_var": np.ones(c, dtype)}

    def refusal(self, batch: int, train: bool) -> str | None:
        """One position per channel normalises every value to 0: PyTorch refuses it."""
        if math.prod(self.layer.input_shape[1:]) > 1 or not (
                train or not self.layer.track_running_stats):
            return None
        return ("instance statistics need more than one position per channel; the input "
                "has 1 and would output zeros (PyTorch refuses it: \"Expected more than 1 "
                "spatial element when training\"); use --eval with track_running_stats")

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        layer = self.layer
        axes = tuple(range(2, x.ndim))
        self.instance = train or not layer.track_running_stats
        if self.instance:
            xhat, inv_std, mean, var = normalize(x, axes, layer.eps)
            if train and layer.track_running_stats:
                count = math.prod(x.shape[2:])
                m = layer.momentum
                for name, value in (("running_mean", mean),
                                    ("running_var", var * count / max(count - 1, 1))):
                    running = self.buffers[name]
                    running *= 1 - m
                    running += m * value.reshape(x.shape[:2]).mean(axis=0)
        else:
            mean = channel_view(self.buffers["running_mean"], x.ndim)
            inv_std = 1.0 / np.sqrt(channel_view(self.buffers["running_var"], x.ndim)
                                    + layer.eps)
            xhat = (x - mean) * inv_std
        self.xhat, self.inv_std, self.axes = xhat, inv_std, axes
        if not layer.affine:
            return xhat.copy()
        return xhat * channel_view(self.params["weight"], x.ndim) + channel_view(
            self.params["bias"], x.ndim)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        xhat = self.xhat
        del self.xhat  # backward is its only reader: freed with this step
        if self.layer.affine:
            summed = (0, *self.axes)
            self.grads = {"weight": np.sum(dy * xhat, axis=summed),
                          "bias": dy.sum(axis=summed)}
            dy = dy * channel_view(self.params["weight"], dy.ndim)
        if not self.instance:
            return dy * self.inv_std
        return normalize_backward(dy, xhat, self.inv_std, self.axes)


def _channel_window(values: Array, before: int, after: int) -> Array:
    """out[:, c] = the sum of values[:, c - before .. c + after], zero beyond the edges."""
    out = np.zeros_like(values)
    c = values.shape[1]
    for offset in range(-before, after + 1):
        if abs(offset) >= c:
            continue
        if offset < 0:
            out[:, -offset:] += values[:, :c + offset]
        elif offset > 0:
            out[:, :c - offset] += values[:, offset:]
        else:
            out += values
    return out


@register("local_response_norm")
class LocalResponseNormOp(Op[LocalResponseNorm]):
    """y = x / d**beta, d = k + alpha/size * the sum of x^2 over channels c - size//2 ..
    c + (size-1)//2 (PyTorch's window and its alpha/size); backward sends each term's
    share back through the mirrored window."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        layer = self.layer
        before, after = layer.size // 2, (layer.size - 1) // 2
        d = _channel_window(x * x, before, after)
        d *= layer.alpha / layer.size
        d += layer.k
        self.x, self.d = x, d
        return x * d ** -layer.beta

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        layer = self.layer
        x, d = self.x, self.d
        del self.x, self.d  # backward is their only reader: freed with this step
        before, after = layer.size // 2, (layer.size - 1) // 2
        scaled = d ** -layer.beta
        # d y_j / d x_c = [j = c] d_c^-beta - beta x_j d_j^(-beta-1) alpha/size 2 x_c for
        # every j whose window holds c: j in c - after .. c + before
        share = dy * x * scaled / d
        back = _channel_window(share, after, before)
        return dy * scaled - (2 * layer.beta * layer.alpha / layer.size) * x * back
