"""ONNX model -> cnncalc spec text: every node mapped to a layer kind, names from the graph,
parameters from the initializers' shapes (their data is never needed), branches as `from:`
or as `residual`/`branches`, repeated structures as blocks.

Hostile input is bounded: the file's size and node count are capped, external data is never
read (only `dims`, which live in the model file), and a node that cannot be expressed stops
the import with one located message naming it.
"""
from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import limits

MAX_ONNX_BYTES = 2**31  # protobuf's own limit for one message
FOLD_NOTE = ("note: an ONNX model exported in eval mode has each batch norm folded into the "
             "conv before it, so its parameter count is not the framework's; export with "
             "torch.onnx.export(..., training=torch.onnx.TrainingMode.PRESERVE, "
             "do_constant_folding=False) to keep them")

Ref = int  # >= 0: an entry's index; < 0: network input -1 - k


class ImportProblem(ValueError):
    """One located line: the model file, the node (index, name, op type) and why."""


@dataclass
class Entry:
    """One layer of the spec: its kind, arguments (as written), the values it reads."""

    kind: str
    args: dict[str, Any]
    inputs: list[Ref]
    name: str = ""
    base: str = ""       # the graph's name for it, before uniquifying
    op_suffix: str = ""  # the node name's last part (an op counter), to tell bases apart
    where: str = ""      # the node, as messages name it
    tensor: str = ""     # the ONNX tensor it computes
    paired: bool = False  # a max pool whose indices a max unpool reads, or that unpool


@dataclass
class Imported:
    """The spec's parts, before rendering."""

    inputs: list[tuple[str, list[int]]]
    entries: list[Entry]
    outputs: list[Ref]
    notes: list[str] = field(default_factory=list)


def _require_onnx() -> Any:
    import onnx  # the caller checked it is installed

    return onnx


def load_model(path: str | Path) -> Any:
    """The ModelProto at `path`, refusing files too large and never loading external data."""
    onnx = _require_onnx()
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as err:
        raise ImportProblem(f"{path}: cannot read: {err.strerror}") from None
    if size > MAX_ONNX_BYTES:
        raise ImportProblem(f"{path}: {size:,} bytes is more than the {MAX_ONNX_BYTES:,} an "
                            f"ONNX file may hold")
    try:
        model = onnx.load_model_from_string(file.read_bytes())
    except Exception as err:  # noqa: BLE001  (protobuf's DecodeError and friends)
        raise ImportProblem(f"{path}: not an ONNX model: {' '.join(str(err).split())[:200]}"
                            ) from None
    return model


def sanitise(text: str) -> str:
    """A graph name -> a spec name: letters, digits and underscores, never starting with a
    digit (deterministic; uniqueness is the caller's)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "n_" + name
    if name.lower() in ("true", "false", "null", "yes", "no", "on", "off", "y", "n"):
        name += "_"
    return name


def _graph_name(node_name: str, output: str) -> tuple[str, str]:
    """'/layer1/layer1.0/conv1/Conv' -> ('layer1_0_conv1', 'Conv'): the module path without
    repeated prefixes, and the last part (the op and its counter)."""
    parts = [p for p in (node_name or output).split("/") if p]
    if len(parts) < 2:  # '/Flatten' (a function, not a module): the op's name, lower case
        return sanitise(parts[0].lower() if parts and node_name.startswith("/") else
                        parts[0] if parts else output), ""
    modules: list[str] = []
    for part in parts[:-1]:
        if modules and part.startswith(modules[-1] + "."):
            modules[-1] = part
        else:
            modules.append(part)
    return sanitise(".".join(modules)), sanitise(parts[-1]).lower()


_WEIGHT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
               "InstanceNormalization", "LayerNormalization", "PRelu"}


class _ShapeOnly:
    """A weight known by its shape alone (a graph input standing for it): what the importer
    reads of an initializer, dims, with no values."""

    def __init__(self, name: str, dims: list[int]):
        self.name, self.dims = name, dims
        self.data_location = 0  # TensorProto.DEFAULT: not external


class _Importer:
    def __init__(self, model: Any, file: str):
        onnx = _require_onnx()
        self.onnx = onnx
        self.file = file
        self.graph = model.graph
        count = len(self.graph.node)
        if count > limits.max_layers():
            raise ImportProblem(f"{file}: {count:,} nodes is more than cnncalc's "
                                f"{limits.max_layers():,} layers (CNNCALC_MAX_LAYERS raises it)")
        self.opset = max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
                         or [1])
        self.consts: dict[str, Any] = {t.name: t for t in self.graph.initializer}
        self.refs: dict[str, Ref] = {}
        self.shapes: dict[str, list[int | None]] = {}
        self.entries: list[Entry] = []
        self.skip: set[int] = set()
        self.fused: dict[int, tuple[str, dict[str, Any], list[str]]] = {}
        self.consumers: dict[str, list[int]] = {}
        for index, node in enumerate(self.graph.node):
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(index)
        self._weights_as_inputs()
        self._infer_shapes(model)

    def _weights_as_inputs(self) -> None:
        """A structure-only model (`cnncalc export --no-weights`, or any exporter that keeps
        weights out of the file) declares its learned tensors as graph inputs with their
        shapes. A graph input read only in weight slots (a Conv's W and B, a Gemm's, a
        norm's scale and shift, the bias added to a MatMul) is taken as a shape-only
        weight, never as a network input."""
        producer = {out: node for node in self.graph.node for out in node.output}
        for info in self.graph.input:
            uses = [(self.graph.node[i], list(self.graph.node[i].input).index(info.name))
                    for i in self.consumers.get(info.name, [])]
            if info.name in self.consts or not uses or not all(
                    slot > 0 and (node.op_type in _WEIGHT_OPS or node.op_type == "Add" and any(
                        getattr(producer.get(other), "op_type", "") == "MatMul"
                        for other in node.input if other != info.name))
                    for node, slot in uses):
                continue
            dims = _dims(info)
            if dims is None or any(d is None for d in dims):
                continue
            self.consts[info.name] = _ShapeOnly(info.name, [int(d) for d in dims if d is not None])

    # -- reading the model -------------------------------------------------------------
    def _infer_shapes(self, model: Any) -> None:
        try:
            inferred = self.onnx.shape_inference.infer_shapes(model)
        except Exception:  # noqa: BLE001  (shapes then come only from the declared ones)
            inferred = model
        for info in [*inferred.graph.input, *inferred.graph.value_info,
                     *inferred.graph.output]:
            dims = _dims(info)
            if dims is not None:
                self.shapes[info.name] = dims

    def where(self, index: int, node: Any) -> str:
        return f"{self.file}: node {index} '{node.name or node.output[0]}' ({node.op_type})"

    def values(self, name: str, index: int, node: Any) -> list[float] | None:
        """The values of a constant input, flattened; None for an absent optional input."""
        if not name:
            return None
        tensor = self.consts.get(name)
        if tensor is None:
            raise ImportProblem(f"{self.where(index, node)}: input '{name}' must be a constant")
        if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
            raise ImportProblem(f"{self.where(index, node)}: input '{name}' is stored as "
                                f"external data, which cnncalc does not read")
        from onnx import numpy_helper

        try:
            array = None if isinstance(tensor, _ShapeOnly) else numpy_helper.to_array(tensor)
        except Exception:  # noqa: BLE001  (a tensor without data: said below)
            array = None
        if array is None or array.size != math.prod(tensor.dims):
            raise ImportProblem(f"{self.where(index, node)}: input '{name}' has no values "
                                f"(a shape-only tensor); its values are needed here")
        return [x.item() for x in array.reshape(-1)]

    def first_value(self, name: str, index: int, node: Any) -> float:
        """The first value of a constant input the node gives (`name` not empty)."""
        return (self.values(name, index, node) or [])[0]

    def weight_dims(self, name: str, index: int, node: Any) -> list[int]:
        tensor = self.consts.get(name)
        if tensor is None:
            raise ImportProblem(f"{self.where(index, node)}: its weight '{name}' is computed, "
                                f"not an initializer; cnncalc needs a layer's weights")
        return list(tensor.dims)

    def ref(self, name: str, index: int, node: Any) -> Ref:
        if name not in self.refs:
            what = "a constant" if name in self.consts else "not produced before it"
            raise ImportProblem(f"{self.where(index, node)}: input '{name}' is {what}; cnncalc "
                                f"layers read tensors that earlier layers compute")
        return self.refs[name]

    def rank(self, name: str) -> int | None:
        shape = self.shapes.get(name)
        return None if shape is None else len(shape)

    # -- the walk ------------------------------------------------------------------------
    def run(self) -> Imported:
        inputs: list[tuple[str, list[int]]] = []
        for info in self.graph.input:
            if info.name in self.consts:
                continue
            dims = _dims(info)
            if dims is None or len(dims) < 2 or any(d is None for d in dims[1:]):
                raise ImportProblem(f"{self.file}: input '{info.name}' needs a static shape "
                                    f"(batch, channels, sizes...); found {dims}")
            self.refs[info.name] = -1 - len(inputs)
            inputs.append((info.name, [int(d) for d in dims[1:] if d is not None]))
        if not inputs:
            raise ImportProblem(f"{self.file}: the graph has no input")
        self._find_fusions()
        for index, node in enumerate(self.graph.node):
            if index not in self.skip:
                self.node(index, node)
        outputs = []
        for info in self.graph.output:
            ref = self.refs.get(info.name)
            if ref is None or ref < 0:
                raise ImportProblem(f"{self.file}: output '{info.name}' is not computed by a "
                                    f"layer")
            outputs.append(ref)
        self._name_entries()
        return Imported(inputs, self.entries, outputs)

    def _find_fusions(self) -> None:
        """x * sigmoid(x) -> silu; x * hardsigmoid(x) -> hardswish; MatMul + bias -> dense."""
        nodes = self.graph.node
        producer = {out: i for i, n in enumerate(nodes) for out in n.output}
        for index, node in enumerate(nodes):
            if node.op_type == "Mul" and len(node.input) == 2:
                for gate, other in ((node.input[0], node.input[1]),
                                    (node.input[1], node.input[0])):
                    g = producer.get(gate)
                    if g is None or self.consumers.get(gate) != [index]:
                        continue
                    gnode = nodes[g]
                    if gnode.input and gnode.input[0] == other:
                        if gnode.op_type == "Sigmoid":
                            self.skip.add(g)
                            self.fused[index] = ("silu", {}, [other])
                            break
                        attrs = _attrs(gnode)
                        if gnode.op_type == "HardSigmoid" and _close(
                                attrs.get("alpha", 0.2), 1 / 6) and _close(
                                attrs.get("beta", 0.5), 0.5):
                            self.skip.add(g)
                            self.fused[index] = ("hardswish", {}, [other])
                            break
            if node.op_type == "Erf":
                self._find_gelu(index, producer)
            if node.op_type == "Concat":
                self._find_adaptive(index, producer)
            if node.op_type == "Add" and len(node.input) == 2:
                for mm, bias in ((node.input[0], node.input[1]),
                                 (node.input[1], node.input[0])):
                    m = producer.get(mm)
                    if m is None or nodes[m].op_type != "MatMul" or \
                            self.consumers.get(mm) != [index] or bias not in self.consts:
                        continue
                    weight = self.consts.get(nodes[m].input[1])
                    if weight is None or len(weight.dims) != 2:
                        continue
                    if list(self.consts[bias].dims) == [weight.dims[1]]:
                        self.skip.add(m)
                        self.fused[index] = ("dense", {"units": int(weight.dims[1])},
                                             [nodes[m].input[0]])
                        break

    def _adaptive_stage(self, index: int, producer: dict[str, int]
                        ) -> tuple[str, int, int, str, list[int]] | None:
        """Concat over spatial axis a of Reduce(Slice(x, start_i, end_i, a), a) for every
        window i of PyTorch's adaptive pooling of n into o (start floor(i n / o), end
        ceil((i + 1) n / o)): an adaptive pool along a, as cnncalc's exporter writes one
        whose windows differ in size. (x, a, o, reduce op, helper nodes) or None."""
        nodes, node = self.graph.node, self.graph.node[index]
        axis, parts = _attrs(node).get("axis"), list(node.input)
        if not isinstance(axis, int) or axis < 2 or len(parts) < 2:
            return None
        found: tuple[str, str] | None = None
        helpers: list[int] = []
        for i, part in enumerate(parts):
            r = producer.get(part)
            if r is None or self.consumers.get(part) != [index]:
                return None
            reduce = nodes[r]
            axes = _attrs(reduce).get("axes")
            try:
                if axes is None and len(reduce.input) > 1:
                    axes = self.values(reduce.input[1], r, reduce)
                cut_index = producer.get(reduce.input[0])
                if reduce.op_type not in ("ReduceMean", "ReduceMax") or cut_index is None:
                    return None
                cut = nodes[cut_index]
                if cut.op_type != "Slice" or len(cut.input) not in (4, 5) or \
                        self.consumers.get(cut.output[0]) != [r] or \
                        _attrs(reduce).get("keepdims", 1) != 1 or list(axes or []) != [axis]:
                    return None
                start, stop, along = (self.values(cut.input[k], cut_index, cut)
                                      for k in (1, 2, 3))
                step = self.values(cut.input[4], cut_index, cut) if len(cut.input) == 5 \
                    else [1]
            except ImportProblem:
                return None
            if found is None:
                found = (cut.input[0], reduce.op_type)
            shape = self.shapes.get(found[0])
            size = shape[axis] if shape is not None and len(shape) > axis else None
            if (cut.input[0], reduce.op_type) != found or size is None or along != [axis] or \
                    step != [1]:
                return None
            n, o = int(size), len(parts)
            if [start, stop] != [[(i * n) // o], [-(-((i + 1) * n) // o)]]:
                return None
            helpers += [r, cut_index]
        assert found is not None
        return found[0], axis, len(parts), found[1], helpers

    def _find_adaptive(self, index: int, producer: dict[str, int]) -> None:
        """One adaptive pool from its per-axis stages (see `_adaptive_stage`)."""
        stage = self._adaptive_stage(index, producer)
        if stage is None:
            return
        x, axis, out, op, helpers = stage
        sizes = {axis: out}
        before = producer.get(x)
        if before is not None and self.consumers.get(x) == [h for h in helpers if
                                                          self.graph.node[h].op_type ==
                                                          "Slice"]:
            earlier = self._adaptive_stage(before, producer)
            if earlier is not None and earlier[3] == op and earlier[1] not in sizes:
                x, _, _, _, more = earlier
                sizes[earlier[1]] = earlier[2]
                helpers += [*more, before]
        rank = self.rank(x)
        if rank is None:
            return
        output = [sizes.get(a) for a in range(2, rank)]
        kind = "adaptive_avgpool" if op == "ReduceMean" else "adaptive_maxpool"
        self.skip.update(helpers)
        self.fused[index] = (kind, {"output_size": output}, [x])

    def _find_gelu(self, erf: int, producer: dict[str, int]) -> None:
        """PyTorch's exact GELU before opset 20: Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
        -> gelu, the last Mul standing for the five nodes."""
        nodes = self.graph.node

        def only(name: str, op: str) -> int | None:
            users = self.consumers.get(name, [])
            return users[0] if len(users) == 1 and nodes[users[0]].op_type == op else None

        def constant(name: str, value: float) -> bool:
            tensor = self.consts.get(name)
            if tensor is None or math.prod(tensor.dims) != 1:
                return False
            from onnx import numpy_helper

            try:
                return _close(numpy_helper.to_array(tensor).reshape(-1)[0].item(), value)
            except Exception:  # noqa: BLE001  (no data: not the pattern)
                return False

        div = producer.get(nodes[erf].input[0])
        if div is None or nodes[div].op_type != "Div" or \
                not constant(nodes[div].input[1], math.sqrt(2)) or \
                self.consumers.get(nodes[erf].input[0]) != [erf]:
            return
        x = nodes[div].input[0]
        add = only(nodes[erf].output[0], "Add")
        if add is None or not any(constant(n, 1.0) for n in nodes[add].input):
            return
        mul = only(nodes[add].output[0], "Mul")
        if mul is None or x not in nodes[mul].input:
            return
        half = only(nodes[mul].output[0], "Mul")
        if half is None or not any(constant(n, 0.5) for n in nodes[half].input):
            return
        self.skip.update((div, erf, add, mul))
        self.fused[half] = ("gelu", {}, [x])

    def emit(self, index: int, node: Any, kind: str, args: dict[str, Any],
             reads: list[str]) -> None:
        refs = [self.ref(name, index, node) for name in reads]
        entry = Entry(kind, args, refs)
        entry.base, entry.op_suffix = _graph_name(node.name, node.output[0])
        entry.where, entry.tensor = self.where(index, node), node.output[0]
        self.entries.append(entry)
        self.refs[node.output[0]] = len(self.entries) - 1
        for extra in node.output[1:]:
            readers = [self.graph.node[i].op_type for i in self.consumers.get(extra, [])]
            if kind == "maxpool" and readers and set(readers) == {"MaxUnpool"}:
                self.refs[extra] = len(self.entries) - 1  # the pool, for its unpools
                entry.paired = True
                continue
            if extra and self.consumers.get(extra) or extra in {o.name for o in
                                                                self.graph.output}:
                raise ImportProblem(f"{self.where(index, node)}: its output '{extra}' is used; "
                                    f"cnncalc's {kind} has one output")

    def node(self, index: int, node: Any) -> None:
        op = node.op_type
        if index in self.fused:
            kind, args, reads = self.fused[index]
            self.emit(index, node, kind, args, reads)
            return
        handler = getattr(self, f"op_{op}", None)
        if handler is None or node.domain not in ("", "ai.onnx"):
            raise ImportProblem(f"{self.where(index, node)}: no cnncalc layer kind for this "
                                f"op")
        try:
            handler(index, node, _attrs(node))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
            if isinstance(err, ImportProblem):
                raise
            raise ImportProblem(f"{self.where(index, node)}: malformed node ({type(err).__name__}"
                                f": {' '.join(str(err).split())[:100]})") from None

    # -- constants and aliases ------------------------------------------------------------
    def op_Constant(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        value = attrs.get("value")
        if value is None:
            raise ImportProblem(f"{self.where(index, node)}: only a tensor 'value' is read")
        value.name = node.output[0]
        self.consts[node.output[0]] = value

    def op_Identity(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        source = node.input[0]
        if source in self.consts:
            self.consts[node.output[0]] = self.consts[source]
        else:
            self.refs[node.output[0]] = self.ref(source, index, node)

    def op_Dropout(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        ratio = attrs.get("ratio", 0.5)
        if len(node.input) > 1 and node.input[1]:
            ratio = self.first_value(node.input[1], index, node)
        self.emit(index, node, "dropout", {"p": _num(ratio)}, [node.input[0]])

    # -- convolutions and dense ------------------------------------------------------------
    def _pads(self, index: int, node: Any, attrs: dict[str, Any], kernel: list[int],
              strides: list[int], dilations: list[int]) -> Any:
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        n = len(kernel)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            shape = self.shapes.get(node.input[0])
            sizes = _known(shape[2:]) if shape is not None else None
            if sizes is None:
                raise ImportProblem(f"{self.where(index, node)}: auto_pad {auto} needs the "
                                    f"input's sizes, which the model does not give")
            pairs = []
            for size, k, s, d in zip(sizes, kernel, strides, dilations):
                total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
                small = total // 2
                pairs.append([small, total - small] if auto == "SAME_UPPER"
                             else [total - small, small])
        elif auto == "VALID":
            pairs = [[0, 0]] * n
        else:
            pads = list(attrs.get("pads", [0] * 2 * n))
            pairs = [[pads[i], pads[i + n]] for i in range(n)]
        return _padding(pairs)

    def op_Conv(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        dims = self.weight_dims(node.input[1], index, node)
        kernel = [int(d) for d in dims[2:]]
        n = len(kernel)
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        args: dict[str, Any] = {"filters": int(dims[0]), "kernel": _axes(kernel)}
        if any(s != 1 for s in strides):
            args["stride"] = _axes(strides)
        padding = self._pads(index, node, attrs, kernel, strides, dilations)
        if padding != 0:
            args["padding"] = padding
        if any(d != 1 for d in dilations):
            args["dilation"] = _axes(dilations)
        if attrs.get("group", 1) != 1:
            args["groups"] = int(attrs["group"])
        if not (len(node.input) > 2 and node.input[2]):
            args["bias"] = False
        self.emit(index, node, "conv", args, [node.input[0]])

    def op_ConvTranspose(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        dims = self.weight_dims(node.input[1], index, node)
        kernel = [int(d) for d in dims[2:]]
        n = len(kernel)
        group = int(attrs.get("group", 1))
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        if "output_shape" in attrs or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET",
                                                                              "NOTSET"):
            raise ImportProblem(f"{self.where(index, node)}: output_shape and auto_pad are not "
                                f"read; export with explicit pads")
        args: dict[str, Any] = {"filters": int(dims[1]) * group, "kernel": _axes(kernel)}
        if any(s != 1 for s in strides):
            args["stride"] = _axes(strides)
        pads = list(attrs.get("pads", [0] * 2 * n))
        padding = _padding([[pads[i], pads[i + n]] for i in range(n)])
        if padding != 0:
            args["padding"] = padding
        extra = list(attrs.get("output_padding", [0] * n))
        if any(extra):
            args["output_padding"] = _axes(extra)
        if any(d != 1 for d in dilations):
            args["dilation"] = _axes(dilations)
        if group != 1:
            args["groups"] = group
        if not (len(node.input) > 2 and node.input[2]):
            args["bias"] = False
        self.emit(index, node, "conv_transpose", args, [node.input[0]])

    def op_Gemm(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        if attrs.get("transA", 0):
            raise ImportProblem(f"{self.where(index, node)}: transA=1 is not a dense layer")
        dims = self.weight_dims(node.input[1], index, node)
        if len(dims) != 2:
            raise ImportProblem(f"{self.where(index, node)}: the weight must be 2-D")
        units = dims[0] if attrs.get("transB", 0) else dims[1]
        args: dict[str, Any] = {"units": int(units)}
        if not (len(node.input) > 2 and node.input[2]):
            args["bias"] = False
        self.emit(index, node, "dense", args, [node.input[0]])

    def op_MatMul(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        dims = self.weight_dims(node.input[1], index, node)
        if len(dims) != 2:
            raise ImportProblem(f"{self.where(index, node)}: the weight must be 2-D")
        self.emit(index, node, "dense", {"units": int(dims[1]), "bias": False},
                  [node.input[0]])

    # -- pooling -------------------------------------------------------------------------
    def _pool(self, index: int, node: Any, attrs: dict[str, Any], kind: str) -> None:
        kernel = list(attrs.get("kernel_shape", []))
        n = len(kernel)
        strides = list(attrs.get("strides", [1] * n))  # ONNX's default: 1, not the kernel
        dilations = list(attrs.get("dilations", [1] * n))
        args: dict[str, Any] = {"kernel": _axes(kernel), "stride": _axes(strides)}
        padding = self._pads(index, node, attrs, kernel, strides, dilations)
        if padding != 0:
            args["padding"] = padding
        if any(d != 1 for d in dilations):
            if kind != "maxpool":
                raise ImportProblem(f"{self.where(index, node)}: a dilated average pool has no "
                                    f"cnncalc kind")
            args["dilation"] = _axes(dilations)
        if attrs.get("ceil_mode", 0):
            args["ceil_mode"] = True
        if kind == "avgpool" and not attrs.get("count_include_pad", 0) and (
                padding != 0 or attrs.get("ceil_mode", 0)):
            args["count_include_pad"] = False
        self.emit(index, node, kind, args, [node.input[0]])

    def op_MaxPool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._pool(index, node, attrs, "maxpool")

    def op_AveragePool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._pool(index, node, attrs, "avgpool")

    def op_MaxUnpool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        """MaxUnpool(X, I): `maxunpool: {indices: POOL}` reading X; the output takes the
        pool's input size (an output_shape input is refused unless it is that size)."""
        pool = self.refs.get(node.input[1])
        if pool is None or pool < 0 or self.entries[pool].kind != "maxpool":
            raise ImportProblem(f"{self.where(index, node)}: its indices must be a MaxPool's "
                                f"second output")
        self.emit(index, node, "maxunpool", {}, [node.input[0], node.input[1]])
        self.entries[-1].paired = True

    def op_GlobalAveragePool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self.emit(index, node, "global_avgpool", {}, [node.input[0]])

    def op_GlobalMaxPool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self.emit(index, node, "global_maxpool", {}, [node.input[0]])

    # -- normalisation -------------------------------------------------------------------
    def op_BatchNormalization(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        args: dict[str, Any] = {}
        eps = _num(attrs.get("epsilon", 1e-5))
        if not _close(eps, 1e-5):
            args["eps"] = eps
        momentum = _num(1 - _num(attrs.get("momentum", 0.9)))
        if not _close(momentum, 0.1):
            args["momentum"] = momentum
        self.emit(index, node, "batchnorm", args, [node.input[0]])

    def op_InstanceNormalization(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        # ONNX always takes a scale and a shift; constant ones and zeros are PyTorch's
        # affine=False (its default), which learns nothing
        args: dict[str, Any] = {"affine": not self._identity_affine(node)}
        eps = _num(attrs.get("epsilon", 1e-5))
        if not _close(eps, 1e-5):
            args["eps"] = eps
        self.emit(index, node, "instancenorm", args, [node.input[0]])

    def _identity_affine(self, node: Any) -> bool:
        """Whether a norm's scale and shift are constants of ones and zeros."""
        scale, shift = (self.consts.get(name) for name in node.input[1:3])
        if scale is None or shift is None or isinstance(scale, _ShapeOnly) or isinstance(
                shift, _ShapeOnly):
            return False
        from onnx import numpy_helper

        try:
            return bool((numpy_helper.to_array(scale) == 1).all() and
                        (numpy_helper.to_array(shift) == 0).all())
        except Exception:  # noqa: BLE001  (a shape-only tensor: learned, as far as we know)
            return False

    def op_LayerNormalization(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        dims = self.weight_dims(node.input[1], index, node)
        rank = self.rank(node.input[0])
        axis = int(attrs.get("axis", -1))
        if rank is None:
            raise ImportProblem(f"{self.where(index, node)}: the input's rank is unknown")
        axis = axis + rank if axis < 0 else axis
        if axis < 1:
            raise ImportProblem(f"{self.where(index, node)}: normalising over the batch axis "
                                f"has no cnncalc kind")
        args: dict[str, Any] = {}
        if axis > 1:
            args["normalized_shape"] = [int(d) for d in dims] if len(dims) > 1 else int(dims[0])
        if not (len(node.input) > 2 and node.input[2]):
            args["bias"] = False
        eps = _num(attrs.get("epsilon", 1e-5))
        if not _close(eps, 1e-5):
            args["eps"] = eps
        self.emit(index, node, "layernorm", args, [node.input[0]])

    def op_LRN(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        args = {"size": int(attrs["size"]), "alpha": _num(attrs.get("alpha", 1e-4)),
                "beta": _num(attrs.get("beta", 0.75)), "k": _num(attrs.get("bias", 1.0))}
        self.emit(index, node, "local_response_norm", args, [node.input[0]])

    # -- activations ---------------------------------------------------------------------
    def _plain(self, kind: str) -> Any:
        def handler(index: int, node: Any, attrs: dict[str, Any]) -> None:
            self.emit(index, node, kind, {}, [node.input[0]])
        return handler

    def __getattr__(self, name: str) -> Any:
        plain = {"op_Relu": "relu", "op_Sigmoid": "sigmoid", "op_Tanh": "tanh",
                 "op_HardSwish": "hardswish", "op_Softplus": "softplus",
                 "op_Mish": "mish"}
        if name in plain:
            return self._plain(plain[name])
        raise AttributeError(name)

    def op_Gelu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        approximate = attrs.get("approximate", b"none")
        if approximate not in (b"none", "none"):
            raise ImportProblem(f"{self.where(index, node)}: approximate='tanh' GELU has no "
                                f"cnncalc kind")
        self.emit(index, node, "gelu", {}, [node.input[0]])

    def op_LeakyRelu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        slope = _num(attrs.get("alpha", 0.01))
        self.emit(index, node, "leaky_relu",
                  {} if _close(slope, 0.01) else {"negative_slope": slope}, [node.input[0]])

    def op_Elu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        alpha = _num(attrs.get("alpha", 1.0))
        self.emit(index, node, "elu", {} if _close(alpha, 1.0) else {"alpha": alpha},
                  [node.input[0]])

    def op_Celu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        alpha = _num(attrs.get("alpha", 1.0))
        self.emit(index, node, "celu", {} if _close(alpha, 1.0) else {"alpha": alpha},
                  [node.input[0]])

    def op_Selu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        if not (_close(attrs.get("alpha", 1.67326319), 1.67326319) and
                _close(attrs.get("gamma", 1.05070102), 1.05070102)):
            raise ImportProblem(f"{self.where(index, node)}: a SELU with other constants has "
                                f"no cnncalc kind")
        self.emit(index, node, "selu", {}, [node.input[0]])

    def op_HardSigmoid(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        if not (_close(attrs.get("alpha", 0.2), 1 / 6) and _close(attrs.get("beta", 0.5), 0.5)):
            raise ImportProblem(f"{self.where(index, node)}: only alpha=1/6, beta=0.5 "
                                f"(PyTorch's Hardsigmoid) has a cnncalc kind")
        self.emit(index, node, "hardsigmoid", {}, [node.input[0]])

    def op_PRelu(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        dims = self.weight_dims(node.input[1], index, node)
        count = math.prod(dims)
        self.emit(index, node, "prelu", {} if count == 1 else {"num_parameters": int(count)},
                  [node.input[0]])

    def op_Clip(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        low, high = attrs.get("min"), attrs.get("max")
        if len(node.input) > 1 and node.input[1]:
            low = self.first_value(node.input[1], index, node)
        if len(node.input) > 2 and node.input[2]:
            high = self.first_value(node.input[2], index, node)
        if low == 0 and high == 6:
            self.emit(index, node, "relu6", {}, [node.input[0]])
        elif low == 0 and high is None:
            self.emit(index, node, "relu", {}, [node.input[0]])
        elif low is not None and high is not None and low < high:
            self.emit(index, node, "hardtanh", {"min_val": _num(low), "max_val": _num(high)},
                      [node.input[0]])
        else:
            raise ImportProblem(f"{self.where(index, node)}: a clip to [{low}, {high}] has no "
                                f"cnncalc kind")

    def _softmax(self, index: int, node: Any, attrs: dict[str, Any], kind: str) -> None:
        rank = self.rank(node.input[0])
        axis = int(attrs.get("axis", -1 if self.opset >= 13 else 1))
        if rank is None:
            raise ImportProblem(f"{self.where(index, node)}: the input's rank is unknown")
        axis = axis + rank if axis < 0 else axis
        if axis < 1:
            raise ImportProblem(f"{self.where(index, node)}: a softmax over the batch axis has "
                                f"no cnncalc kind")
        if self.opset < 13 and axis != rank - 1:  # before opset 13: over axes axis.. at once
            raise ImportProblem(f"{self.where(index, node)}: a softmax over axes {axis} to "
                                f"{rank - 1} together (opset {self.opset}) has no cnncalc kind")
        self.emit(index, node, kind, {} if axis == 1 else {"axis": axis - 1},
                  [node.input[0]])

    def op_Softmax(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._softmax(index, node, attrs, "softmax")

    def op_LogSoftmax(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._softmax(index, node, attrs, "log_softmax")

    # -- shape ---------------------------------------------------------------------------
    def op_Flatten(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        if int(attrs.get("axis", 1)) != 1:
            raise ImportProblem(f"{self.where(index, node)}: only axis=1 (keeping the batch) "
                                f"has a cnncalc kind")
        self.emit(index, node, "flatten", {}, [node.input[0]])

    def op_Reshape(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        before = self.shapes.get(node.input[0])
        after = self.shapes.get(node.output[0])
        target = [int(v) for v in self.values(node.input[1], index, node) or []]
        kept = _known(before[1:]) if before else None
        rest = _known(after[1:]) if after else None
        if kept is not None and rest is not None:
            if math.prod(rest) != math.prod(kept):
                raise ImportProblem(f"{self.where(index, node)}: the reshape moves values "
                                    f"across the batch")
            if len(rest) == 1:
                self.emit(index, node, "flatten", {}, [node.input[0]])
            else:
                self.emit(index, node, "reshape", {"shape": rest}, [node.input[0]])
            return
        if len(target) == 2 and target[1] == -1 and target[0] in (0, 1, -1):
            self.emit(index, node, "flatten", {}, [node.input[0]])
            return
        raise ImportProblem(f"{self.where(index, node)}: the reshape's shapes are unknown")

    def op_Pad(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        mode = attrs.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        pads = attrs.get("pads")
        if len(node.input) > 1 and node.input[1]:
            pads = self.values(node.input[1], index, node)
        rank = self.rank(node.input[0])
        if pads is None or rank is None:
            raise ImportProblem(f"{self.where(index, node)}: the pads or the rank are unknown")
        pads = [int(p) for p in pads]
        if len(node.input) > 3 and node.input[3]:
            axes = [int(a) + rank if a < 0 else int(a) for a in
                    self.values(node.input[3], index, node) or []]
            full = [0] * 2 * rank
            for i, a in enumerate(axes):
                full[a], full[a + rank] = pads[i], pads[i + len(axes)]
            pads = full
        if len(pads) != 2 * rank or any(pads[i] or pads[i + rank] for i in (0, 1)):
            raise ImportProblem(f"{self.where(index, node)}: padding the batch or channel axis "
                                f"has no cnncalc kind")
        if mode == "constant" and attrs.get("value", 0.0) != 0:
            raise ImportProblem(f"{self.where(index, node)}: padding with {attrs['value']} "
                                f"(not 0) has no cnncalc kind")
        if mode == "constant" and len(node.input) > 2 and node.input[2]:
            value = self.values(node.input[2], index, node)
            if value and value[0] != 0:
                raise ImportProblem(f"{self.where(index, node)}: padding with {value[0]} "
                                    f"(not 0) has no cnncalc kind")
        if any(p < 0 for p in pads):
            raise ImportProblem(f"{self.where(index, node)}: negative pads (cropping) are not "
                                f"read")
        kinds = {"constant": "zeropad", "reflect": "reflection_pad",
                 "edge": "replication_pad", "wrap": "circular_pad"}
        if mode not in kinds:
            raise ImportProblem(f"{self.where(index, node)}: pad mode '{mode}' has no cnncalc "
                                f"kind")
        pairs = [[pads[i], pads[i + rank]] for i in range(2, rank)]
        self.emit(index, node, kinds[mode], {"padding": _padding(pairs)}, [node.input[0]])

    def op_Resize(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        rank = self.rank(node.input[0])
        mode = _text(attrs.get("mode", b"nearest"))
        transform = _text(attrs.get("coordinate_transformation_mode", b"half_pixel"))
        scales = self.values(node.input[2], index, node) if len(node.input) > 2 else None
        sizes = self.values(node.input[3], index, node) if len(node.input) > 3 else None
        if rank is None or rank < 3:
            raise ImportProblem(f"{self.where(index, node)}: the input's rank is unknown")
        args: dict[str, Any] = {}
        if scales:
            if scales[0] != 1 or scales[1] != 1:
                raise ImportProblem(f"{self.where(index, node)}: resizing the batch or "
                                    f"channels has no cnncalc kind")
            args["scale"] = _axes([_num(s) for s in scales[2:]])
        elif sizes:
            args["size"] = _axes([int(s) for s in sizes[2:]])
        else:
            raise ImportProblem(f"{self.where(index, node)}: neither scales nor sizes given")
        spatial = rank - 2
        if mode == "nearest":
            nearest = _text(attrs.get("nearest_mode", b"round_prefer_floor"))
            if transform == "asymmetric" and nearest == "floor":
                pass  # PyTorch's 'nearest'
            elif transform in ("half_pixel", "pytorch_half_pixel"):
                args["mode"] = "nearest-exact"
            else:
                raise ImportProblem(f"{self.where(index, node)}: nearest resize with "
                                    f"{transform}/{nearest} has no cnncalc mode")
        elif mode in ("linear", "cubic"):
            args["mode"] = "bicubic" if mode == "cubic" else \
                ("linear", "bilinear", "trilinear")[spatial - 1]
            if transform == "align_corners":
                args["align_corners"] = True
            elif transform not in ("half_pixel", "pytorch_half_pixel"):
                raise ImportProblem(f"{self.where(index, node)}: coordinate transformation "
                                    f"'{transform}' has no cnncalc mode")
        else:
            raise ImportProblem(f"{self.where(index, node)}: resize mode '{mode}' has no "
                                f"cnncalc kind")
        self.emit(index, node, "upsample", args, [node.input[0]])

    def op_Transpose(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        perm = [int(p) for p in attrs.get("perm", [])]
        if not perm or perm[0] != 0:
            raise ImportProblem(f"{self.where(index, node)}: a transpose that moves the batch "
                                f"axis has no cnncalc kind")
        self.emit(index, node, "permute", {"dims": [p - 1 for p in perm[1:]]},
                  [node.input[0]])

    def op_DepthToSpace(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        if _text(attrs.get("mode", b"DCR")) != "CRD":
            raise ImportProblem(f"{self.where(index, node)}: only mode CRD (PyTorch's "
                                f"PixelShuffle) has a cnncalc kind")
        self.emit(index, node, "pixel_shuffle", {"factor": int(attrs["blocksize"])},
                  [node.input[0]])

    def op_LpPool(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        kernel = list(attrs.get("kernel_shape", []))
        strides = list(attrs.get("strides", [1] * len(kernel)))
        if any(attrs.get("pads", [])) or attrs.get("auto_pad", b"NOTSET") not in (
                b"NOTSET", "NOTSET"):
            raise ImportProblem(f"{self.where(index, node)}: a padded LP pool has no cnncalc "
                                f"kind")
        args: dict[str, Any] = {"norm_type": _num(attrs.get("p", 2)), "kernel": _axes(kernel),
                                "stride": _axes(strides)}
        if attrs.get("ceil_mode", 0):
            args["ceil_mode"] = True
        self.emit(index, node, "lppool", args, [node.input[0]])

    def op_Slice(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        """A slice of the spatial axes with step 1: cropping."""
        shape = self.shapes.get(node.input[0])
        if shape is None or None in shape[1:]:
            raise ImportProblem(f"{self.where(index, node)}: the input's sizes are unknown")
        rank = len(shape)
        if len(node.input) > 1:  # opset 10+: inputs; before: attributes
            starts = self.values(node.input[1], index, node) or []
            ends = self.values(node.input[2], index, node) or []
            axes = self.values(node.input[3], index, node) if len(node.input) > 3 else None
            steps = self.values(node.input[4], index, node) if len(node.input) > 4 else None
        else:
            starts, ends = attrs.get("starts", []), attrs.get("ends", [])
            axes, steps = attrs.get("axes"), None
        sliced = [int(a) + rank if a < 0 else int(a) for a in
                  (axes if axes is not None else range(len(starts)))]
        if steps and any(step != 1 for step in steps):
            raise ImportProblem(f"{self.where(index, node)}: a slice with a step has no "
                                f"cnncalc kind")
        crops = [[0, 0] for _ in range(rank - 2)]
        for axis, start, end in zip(sliced, starts, ends):
            if not 0 <= axis < rank:
                raise ImportProblem(f"{self.where(index, node)}: a slice of axis {axis} of a "
                                    f"rank-{rank} input")
            if axis == 0:  # the batch, whose size may be symbolic: only 'all of it' is kept
                if int(start) == 0 and int(end) >= 2**31 - 1:
                    continue
                raise ImportProblem(f"{self.where(index, node)}: a slice of the batch has "
                                    f"no cnncalc kind")
            size = int(shape[axis] or 0)  # known: checked above for every axis but the batch
            first = max(0, min(size, int(start) + size if start < 0 else int(start)))
            last = max(0, min(size, int(end) + size if end < 0 else int(end)))
            if (first, last) == (0, size):
                continue
            if axis < 2 or last <= first:
                raise ImportProblem(f"{self.where(index, node)}: a slice of the batch or "
                                    f"channels, or an empty one, has no cnncalc kind")
            crops[axis - 2] = [first, size - last]
        self.emit(index, node, "cropping", {"cropping": _padding(crops)}, [node.input[0]])

    def op_Squeeze(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        """[N, C, 1, 1] -> [N, C]: a flatten."""
        before = self.shapes.get(node.input[0])
        after = self.shapes.get(node.output[0])
        kept = _known(before[1:]) if before else None
        if kept is None or not after or len(after) != 2 or math.prod(kept) != after[1]:
            raise ImportProblem(f"{self.where(index, node)}: only a squeeze to [batch, C] "
                                f"(a flatten) has a cnncalc kind")
        self.emit(index, node, "flatten", {}, [node.input[0]])

    def _reduce(self, index: int, node: Any, attrs: dict[str, Any], kind: str) -> None:
        """A mean or max over every spatial axis: global pooling."""
        rank = self.rank(node.input[0])
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.values(node.input[1], index, node)
        if rank is None or axes is None:
            raise ImportProblem(f"{self.where(index, node)}: the axes or the rank are unknown")
        if sorted(int(a) + rank if a < 0 else int(a) for a in axes) != list(range(2, rank)):
            raise ImportProblem(f"{self.where(index, node)}: only a reduction over every "
                                f"spatial axis (global pooling) has a cnncalc kind")
        keep = bool(attrs.get("keepdims", 1))
        self.emit(index, node, kind, {} if keep else {"keepdims": False}, [node.input[0]])

    def op_ReduceMean(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._reduce(index, node, attrs, "global_avgpool")

    def op_ReduceMax(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._reduce(index, node, attrs, "global_maxpool")

    # -- merges --------------------------------------------------------------------------
    def _merge(self, index: int, node: Any, kind: str, args: dict[str, Any]) -> None:
        reads = [name for name in node.input if name]
        constant = [name for name in reads if name in self.consts]
        if constant:
            raise ImportProblem(f"{self.where(index, node)}: an input is a constant "
                                f"('{constant[0]}'); cnncalc merges layers' outputs")
        if len(reads) == 1:  # a merge of one tensor only passes it on: an alias
            self.refs[node.output[0]] = self.ref(reads[0], index, node)
            return
        self.emit(index, node, kind, args, reads)

    def op_Add(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._merge(index, node, "add", {})

    def op_Sum(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._merge(index, node, "add", {})

    def op_Mul(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        self._merge(index, node, "multiply", {})

    def op_Concat(self, index: int, node: Any, attrs: dict[str, Any]) -> None:
        rank = self.rank(node.input[0])
        axis = int(attrs.get("axis", 1))
        if axis < 0:
            if rank is None:
                raise ImportProblem(f"{self.where(index, node)}: the input's rank is unknown")
            axis += rank
        if axis < 1:
            raise ImportProblem(f"{self.where(index, node)}: concatenating along the batch "
                                f"has no cnncalc kind")
        self._merge(index, node, "concat", {} if axis == 1 else {"axis": axis - 1})

    # -- names ---------------------------------------------------------------------------
    def _name_entries(self) -> None:
        """Every entry's name: its module path; where several share one, with the op's own
        suffix; then numbered in order. Deterministic: the graph's order decides."""
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.base] = counts.get(entry.base, 0) + 1
        taken: set[str] = set()
        for entry in self.entries:
            base = entry.base
            if counts[base] > 1 and entry.op_suffix:
                base = sanitise(f"{base}_{entry.op_suffix}") if base else entry.op_suffix
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
            entry.name = name


def _dims(info: Any) -> list[int | None] | None:
    kind = info.type.WhichOneof("value")
    if kind != "tensor_type" or not info.type.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None
            for d in info.type.tensor_type.shape.dim]


def _known(sizes: list[int | None]) -> list[int] | None:
    """The sizes when every one is known, else None."""
    known = [int(s) for s in sizes if s is not None]
    return known if len(known) == len(sizes) else None


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _num(value: Any) -> float | int:
    """A float32 attribute as the short decimal it was written as (0.1, not 0.100000001)."""
    number = float(f"{float(value):.7g}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _close(a: Any, b: float) -> bool:
    return abs(float(a) - b) <= 1e-6 * max(1.0, abs(b))


def _axes(values: list[Any]) -> Any:
    """[3, 3] -> 3; [3, 5] -> [3, 5]."""
    values = [int(v) if isinstance(v, int) or float(v).is_integer() else v for v in values]
    return values[0] if len(set(values)) == 1 else list(values)


def _padding(pairs: list[list[int]]) -> Any:
    """Per-axis (before, after) -> the shortest spec form: 0, 1, [1, 2] or [[0, 1], [0, 1]]."""
    if all(b == a for b, a in pairs):
        return _axes([b for b, _ in pairs])
    return [[int(b), int(a)] for b, a in pairs]


def import_model(path: str | Path, structured: bool = True) -> tuple[str, list[str]]:
    """The spec text of the ONNX model at `path`, and notes for the user."""
    model = load_model(path)
    importer = _Importer(model, str(path))
    imported = importer.run()
    title = sanitise(Path(path).stem)
    flat = render(imported, title, structured=False)
    figures = _verify(flat, imported, importer.shapes, str(path))
    text = flat
    if structured:
        text = render(imported, title, structured=True)
        if _verify(text, None, {}, str(path)) != figures:  # a bug, never the model's fault
            raise ImportProblem(f"{path}: the spec with blocks computes other figures than "
                                f"the flat one; rerun with --flat and report it")
    notes = [FOLD_NOTE]
    ops = [node.op_type for node in model.graph.node]
    biased = sum(1 for node in model.graph.node if node.op_type == "Conv" and
                 len(node.input) > 2 and node.input[2])
    if biased and "BatchNormalization" not in ops:
        notes.append(f"note: this model has no BatchNormalization and {biased} of its convs "
                     f"have biases: if the framework's model has batch norm, it was folded "
                     f"into them, and these counts are not the framework's")
    return text, notes


def _verify(text: str, imported: Imported | None, shapes: dict[str, list[int | None]],
            file: str) -> tuple[int, int, int]:
    """Build the spec; each layer's output shape must be ONNX's inferred one (where ONNX
    knows it). Returns (layers, params, MACs)."""
    from ..analysis import analyze
    from ..build import build
    from ..errors import SpecError
    from ..spec import parse

    try:
        analysis = analyze(build(parse(text, f"{file} (imported)")))
    except SpecError as error:
        first = str(error.problems[0]) if error.problems else str(error)
        raise ImportProblem(f"{file}: the imported spec does not build: {first}") from None
    if imported is not None:
        by_name = {entry.name: entry for entry in imported.entries}
        for row in analysis.rows:
            entry = by_name.get(row.node.name)
            known = shapes.get(entry.tensor) if entry else None
            if entry is None or not known or None in known:
                continue
            if list(row.output_shape) != list(known[1:]):
                raise ImportProblem(f"{entry.where}: cnncalc computes the output "
                                    f"{list(row.output_shape)}, ONNX's shape inference "
                                    f"{list(known[1:])}")
    return len(analysis.rows), analysis.totals.params, analysis.totals.macs


# -- rendering -----------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _yaml(value: Any) -> str:
    """A value in YAML flow style; text quoted unless it is a plain name or a known word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        plain = (_PLAIN.match(value) and sanitise(value) == value) or \
            re.fullmatch(r"\$[A-Za-z_]\w*", value)
        return value if plain else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


MERGE_KINDS = ("add", "multiply", "concat")
SLOT_KEYS = ("filters", "units", "groups")  # what differs between a block's copies
MAX_BLOCK_ITEMS = 12  # the longest run of items tried as one block
MAX_FORK_ENTRIES = 2000  # a fork must close within this many entries to become a form
MAX_FORK_MERGES = 64     # and at one of the first this many merges after it


@dataclass
class Item:
    """One entry of the rendered spec: a layer, or a residual/branches form closed by the
    merge entry `entry`; `flat` layers name what they read with `from:`."""

    form: str  # "layer", "residual" or "branches"
    entry: int
    paths: list[list[Item]] = field(default_factory=list)
    flat: bool = False

    def entries(self) -> list[int]:
        return [self.entry] + [e for path in self.paths for item in path
                               for e in item.entries()]


class _Structure:
    """Flat entries -> items: a fork that closes at one merge becomes `residual` (an add of
    two paths) or `branches` (concat, multiply, or an add of more); what does not fit stays
    a flat entry with `from:`."""

    def __init__(self, imported: Imported):
        self.entries = imported.entries
        self.outputs = set(imported.outputs)
        self.consumers: dict[Ref, list[int]] = {}
        for index, entry in enumerate(self.entries):
            for ref in entry.inputs:
                self.consumers.setdefault(ref, []).append(index)

    def top(self) -> list[Item]:
        members = list(range(len(self.entries)))
        every = set(members)
        items: list[Item] = []
        cursor, pos = -1, 0
        while pos < len(members):
            step = self.step(members, every, pos, cursor, strict=False, depth=0)
            if step is None:
                e = members[pos]
                items.append(Item("layer", e, flat=True))
                cursor, pos = e, pos + 1
            else:
                item, pos = step
                items.append(item)
                cursor = item.entry
        return items

    def step(self, members: list[int], every: set[int], pos: int, cursor: Ref, strict: bool,
             depth: int) -> tuple[Item, int] | None:
        """The item at members[pos], reading `cursor`; None if it does not read it alone."""
        e = members[pos]
        local = [c for c in self.consumers.get(cursor, []) if c >= e and c in every]
        if len(local) > 1:
            return self.fork(members, every, pos, cursor, strict, depth)
        entry = self.entries[e]
        if local == [e] and entry.inputs == [cursor] and entry.kind not in MERGE_KINDS:
            return Item("layer", e), pos + 1
        return None

    def region(self, members: list[int], start: Ref, depth: int) -> list[Item] | None:
        """Items for `members` read from `start` alone, or None."""
        if depth > limits.MAX_BLOCK_DEPTH:
            return None
        every = set(members)
        items: list[Item] = []
        cursor, pos = start, 0
        while pos < len(members):
            step = self.step(members, every, pos, cursor, strict=True, depth=depth)
            if step is None:
                return None
            item, pos = step
            items.append(item)
            cursor = item.entry
        return items

    def fork(self, members: list[int], every: set[int], pos: int, cursor: Ref, strict: bool,
             depth: int) -> tuple[Item, int] | None:
        """The merge that closes the paths leaving `cursor` (the first few tried, within a
        window: a hostile graph must not make this quadratic)."""
        tried = 0
        for q in range(pos, min(len(members), pos + MAX_FORK_ENTRIES)):
            j = members[q]
            merge = self.entries[j]
            if merge.kind not in MERGE_KINDS or merge.args:
                continue
            tried += 1
            if tried > MAX_FORK_MERGES:
                break
            found = self.close(members[pos:q], j, cursor, every, strict, depth)
            if found is not None:
                return found, q + 1
        return None

    def close(self, inside: list[int], j: int, cursor: Ref, every: set[int], strict: bool,
              depth: int) -> Item | None:
        reads = self.entries[j].inputs
        members = set(inside)
        if reads.count(cursor) > 1 or any(r != cursor and r not in members for r in reads):
            return None
        if strict and any(c > j and c in every for c in self.consumers.get(cursor, [])):
            return None
        for e in inside:
            if e in self.outputs or any(c not in members and c != j
                                        for c in self.consumers.get(e, [])):
                return None
        paths: list[list[Item]] = []
        claimed: set[int] = set()
        for r in reads:
            if r == cursor:
                paths.append([])
                continue
            branch, todo = set(), [r]
            while todo:
                e = todo.pop()
                if e in branch:
                    continue
                branch.add(e)
                todo += [x for x in self.entries[e].inputs if x in members]
            if branch & claimed:
                return None
            claimed |= branch
            items = self.region(sorted(branch), cursor, depth + 1)
            if items is None or items[-1].entry != r:
                return None
            paths.append(items)
        if claimed != members:
            return None
        kind = self.entries[j].kind
        if kind == "add" and len(paths) == 2:
            if not paths[0] and not paths[1]:
                return None
            main, shortcut = (paths[1], paths[0]) if not paths[0] or (
                paths[1] and len(paths[1]) > len(paths[0])) else (paths[0], paths[1])
            return Item("residual", j, [main, shortcut])
        return Item("branches", j, paths)


def _chain_concats(imported: Imported) -> None:
    """concat(a, b, c) where concat(a, b) exists -> concat(concat(a, b), c): the same values
    (DenseNet's layers each concatenate every earlier output), and the fork closes."""
    seen: dict[tuple[Ref, ...], int] = {}
    for index, entry in enumerate(imported.entries):
        if entry.kind != "concat" or entry.args:
            continue
        refs = tuple(entry.inputs)
        for cut in range(len(refs) - 1, 1, -1):
            if refs[:cut] in seen:
                entry.inputs = [seen[refs[:cut]], *refs[cut:]]
                break
        seen.setdefault(refs, index)


# -- blocks --------------------------------------------------------------------------------
def _signature(entries: list[Entry], item: Item) -> Any:
    """What an item is, with its channel counts left out (SLOT_KEYS)."""
    entry = entries[item.entry]
    if item.form == "layer":
        if entry.paired:  # a pool and its unpool name each other: never inside a block
            return ("paired", item.entry)
        return ("layer", entry.kind, tuple((k, "#" if k in SLOT_KEYS else json.dumps(v))
                                           for k, v in entry.args.items()))
    return (item.form, entry.kind,
            tuple(tuple(_signature(entries, i) for i in path) for path in item.paths))


def _slots(entries: list[Entry], item: Item) -> list[int]:
    entry = entries[item.entry]
    if item.form == "layer":
        return [v for k, v in entry.args.items() if k in SLOT_KEYS]
    return [v for path in item.paths for i in path for v in _slots(entries, i)]


@dataclass
class _Block:
    name: str
    items: list[Item]                     # the first copy's
    params: list[str]
    slots: list[Any]                      # per slot: a literal, "$p" or "${p * r}"
    calls: list[tuple[int, list[int]]] = field(default_factory=list)  # (start, values)


def _find_blocks(imported: Imported, items: list[Item]) -> dict[int, tuple[_Block, int, int]]:
    """Runs of consecutive copies of the same items (up to channel counts): position ->
    (block, items per copy, copies). Greedy from the start, the run that saves most first."""
    entries = imported.entries
    outputs = set(imported.outputs)
    last = len(entries) - 1
    owner = {e: n for n, item in enumerate(items) for e in item.entries()}
    sigs = [_signature(entries, item) if not item.flat else None for item in items]

    readers: dict[int, list[int]] = {}
    for c, entry in enumerate(entries):
        for r in entry.inputs:
            readers.setdefault(r, []).append(c)

    def eligible_fast(at: int, size: int) -> bool:
        span = items[at:at + size]
        if len(span) < size or any(i.flat for i in span):
            return False
        ends = span[-1].entry
        for item in span:
            for e in item.entries():
                if e in outputs and not (e == ends == last and outputs == {last}):
                    return False
                for c in readers.get(e, []):
                    where = owner[c]
                    if at <= where < at + size:
                        continue
                    if e != ends or where != at + size or items[where].flat:
                        return False
        return True

    runs: list[tuple[int, int, int]] = []
    pos = 0
    while pos < len(items):
        best: tuple[int, int, int] | None = None
        for size in range(1, MAX_BLOCK_ITEMS + 1):
            if pos + 2 * size > len(items) or not eligible_fast(pos, size):
                continue
            pattern = sigs[pos:pos + size]
            copies = 1
            while pos + (copies + 1) * size <= len(items) and \
                    sigs[pos + copies * size:pos + (copies + 1) * size] == pattern and \
                    eligible_fast(pos + copies * size, size):
                copies += 1
            layers = sum(len(i.entries()) for i in items[pos:pos + size])
            values = [[v for i in items[pos + k * size:pos + (k + 1) * size]
                       for v in _slots(entries, i)] for k in range(copies)]
            calls = 1 + sum(a != b for a, b in itertools.pairwise(values))  # `repeat`
            saved = layers * copies - layers - calls  # the entries a reader no longer reads
            if copies > 1 and saved >= 3 and (best is None or saved > best[0]):
                best = (saved, size, copies)
        if best is None:
            pos += 1
            continue
        runs.append((pos, best[1], best[2]))
        pos += best[1] * best[2]

    by_sig: dict[Any, list[tuple[int, int, int]]] = {}
    for run in runs:
        by_sig.setdefault(tuple(sigs[run[0]:run[0] + run[1]]), []).append(run)
    found: dict[int, tuple[_Block, int, int]] = {}
    for number, (_, group) in enumerate(sorted(by_sig.items(), key=lambda kv: kv[1][0][0])):
        starts = [run[0] + k * run[1] for run in group for k in range(run[2])]
        size = group[0][1]
        vectors = [[v for i in items[s:s + size] for v in _slots(entries, i)] for s in starts]
        block = _block(_letters(number), items[group[0][0]:group[0][0] + size], vectors)
        for run in group:
            found[run[0]] = (block, size, run[2])
            block.calls += [(run[0] + k * size, vectors[starts.index(run[0] + k * size)])
                            for k in range(run[2])]
    return found


def _letters(number: int) -> str:
    text = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(ord("a") + rest) + text
    return f"block_{text}"


def _block(name: str, items: list[Item], vectors: list[list[int]]) -> _Block:
    """A block whose parameters are the slots that differ between copies: equal columns share
    a parameter, a column that is an integer multiple of one is written as an expression."""
    params: list[str] = []
    columns: list[list[int]] = []
    slots: list[Any] = []
    for index in range(len(vectors[0])):
        column = [v[index] for v in vectors]
        if len(set(column)) == 1:
            slots.append(column[0])
            continue
        for p, base in zip(params, columns):
            if column == base:
                slots.append(f"${p}")
                break
            if all(b and c % b == 0 for b, c in zip(base, column)) and \
                    len({c // b for b, c in zip(base, column)}) == 1:
                slots.append(f"${{{p} * {column[0] // base[0]}}}")
                break
        else:
            name_ = "filters" if not params else f"filters{len(params) + 1}"
            params.append(name_)
            columns.append(column)
            slots.append(f"${name_}")
    return _Block(name, items, params, slots)


# -- rendering -----------------------------------------------------------------------------
def render(imported: Imported, title: str, structured: bool = True) -> str:
    """The spec text: the inputs, the outputs where not just the last entry, blocks, and the
    layers, named as in the graph; `from:` where an entry does not read the previous one."""
    if structured:
        _chain_concats(imported)
        items = _Structure(imported).top()
        blocks = _find_blocks(imported, items)
    else:
        items = [Item("layer", e, flat=True) for e in range(len(imported.entries))]
        blocks = {}
    entries = imported.entries
    names = [e.name for e in entries]
    input_names = [sanitise(n) for n, _ in imported.inputs]
    while len(set(input_names)) < len(input_names) or set(input_names) & set(names):
        input_names = [f"{n}_in" for n in input_names]

    named_inputs: set[Ref] = set()

    def label(ref: Ref) -> str:
        if ref < 0:
            named_inputs.add(ref)
        return names[ref] if ref >= 0 else input_names[-1 - ref]

    lines: list[str] = []
    if imported.outputs != [len(entries) - 1]:
        lines.append(f"outputs: {_yaml([label(r) for r in imported.outputs])}")
    defined: list[_Block] = []
    for block, _, _ in blocks.values():
        if block not in defined:
            defined.append(block)
    if defined:
        lines.append("blocks:")
        for block in defined:
            lines.append(f"  {block.name}:")
            if block.params:
                lines.append("    params: {" + ", ".join(f"{p}: null" for p in block.params)
                             + "}")
            lines.append("    layers:")
            slots = iter(block.slots)
            for item in block.items:
                _render_item(lines, entries, item, 6, None, slots, label, named=False)
    lines.append("layers:")
    previous: Ref = -1
    pos = 0
    while pos < len(items):
        if pos in blocks:
            block, size, copies = blocks[pos]
            calls = [values for start, values in block.calls if pos <= start < pos + size *
                     copies]
            k = 0
            while k < len(calls):
                same = 1
                while k + same < len(calls) and calls[k + same] == calls[k]:
                    same += 1
                args = {p: v for p, v in zip(block.params, _param_values(block, calls[k]))}
                lines.append(f"  - {block.name}: {_yaml(args)}")
                if same > 1:
                    lines.append(f"    repeat: {same}")
                k += same
            pos += size * copies
            previous = items[pos - 1].entry
            continue
        item = items[pos]
        _render_item(lines, entries, item, 2, previous, None, label)
        previous = item.entry
        pos += 1
    head = [("# imported from ONNX by `cnncalc import`; check the figures with "
             "`cnncalc summary`"), f"name: {title}", "framework: pytorch"]
    if len(imported.inputs) == 1 and not named_inputs:
        head.append(f"input: {_yaml(imported.inputs[0][1])}")
    else:  # named: an entry reads one by name
        head.append("input: {" + ", ".join(f"{n}: {_yaml(shape)}" for n, (_, shape) in
                                           zip(input_names, imported.inputs)) + "}")
    return "\n".join(head + lines) + "\n"


def _param_values(block: _Block, values: list[int]) -> list[int]:
    """The call's arguments: the value of each parameter's first slot."""
    found: dict[str, int] = {}
    for slot, value in zip(block.slots, values):
        if isinstance(slot, str) and slot.startswith("$") and not slot.startswith("${"):
            found.setdefault(slot[1:], value)
    return [found[p] for p in block.params]


def _render_item(lines: list[str], entries: list[Entry], item: Item, indent: int,
                 previous: Ref | None, slots: Any, label: Any, named: bool = True) -> None:
    """One item at `indent`, reading `previous` (None: read implicitly, as inside a path);
    `named` false inside a block (its layers take the block's names); `slots` the block's
    slot values to substitute (None outside a block)."""
    pad = " " * indent
    entry = entries[item.entry]
    if item.form == "layer":
        args = dict(entry.args)
        if slots is not None:
            args = {k: next(slots) if k in SLOT_KEYS else v for k, v in args.items()}
        if entry.kind in MERGE_KINDS:
            args = {"from": [label(r) for r in entry.inputs], **args}
        if entry.kind == "maxunpool":
            args = {"indices": label(entry.inputs[1]), **args}
        lines.append(f"{pad}- {entry.kind}: {_yaml(args)}" if args or named else
                     f"{pad}- {entry.kind}")
        if previous is not None and entry.kind not in MERGE_KINDS and \
                entry.inputs[0] != previous:
            lines.append(f"{pad}  from: {label(entry.inputs[0])}")
    else:
        lines.append(f"{pad}- {item.form}:")
        if item.form == "residual":
            for key, path in zip(("main", "shortcut"), item.paths):
                if not path:
                    continue
                lines.append(f"{pad}    {key}:")
                for inner in path:
                    _render_item(lines, entries, inner, indent + 6, None, slots, label,
                                 named)
        else:
            for path in item.paths:
                if not path:
                    lines.append(f"{pad}    - []")
                    continue
                first = len(lines)
                for inner in path:
                    _render_item(lines, entries, inner, indent + 6, None, slots, label,
                                 named)
                lines[first] = f"{pad}    - -" + lines[first][indent + 7:]
            lines.append(f"{pad}  merge: {entry.kind}")
    if named:
        lines.append(f"{pad}  name: {entry.name}")
