"""Forward and backward of every layer kind, in NumPy, chosen by the layer's YAML kind or,
for layers that carry their own math (elementwise activations), by that trait.

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

# The families register their ops on import; this order keeps OPS in the order it always had.
# isort: off
from . import conv, dense, pool, norm, activation, reshape, merge, pad  # noqa: F401
# isort: on
from .activation import ActivationOp, DropoutOp, SoftmaxOp
from .base import (
    OPS,
    TRAIT_OPS,
    AnyOp,
    Array,
    MergeOp,
    Op,
    OpBase,
    OpClass,
    SeparableOp,
    UnsupportedKind,
    op_class,
    op_for,
    register,
    register_trait,
)
from .conv import ConvOp, ConvTransposeOp
from .dense import DenseOp
from .merge import AddOp, ConcatOp, MultiplyOp
from .norm import (
    BatchNormOp,
    GroupedNormOp,
    GroupNormOp,
    LayerNormOp,
    normalize,
    normalize_backward,
)
from .pool import (
    AdaptiveAvgPoolOp,
    AdaptiveMaxPoolOp,
    AvgPoolOp,
    GlobalAvgPoolOp,
    GlobalMaxPoolOp,
    MaxPoolOp,
)
from .reshape import FlattenOp, IdentityOp, UpsampleOp, ZeroPadOp

__all__ = [
    "OPS",
    "TRAIT_OPS",
    "ActivationOp",
    "AdaptiveAvgPoolOp",
    "AdaptiveMaxPoolOp",
    "AddOp",
    "AnyOp",
    "Array",
    "AvgPoolOp",
    "BatchNormOp",
    "ConcatOp",
    "ConvOp",
    "ConvTransposeOp",
    "DenseOp",
    "DropoutOp",
    "FlattenOp",
    "GlobalAvgPoolOp",
    "GlobalMaxPoolOp",
    "GroupNormOp",
    "GroupedNormOp",
    "IdentityOp",
    "LayerNormOp",
    "MaxPoolOp",
    "MergeOp",
    "MultiplyOp",
    "Op",
    "OpBase",
    "OpClass",
    "SeparableOp",
    "SoftmaxOp",
    "UnsupportedKind",
    "UpsampleOp",
    "ZeroPadOp",
    "normalize",
    "normalize_backward",
    "op_class",
    "op_for",
    "register",
    "register_trait",
]
