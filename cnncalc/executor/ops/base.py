"""What every op shares: the `Op` interface, the registry by YAML kind, and the
helpers more than one family uses (initialisation, per-channel views, separable maps)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from ...layers import Layer
from ..im2col import Scratch

Array = np.ndarray
L = TypeVar("L", bound=Layer)


class OpBase(Generic[L]):
    """What every op has: its layer, typed as the class it runs (`ConvOp(Op[Conv])` reads
    `self.layer.groups`), its parameters and their gradients. `Op` runs one input,
    `MergeOp` several."""

    seed: int  # set by the runner: differs per op, so that dropout masks do

    def __init__(self, layer: L):
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

    @property
    def keeps_output(self) -> bool:
        """Backward reads this op's output, so nobody may write over it."""
        return False

    def workspace(self, batch: int) -> int:
        """Elements of the largest temporary this op allocates beyond its output."""
        return 0

    def refusal(self, batch: int, train: bool) -> str | None:
        """Why this op cannot give a defined result on its input at this batch and mode
        (checked before anything is allocated), or None."""
        return None


class Op(OpBase[L]):
    """One layer's forward and backward, with its parameters and their gradients."""

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        """`inplace`: nobody else reads x, so the output may be written over it."""
        raise NotImplementedError

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        raise NotImplementedError


class MergeOp(OpBase[L]):
    """Where branches meet: several inputs, one output, no parameters."""

    def forward(self, xs: list[Array], train: bool = True,
                owned: tuple[bool, ...] = ()) -> Array:
        """`owned[i]`: nobody else reads xs[i], so the output may be written over it."""
        raise NotImplementedError

    def backward(self, dy: Array, inplace: bool = False) -> list[Array]:
        """The gradient of each input, in order."""
        raise NotImplementedError


# Any op, as the runner holds them: it asks `isinstance(op, MergeOp)` which call to make.
# Its layer is Any: the registry pairs each op with its layer class by kind, which the type
# system cannot follow.
AnyOp = Op[Any] | MergeOp[Any]
OpClass = type[Op[Any]] | type[MergeOp[Any]]
OpClassT = TypeVar("OpClassT", bound=OpClass)

OPS: dict[str, OpClass] = {}
# ops that run any layer declaring a trait (e.g. an activation that carries its own math),
# tried after OPS, in the order registered
TRAIT_OPS: dict[str, OpClass] = {}


def register(*kinds: str) -> Callable[[OpClassT], OpClassT]:
    """Make an op class the executor of the layers of these YAML kinds."""
    def add(cls: OpClassT) -> OpClassT:
        for kind in kinds:
            assert kind not in OPS, f"op for '{kind}' registered twice"
            OPS[kind] = cls
        return cls
    return add


def register_trait(trait: str) -> Callable[[OpClassT], OpClassT]:
    """Make an op class the executor of every layer whose class sets `trait` true."""
    def add(cls: OpClassT) -> OpClassT:
        assert trait not in TRAIT_OPS, f"op for trait '{trait}' registered twice"
        TRAIT_OPS[trait] = cls
        return cls
    return add


class UnsupportedKind(Exception):
    """A layer kind the calculator knows but the executor cannot run."""


def op_class(layer: type[Layer] | Layer) -> OpClass | None:
    """The op class that executes a layer (class or instance): the op registered for its
    kind, else the op of a trait it declares; never chosen by its class name."""
    cls = OPS.get(layer.kind)
    if cls is not None:
        return cls
    return next((op for trait, op in TRAIT_OPS.items() if getattr(layer, trait, False)), None)


def op_for(layer: Layer) -> AnyOp:
    """The op that executes `layer` (see `op_class`)."""
    cls = op_class(layer)
    if cls is None:
        raise UnsupportedKind(f"the executor has no op for layer kind '{layer.kind}'")
    return cls(layer)


def he_normal(shape: tuple[int, ...], fan_in: int, rng: np.random.Generator,
              dtype: np.dtype) -> Array:
    """Kaiming He normal init for ReLU nets: N(0, 2 / fan_in), drawn in the run's dtype."""
    weight = rng.standard_normal(shape, dtype=dtype)
    weight *= math.sqrt(2.0 / fan_in)
    return weight


def channel_view(vector: Array, ndim: int) -> Array:
    """A per-channel vector (C,) shaped to broadcast over (N, C, *S)."""
    return vector.reshape((1, -1) + (1,) * (ndim - 2))


def spatial_axes(x: Array) -> tuple[int, ...]:
    return tuple(range(2, x.ndim))


def _along(x: Array, axis: int, matrix: Array) -> Array:
    """Apply a linear map (out, in) to one axis of x."""
    if axis == x.ndim - 1:
        return x @ matrix.T
    shape = x.shape
    y = np.matmul(matrix, x.reshape(*shape[:axis + 1], -1))
    return y.reshape(*shape[:axis], matrix.shape[0], *shape[axis + 1:])


class SeparableOp(Op[L]):
    """A linear map applied axis by axis: adaptive average pooling and upsampling.

    Each spatial axis gets a matrix (out, in); backward applies the transposes.
    """

    def matrices(self, dtype: np.dtype) -> list[Array]:
        raise NotImplementedError

    def workspace(self, batch: int) -> int:
        """The matrices, one (out, in) per axis: the memory guard must see a huge one."""
        return sum(o * n for o, n in zip(self.layer.output_shape()[1:],
                                         self.layer.input_shape[1:]))

    def forward(self, x: Array, train: bool = True, inplace: bool = False) -> Array:
        self.maps = self.matrices(x.dtype)
        for axis, m in enumerate(self.maps):
            x = _along(x, 2 + axis, m)
        return x

    def backward(self, dy: Array, inplace: bool = False) -> Array:
        for axis, m in enumerate(self.maps):
            dy = _along(dy, 2 + axis, m.T)
        return dy
