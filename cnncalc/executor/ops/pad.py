"""Padding that copies input pixels (reflect, replicate, circular) and cropping: each a
gather of input positions along every spatial axis, whose backward adds the gradient back
to the positions read (a pixel copied twice gets both shares)."""
from __future__ import annotations

import math

import numpy as np

from ...geometry import pad_source
from ...layers.pad import Cropping, ModePad
from .base import Array, L, Op, register


def padded_sources(size: int, before: int, after: int, mode: str) -> Array:
    """For each padded position along one axis, the input pixel it copies."""
    return np.asarray(pad_source(np.arange(size + before + after), size, before, mode))


def gather(x: Array, sources: tuple[Array, ...]) -> Array:
    """x (N, C, *S) -> (N, C, *S'), output position i of spatial axis a = input sources[a][i]."""
    for axis, index in enumerate(sources):
        x = np.take(x, index, axis=2 + axis)
    return x


def scatter(dy: Array, sources: tuple[Array, ...], sizes: tuple[int, ...]) -> Array:
    """The adjoint of `gather`: each output gradient added to the input pixel it read. One
    0/1 matrix product per axis (exact: each sum adds the shares of one pixel)."""
    for axis in reversed(range(len(sources))):
        index, size = sources[axis], sizes[axis]
        reads = (index[:, None] == np.arange(size)).astype(dy.dtype)   # (out, in)
        moved = np.moveaxis(dy, 2 + axis, -1)
        dy = np.moveaxis(moved @ reads, -1, 2 + axis)
    return np.ascontiguousarray(dy)


class GatherOp(Op[L]):
    """A layer that only moves pixels along its spatial axes, given per axis by `sources`."""

    def __init__(self, layer: L):
        super().__init__(layer)
        self.sizes = layer.input_shape[1:]
        self.sources = self.axis_sources(layer)

    @staticmethod
    def axis_sources(layer: L) -> tuple[Array, ...]:
        raise NotImplementedError

    def workspace(self, batch: int) -> int:
        """One gathered array per axis forward; backward, a product and a copy per axis."""
        layer = self.layer
        largest = max(math.prod(layer.input_shape), math.prod(layer.output_shape()))
        return 4 * batch * largest

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        return gather(x, self.sources)

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        return scatter(dy, self.sources, self.sizes)


@register("reflection_pad", "replication_pad", "circular_pad")
class ModePadOp(GatherOp[ModePad]):
    """Reflect, replicate or circular padding (`geometry.pad_source`)."""

    @staticmethod
    def axis_sources(layer: ModePad) -> tuple[Array, ...]:
        return tuple(padded_sources(n, b, a, layer.mode)
                     for n, (b, a) in zip(layer.input_shape[1:], layer.padding))


@register("cropping")
class CroppingOp(GatherOp[Cropping]):
    """Keras' cropping: output i of an axis is input i + before."""

    @staticmethod
    def axis_sources(layer: Cropping) -> tuple[Array, ...]:
        return tuple(np.arange(b, n - a)
                     for n, (b, a) in zip(layer.input_shape[1:], layer.cropping))
