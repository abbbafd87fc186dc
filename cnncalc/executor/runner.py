"""Run a built network in NumPy: forward, backward, and every executed shape against the
calculated one. Computes and returns a `RunResult`; never prints.

The walk follows the graph's nodes in order (`graph.Network`): each node's op reads the
values its inputs name, and a value is dropped after its last reader, so a long skip holds
one activation, not a copy per step. Backward walks the nodes in reverse; the gradient of a
value read by several nodes is the sum of what each hands back.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..analysis import Mismatch, analyze
from ..build import build
from ..errors import Location, SpecError
from ..graph import Network, Node, Ref
from ..layers import Shape, shape_str
from ..spec import NetSpec
from ..units import format_bytes
from . import gradcheck
from .im2col import Scratch
from .memory import MemoryEstimate, estimate
from .ops import AnyOp, MergeOp, op_for

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class LayerRun:
    """One layer as executed. Shapes without the batch axis, as the calculator gives them."""

    name: str
    kind: str
    depth: int
    location: Location
    calculated: Shape
    executed: Shape
    forward_ms: float
    backward_ms: float | None
    gradient_error: float | None   # worst relative error of the gradient check

    @property
    def match(self) -> bool:
        return self.calculated == self.executed


@dataclass(frozen=True)
class RunResult:
    """What `run` found; the CLI only renders it."""

    name: str
    batch: int
    dtype: str
    train: bool
    input_shape: Shape
    output_shape: Shape          # the main output's, executed, without the batch axis
    layers: tuple[LayerRun, ...]
    loss_name: str
    loss: float
    forward_ms: float
    backward_ms: float | None
    memory: MemoryEstimate
    mismatches: tuple[Mismatch, ...]
    gradient_checked: bool
    inputs: tuple[tuple[str, Shape], ...] = ()    # every input's name and shape
    outputs: tuple[tuple[str, Shape], ...] = ()   # every output's name and executed shape
    # with run(keep=True): the batch fed, the outputs computed, and each node's parameters
    # and buffers as they were when the batch was fed (for a second runtime to compare)
    input_values: tuple[np.ndarray, ...] = ()
    output_values: tuple[np.ndarray, ...] = ()
    params: dict[str, dict[str, np.ndarray]] | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches


class MemoryRefused(Exception):
    """The estimated peak is above the limit; nothing was allocated."""

    def __init__(self, memory: MemoryEstimate, limit: int, batch: int, input_shape: Shape):
        self.memory, self.limit = memory, limit
        size = format_bytes
        super().__init__(
            f"this run would need about {size(memory.total)} (activations "
            f"{size(memory.activations)}, parameters {size(memory.parameters)}, workspace "
            f"{size(memory.workspace)}) for batch {batch} of {shape_str(input_shape)}, above "
            f"the limit of {size(limit)}; use a "
            f"smaller --batch or --input-size (or raise --max-memory)")


def resized(spec: NetSpec, sizes: tuple[int, ...]) -> NetSpec:
    """The spec with other spatial input sizes: one size for every axis, or one per axis."""
    return spec.resized(sizes)


@dataclass
class _Unit:
    node: Node
    op: AnyOp


Progress = Callable[[int], None]


def run(spec: NetSpec | Network, batch: int = 2, input_size: tuple[int, ...] | None = None,
        dtype: str = "float32", seed: int = 0, backward: bool = True, train: bool = True,
        gradient_check: bool = False, max_memory: int | None = None,
        progress: Progress | None = None, keep: bool = False) -> RunResult:
    """Build, initialise (He for conv and dense, ones/zeros for norms), run a random batch
    forward and, with `backward`, backward from a scalar loss; check every executed shape.

    `train=False` is eval mode (running statistics, no dropout). `gradient_check` also checks
    every layer's gradients by finite differences in float64 (batch of at most 2). The spec's
    shape expectations are checked against the executed shapes, except with `input_size`:
    they were written for the spec's own input.
    Raises SpecError for a bad spec or an op that cannot run (a max-pool window of
    padding only, batch norm on one value per channel), MemoryRefused above `max_memory`
    bytes. A non-finite output or loss is a mismatch naming the first layer that gave one;
    NumPy's floating-point warnings are off, as that check replaces them. `keep` also
    returns the batch, the outputs and the parameters (`input_values`, `output_values`,
    `params`).
    """
    with np.errstate(all="ignore"):
        return _run(spec, batch, input_size, dtype, seed, backward, train, gradient_check,
                    max_memory, progress, keep)


def _run(spec: NetSpec | Network, batch: int, input_size: tuple[int, ...] | None,
         dtype: str, seed: int, backward: bool, train: bool, gradient_check: bool,
         max_memory: int | None, progress: Progress | None, keep: bool = False
         ) -> RunResult:
    if batch < 1:
        raise ValueError(f"the batch must be at least 1; found {batch}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; found {dtype!r}")
    base = spec.spec if isinstance(spec, Network) else spec
    if input_size:
        network = build(resized(base, input_size))
    else:
        network = spec if isinstance(spec, Network) else build(spec)
    analysis = analyze(network)
    itemsize = np.dtype(dtype).itemsize
    # first without the ops' workspace: making an op may size arrays by its output
    memory = estimate(analysis, batch, itemsize, 0, backward)
    if max_memory is not None and memory.total > max_memory:
        raise MemoryRefused(memory, max_memory, batch, network.input_shape)
    units = [_Unit(node, op) for node, op in zip(network.nodes, make_ops(network))]
    for unit in units:  # before anything is allocated
        why = unit.op.refusal(batch, train)
        if why:
            raise SpecError.at(unit.node.location,
                               f"{unit.node.layer.kind} '{unit.node.name}': {why}")
    workspace = max((u.op.workspace(batch) for u in units), default=0)
    memory = estimate(analysis, batch, itemsize, workspace, backward)
    if max_memory is not None and memory.total > max_memory:
        raise MemoryRefused(memory, max_memory, batch, network.input_shape)

    rng = init_ops([unit.op for unit in units], seed, dtype)
    # as fed: training updates the running statistics in place (eval leaves all as is)
    kept = {u.node.name: {k: v.copy() if train else v for k, v in
                          (u.op.params | u.op.buffers).items()} for u in units} if keep else None
    xs = [rng.standard_normal((batch, *given.shape), dtype=np.dtype(dtype))
          for given in network.inputs]
    clock = _Clock(progress)
    start = time.perf_counter()
    ys = _forward(network, units, xs, train, clock)
    forward_ms = 1e3 * (time.perf_counter() - start)
    losses = [_loss(y, _head(network, ref), rng) for ref, y in zip(network.outputs, ys)]
    loss_name = " + ".join(dict.fromkeys(name for name, _, _ in losses))
    loss = sum(value for _, value, _ in losses)
    y = ys[0]
    backward_ms = None
    mismatches: list[Mismatch] = []
    if clock.nonfinite is not None or not np.isfinite(loss):
        mismatches.append(_nonfinite(clock.nonfinite, network, loss))
    if backward:
        start = time.perf_counter()
        dxs = _backward(network, units, [dy for _, _, dy in losses], clock)
        backward_ms = 1e3 * (time.perf_counter() - start)
        for given, x, dx in zip(network.inputs, xs, dxs):
            if dx.shape != x.shape:
                mismatches.append(Mismatch(given.location, (
                    f"the gradient of input '{given.name}' has shape {shape_str(dx.shape)}; "
                    f"expected {shape_str(x.shape)}")))
        mismatches += _gradient_shapes(units)
    errors = _check_gradients(network, seed, batch) if gradient_check else {}
    layers = tuple(_layer_run(u, clock, errors.get(u.node.name)) for u in units)
    mismatches = _shape_mismatches(layers, units, network, y, batch,
                                   expectations=not input_size) + mismatches
    mismatches += [Mismatch(r.location, f"{r.kind} '{r.name}': gradient check failed, worst "
                                        f"relative error {r.gradient_error:.2e} (pass below "
                                        f"{gradcheck.PASS_BELOW:.0e})")
                   for r in layers if r.gradient_error is not None
                   and not r.gradient_error < gradcheck.PASS_BELOW]
    return RunResult(network.spec.name, batch, dtype, train, network.input_shape,
                     tuple(y.shape[1:]), layers, loss_name, loss, forward_ms, backward_ms,
                     memory, tuple(mismatches), gradient_check,
                     tuple((i.name, i.shape) for i in network.inputs),
                     tuple((network.output_name(i), tuple(v.shape[1:]))
                           for i, v in enumerate(ys)),
                     tuple(xs) if keep else (), tuple(ys) if keep else (), kept)


def make_ops(network: Network) -> list[AnyOp]:
    """One op per node, linked to the ops whose state it reads (maxunpool: its pool's
    argmax)."""
    ops = [op_for(node.layer) for node in network.nodes]
    for node, op in zip(network.nodes, ops):
        if hasattr(op, "link"):
            op.link([ops[r] if r >= 0 else None for r in node.inputs])
    return ops


def init_ops(ops: list[AnyOp], seed: int, dtype: str) -> np.random.Generator:
    """Initialise the ops in order from one generator seeded `seed` (what `run` does);
    returns the generator, from which `run` then draws the batch."""
    rng = np.random.default_rng(seed)
    scratch = Scratch()  # one buffer for every op's temporaries, not one each
    for index, op in enumerate(ops):
        op.init(rng, np.dtype(dtype))
        op.seed = seed + index  # dropout masks differ per layer, same per run
        op.scratch = scratch
    return rng


def initialised_ops(network: Network, seed: int, dtype: str = "float32") -> list[AnyOp]:
    """The network's ops with the parameters `run(seed=seed)` gives them."""
    ops = make_ops(network)
    init_ops(ops, seed, dtype)
    return ops


class _Clock:
    """Per-node shapes and milliseconds, and progress reports."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.forward: dict[int, float] = {}
        self.backward: dict[int, float] = {}
        self.shapes: dict[int, Shape] = {}
        self.nonfinite: _Unit | None = None  # the first unit that output an inf or NaN

    def done(self, table: dict[int, float], unit: _Unit, start: float) -> None:
        table[id(unit)] = 1e3 * (time.perf_counter() - start)
        if self.progress:
            self.progress(1)


def _forward(network: Network, units: list[_Unit], xs: list[np.ndarray], train: bool,
             clock: _Clock) -> list[np.ndarray]:
    """Every node in order; returns the outputs' values. A value is dropped after its last
    reader, and that reader may write over it (`owned`) when nothing else holds it: no
    other reader to come and no view of it alive. The first unit whose output holds an inf
    or NaN is kept in `clock.nonfinite`: a later layer may hide it (a ReLU turns -inf into
    0)."""
    values: dict[Ref, np.ndarray] = {-1 - i: x for i, x in enumerate(xs)}
    owned: dict[Ref, bool] = dict.fromkeys(values, False)  # the caller keeps the inputs
    last = network.last_use
    for unit in units:
        node, op = unit.node, unit.op
        refs = node.inputs
        mine = tuple(owned[r] and last[r] == node.index and refs.count(r) == 1 for r in refs)
        start = time.perf_counter()
        if isinstance(op, MergeOp):
            y = op.forward([values[r] for r in refs], train, mine)
        else:
            y = op.forward(values[refs[0]], train, mine[0])
        clock.done(clock.forward, unit, start)
        clock.shapes[id(unit)] = y.shape
        fresh = True
        for r, given in zip(refs, mine):
            if np.may_share_memory(values[r], y):  # a view (flatten) or written over
                fresh = fresh and given
                owned[r] = False  # while y lives, nobody may write over r
        owned[node.index] = fresh and not op.keeps_output
        values[node.index] = y
        for r in dict.fromkeys(refs):
            if last[r] == node.index:
                del values[r]
        # a sum is one fast pass that any inf or NaN reaches (about half a ReLU's time);
        # only if it overflowed is every value looked at
        if clock.nonfinite is None and not np.isfinite(y.sum()) and \
                not np.isfinite(y).all():
            clock.nonfinite = unit
    return [values[ref] for ref in network.outputs]


def _head(network: Network, ref: Ref) -> Node | None:
    return network.nodes[ref] if ref >= 0 else None


def _nonfinite(unit: _Unit | None, network: Network, loss: float) -> Mismatch:
    """The first layer whose output held an inf or NaN, or the loss if none did."""
    if unit is not None:
        node = unit.node
        return Mismatch(node.location, (
            f"{node.layer.kind} '{node.name}': its output holds inf or NaN on this random "
            f"batch (the loss is {loss:g}); what follows is undefined"))
    return Mismatch(network.spec.where("input"),
                    f"the loss is {loss:g} though every output is finite")


def _backward(network: Network, units: list[_Unit], dys: list[np.ndarray],
              clock: _Clock) -> list[np.ndarray]:
    """Every node in reverse, from the outputs' gradients; returns each input's gradient.
    A value's gradient is summed over its readers; a node no output depends on gets a
    zero gradient, so its parameters still get theirs."""
    grads: dict[Ref, np.ndarray] = {}
    owned: dict[Ref, bool] = {}

    def give(ref: Ref, part: np.ndarray, mine: bool) -> None:
        if ref not in grads:
            grads[ref], owned[ref] = part, mine
        elif owned[ref]:
            grads[ref] += part
        else:
            grads[ref], owned[ref] = grads[ref] + part, True

    for ref, output_grad in zip(network.outputs, dys):
        give(ref, output_grad, True)
    for unit in reversed(units):
        node, op = unit.node, unit.op
        dy = grads.pop(node.index, None)
        mine = owned.pop(node.index, True)
        if dy is None:
            dy = np.zeros(clock.shapes[id(unit)], dtype=dys[0].dtype)
        start = time.perf_counter()
        if isinstance(op, MergeOp):
            parts = op.backward(dy)
            for ref, part in zip(node.inputs, parts):
                give(ref, part, False)
        else:
            dx = op.backward(dy, mine)
            give(node.inputs[0], dx, mine or not np.may_share_memory(dx, dy))
        clock.done(clock.backward, unit, start)
    return [grads[-1 - i] if -1 - i in grads else np.zeros(0) for i in
            range(len(network.inputs))]


def _loss(y: np.ndarray, head: Node | None, rng: np.random.Generator
          ) -> tuple[str, float, np.ndarray]:
    """Cross-entropy against random labels when the head is a classifier (a flat output of
    several classes): the log of a softmax head's probabilities, a log_softmax head's own
    log-probabilities (PyTorch's NLLLoss), else computed from logits; otherwise the sum of
    the outputs. Returns (name, value, dL/dy)."""
    n = y.shape[0]
    if y.ndim == 2 and y.shape[1] > 1:
        labels = rng.integers(0, y.shape[1], size=n)
        rows = np.arange(n)
        if head is not None and head.layer.makes_log_probabilities:  # log_softmax: NLL
            dy = np.zeros_like(y)
            dy[rows, labels] = -1.0 / n
            return "cross-entropy", float(-y[rows, labels].mean()), dy
        if head is not None and head.layer.makes_probabilities:  # already probabilities
            picked = np.maximum(y[rows, labels], np.finfo(y.dtype).tiny)
            dy = np.zeros_like(y)
            dy[rows, labels] = -1.0 / (n * picked)
            return "cross-entropy", float(-np.log(picked).mean()), dy
        shifted = y - y.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        dy = np.exp(log_probs)
        dy[rows, labels] -= 1
        dy /= n
        return "cross-entropy", float(-log_probs[rows, labels].mean()), dy
    return "sum", float(y.sum(dtype=np.float64)), np.ones_like(y)


def _gradient_shapes(units: list[_Unit]) -> list[Mismatch]:
    found = []
    for unit in units:
        layer = unit.node.layer
        for name, shape in layer.param_shapes().items():
            got = unit.op.grads.get(name)
            if got is None or got.shape != shape:
                what = "no gradient" if got is None else f"a gradient of shape " \
                                                          f"{shape_str(got.shape)}"
                found.append(Mismatch(unit.node.location,
                                      f"{layer.kind} '{unit.node.name}': parameter '{name}' "
                                      f"{shape_str(shape)} got {what}"))
    return found


def _ran(network: Network, ref: Ref, rng: np.random.Generator, n: int) -> AnyOp | None:
    """A fresh op of node `ref`, run forward on a random input (None for a net input)."""
    if ref < 0:
        return None
    node = network.nodes[ref]
    op = op_for(node.layer)
    op.init(rng, np.dtype("float64"))
    shapes = [network.shape(r) for r in node.inputs]
    xs = [rng.standard_normal((n, *s)) for s in shapes]
    if isinstance(op, MergeOp):
        op.forward(xs)
    else:
        op.forward(xs[0])
    return op


def _check_gradients(network: Network, seed: int, batch: int) -> dict[str, float]:
    """Worst relative gradient error per layer, each op fresh in float64."""
    rng = np.random.default_rng(seed)
    errors = {}
    n = min(batch, 2)
    for node in network.nodes:
        op = op_for(node.layer)
        op.init(rng, np.dtype("float64"))
        shapes = [network.shape(ref) for ref in node.inputs]
        inputs = [rng.standard_normal((n, *s)) for s in shapes] if isinstance(
            op, MergeOp) else rng.standard_normal((n, *shapes[0]))
        if hasattr(op, "link"):  # the op whose state it reads (maxunpool: the pool's
            # argmax, its second input) run afresh; the first input is the values only
            op.link([None, *(_ran(network, ref, rng, n) for ref in node.inputs[1:])])
        errors[node.name] = gradcheck.worst_error(op, inputs, rng)
    return errors


def _layer_run(unit: _Unit, clock: _Clock, error: float | None) -> LayerRun:
    node = unit.node
    key = id(unit)
    return LayerRun(node.name, node.layer.kind, node.depth, node.location,
                    node.output_shape, tuple(clock.shapes[key][1:]), clock.forward[key],
                    clock.backward.get(key), error)


def _shape_mismatches(layers: tuple[LayerRun, ...], units: list[_Unit], network: Network,
                      y: np.ndarray, batch: int, expectations: bool) -> list[Mismatch]:
    found = []
    for layer, unit in zip(layers, units):
        label = f"{layer.kind} '{layer.name}'"
        if not layer.match:
            found.append(Mismatch(layer.location, f"{label}: calculated output "
                                                  f"{shape_str(layer.calculated)}, executed "
                                                  f"{shape_str(layer.executed)}"))
        expect = unit.node.expect if expectations else None
        for key in ("shape", "output_shape"):
            if expect is not None and key in expect and tuple(expect[key]) != layer.executed:
                found.append(Mismatch(expect.where(key), (
                    f"{label}: expected output shape {shape_str(tuple(expect[key]))}, "
                    f"executed {shape_str(layer.executed)}")))
    expect = network.spec.expect if expectations else None
    for key in ("shape", "output_shape"):
        if expect is not None and key in expect and tuple(expect[key]) != y.shape[1:]:
            found.append(Mismatch(expect.where(key), (
                f"network '{network.spec.name}': expected output shape "
                f"{shape_str(tuple(expect[key]))}, executed {shape_str(y.shape[1:])}")))
    if y.shape[0] != batch:
        found.append(Mismatch(network.spec.where("input"),
                              f"the output has batch {y.shape[0]}; expected {batch}"))
    return found


__all__ = ["DTYPES", "LayerRun", "MemoryRefused", "Mismatch", "RunResult", "init_ops",
           "initialised_ops", "make_ops", "resized", "run"]
