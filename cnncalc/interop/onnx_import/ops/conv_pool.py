"""Convolutions, dense layers and pooling: kernel, stride, padding and dilation from the
attributes, filters and units from the weights' dims."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..attributes import (
    all_known,
    auto_pad,
    from_front,
    has_input,
    padding_form,
    pads_explicitly,
    per_axis,
    short_number,
)
from .translator import Translator

if TYPE_CHECKING:
    from ..walk import Importer


def _window(kernel: list[int], attrs: dict[str, Any]) -> tuple[int, list[int], list[int]]:
    """(spatial axes, strides, dilations) of a window op, ONNX's defaults of 1 filled in."""
    n = len(kernel)
    return n, list(attrs.get("strides", [1] * n)), list(attrs.get("dilations", [1] * n))


def _explicit_pads(attrs: dict[str, Any], n: int) -> list[list[int]]:
    """ONNX's pads (all befores, then all afters) as per-axis (before, after) pairs."""
    pads = list(attrs.get("pads", [0] * 2 * n))
    return [[pads[i], pads[i + n]] for i in range(n)]


def _pads(imp: Importer, index: int, node: Any, attrs: dict[str, Any], kernel: list[int],
          strides: list[int], dilations: list[int]) -> Any:
    """The padding in spec form, auto_pad's SAME modes worked out from the input's sizes."""
    auto = auto_pad(attrs)
    n = len(kernel)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        shape = imp.shapes.get(node.input[0])
        sizes = all_known(shape[2:]) if shape is not None else None
        if sizes is None:
            raise imp.problem(index, node, f"auto_pad {auto} needs the input's sizes, which the "
                              "model does not give")
        pairs = []
        for size, k, s, d in zip(sizes, kernel, strides, dilations):
            total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
            small = total // 2
            pairs.append([small, total - small] if auto == "SAME_UPPER"
                         else [total - small, small])
    elif auto == "VALID":
        pairs = [[0, 0]] * n
    else:
        pairs = _explicit_pads(attrs, n)
    return padding_form(pairs)


def conv(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    dims = imp.weight_dims(node.input[1], index, node)
    kernel = [int(d) for d in dims[2:]]
    _, strides, dilations = _window(kernel, attrs)
    args: dict[str, Any] = {"filters": int(dims[0]), "kernel": per_axis(kernel)}
    if any(s != 1 for s in strides):
        args["stride"] = per_axis(strides)
    padding = _pads(imp, index, node, attrs, kernel, strides, dilations)
    if padding != 0:
        args["padding"] = padding
    if any(d != 1 for d in dilations):
        args["dilation"] = per_axis(dilations)
    if attrs.get("group", 1) != 1:
        args["groups"] = int(attrs["group"])
    if not has_input(node, 2):
        args["bias"] = False
    imp.emit(index, node, "conv", args, [node.input[0]])


def conv_transpose(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    dims = imp.weight_dims(node.input[1], index, node)
    kernel = [int(d) for d in dims[2:]]
    group = int(attrs.get("group", 1))
    n, strides, dilations = _window(kernel, attrs)
    if "output_shape" in attrs or not pads_explicitly(attrs):
        raise imp.problem(index, node, "output_shape and auto_pad are not read; export with "
                          "explicit pads")
    args: dict[str, Any] = {"filters": int(dims[1]) * group, "kernel": per_axis(kernel)}
    if any(s != 1 for s in strides):
        args["stride"] = per_axis(strides)
    padding = padding_form(_explicit_pads(attrs, n))
    if padding != 0:
        args["padding"] = padding
    extra = list(attrs.get("output_padding", [0] * n))
    if any(extra):
        args["output_padding"] = per_axis(extra)
    if any(d != 1 for d in dilations):
        args["dilation"] = per_axis(dilations)
    if group != 1:
        args["groups"] = group
    if not has_input(node, 2):
        args["bias"] = False
    imp.emit(index, node, "conv_transpose", args, [node.input[0]])


def _matrix_dims(imp: Importer, index: int, node: Any) -> list[int]:
    """The dims of a dense layer's weight, which must be 2-D."""
    dims = imp.weight_dims(node.input[1], index, node)
    if len(dims) != 2:
        raise imp.problem(index, node, "the weight must be 2-D")
    return dims


def gemm(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    if attrs.get("transA", 0):
        raise imp.problem(index, node, "transA=1 is not a dense layer")
    dims = _matrix_dims(imp, index, node)
    units = dims[0] if attrs.get("transB", 0) else dims[1]
    args: dict[str, Any] = {"units": int(units)}
    if not has_input(node, 2):
        args["bias"] = False
    imp.emit(index, node, "dense", args, [node.input[0]])


def mat_mul(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    dims = _matrix_dims(imp, index, node)
    imp.emit(index, node, "dense", {"units": int(dims[1]), "bias": False}, [node.input[0]])


# -- pooling -------------------------------------------------------------------------------
def pooling(kind: str) -> Translator:
    """The translator of MaxPool ('maxpool') or AveragePool ('avgpool')."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        kernel = list(attrs.get("kernel_shape", []))
        # ONNX's default stride: 1, not the kernel
        _, strides, dilations = _window(kernel, attrs)
        args: dict[str, Any] = {"kernel": per_axis(kernel), "stride": per_axis(strides)}
        padding = _pads(imp, index, node, attrs, kernel, strides, dilations)
        if padding != 0:
            args["padding"] = padding
        if any(d != 1 for d in dilations):
            if kind != "maxpool":
                raise imp.problem(index, node, "a dilated average pool has no cnncalc kind")
            args["dilation"] = per_axis(dilations)
        if attrs.get("ceil_mode", 0):
            args["ceil_mode"] = True
        if kind == "avgpool" and not attrs.get("count_include_pad", 0) and (
                padding != 0 or attrs.get("ceil_mode", 0)):
            args["count_include_pad"] = False
        imp.emit(index, node, kind, args, [node.input[0]])
    return translate


def max_unpool(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    """MaxUnpool(X, I): `maxunpool: {indices: POOL}` reading X; the output takes the
    pool's input size (an output_shape input is refused unless it is that size)."""
    pool = imp.refs.get(node.input[1])
    if pool is None or pool < 0 or imp.entries[pool].kind != "maxpool":
        raise imp.problem(index, node, "its indices must be a MaxPool's second output")
    imp.emit(index, node, "maxunpool", {}, [node.input[0], node.input[1]])
    imp.entries[-1].paired = True


def lppool(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    kernel = list(attrs.get("kernel_shape", []))
    strides = list(attrs.get("strides", [1] * len(kernel)))
    if any(attrs.get("pads", [])) or not pads_explicitly(attrs):
        raise imp.problem(index, node, "a padded LP pool has no cnncalc kind")
    args: dict[str, Any] = {"norm_type": short_number(attrs.get("p", 2)),
                            "kernel": per_axis(kernel), "stride": per_axis(strides)}
    if attrs.get("ceil_mode", 0):
        args["ceil_mode"] = True
    imp.emit(index, node, "lppool", args, [node.input[0]])


def reduction(kind: str) -> Translator:
    """The translator of ReduceMean or ReduceMax over every spatial axis: global pooling
    (`kind`)."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        rank = imp.rank(node.input[0])
        axes = attrs.get("axes")
        if axes is None and has_input(node, 1):
            axes = imp.values(node.input[1], index, node)
        if rank is None or axes is None:
            raise imp.problem(index, node, "the axes or the rank are unknown")
        if sorted(from_front(a, rank) for a in axes) != list(range(2, rank)):
            raise imp.problem(index, node, "only a reduction over every spatial axis (global "
                              "pooling) has a cnncalc kind")
        keep = bool(attrs.get("keepdims", 1))
        imp.emit(index, node, kind, {} if keep else {"keepdims": False}, [node.input[0]])
    return translate
