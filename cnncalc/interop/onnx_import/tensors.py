"""What the importer knows of the model's tensors: the constants (initializers, Constant
nodes, shape-only weights), the shapes ONNX's shape inference gives, who reads what, and
constant values read on demand. External data is never read: only `dims`, which live in
the model file."""
from __future__ import annotations

import math
from typing import Any

from .attributes import is_close
from .model_file import check_node_count, opset_version, require_onnx
from .records import ImportProblem

_WEIGHT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization",
              "InstanceNormalization", "LayerNormalization", "PRelu"}


class _ShapeOnly:
    """A weight known by its shape alone (a graph input standing for it): what the importer
    reads of an initializer, dims, with no values."""

    def __init__(self, name: str, dims: list[int]):
        self.name, self.dims = name, dims
        self.data_location = 0  # TensorProto.DEFAULT: not external


def tensor_dims(info: Any) -> list[int | None] | None:
    """A ValueInfo's dims (None where symbolic), or None when it declares no tensor shape."""
    kind = info.type.WhichOneof("value")
    if kind != "tensor_type" or not info.type.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None
            for d in info.type.tensor_type.shape.dim]


def _constant_array(tensor: Any) -> Any:
    """A constant's values as a NumPy array; None for a shape-only or data-less tensor."""
    if isinstance(tensor, _ShapeOnly):
        return None
    from onnx import numpy_helper

    try:
        return numpy_helper.to_array(tensor)
    except Exception:  # noqa: BLE001  (a tensor without data)
        return None


class ModelView:
    """The model's graph with its constants, inferred shapes and readers, and located
    messages about its nodes."""

    def __init__(self, model: Any, file: str):
        self.onnx = require_onnx()
        self.file = file
        self.graph = model.graph
        check_node_count(model, file)
        self.opset = opset_version(model)
        self.consts: dict[str, Any] = {t.name: t for t in self.graph.initializer}
        self.shapes: dict[str, list[int | None]] = {}
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
            dims = tensor_dims(info)
            if dims is None or any(d is None for d in dims):
                continue
            self.consts[info.name] = _ShapeOnly(info.name, [int(d) for d in dims if d is not None])

    def _infer_shapes(self, model: Any) -> None:
        try:
            inferred = self.onnx.shape_inference.infer_shapes(model)
        except Exception:  # noqa: BLE001  (shapes then come only from the declared ones)
            inferred = model
        for info in [*inferred.graph.input, *inferred.graph.value_info,
                     *inferred.graph.output]:
            dims = tensor_dims(info)
            if dims is not None:
                self.shapes[info.name] = dims

    def where(self, index: int, node: Any) -> str:
        """The node as messages name it: file, index, name (or first output), op type."""
        return f"{self.file}: node {index} '{node.name or node.output[0]}' ({node.op_type})"

    def problem(self, index: int, node: Any, message: str) -> ImportProblem:
        """The error saying `message` about node `index`, located."""
        return ImportProblem(f"{self.where(index, node)}: {message}")

    def values(self, name: str, index: int, node: Any) -> list[float] | None:
        """The values of a constant input, flattened; None for an absent optional input."""
        if not name:
            return None
        tensor = self.consts.get(name)
        if tensor is None:
            raise self.problem(index, node, f"input '{name}' must be a constant")
        if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
            raise self.problem(index, node, f"input '{name}' is stored as external data, which "
                               "cnncalc does not read")
        array = _constant_array(tensor)
        if array is None or array.size != math.prod(tensor.dims):
            raise self.problem(index, node, f"input '{name}' has no values (a shape-only tensor); "
                               "its values are needed here")
        return [x.item() for x in array.reshape(-1)]

    def first_value(self, name: str, index: int, node: Any) -> float:
        """The first value of a constant input the node gives (`name` not empty)."""
        return (self.values(name, index, node) or [])[0]

    def is_scalar(self, name: str, value: float) -> bool:
        """Whether `name` is a one-element constant equal to `value`."""
        tensor = self.consts.get(name)
        if tensor is None or math.prod(tensor.dims) != 1:
            return False
        array = _constant_array(tensor)
        try:
            return array is not None and is_close(array.reshape(-1)[0].item(), value)
        except Exception:  # noqa: BLE001  (not a number: not the pattern)
            return False

    def weight_dims(self, name: str, index: int, node: Any) -> list[int]:
        """The dims of a layer's weight input, which must be a constant."""
        tensor = self.consts.get(name)
        if tensor is None:
            raise self.problem(index, node, f"its weight '{name}' is computed, not an "
                               "initializer; cnncalc needs a layer's weights")
        return list(tensor.dims)

    def identity_affine(self, node: Any) -> bool:
        """Whether a norm's scale and shift are constants of ones and zeros."""
        scale, shift = (self.consts.get(name) for name in node.input[1:3])
        scale, shift = (None if tensor is None else _constant_array(tensor)
                        for tensor in (scale, shift))
        try:
            return scale is not None and shift is not None and bool(
                (scale == 1).all() and (shift == 0).all())
        except Exception:  # noqa: BLE001  (values that are not numbers: not the identity)
            return False

    def rank(self, name: str) -> int | None:
        """The tensor's rank, batch included, when ONNX knows it."""
        shape = self.shapes.get(name)
        return None if shape is None else len(shape)

    def absolute_axis(self, index: int, node: Any, axis: int) -> tuple[int, int]:
        """`axis` of the node's first input counted from the front, and the input's rank
        (which must be known)."""
        rank = self.rank(node.input[0])
        if rank is None:
            raise self.problem(index, node, "the input's rank is unknown")
        return (axis + rank if axis < 0 else axis), rank
