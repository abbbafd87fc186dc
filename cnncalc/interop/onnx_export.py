"""Export a built network to ONNX: one ONNX node (or a short, named sequence) per cnncalc
node, named as in the spec, with every intermediate shape declared in `value_info`.

The model is the network in eval mode (batch norm with running statistics, dropout the
identity), opset `OPSET`. Weights are the executor's own initialisation (`executor.ops`'
`init`, drawn in the order `cnncalc run` draws them), or given (`params`, as
`cnncalc run --compare onnxruntime` hands them), or absent (`weights=False`): then every
learned tensor is a graph input declared with its shape and no data, a structure-only
model that `onnx.checker` accepts and a runtime runs once the weights are fed.

Imports onnx and numpy; nothing in the calculator imports this module.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..errors import SpecError
from ..graph import Network, Node, Ref
from ..layers import Layer, Shape
from ..layers.activation import (
    Celu,
    Dropout,
    Elu,
    Hardtanh,
    LeakyRelu,
    Prelu,
    Softmax,
    Softplus,
)
from ..layers.conv import Conv, ConvTranspose, SeparableConv
from ..layers.dense import Dense
from ..layers.merge import Concat
from ..layers.norm import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, LocalResponseNorm
from ..layers.pad import Cropping, ModePad
from ..layers.pool import AdaptivePool, GlobalPool, LPPool, WindowPool
from ..layers.reshape import Flatten, Permute, Upsample
from ..layers.shuffle import MaxUnpool, PixelShuffle, PixelUnshuffle

OPSET = 20  # Gelu is opset 20; wrap padding 19; Mish 18; LayerNormalization 17
IR_VERSION = 9  # what onnxruntime >= 1.16 reads
MAX_BYTES = 2 ** 31 - 2 ** 26  # protobuf's 2 GiB limit on one message, with room to spare

Params = dict[str, dict[str, np.ndarray]]  # per node name: its op's params and buffers


class NotExportable(SpecError):
    """A node that ONNX cannot express."""


def executor_params(network: Network, seed: int) -> Params:
    """The parameters (and running statistics) `cnncalc run --seed SEED` gives each node:
    the executor's ops, initialised in its order from its generator."""
    from ..executor.runner import initialised_ops

    ops = initialised_ops(network, seed, "float32")
    return {node.name: {**op.params, **op.buffers} for node, op in zip(network.nodes, ops)}


class _Graph:
    """The ONNX graph being written: nodes, initializers, declared shapes, unique names."""

    def __init__(self, network: Network, batch: int | str, params: Params | None):
        self.network = network
        self.batch = batch
        self.params = params
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.weight_inputs: list[onnx.ValueInfoProto] = []
        self.weights: list[tuple[str, np.ndarray]] = []
        self.value_info: list[onnx.ValueInfoProto] = []
        self.used: set[str] = set()
        self.tensors: dict[Ref, str] = {}
        self.indices: dict[int, str] = {}  # max pool node -> its indices tensor

    def unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self.used:
            k += 1
            candidate = f"{name}_{k}"
        self.used.add(candidate)
        return candidate

    def dims(self, shape: Shape) -> list[int | str]:
        return [self.batch, *shape]

    def declare(self, tensor: str, shape: Shape,
                elem: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
        info = helper.make_tensor_value_info(tensor, elem, self.dims(shape))
        self.value_info.append(info)
        return info

    def constant(self, name: str, value: np.ndarray) -> str:
        """A fixed tensor (pads, shapes, axes, ones for a scale): always an initializer."""
        tensor = self.unique(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), tensor))
        return tensor

    def ints(self, name: str, values: list[int]) -> str:
        return self.constant(name, np.array(values, dtype=np.int64))

    def floats(self, name: str, values: Any) -> str:
        return self.constant(name, np.asarray(values, dtype=np.float32))

    def weight(self, node: Node, key: str, shape: Shape,
               transform: Callable[[np.ndarray], np.ndarray] | None = None) -> str:
        """A learned tensor of `node`: data from `params`, or (no weights) a graph input of
        its shape. `transform` turns PyTorch's layout into the one the ONNX op reads."""
        tensor = self.unique(f"{node.name}.{key}")
        if self.params is None:
            self.weight_inputs.append(helper.make_tensor_value_info(
                tensor, TensorProto.FLOAT, list(shape)))
            return tensor
        value = self.params[node.name][key].astype(np.float32, copy=False)
        value = transform(value) if transform else value.reshape(shape)
        assert value.shape == tuple(shape), (node.name, key, value.shape, shape)
        self.weights.append((tensor, value))  # added to the finished model: no copies
        return tensor

    def add(self, op: str, inputs: list[str], name: str, outputs: int = 1,
            **attrs: Any) -> list[str]:
        """One ONNX node; its outputs are named after it."""
        node_name = self.unique(name)
        outs = [node_name] + [self.unique(f"{node_name}/out{i}") for i in range(1, outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=node_name, **attrs))
        return outs


def _fail(node: Node, why: str) -> NotExportable:
    return NotExportable.at(node.location, f"{node.layer.kind} '{node.name}': {why}")


LayerT = TypeVar("LayerT", bound=Layer)


def _layer(node: Node, cls: type[LayerT]) -> LayerT:
    """The node's layer as the class its exporter reads: EXPORTERS pairs an exporter with
    the kinds of that class, which the type checker cannot follow."""
    layer = node.layer
    assert isinstance(layer, cls), f"{node.name}: a {layer.kind} exported as a {cls.__name__}"
    return layer


def _flat_pads(pads: tuple[tuple[int, int], ...]) -> list[int]:
    return [b for b, _ in pads] + [a for _, a in pads]


def _window_size(n: int, k: int, s: int, pb: int, pa: int, d: int, ceil: bool) -> int:
    span = n + pb + pa - d * (k - 1) - 1
    return (-(-span // s) if ceil else span // s) + 1


_PAD_MODES = {"zeros": "constant", "constant": "constant", "reflect": "reflect",
              "replicate": "edge", "circular": "wrap"}


def _pad(g: _Graph, x: str, name: str, pads: tuple[tuple[int, int], ...], mode: str) -> str:
    flat = [0, 0, *(b for b, _ in pads), 0, 0, *(a for _, a in pads)]
    return g.add("Pad", [x, g.ints(f"{name}/pads", flat)], name, mode=_PAD_MODES[mode])[0]


def _conv(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Conv)
    return _conv_with(g, node, x, layer, "weight", "bias" if layer.bias else None, node.name)


def _separable(g: _Graph, node: Node, x: str) -> str:
    """The depthwise conv (named NAME/depthwise), then the pointwise one (NAME)."""
    layer = _layer(node, SeparableConv)
    dw, pw = layer.depthwise, layer.pointwise
    y = _conv_with(g, node, x, dw, "depthwise_weight", None, f"{node.name}/depthwise")
    g.declare(y, dw.output_shape())
    bias = "bias" if "bias" in layer.param_shapes() else None
    return _conv_with(g, node, y, pw, "pointwise_weight", bias, node.name)


def _conv_with(g: _Graph, node: Node, x: str, conv: Conv, wkey: str, bkey: str | None,
               name: str) -> str:
    """One Conv: a Pad node first for a padding mode other than zeros; under a ceil size
    rule, the extra after-padding that gives the same count under ONNX's floor rule (the
    executor's last window reads zeros there too)."""
    pads = conv.padding
    extras = [max((o - 1) * s + d * (k - 1) + 1 - (n + b + a), 0) for n, k, s, (b, a), d, o
              in zip(conv.input_shape[1:], conv.kernel, conv.stride, pads, conv.dilation,
                     conv.output_shape()[1:])]
    if conv.padding_mode != "zeros":
        x = _pad(g, x, f"{name}/pad", pads, conv.padding_mode)
        g.declare(x, (conv.input_shape[0], *(n + b + a for n, (b, a) in
                                             zip(conv.input_shape[1:], pads))))
        pads = tuple((0, 0) for _ in pads)
    fixed = tuple((b, a + extra) for (b, a), extra in zip(pads, extras))
    inputs = [x, g.weight(node, wkey, conv.param_shapes()["weight"])]
    if bkey:
        inputs.append(g.weight(node, bkey, (conv.filters,)))
    return g.add("Conv", inputs, name, kernel_shape=list(conv.kernel),
                 strides=list(conv.stride), dilations=list(conv.dilation),
                 group=conv.groups, pads=_flat_pads(fixed))[0]


def _conv_transpose(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, ConvTranspose)
    inputs = [x, g.weight(node, "weight", layer.param_shapes()["weight"])]
    if layer.bias:
        inputs.append(g.weight(node, "bias", (layer.filters,)))
    return g.add("ConvTranspose", inputs, node.name, kernel_shape=list(layer.kernel),
                 strides=list(layer.stride), dilations=list(layer.dilation),
                 group=layer.groups, pads=_flat_pads(layer.padding),
                 output_padding=list(layer.output_padding))[0]


def _pool(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, WindowPool)
    want = layer.output_shape()[1:]
    pads, ceil_mode = _pool_pads(node, want)
    attrs: dict[str, Any] = {"kernel_shape": list(layer.kernel), "strides": list(layer.stride),
                             "pads": _flat_pads(pads), "ceil_mode": ceil_mode}
    if layer.kind == "maxpool":
        attrs["dilations"] = list(layer.dilation)
        if node.index in g.indices:
            y, index = g.add("MaxPool", [x], node.name, outputs=2, **attrs)
            g.indices[node.index] = index
            g.declare(index, layer.output_shape(), TensorProto.INT64)
            return y
        return g.add("MaxPool", [x], node.name, **attrs)[0]
    if isinstance(layer, LPPool):
        if layer.norm_type != 2:
            raise _fail(node, f"PyTorch's LPPool with norm_type {layer.norm_type:g} sums x^p "
                              f"without |x|; ONNX's LpPool sums |x|^p: they agree only for "
                              f"p = 2")
        attrs.pop("ceil_mode")
        if ceil_mode:
            raise _fail(node, "ONNX's LpPool has no ceil_mode")
        return g.add("LpPool", [x], node.name, p=2, **attrs)[0]
    if any(d != 1 for d in layer.dilation):
        raise _fail(node, "ONNX's AveragePool before opset 19 has no dilation")
    attrs["count_include_pad"] = int(layer.count_include_pad)
    if layer.divisor_override is None:
        return g.add("AveragePool", [x], node.name, **attrs)[0]
    if ceil_mode or any(b or a for b, a in layer.padding):
        raise _fail(node, "divisor_override with padding or ceil_mode has no ONNX form")
    y = g.add("AveragePool", [x], f"{node.name}/mean", **attrs)[0]
    g.declare(y, layer.output_shape())
    factor = math.prod(layer.kernel) / layer.divisor_override
    return g.add("Mul", [y, g.floats(f"{node.name}/factor", factor)], node.name)[0]


def _pool_pads(node: Node, want: Shape) -> tuple[tuple[tuple[int, int], ...], int]:
    """Pads (and ceil_mode) under which ONNX counts `want` windows, each where cnncalc puts
    it. ONNX's ceil_mode is avoided where it can be: onnx's shape inference keeps a last
    window that starts in the right padding and onnxruntime drops it (as PyTorch). So the
    after-padding is cut or extended to end at the last window, and floor counts; except
    where that would change an average's divisor (count_include_pad counts the declared
    padding, never past it, as PyTorch): then ceil_mode, with the declared pads."""
    layer = _layer(node, WindowPool)
    pads: list[tuple[int, int]] = []
    ceil_mode = 0
    include_pad = layer.kind == "avgpool" and layer.count_include_pad
    for (n, k, s, (b, a), d), o in zip(zip(layer.input_shape[1:], layer.kernel, layer.stride,
                                           layer.padding, layer.dilation), want):
        need = (o - 1) * s + d * (k - 1) + 1 - (n + b)  # the last window's end past N
        if _window_size(n, k, s, b, a, d, False) == o:
            pads.append((b, a))
        elif 0 <= need <= a or not include_pad:
            pads.append((b, max(need, 0)))
        elif (o - 1) * s >= n + b:
            raise _fail(node, "the ceil rule keeps a last window that starts in the right "
                              "padding; ONNX's ceil_mode drops it, and extra padding would "
                              "change the divisor (count_include_pad): use framework: "
                              "pytorch, or count_include_pad: false")
        else:
            pads.append((b, a))
            ceil_mode = 1
    if ceil_mode:  # every axis by the declared pads, then
        pads = list(layer.padding)
        if any(_window_size(n, k, s, b, a, d, True) != o for n, k, s, (b, a), d, o in zip(
                layer.input_shape[1:], layer.kernel, layer.stride, pads, layer.dilation,
                want)):
            raise _fail(node, "ceil_mode drops a last window that starts in the padding on "
                              "one axis while another needs ceil_mode for the divisor "
                              "(count_include_pad): onnx's shape inference and onnxruntime "
                              "count that window differently")
    if any(p >= k for (b, a), k in zip(pads, layer.kernel) for p in (b, a)):
        raise _fail(node, f"padding {[list(p) for p in pads]} as large as the kernel "
                          f"{list(layer.kernel)}: ONNX runtimes refuse a pad not smaller than "
                          f"the kernel")
    return tuple(pads), ceil_mode


def _adaptive(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, AdaptivePool)
    op = "AveragePool" if layer.kind == "adaptive_avgpool" else "MaxPool"
    sizes = layer.input_shape[1:]
    if not any(n % o for n, o in zip(sizes, layer.output_size)):
        kernel = [n // o for n, o in zip(sizes, layer.output_size)]
        return g.add(op, [x], node.name, kernel_shape=kernel, strides=kernel)[0]
    if sum(layer.output_size) > MAX_ADAPTIVE_WINDOWS:
        raise _fail(node, f"the input {list(sizes)} is not a multiple of the output size "
                          f"{list(layer.output_size)}, and more than {MAX_ADAPTIVE_WINDOWS} "
                          f"unequal windows would each be a node: give an input size the "
                          f"output size divides")
    return _adaptive_windows(g, node, x, "ReduceMean" if op == "AveragePool" else "ReduceMax",
                             layer.output_size)


MAX_ADAPTIVE_WINDOWS = 64  # per layer, summed over the axes, when windows are unequal


def _adaptive_windows(g: _Graph, node: Node, x: str, reduce: str,
                      output_size: tuple[int, ...]) -> str:
    """PyTorch's adaptive windows (start floor(i n / o), end ceil((i + 1) n / o)) when they
    differ in size: axis by axis (a mean or maximum over a box is one over each axis in
    turn), each window a Slice and a Reduce, the windows joined by a Concat."""
    layer = node.layer
    name = node.name
    shape = list(layer.input_shape)
    axes = [a for a, (n, o) in enumerate(zip(layer.input_shape[1:], output_size)) if n != o]
    for step, a in enumerate(axes):
        n, o = shape[1 + a], output_size[a]
        parts = []
        shape[1 + a] = 1
        for i in range(o):
            start, stop = (i * n) // o, -(-((i + 1) * n) // o)
            cut = g.add("Slice", [x, g.ints(f"{name}/axis{a}_from", [start]),
                                  g.ints(f"{name}/axis{a}_to", [stop]),
                                  g.ints(f"{name}/axis{a}", [2 + a])],
                        f"{name}/axis{a}_window{i}")[0]
            g.declare(cut, (*shape[:1 + a], stop - start, *shape[2 + a:]))
            part = g.add(reduce, [cut, g.ints(f"{name}/axis{a}_reduce", [2 + a])],
                         f"{name}/axis{a}_{reduce.lower()}{i}", keepdims=1)[0]
            g.declare(part, tuple(shape))
            parts.append(part)
        shape[1 + a] = o
        last = step == len(axes) - 1
        x = g.add("Concat", parts, name if last else f"{name}/axis{a}", axis=2 + a)[0]
        if not last:
            g.declare(x, tuple(shape))
    return x


def _global(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, GlobalPool)
    op = "GlobalAveragePool" if layer.kind == "global_avgpool" else "GlobalMaxPool"
    if layer.keepdims:
        return g.add(op, [x], node.name)[0]
    y = g.add(op, [x], f"{node.name}/pool")[0]
    g.declare(y, (layer.input_shape[0],) + (1,) * (len(layer.input_shape) - 1))
    return g.add("Flatten", [y], node.name, axis=1)[0]


def _dense(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Dense)
    if len(layer.input_shape) == 1:
        inputs = [x, g.weight(node, "weight", (layer.units, layer.input_shape[0]))]
        if layer.bias:
            inputs.append(g.weight(node, "bias", (layer.units,)))
        return g.add("Gemm", inputs, node.name, transB=1)[0]
    features = layer.input_shape[-1]
    w = g.weight(node, "weight", (features, layer.units), lambda v: v.T)
    if not layer.bias:
        return g.add("MatMul", [x, w], node.name)[0]
    y = g.add("MatMul", [x, w], f"{node.name}/matmul")[0]
    g.declare(y, layer.output_shape())
    return g.add("Add", [y, g.weight(node, "bias", (layer.units,))], node.name)[0]


def _scale_shift(g: _Graph, node: Node, c: int, affine: bool) -> tuple[str, str]:
    if affine:
        return g.weight(node, "weight", (c,)), g.weight(node, "bias", (c,))
    return (g.floats(f"{node.name}/ones", np.ones(c)),
            g.floats(f"{node.name}/zeros", np.zeros(c)))


def _running(g: _Graph, node: Node, c: int) -> tuple[str, str]:
    """The running statistics, which eval mode normalises by."""
    return g.weight(node, "running_mean", (c,)), g.weight(node, "running_var", (c,))


def _batchnorm(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, BatchNorm)
    c = layer.input_shape[0]
    if not layer.track_running_stats:
        raise _fail(node, "without running statistics it normalises by the batch's even in "
                          "eval mode, which ONNX's BatchNormalization (inference) cannot")
    scale, bias = _scale_shift(g, node, c, layer.affine)
    mean, var = _running(g, node, c)
    return g.add("BatchNormalization", [x, scale, bias, mean, var], node.name,
                 epsilon=float(layer.eps))[0]


def _instancenorm(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, InstanceNorm)
    c = layer.input_shape[0]
    scale, bias = _scale_shift(g, node, c, layer.affine)
    if layer.track_running_stats:  # eval: the running statistics, as batch norm
        mean, var = _running(g, node, c)
        return g.add("BatchNormalization", [x, scale, bias, mean, var], node.name,
                     epsilon=float(layer.eps))[0]
    return g.add("InstanceNormalization", [x, scale, bias], node.name, epsilon=float(layer.eps))[0]


def _groupnorm(g: _Graph, node: Node, x: str) -> str:
    """Reshape to (N, G, -1), instance-normalise the groups, reshape back, then the
    per-channel scale and shift (GroupNormalization-18's scale is per group, -21's is
    newer than onnxruntime's support everywhere)."""
    layer = _layer(node, GroupNorm)
    shape = layer.input_shape
    c, groups = shape[0], layer.groups
    name = node.name
    grouped = g.add("Reshape", [x, g.ints(f"{name}/grouped_shape", [0, groups, -1])],
                    f"{name}/grouped")[0]
    g.declare(grouped, (groups, math.prod(shape) // groups))
    normal = g.add("InstanceNormalization",
                   [grouped, g.floats(f"{name}/ones", np.ones(groups)),
                    g.floats(f"{name}/zeros", np.zeros(groups))],
                   f"{name}/normalize", epsilon=float(layer.eps))[0]
    g.declare(normal, (groups, math.prod(shape) // groups))
    back = g.add("Reshape", [normal, g.ints(f"{name}/shape", [0, *shape])],
                 f"{name}/ungrouped" if layer.affine else name)[0]
    if not layer.affine:
        return back
    g.declare(back, shape)
    spread = (c,) + (1,) * (len(shape) - 1)
    scaled = g.add("Mul", [back, g.weight(node, "weight", spread)], f"{name}/scale")[0]
    g.declare(scaled, shape)
    return g.add("Add", [scaled, g.weight(node, "bias", spread)], name)[0]


def _layernorm(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, LayerNorm)
    shape = layer.input_shape
    normalized = layer.normalized_shape()
    name = node.name
    if layer.over == "channels" and len(shape) > 1:
        rank = len(shape) + 1
        last = [0, *range(2, rank), 1]
        back = [0, rank - 1, *range(1, rank - 1)]
        moved = g.add("Transpose", [x], f"{name}/channels_last", perm=last)[0]
        g.declare(moved, (*shape[1:], shape[0]))
        y = _layernorm_op(g, node, moved, (shape[0],), f"{name}/normalize", -1)
        g.declare(y, (*shape[1:], shape[0]))
        return g.add("Transpose", [y], name, perm=back)[0]
    return _layernorm_op(g, node, x, normalized, name, -len(normalized))


def _layernorm_op(g: _Graph, node: Node, x: str, normalized: Shape, name: str,
                  axis: int) -> str:
    layer = _layer(node, LayerNorm)
    inputs = [x, g.weight(node, "weight", normalized) if layer.affine
              else g.floats(f"{name}/ones", np.ones(normalized))]
    if layer.affine and layer.bias:
        inputs.append(g.weight(node, "bias", normalized))
    return g.add("LayerNormalization", inputs, name, axis=axis, epsilon=float(layer.eps))[0]


def _lrn(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, LocalResponseNorm)
    if layer.size % 2 == 0:
        raise _fail(node, f"an even size ({layer.size}) sums PyTorch's neighbours "
                          f"{layer.size // 2} before and {layer.size // 2 - 1} after, ONNX's "
                          f"LRN the other way round")
    return g.add("LRN", [x], node.name, size=layer.size, alpha=float(layer.alpha), beta=float(layer.beta),
                 bias=float(layer.k))[0]


def _simple(op: str, **attrs: Any) -> Callable[[_Graph, Node, str], str]:
    def export(g: _Graph, node: Node, x: str) -> str:
        return g.add(op, [x], node.name, **attrs)[0]
    return export


def _clip(low: float | None, high: float | None) -> Callable[[_Graph, Node, str], str]:
    def export(g: _Graph, node: Node, x: str) -> str:
        lo = _layer(node, Hardtanh).min_val if low is None else low
        hi = _layer(node, Hardtanh).max_val if high is None else high
        return g.add("Clip", [x, g.floats(f"{node.name}/min", lo),
                              g.floats(f"{node.name}/max", hi)], node.name)[0]
    return export


def _silu(g: _Graph, node: Node, x: str) -> str:
    s = g.add("Sigmoid", [x], f"{node.name}/sigmoid")[0]
    g.declare(s, node.output_shape)
    return g.add("Mul", [x, s], node.name)[0]


def _softplus(g: _Graph, node: Node, x: str) -> str:
    """log(1 + exp(beta x)) / beta; PyTorch's linear region above `threshold` differs from
    it by less than float32's resolution (log1p(exp(-t)) < 2.1e-9 at the default t = 20)."""
    beta = _layer(node, Softplus).beta
    if beta == 1:
        return g.add("Softplus", [x], node.name)[0]
    name = node.name
    scaled = g.add("Mul", [x, g.floats(f"{name}/beta", beta)], f"{name}/scale")[0]
    g.declare(scaled, node.output_shape)
    soft = g.add("Softplus", [scaled], f"{name}/softplus")[0]
    g.declare(soft, node.output_shape)
    return g.add("Div", [soft, g.floats(f"{name}/divisor", beta)], name)[0]


def _prelu(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Prelu)
    shape = layer.input_shape
    slope = (layer.num_parameters,) + (1,) * (len(shape) - 1)
    return g.add("PRelu", [x, g.weight(node, "weight", slope)], node.name)[0]


def _softmax(op: str) -> Callable[[_Graph, Node, str], str]:
    def export(g: _Graph, node: Node, x: str) -> str:
        axis = _layer(node, Softmax).axis
        return g.add(op, [x], node.name, axis=axis + 1 if axis >= 0 else axis)[0]
    return export


def _dropout(g: _Graph, node: Node, x: str) -> str:
    ratio = _layer(node, Dropout).p
    return g.add("Dropout", [x, g.floats(f"{node.name}/ratio", ratio)], node.name)[0]


def _reshape_to(g: _Graph, node: Node, x: str) -> str:
    return g.add("Reshape", [x, g.ints(f"{node.name}/shape", [0, *node.output_shape])],
                 node.name)[0]


def _flatten(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Flatten)
    if layer.start_dim == 1 and layer.end_dim == len(layer.input_shape):
        return g.add("Flatten", [x], node.name, axis=1)[0]
    return _reshape_to(g, node, x)


def _permute(g: _Graph, node: Node, x: str) -> str:
    dims = _layer(node, Permute).dims
    return g.add("Transpose", [x], node.name, perm=[0, *(d + 1 for d in dims)])[0]


def _upsample(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Upsample)
    mode = layer.mode
    name = node.name
    attrs: dict[str, Any] = {}
    if mode == "area":
        return _adaptive_area(g, node, x)
    if mode in ("nearest", "nearest-exact"):
        attrs = {"mode": "nearest"}
        if mode == "nearest":
            attrs |= {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
        else:
            attrs |= {"coordinate_transformation_mode": "half_pixel",
                      "nearest_mode": "round_prefer_ceil"}
    elif mode in ("linear", "bilinear", "trilinear", "cubic", "bicubic"):
        cubic = mode in ("cubic", "bicubic")
        # half_pixel, not pytorch_half_pixel: that one samples pixel 0 for an output of
        # length 1, where PyTorch samples the middle
        attrs = {"mode": "cubic" if cubic else "linear",
                 "coordinate_transformation_mode":
                     "align_corners" if layer.align_corners else "half_pixel"}
        if cubic:
            attrs["cubic_coeff_a"] = -0.75
    else:
        raise _fail(node, f"upsampling mode '{mode}' has no ONNX Resize form")
    if layer.scale is not None and not layer.recompute_scale_factor:
        scales = g.floats(f"{name}/scales", [1.0, 1.0, *layer.scale])
        return g.add("Resize", [x, "", scales], name, **attrs)[0]
    sizes = g.add("Concat", [g.add("Slice", [g.add("Shape", [x], f"{name}/shape")[0],
                                             g.ints(f"{name}/start", [0]),
                                             g.ints(f"{name}/stop", [2])],
                                   f"{name}/batch_channels")[0],
                             g.ints(f"{name}/size", list(layer.size))],
                  f"{name}/sizes", axis=0)[0]
    return g.add("Resize", [x, "", "", sizes], name, **attrs)[0]


def _adaptive_area(g: _Graph, node: Node, x: str) -> str:
    """Area sampling is adaptive average pooling to the size."""
    layer = _layer(node, Upsample)
    sizes = layer.input_shape[1:]
    if not any(n % o for n, o in zip(sizes, layer.size)):
        kernel = [n // o for n, o in zip(sizes, layer.size)]
        return g.add("AveragePool", [x], node.name, kernel_shape=kernel, strides=kernel)[0]
    if sum(layer.size) > MAX_ADAPTIVE_WINDOWS:
        raise _fail(node, f"area sampling from {list(sizes)} to {list(layer.size)} averages "
                          f"unequal windows, and more than {MAX_ADAPTIVE_WINDOWS} would each "
                          f"be a node")
    return _adaptive_windows(g, node, x, "ReduceMean", layer.size)


def _modepad(g: _Graph, node: Node, x: str) -> str:
    mode = {"zeropad": "constant", "reflection_pad": "reflect", "replication_pad": "edge",
            "circular_pad": "wrap"}[node.layer.kind]
    padding = _layer(node, ModePad).padding
    flat = [0, 0, *(b for b, _ in padding), 0, 0, *(a for _, a in padding)]
    return g.add("Pad", [x, g.ints(f"{node.name}/pads", flat)], node.name, mode=mode)[0]


def _crop(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, Cropping)
    spatial = layer.input_shape[1:]
    starts = [b for b, _ in layer.cropping]
    ends = [n - a for n, (_, a) in zip(spatial, layer.cropping)]
    axes = list(range(2, 2 + len(spatial)))
    return g.add("Slice", [x, g.ints(f"{node.name}/starts", starts),
                           g.ints(f"{node.name}/ends", ends),
                           g.ints(f"{node.name}/axes", axes)], node.name)[0]


def _pixel_shuffle(g: _Graph, node: Node, x: str) -> str:
    layer = _layer(node, PixelShuffle)
    if len(layer.input_shape) != 3:
        raise _fail(node, "ONNX's DepthToSpace is 2-D only")
    return g.add("DepthToSpace", [x], node.name, blocksize=layer.factor, mode="CRD")[0]


def _pixel_unshuffle(g: _Graph, node: Node, x: str) -> str:
    """PyTorch's order (channel c r^2 + i r + j) is not SpaceToDepth's ((i r + j) C + c):
    reshape, transpose and reshape, as torch.onnx exports it."""
    layer = _layer(node, PixelUnshuffle)
    if len(layer.input_shape) != 3:
        raise _fail(node, "pixel unshuffle is exported in 2-D only")
    c, h, w = layer.input_shape
    r = layer.factor
    name = node.name
    split = g.add("Reshape", [x, g.ints(f"{name}/split", [0, c, h // r, r, w // r, r])],
                  f"{name}/split")[0]
    g.declare(split, (c, h // r, r, w // r, r))
    moved = g.add("Transpose", [split], f"{name}/move", perm=[0, 1, 3, 5, 2, 4])[0]
    g.declare(moved, (c, r, r, h // r, w // r))
    return g.add("Reshape", [moved, g.ints(f"{name}/shape", [0, c * r * r, h // r, w // r])],
                 name)[0]


EXPORTERS: dict[str, Callable[[_Graph, Node, str], str]] = {
    "conv": _conv, "depthwise_conv": _conv, "separable_conv": _separable,
    "conv_transpose": _conv_transpose,
    "maxpool": _pool, "avgpool": _pool, "lppool": _pool,
    "adaptive_avgpool": _adaptive, "adaptive_maxpool": _adaptive,
    "global_avgpool": _global, "global_maxpool": _global,
    "dense": _dense,
    "batchnorm": _batchnorm, "instancenorm": _instancenorm, "groupnorm": _groupnorm,
    "layernorm": _layernorm, "local_response_norm": _lrn,
    "relu": _simple("Relu"), "relu6": _clip(0.0, 6.0), "hardtanh": _clip(None, None),
    "sigmoid": _simple("Sigmoid"), "tanh": _simple("Tanh"), "gelu": _simple("Gelu"),
    "silu": _silu, "hardswish": _simple("HardSwish"),
    "hardsigmoid": _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    "selu": _simple("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    "softplus": _softplus, "mish": _simple("Mish"), "prelu": _prelu,
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "dropout": _dropout, "spatial_dropout": _dropout,
    "flatten": _flatten, "reshape": _reshape_to, "permute": _permute,
    "identity": _simple("Identity"), "upsample": _upsample,
    "zeropad": _modepad, "reflection_pad": _modepad, "replication_pad": _modepad,
    "circular_pad": _modepad, "cropping": _crop,
    "pixel_shuffle": _pixel_shuffle, "pixel_unshuffle": _pixel_unshuffle,
}


def _with_alpha(op: str, cls: type[Elu | Celu]) -> Callable[[_Graph, Node, str], str]:
    def export(g: _Graph, node: Node, x: str) -> str:
        return g.add(op, [x], node.name, alpha=float(_layer(node, cls).alpha))[0]
    return export


EXPORTERS |= {"elu": _with_alpha("Elu", Elu), "celu": _with_alpha("Celu", Celu),
              "leaky_relu": lambda g, node, x: g.add(
                  "LeakyRelu", [x], node.name,
                  alpha=float(_layer(node, LeakyRelu).negative_slope))[0]}

NO_ONNX_FORM = {"fractional_maxpool": "its windows are drawn at random on every call; ONNX "
                                      "has no random pooling"}


def _merge(g: _Graph, node: Node, xs: list[str]) -> str:
    kind = node.layer.kind
    attrs: dict[str, Any] = {}
    if kind == "add":
        op = "Add"
    elif kind == "multiply":
        op = "Mul"
    elif kind == "concat":
        axis = _layer(node, Concat).axis
        op, attrs = "Concat", {"axis": axis + 1 if axis >= 0 else axis}
    else:
        raise _fail(node, "no ONNX form for this merge")
    if len(xs) > 2 and op in ("Add", "Mul"):
        op = "Sum" if op == "Add" else op
        if op == "Mul":
            y = xs[0]
            for i, other in enumerate(xs[1:-1]):
                y = g.add("Mul", [y, other], f"{node.name}/product{i}")[0]
                g.declare(y, node.output_shape)
            return g.add("Mul", [y, xs[-1]], node.name)[0]
    return g.add(op, xs, node.name, **attrs)[0]


def _maxunpool(g: _Graph, node: Node, xs: list[str]) -> str:
    layer = _layer(node, MaxUnpool)
    pool_ref = node.inputs[1]
    index = g.indices.get(pool_ref)
    if index is None:
        raise _fail(node, "the layer named by `indices` is not a max pool")
    attrs: dict[str, Any] = {"kernel_shape": list(layer.kernel), "strides": list(layer.stride)}
    # ONNX's default size, (in - 1) s + k - pads, is the pool's input's when pads can make
    # it so: then no output_shape input, and shape inference (which ignores that input)
    # sees the size
    totals = [(i - 1) * s + k - n for i, s, k, n in zip(
        layer.input_shape[1:], layer.stride, layer.kernel, layer.size)]
    if all(t >= 0 for t in totals):
        before = [min(b, t) for b, t in zip(layer.pad_before, totals)]
        pads = before + [t - b for b, t in zip(before, totals)]
        return g.add("MaxUnpool", [xs[0], index], node.name, pads=pads, **attrs)[0]
    if isinstance(g.batch, int):
        shape = g.ints(f"{node.name}/output_shape", [g.batch, *node.output_shape])
    else:  # the batch is known only at run time: the pool's input's shape
        shape = g.add("Shape", [g.tensors[g.network.nodes[pool_ref].inputs[0]]],
                      f"{node.name}/output_shape")[0]
    return g.add("MaxUnpool", [xs[0], index, shape], node.name, **attrs)[0]


def exportable(network: Network) -> None:
    """Raise NotExportable naming the first node ONNX cannot express."""
    for node in network.nodes:
        kind = node.layer.kind
        if kind in NO_ONNX_FORM:
            raise _fail(node, f"no ONNX form: {NO_ONNX_FORM[kind]}")
        if kind not in EXPORTERS and kind not in ("add", "multiply", "concat", "maxunpool"):
            raise _fail(node, "no ONNX form for this kind")


def to_onnx(network: Network, params: Params | None, batch: int | str = 1,
            producer: str = "cnncalc") -> onnx.ModelProto:
    """The network as an ONNX model (eval mode). `params` per node name (see
    `executor_params`), or None for a structure-only model whose learned tensors are graph
    inputs. Raises NotExportable naming the first node ONNX cannot express."""
    exportable(network)
    g = _Graph(network, batch, params)
    inputs = []
    for k, given in enumerate(network.inputs):
        name = g.unique(given.name)
        g.tensors[-1 - k] = name
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                    g.dims(given.shape)))
    for node in network.nodes:  # the pools an unpool reads give their indices
        if node.layer.kind == "maxunpool" and len(node.inputs) > 1 and node.inputs[1] >= 0 \
                and network.nodes[node.inputs[1]].layer.kind == "maxpool":
            g.indices[node.inputs[1]] = ""
    for node in network.nodes:
        xs = [g.tensors[r] for r in node.inputs]
        kind = node.layer.kind
        if kind == "maxunpool":
            y = _maxunpool(g, node, xs)
        elif kind in ("add", "multiply", "concat"):
            y = _merge(g, node, xs)
        else:
            y = EXPORTERS[kind](g, node, xs[0])
        g.tensors[node.index] = y
    outputs: list[onnx.ValueInfoProto] = []
    for i, ref in enumerate(network.outputs):
        tensor = g.tensors[ref]
        wanted = network.output_name(i)
        if tensor != wanted or tensor in (o.name for o in outputs) or ref < 0:
            tensor = g.add("Identity", [tensor], wanted)[0]
        outputs.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT,
                                                     g.dims(network.shape(ref))))
    out_names = {o.name for o in outputs}
    for node in network.nodes:
        tensor = g.tensors[node.index]
        if tensor not in out_names:
            g.declare(tensor, node.output_shape)
    graph = helper.make_graph(g.nodes, network.spec.name or "cnncalc", inputs + g.weight_inputs,
                              outputs, initializer=g.initializers, value_info=g.value_info)
    model = helper.make_model(graph, producer_name=producer,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    for tensor, value in g.weights:  # raw little-endian bytes, as numpy_helper writes them
        proto = model.graph.initializer.add()
        proto.name, proto.data_type = tensor, TensorProto.FLOAT
        proto.dims.extend(value.shape)
        proto.raw_data = np.ascontiguousarray(value, dtype="<f4").tobytes()
    helper.set_model_props(model, {"weights": "data" if params is not None else
                                   "graph inputs (structure only)"})
    return model


def model_bytes(network: Network) -> int:
    """Bytes the weights take in float32, for the 2 GiB guard."""
    return 4 * sum(math.prod(s) for node in network.nodes
                   for s in node.layer.param_shapes().values())


__all__ = [
    "EXPORTERS",
    "MAX_BYTES",
    "NO_ONNX_FORM",
    "OPSET",
    "NotExportable",
    "Params",
    "executor_params",
    "exportable",
    "model_bytes",
    "to_onnx",
    "write_onnx",
]


def write_onnx(network: Network, path: str, seed: int, weights: bool,
               batch: int | str) -> str:
    """Export `network` to `path` (atomically, after `onnx.checker` passes); returns a
    one-line summary. Raises NotExportable (a node without an ONNX form, or weights past
    protobuf's 2 GiB) before anything is written."""
    from ..files import write_atomic

    to_onnx(network, None, batch)  # every refusal, before the weights are drawn
    size = model_bytes(network)
    if weights and size > MAX_BYTES:
        raise NotExportable.at(network.spec.where("input"), (
            f"the weights take {size / 2 ** 30:.2f} GiB in float32, past the 2 GiB an ONNX "
            f"file holds without external data; export with --no-weights"))
    params = executor_params(network, seed) if weights else None
    model = to_onnx(network, params, batch)
    onnx.checker.check_model(model)
    write_atomic(path, model.SerializeToString())
    what = f"weights from seed {seed}" if weights else \
        "no weights (each learned tensor a graph input with its shape)"
    return (f"{path}: ONNX opset {OPSET}, {len(model.graph.node)} nodes for "
            f"{len(network.nodes)} layers, batch {batch}, {what}")
